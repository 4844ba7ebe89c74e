-- Reverts user: the module's whole schema.
DROP SCHEMA users CASCADE;
