SET lock_timeout = '2s';
SET statement_timeout = '5min';
UPDATE products SET price_cents = price WHERE price_cents IS NULL;
