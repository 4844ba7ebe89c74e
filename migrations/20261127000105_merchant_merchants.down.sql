DROP TABLE merchants.merchants;
