-- Reverts notification: the module's whole schema.
DROP SCHEMA notifications CASCADE;
