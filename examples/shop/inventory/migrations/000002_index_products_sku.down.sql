DROP INDEX products_sku_key;
