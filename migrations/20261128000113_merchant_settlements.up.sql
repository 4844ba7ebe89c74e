-- Merchant settlements (issue #7): the merchant module records each request and the result the
-- transaction module reports. Only the merchant module reads or writes schema `merchants`.
CREATE TABLE merchants.settlements (
    id                 uuid        PRIMARY KEY,
    -- Purging a merchant deletes its settlements with it.
    merchant_id        uuid        NOT NULL REFERENCES merchants.merchants (id) ON DELETE CASCADE,
    -- NULL when a service requested it.
    requester_user_id  uuid,
    cut_off_at         timestamptz NOT NULL,
    currency_code      text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    state              text        NOT NULL DEFAULT 'requested'
                                   CHECK (state IN ('requested', 'completed', 'failed')),
    period_start_at    timestamptz,
    gross_minor        bigint      NOT NULL DEFAULT 0 CHECK (gross_minor >= 0),
    refunds_minor      bigint      NOT NULL DEFAULT 0 CHECK (refunds_minor >= 0),
    net_minor          bigint      NOT NULL DEFAULT 0,
    payment_count      bigint      NOT NULL DEFAULT 0 CHECK (payment_count >= 0),
    refund_count       bigint      NOT NULL DEFAULT 0 CHECK (refund_count >= 0),
    failure_reason     text        NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now(),
    completed_at       timestamptz,
    CHECK ((state = 'requested') = (completed_at IS NULL)),
    CHECK (net_minor = gross_minor - refunds_minor)
);
-- At most one settlement of a merchant is in flight: a concurrent second request fails on this
-- index (SETTLEMENT_IN_PROGRESS) instead of racing a check.
CREATE UNIQUE INDEX settlements_one_requested_per_merchant_idx
    ON merchants.settlements (merchant_id) WHERE state = 'requested';
CREATE INDEX settlements_merchant_cut_off_idx ON merchants.settlements (merchant_id, cut_off_at DESC, id DESC);
CREATE INDEX settlements_cut_off_idx ON merchants.settlements (cut_off_at DESC, id DESC);
