DROP TABLE transactions.settlements;
DROP TABLE transactions.transactions;
DROP TABLE transactions.order_balances;
