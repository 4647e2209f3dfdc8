UPDATE products SET price_cents = NULL;
