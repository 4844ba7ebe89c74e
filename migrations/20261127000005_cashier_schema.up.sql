-- The cashier module's schema and the event and idempotency tables every module has.
-- Only the cashier module reads or writes schema `cashiers`.
CREATE SCHEMA cashiers;

-- Transactional outbox: an event is inserted in the same transaction as the state change it
-- describes; the relay publishes unpublished rows in `id` order and then sets `published_at`.
CREATE TABLE cashiers.outbox (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id       uuid        NOT NULL UNIQUE,
    topic          text        NOT NULL,
    aggregate_id   text        NOT NULL,            -- Kafka message key: keeps one aggregate's events in order
    event_type     text        NOT NULL,            -- fully qualified protobuf message name
    schema_version integer     NOT NULL DEFAULT 1 CHECK (schema_version > 0),
    payload        bytea       NOT NULL,            -- the encoded protobuf message
    headers        jsonb       NOT NULL DEFAULT '{}'::jsonb,  -- e.g. W3C trace context
    occurred_at    timestamptz NOT NULL DEFAULT now(),
    published_at   timestamptz,
    attempts       integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    last_error     text
);
CREATE INDEX outbox_unpublished_idx ON cashiers.outbox (id) WHERE published_at IS NULL;

-- Inbox: one row per event a consumer of this module has applied, written in the handler's
-- transaction, so a redelivered event changes nothing.
CREATE TABLE cashiers.inbox (
    consumer     text        NOT NULL,             -- consumer group, e.g. `cashier.<handler>`
    event_id     uuid        NOT NULL,
    topic        text        NOT NULL,
    kafka_partition integer  NOT NULL,
    kafka_offset bigint      NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Idempotency keys (AIP-155 `request_id`): the first request with a key stores a hash of its
-- content and, once done, its response; a retry returns that response, and the same key with
-- other content is refused.
CREATE TABLE cashiers.idempotency_keys (
    operation     text        NOT NULL,            -- the RPC, e.g. `CreateOrder`
    principal     text        NOT NULL,            -- who sent it (user id), so callers never collide
    request_id    text        NOT NULL CHECK (length(request_id) BETWEEN 1 AND 64),
    request_hash  bytea       NOT NULL,            -- SHA-256 of the canonical request
    state         text        NOT NULL DEFAULT 'in_progress' CHECK (state IN ('in_progress', 'completed')),
    response      bytea,                           -- the encoded protobuf response, once completed
    created_at    timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    PRIMARY KEY (operation, principal, request_id),
    CHECK ((state = 'completed') = (response IS NOT NULL))
);
CREATE INDEX idempotency_keys_expiry_idx ON cashiers.idempotency_keys (expires_at);
