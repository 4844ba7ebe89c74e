DROP TABLE cashiers.creation_reservations;
DROP TABLE cashiers.cashiers;
