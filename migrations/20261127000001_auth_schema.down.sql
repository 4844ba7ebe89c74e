-- Reverts auth: the module's whole schema.
DROP SCHEMA auth CASCADE;
