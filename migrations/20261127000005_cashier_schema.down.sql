-- Reverts cashier: the module's whole schema.
DROP SCHEMA cashiers CASCADE;
