-- Reverts product: the module's whole schema.
DROP SCHEMA products CASCADE;
