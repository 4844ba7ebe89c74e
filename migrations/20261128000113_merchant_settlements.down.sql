DROP TABLE merchants.settlements;
