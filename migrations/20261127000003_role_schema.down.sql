-- Reverts role: the module's whole schema.
DROP SCHEMA roles CASCADE;
