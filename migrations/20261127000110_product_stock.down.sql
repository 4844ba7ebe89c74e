DROP TABLE products.stock_reservation_lines;
DROP TABLE products.stock_reservations;
DROP TABLE products.stock_movements;
DROP FUNCTION products.stock_movements_append_only();
