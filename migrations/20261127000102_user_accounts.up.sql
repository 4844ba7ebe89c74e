-- User accounts (profiles) of the user module. Credentials live in the auth module; grants in the
-- role module.

CREATE TABLE users.users (
    id             uuid        PRIMARY KEY,          -- UUIDv7; the id the auth module issued or CreateUser chose
    email          text        NOT NULL CHECK (char_length(email) BETWEEN 1 AND 254 AND email = btrim(email)),
    first_name     text        NOT NULL CHECK (char_length(first_name) BETWEEN 1 AND 100),
    last_name      text        NOT NULL DEFAULT '' CHECK (char_length(last_name) <= 100),
    email_verified boolean     NOT NULL DEFAULT false,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    deleted_at     timestamptz                        -- set while the user is in the trash
);

-- Emails are unique case-insensitively across every user, trashed ones included.
CREATE UNIQUE INDEX users_email_key ON users.users (lower(email));

-- ListUsers: newest first, keyset-paged on (created_at, id).
CREATE INDEX users_created_idx ON users.users (created_at DESC, id DESC);

-- Projection of the role module's `UserRolesChanged` events: the users holding the built-in
-- `admin` role, so that DeleteUser can refuse to trash the last active admin.
CREATE TABLE users.admin_holders (
    user_id    uuid        PRIMARY KEY,
    updated_at timestamptz NOT NULL DEFAULT now()
);
