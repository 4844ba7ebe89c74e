-- Cashier accounts of merchants, owned by the cashier module. The user account and the `cashier`
-- role grant of each cashier live in the user and role modules (referenced by id only).
CREATE TABLE cashiers.cashiers (
    id          uuid        PRIMARY KEY,             -- UUIDv7, chosen before the user is created
    merchant_id uuid        NOT NULL,
    user_id     uuid        NOT NULL,
    name        text        NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
    disabled_at timestamptz,                         -- set while the cashier is disabled
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    deleted_at  timestamptz                          -- set while the cashier is in the trash
);

-- A user is the cashier of at most one merchant (purged cashiers are deleted and free the user).
CREATE UNIQUE INDEX cashiers_user_key ON cashiers.cashiers (user_id);
-- ListCashiers of one merchant, by name then id.
CREATE INDEX cashiers_merchant_name_idx ON cashiers.cashiers (merchant_id, name, id);
-- ListCashiers across merchants, by name then id.
CREATE INDEX cashiers_name_idx ON cashiers.cashiers (name, id);

-- The cashier id reserved for a CreateCashier `request_id`, committed before the user and the
-- grant are created in the user and role modules, so that a retry after a failure half way
-- resumes with the same id (and the same downstream idempotency keys) instead of creating a
-- second user. Rows older than the idempotency window (24 h) are deleted when met.
CREATE TABLE cashiers.creation_reservations (
    principal   text        NOT NULL,                -- who sent the request (user id or service)
    request_id  text        NOT NULL CHECK (length(request_id) BETWEEN 1 AND 64),
    cashier_id  uuid        NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, request_id)
);
