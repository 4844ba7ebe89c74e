-- Reverts order: the module's whole schema.
DROP SCHEMA orders CASCADE;
