-- Reverts report: the module's whole schema.
DROP SCHEMA reports CASCADE;
