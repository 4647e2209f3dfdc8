ALTER TABLE orders ADD COLUMN payment_id text;
