-- Reverts auth identity: every table of 20261127000101_auth_identity.up.sql.
DROP TABLE auth.signing_keys;
DROP TABLE auth.refresh_tokens;
DROP TABLE auth.sessions;
DROP TABLE auth.password_reset_tokens;
DROP TABLE auth.verification_codes;
DROP TABLE auth.credentials;
