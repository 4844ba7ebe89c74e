-- Payments and refund transactions, the per-order lock that serialises an order's payments, and
-- the settlements this module computed. Only the transaction module reads or writes these tables.

-- One row per order that has been paid on: the row every payment and void of the order locks
-- (SELECT ... FOR UPDATE), so the balance is computed and changed by one request at a time.
CREATE TABLE transactions.order_balances (
    order_id      uuid        PRIMARY KEY,
    merchant_id   uuid        NOT NULL,
    currency_code text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    total_minor   bigint      NOT NULL CHECK (total_minor >= 0),  -- the order's total as last read from the order module
    fully_paid_at timestamptz,                                     -- set with OrderFullyPaid; no payment or void after it
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE transactions.transactions (
    id                      uuid        PRIMARY KEY,
    order_id                uuid        NOT NULL REFERENCES transactions.order_balances (order_id),
    merchant_id             uuid        NOT NULL,
    cashier_id              uuid        NOT NULL,
    kind                    text        NOT NULL CHECK (kind IN ('PAYMENT', 'REFUND')),
    method                  text        NOT NULL CHECK (method IN ('CASH', 'CARD', 'E_WALLET', 'BANK_TRANSFER')),
    status                  text        NOT NULL CHECK (status IN ('PENDING', 'SUCCEEDED', 'FAILED')),
    currency_code           text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    amount_minor            bigint      NOT NULL CHECK (amount_minor > 0),
    tendered_minor          bigint      CHECK (tendered_minor >= amount_minor),
    change_minor            bigint      CHECK (change_minor >= 0),
    failure_reason          text,
    failure_message         text        NOT NULL DEFAULT '' CHECK (length(failure_message) <= 500),
    processor_reference     text        NOT NULL DEFAULT '',
    payment_token           text        NOT NULL DEFAULT '',      -- opaque processor token (never card data), to cancel a PENDING charge
    refund_id               uuid,
    refunded_transaction_id uuid        REFERENCES transactions.transactions (id),
    request_id              text        CHECK (length(request_id) BETWEEN 1 AND 36),
    request_hash            bytea,
    charging_since          timestamptz,                          -- set while the processor call of a new payment runs
    settlement_id           uuid,
    settled_at              timestamptz,
    created_at              timestamptz NOT NULL DEFAULT now(),
    updated_at              timestamptz NOT NULL DEFAULT now(),
    completed_at            timestamptz,
    deleted_at              timestamptz,
    CHECK ((status = 'PENDING') = (completed_at IS NULL)),
    CHECK ((status = 'FAILED') = (failure_reason IS NOT NULL)),
    CHECK ((settlement_id IS NULL) = (settled_at IS NULL)),
    CHECK (settlement_id IS NULL OR status = 'SUCCEEDED'),
    CHECK (deleted_at IS NULL OR status = 'FAILED'),
    CHECK (kind = 'PAYMENT' OR (status = 'SUCCEEDED' AND refunded_transaction_id IS NOT NULL)),
    CHECK ((request_id IS NULL) = (request_hash IS NULL))
);
-- `request_id` is scoped to the merchant and kept as long as the transaction.
CREATE UNIQUE INDEX transactions_request_idx ON transactions.transactions (merchant_id, request_id)
    WHERE request_id IS NOT NULL;
-- A SUCCEEDED payment is given back by VoidPayment at most once.
CREATE UNIQUE INDEX transactions_void_idx ON transactions.transactions (refunded_transaction_id)
    WHERE kind = 'REFUND' AND refund_id IS NULL;
CREATE INDEX transactions_order_idx ON transactions.transactions (order_id, created_at);
CREATE INDEX transactions_merchant_idx ON transactions.transactions (merchant_id, created_at DESC, id DESC);
CREATE INDEX transactions_cashier_idx ON transactions.transactions (cashier_id, created_at DESC, id DESC);
CREATE INDEX transactions_refund_idx ON transactions.transactions (refund_id) WHERE refund_id IS NOT NULL;
CREATE INDEX transactions_settlement_idx ON transactions.transactions (settlement_id) WHERE settlement_id IS NOT NULL;
CREATE INDEX transactions_unsettled_idx ON transactions.transactions (merchant_id, completed_at)
    WHERE status = 'SUCCEEDED' AND settlement_id IS NULL;

-- Settlements this module completed (pos.merchant.v1 SettlementRequested), one per settlement id,
-- so a redelivered request yields the same result and never a second settlement.
CREATE TABLE transactions.settlements (
    id             uuid        PRIMARY KEY,
    merchant_id    uuid        NOT NULL,
    currency_code  text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    period_start   timestamptz NOT NULL,
    cut_off        timestamptz NOT NULL,
    gross_minor    bigint      NOT NULL CHECK (gross_minor >= 0),
    refunds_minor  bigint      NOT NULL CHECK (refunds_minor >= 0),
    payment_count  bigint      NOT NULL CHECK (payment_count >= 0),
    refund_count   bigint      NOT NULL CHECK (refund_count >= 0),
    completed_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX settlements_merchant_idx ON transactions.settlements (merchant_id, cut_off DESC);
