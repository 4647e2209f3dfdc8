DROP INDEX products_name_idx;
ALTER TABLE products RENAME COLUMN price_cents TO price;
