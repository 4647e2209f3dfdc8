SET lock_timeout = '2s';
SET statement_timeout = '5min';
ALTER TABLE products ADD COLUMN IF NOT EXISTS price_cents bigint;
