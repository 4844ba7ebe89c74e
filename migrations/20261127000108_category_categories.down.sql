DROP TABLE categories.categories;
