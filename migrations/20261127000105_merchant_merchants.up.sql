-- Merchants (stores). Issue #5 creates PENDING merchants from sign-ups; issue #6 adds the
-- review, the documents and the RPCs. Only the merchant module reads or writes schema `merchants`.
CREATE TABLE merchants.merchants (
    id                 uuid        PRIMARY KEY,
    owner_user_id      uuid        NOT NULL,
    name               text        NOT NULL CHECK (length(name) BETWEEN 1 AND 255),
    description        text        NOT NULL DEFAULT '' CHECK (length(description) <= 2000),
    address            text        NOT NULL DEFAULT '' CHECK (length(address) <= 500),
    contact_email      text        NOT NULL DEFAULT '' CHECK (length(contact_email) <= 254),
    contact_phone      text        NOT NULL DEFAULT '' CHECK (length(contact_phone) <= 20),
    currency_code      text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    time_zone          text        NOT NULL DEFAULT 'UTC',
    receipt_footer     text        NOT NULL DEFAULT '',
    status             text        NOT NULL DEFAULT 'pending'
                                   CHECK (status IN ('pending', 'active', 'rejected', 'suspended')),
    status_reason      text        NOT NULL DEFAULT '',
    status_updated_at  timestamptz NOT NULL DEFAULT now(),
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    deleted_at         timestamptz
);
CREATE INDEX merchants_owner_idx ON merchants.merchants (owner_user_id);
