CREATE TABLE products (
    id integer NOT NULL PRIMARY KEY,
    sku text NOT NULL,
    name text NOT NULL,
    price integer NOT NULL,
    stock integer NOT NULL DEFAULT 0
);
