CREATE TABLE orders (
    id text NOT NULL PRIMARY KEY,
    product_id integer NOT NULL,
    quantity integer NOT NULL,
    amount integer NOT NULL,
    currency text NOT NULL,
    status text NOT NULL,
    created_at timestamp NOT NULL
);
