ALTER TABLE products DROP COLUMN IF EXISTS price_cents;
