DROP TABLE products.products;
