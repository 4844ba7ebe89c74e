DROP TABLE orders.refund_lines;
DROP TABLE orders.refunds;
DROP TABLE orders.order_items;
DROP TABLE orders.orders;
