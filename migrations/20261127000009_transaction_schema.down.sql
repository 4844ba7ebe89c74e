-- Reverts transaction: the module's whole schema.
DROP SCHEMA transactions CASCADE;
