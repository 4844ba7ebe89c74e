-- Reverts merchant: the module's whole schema.
DROP SCHEMA merchants CASCADE;
