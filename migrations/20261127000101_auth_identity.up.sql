-- The auth module's identity tables: credentials, email verification codes, password reset and
-- invitation tokens, sessions with their refresh-token families, and the keys that sign access
-- tokens. Secrets (passwords, codes, tokens) are stored only as hashes; signing keys in clear
-- (a KMS would hold them in production).

-- One row per user who can sign in. `user_id` is the user module's id for the same person (no
-- foreign key across schemas). `email_key` is the email trimmed and lower-cased: what sign-in
-- compares, unique across all users, trashed ones included.
CREATE TABLE auth.credentials (
    user_id             uuid        PRIMARY KEY,
    email               text        NOT NULL CHECK (length(email) BETWEEN 1 AND 254),
    email_key           text        NOT NULL UNIQUE CHECK (length(email_key) BETWEEN 1 AND 254),
    first_name          text        NOT NULL CHECK (length(first_name) BETWEEN 1 AND 100),
    last_name           text        NOT NULL DEFAULT '' CHECK (length(last_name) <= 100),
    password_hash       text,                          -- argon2id PHC string; NULL: invited, no password yet
    email_verified_at   timestamptz,                   -- NULL: cannot sign in yet
    disabled_at         timestamptz,                   -- the user is trashed: cannot sign in
    duplicate_alert_at  timestamptz,                   -- last DuplicateRegistrationAttempted (at most one an hour)
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now()
);

-- The live email verification code of a user (one at most: a new code replaces the previous one).
CREATE TABLE auth.verification_codes (
    user_id     uuid        PRIMARY KEY REFERENCES auth.credentials (user_id) ON DELETE CASCADE,
    code_hash   bytea       NOT NULL,                  -- SHA-256 of user id and code
    expires_at  timestamptz NOT NULL,
    attempts    integer     NOT NULL DEFAULT 0 CHECK (attempts BETWEEN 0 AND 5),  -- wrong tries; 5 burns the code
    used_at     timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Single-use tokens that set a password: a forgotten-password reset (30 minutes) or the
-- invitation of a user created without a password (72 hours). A new token replaces the unused
-- ones of the same user.
CREATE TABLE auth.password_reset_tokens (
    token_hash  bytea       PRIMARY KEY,               -- SHA-256 of the 256-bit token
    user_id     uuid        NOT NULL REFERENCES auth.credentials (user_id) ON DELETE CASCADE,
    purpose     text        NOT NULL CHECK (purpose IN ('forgot_password', 'invitation')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX password_reset_tokens_user_idx ON auth.password_reset_tokens (user_id);

-- A session starts at Login and lives at most 30 days (`absolute_expires_at`); its id is the
-- `sid` claim of its access tokens.
CREATE TABLE auth.sessions (
    id                   uuid        PRIMARY KEY,
    user_id              uuid        NOT NULL REFERENCES auth.credentials (user_id) ON DELETE CASCADE,
    created_at           timestamptz NOT NULL DEFAULT now(),
    absolute_expires_at  timestamptz NOT NULL,
    client_ip            text        NOT NULL DEFAULT '',
    user_agent           text        NOT NULL DEFAULT '' CHECK (length(user_agent) <= 256),
    revoked_at           timestamptz,
    revoke_reason        text CHECK (revoke_reason IN
        ('logout', 'logout_all', 'password_changed', 'password_reset', 'refresh_token_reused', 'account_changed')),
    CHECK ((revoked_at IS NULL) = (revoke_reason IS NULL))
);
CREATE INDEX sessions_user_idx ON auth.sessions (user_id);

-- The refresh-token family of a session: every token ever issued to it. A token is used once
-- (`rotated_at`); presenting a rotated token again revokes the session.
CREATE TABLE auth.refresh_tokens (
    token_hash  bytea       PRIMARY KEY,               -- SHA-256 of the 256-bit token
    session_id  uuid        NOT NULL REFERENCES auth.sessions (id) ON DELETE CASCADE,
    issued_at   timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    rotated_at  timestamptz
);
CREATE INDEX refresh_tokens_session_idx ON auth.refresh_tokens (session_id);

-- Ed25519 keys that sign access tokens. Exactly one is current (`retired_at` NULL, enforced by
-- the partial unique index, which also makes generating the first key race-safe); retired keys
-- stay listed by ListSigningKeys for 15 minutes, the longest an access token lives.
-- The secret is stored in clear here; in production a KMS would hold it.
CREATE TABLE auth.signing_keys (
    kid         text        PRIMARY KEY,               -- PASERK id `k4.pid.…`
    secret      bytea       NOT NULL,                  -- 64 bytes: Ed25519 seed and public key. Never logged.
    public_key  text        NOT NULL,                  -- PASERK `k4.public.…`
    created_at  timestamptz NOT NULL DEFAULT now(),
    retired_at  timestamptz
);
CREATE UNIQUE INDEX signing_keys_one_current_idx ON auth.signing_keys ((retired_at IS NULL)) WHERE retired_at IS NULL;
