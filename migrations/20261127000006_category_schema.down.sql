-- Reverts category: the module's whole schema.
DROP SCHEMA categories CASCADE;
