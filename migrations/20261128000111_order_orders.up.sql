-- Orders, their items and their refunds (issue #7). Only the order module reads or writes them.
-- Amounts are minor units of the order's currency; times are UTC.

CREATE TABLE orders.orders (
    id                    uuid        PRIMARY KEY,              -- UUIDv7
    merchant_id           uuid        NOT NULL,
    cashier_id            uuid        NOT NULL,
    state                 text        NOT NULL DEFAULT 'open'
                          CHECK (state IN ('open', 'paid', 'partially_refunded', 'refunded', 'cancelled')),
    currency_code         text        NOT NULL CHECK (currency_code ~ '^[A-Z]{3}$'),
    subtotal_minor        bigint      NOT NULL CHECK (subtotal_minor >= 0),
    tax_rate_basis_points integer     NOT NULL DEFAULT 0 CHECK (tax_rate_basis_points BETWEEN 0 AND 10000),
    tax_minor             bigint      NOT NULL CHECK (tax_minor >= 0),
    total_minor           bigint      NOT NULL CHECK (total_minor = subtotal_minor + tax_minor),
    amount_paid_minor     bigint      NOT NULL DEFAULT 0 CHECK (amount_paid_minor >= 0),
    amount_refunded_minor bigint      NOT NULL DEFAULT 0
                          CHECK (amount_refunded_minor BETWEEN 0 AND amount_paid_minor),
    cancel_reason         text        NOT NULL DEFAULT '',
    request_id            text        NOT NULL DEFAULT '',    -- idempotency key of the creating request
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    expires_at            timestamptz,                        -- set while open
    paid_at               timestamptz,
    cancelled_at          timestamptz,
    deleted_at            timestamptz,                        -- trash; cancelled orders only
    CHECK ((state = 'open') = (expires_at IS NOT NULL)),
    CHECK ((state = 'cancelled') = (cancelled_at IS NOT NULL)),
    CHECK (deleted_at IS NULL OR state = 'cancelled')
);
CREATE INDEX orders_merchant_created_idx ON orders.orders (merchant_id, created_at DESC, id DESC);
CREATE INDEX orders_cashier_created_idx ON orders.orders (cashier_id, created_at DESC, id DESC);
CREATE INDEX orders_created_idx ON orders.orders (created_at DESC, id DESC);
CREATE INDEX orders_open_expiry_idx ON orders.orders (expires_at) WHERE state = 'open';

CREATE TABLE orders.order_items (
    id                uuid        PRIMARY KEY,                -- UUIDv7
    order_id          uuid        NOT NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
    merchant_id       uuid        NOT NULL,
    position          integer     NOT NULL CHECK (position >= 0),
    product_id        uuid        NOT NULL,
    product_name      text        NOT NULL,
    category_id       text        NOT NULL DEFAULT '',
    quantity          bigint      NOT NULL CHECK (quantity BETWEEN 1 AND 9999),
    unit_price_minor  bigint      NOT NULL CHECK (unit_price_minor >= 0),
    refunded_quantity bigint      NOT NULL DEFAULT 0 CHECK (refunded_quantity BETWEEN 0 AND quantity),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, product_id)
);
CREATE INDEX order_items_order_idx ON orders.order_items (order_id, position);
CREATE INDEX order_items_merchant_idx ON orders.order_items (merchant_id);
CREATE INDEX order_items_product_idx ON orders.order_items (product_id);

CREATE TABLE orders.refunds (
    id            uuid        PRIMARY KEY,                    -- UUIDv7
    order_id      uuid        NOT NULL REFERENCES orders.orders (id) ON DELETE CASCADE,
    tax_minor     bigint      NOT NULL CHECK (tax_minor >= 0),
    amount_minor  bigint      NOT NULL CHECK (amount_minor >= 0),
    reason        text        NOT NULL,
    actor_user_id uuid,                                       -- NULL when the platform refunded
    payment_id    text,                                       -- set for the compensation of a payment of a cancelled order
    created_at    timestamptz NOT NULL DEFAULT now(),
    UNIQUE (payment_id)
);
CREATE INDEX refunds_order_idx ON orders.refunds (order_id, created_at);

CREATE TABLE orders.refund_lines (
    refund_id     uuid    NOT NULL REFERENCES orders.refunds (id) ON DELETE CASCADE,
    position      integer NOT NULL CHECK (position >= 0),
    order_item_id uuid    NOT NULL REFERENCES orders.order_items (id) ON DELETE CASCADE,
    product_id    uuid    NOT NULL,
    quantity      bigint  NOT NULL CHECK (quantity > 0),
    amount_minor  bigint  NOT NULL CHECK (amount_minor >= 0),
    restock       boolean NOT NULL,
    PRIMARY KEY (refund_id, position),
    UNIQUE (refund_id, order_item_id)
);
