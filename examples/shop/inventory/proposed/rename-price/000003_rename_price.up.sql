ALTER TABLE products RENAME COLUMN price TO price_cents;
CREATE INDEX products_name_idx ON products (name);
