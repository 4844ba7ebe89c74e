-- The report module's read model. Only the report module reads or writes schema `reports`.
--
-- Two layers:
-- 1. Facts: the module's own journal of the events it consumed (one row per sale, sold line, refund,
--    refunded line, final payment), each stamped with the merchant's business day at the moment it
--    happened (`business_date`, the local date in the merchant's time zone then in force). They are
--    the event history `cargo xtask reports rebuild` recomputes the rollups from.
-- 2. Rollups: daily sums per merchant × cashier (× category, × payment method) and monthly sets of
--    sold products, maintained incrementally by the consumers in the transaction that records the
--    event. Report RPCs read only rollups (and, for one order, that order's facts by key).
--
-- Money is bigint minor units; a row never mixes currencies (`currency_code` is part of every key).
-- "No category" is the nil uuid, so keys never hold NULL.

-- What reports know of merchants, cashiers and categories (from their events, or GetMerchant).
CREATE TABLE reports.merchants (
    merchant_id   uuid        PRIMARY KEY,
    time_zone     text        NOT NULL,            -- IANA, e.g. Asia/Jakarta
    currency_code text        NOT NULL,
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reports.cashiers (
    cashier_id  uuid        PRIMARY KEY,
    merchant_id uuid        NOT NULL,
    name        text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE reports.categories (
    category_id uuid        PRIMARY KEY,
    name        text        NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Facts ---------------------------------------------------------------------------------------

-- One row per order sold (OrderPaid).
CREATE TABLE reports.sales (
    order_id      uuid        PRIMARY KEY,
    merchant_id   uuid        NOT NULL,
    cashier_id    uuid        NOT NULL,
    currency_code text        NOT NULL,
    paid_at       timestamptz NOT NULL,
    business_date date        NOT NULL,
    amount_paid   bigint      NOT NULL CHECK (amount_paid >= 0),  -- basis PAYMENTS (the order total)
    lines_total   bigint      NOT NULL CHECK (lines_total >= 0),  -- basis LINES (Σ quantity × unit price)
    items         bigint      NOT NULL CHECK (items >= 0)
);

CREATE TABLE reports.sale_lines (
    order_id      uuid   NOT NULL REFERENCES reports.sales (order_id),
    order_item_id uuid   NOT NULL,
    product_id    uuid   NOT NULL,
    category_id   uuid   NOT NULL,
    quantity      bigint NOT NULL CHECK (quantity > 0),
    unit_price    bigint NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (order_id, order_item_id)
);

-- One row per refund of a sold order (OrderRefunded). Refunds of orders never sold (money given
-- back for an order cancelled before its payment landed) are not sales figures and are not here.
CREATE TABLE reports.refunds (
    refund_id     uuid        PRIMARY KEY,
    order_id      uuid        NOT NULL REFERENCES reports.sales (order_id),
    refunded_at   timestamptz NOT NULL,
    business_date date        NOT NULL,
    amount        bigint      NOT NULL CHECK (amount >= 0),       -- basis PAYMENTS
    lines_amount  bigint      NOT NULL CHECK (lines_amount >= 0), -- basis LINES
    items         bigint      NOT NULL CHECK (items >= 0)
);
CREATE INDEX refunds_order_idx ON reports.refunds (order_id);

CREATE TABLE reports.refund_lines (
    refund_id     uuid   NOT NULL REFERENCES reports.refunds (refund_id),
    order_item_id uuid   NOT NULL,
    product_id    uuid   NOT NULL,
    category_id   uuid   NOT NULL,
    quantity      bigint NOT NULL CHECK (quantity > 0),
    unit_price    bigint NOT NULL CHECK (unit_price >= 0),
    PRIMARY KEY (refund_id, order_item_id)
);

-- One row per payment that reached a final status (PaymentSucceeded / PaymentFailed).
CREATE TABLE reports.payments (
    transaction_id uuid        PRIMARY KEY,
    order_id       uuid        NOT NULL,
    merchant_id    uuid        NOT NULL,
    cashier_id     uuid        NOT NULL,
    method         smallint    NOT NULL,           -- pos.transaction.v1.PaymentMethod
    status         smallint    NOT NULL,           -- pos.transaction.v1.TransactionStatus (SUCCEEDED | FAILED)
    currency_code  text        NOT NULL,
    amount         bigint      NOT NULL CHECK (amount >= 0),
    final_at       timestamptz NOT NULL,
    business_date  date        NOT NULL
);

-- Rollups ---------------------------------------------------------------------------------------

-- Sales per merchant, cashier and business day. Refund figures sit on the refund's day and the
-- selling cashier.
CREATE TABLE reports.daily_sales (
    merchant_id    uuid   NOT NULL,
    cashier_id     uuid   NOT NULL,
    business_date  date   NOT NULL,
    currency_code  text   NOT NULL,
    gross_paid     bigint NOT NULL DEFAULT 0,
    gross_lines    bigint NOT NULL DEFAULT 0,
    refunded_paid  bigint NOT NULL DEFAULT 0,
    refunded_lines bigint NOT NULL DEFAULT 0,
    order_count    bigint NOT NULL DEFAULT 0,
    items_sold     bigint NOT NULL DEFAULT 0,
    items_refunded bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, business_date, cashier_id, currency_code)
);
CREATE INDEX daily_sales_date_idx ON reports.daily_sales (business_date);
CREATE INDEX daily_sales_cashier_idx ON reports.daily_sales (cashier_id, business_date);

-- Line figures per merchant, cashier, category and business day; `order_count` counts the orders
-- with at least one line in the category.
CREATE TABLE reports.daily_category_sales (
    merchant_id    uuid   NOT NULL,
    cashier_id     uuid   NOT NULL,
    category_id    uuid   NOT NULL,
    business_date  date   NOT NULL,
    currency_code  text   NOT NULL,
    gross_lines    bigint NOT NULL DEFAULT 0,
    refunded_lines bigint NOT NULL DEFAULT 0,
    order_count    bigint NOT NULL DEFAULT 0,
    items_sold     bigint NOT NULL DEFAULT 0,
    items_refunded bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, business_date, cashier_id, category_id, currency_code)
);
CREATE INDEX daily_category_sales_date_idx ON reports.daily_category_sales (business_date);
CREATE INDEX daily_category_sales_category_idx ON reports.daily_category_sales (category_id, business_date);
CREATE INDEX daily_category_sales_cashier_idx ON reports.daily_category_sales (cashier_id, business_date);

-- Products sold per merchant, cashier, category and business month (the first day of the month):
-- distinct products over a month or a year come from here, since distinct counts do not add up.
CREATE TABLE reports.monthly_products (
    merchant_id   uuid   NOT NULL,
    cashier_id    uuid   NOT NULL,
    category_id   uuid   NOT NULL,
    product_id    uuid   NOT NULL,
    month         date   NOT NULL CHECK (extract(day FROM month) = 1),
    currency_code text   NOT NULL,
    items_sold    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month, cashier_id, category_id, product_id, currency_code)
);
CREATE INDEX monthly_products_month_idx ON reports.monthly_products (month);
CREATE INDEX monthly_products_cashier_idx ON reports.monthly_products (cashier_id, month);
CREATE INDEX monthly_products_category_idx ON reports.monthly_products (category_id, month);

-- Final payments per merchant, cashier, business day, method and status.
CREATE TABLE reports.daily_payments (
    merchant_id       uuid     NOT NULL,
    cashier_id        uuid     NOT NULL,
    business_date     date     NOT NULL,
    method            smallint NOT NULL,
    status            smallint NOT NULL,
    currency_code     text     NOT NULL,
    transaction_count bigint   NOT NULL DEFAULT 0,
    amount            bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, business_date, cashier_id, method, status, currency_code)
);
CREATE INDEX daily_payments_date_idx ON reports.daily_payments (business_date);
CREATE INDEX daily_payments_cashier_idx ON reports.daily_payments (cashier_id, business_date);

-- The same sums per business month (the first day of the month), which is what report periods
-- are made of: a year of the platform is 12 rows per merchant and cashier instead of 365.
CREATE TABLE reports.monthly_sales (
    merchant_id    uuid   NOT NULL,
    cashier_id     uuid   NOT NULL,
    month          date   NOT NULL CHECK (extract(day FROM month) = 1),
    currency_code  text   NOT NULL,
    gross_paid     bigint NOT NULL DEFAULT 0,
    gross_lines    bigint NOT NULL DEFAULT 0,
    refunded_paid  bigint NOT NULL DEFAULT 0,
    refunded_lines bigint NOT NULL DEFAULT 0,
    order_count    bigint NOT NULL DEFAULT 0,
    items_sold     bigint NOT NULL DEFAULT 0,
    items_refunded bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month, cashier_id, currency_code)
);
CREATE INDEX monthly_sales_month_idx ON reports.monthly_sales (month);
CREATE INDEX monthly_sales_cashier_idx ON reports.monthly_sales (cashier_id, month);

CREATE TABLE reports.monthly_category_sales (
    merchant_id    uuid   NOT NULL,
    cashier_id     uuid   NOT NULL,
    category_id    uuid   NOT NULL,
    month          date   NOT NULL CHECK (extract(day FROM month) = 1),
    currency_code  text   NOT NULL,
    gross_lines    bigint NOT NULL DEFAULT 0,
    refunded_lines bigint NOT NULL DEFAULT 0,
    order_count    bigint NOT NULL DEFAULT 0,
    items_sold     bigint NOT NULL DEFAULT 0,
    items_refunded bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month, cashier_id, category_id, currency_code)
);
CREATE INDEX monthly_category_sales_month_idx ON reports.monthly_category_sales (month);
CREATE INDEX monthly_category_sales_category_idx ON reports.monthly_category_sales (category_id, month);
CREATE INDEX monthly_category_sales_cashier_idx ON reports.monthly_category_sales (cashier_id, month);

CREATE TABLE reports.monthly_payments (
    merchant_id       uuid     NOT NULL,
    cashier_id        uuid     NOT NULL,
    month             date     NOT NULL CHECK (extract(day FROM month) = 1),
    method            smallint NOT NULL,
    status            smallint NOT NULL,
    currency_code     text     NOT NULL,
    transaction_count bigint   NOT NULL DEFAULT 0,
    amount            bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month, cashier_id, method, status, currency_code)
);
CREATE INDEX monthly_payments_month_idx ON reports.monthly_payments (month);
CREATE INDEX monthly_payments_cashier_idx ON reports.monthly_payments (cashier_id, month);

-- Per merchant, without the cashier: what platform- and merchant-wide questions read, so they do
-- not sum every cashier's rows: category lines per month, and products sold per month and
-- category.
CREATE TABLE reports.monthly_merchant_category_sales (
    merchant_id    uuid   NOT NULL,
    category_id    uuid   NOT NULL,
    month          date   NOT NULL CHECK (extract(day FROM month) = 1),
    currency_code  text   NOT NULL,
    gross_lines    bigint NOT NULL DEFAULT 0,
    refunded_lines bigint NOT NULL DEFAULT 0,
    order_count    bigint NOT NULL DEFAULT 0,
    items_sold     bigint NOT NULL DEFAULT 0,
    items_refunded bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month, category_id, currency_code)
);
CREATE INDEX monthly_merchant_category_sales_month_idx ON reports.monthly_merchant_category_sales (month);
CREATE INDEX monthly_merchant_category_sales_category_idx
    ON reports.monthly_merchant_category_sales (category_id, month);

CREATE TABLE reports.monthly_merchant_products (
    merchant_id   uuid   NOT NULL,
    month         date   NOT NULL CHECK (extract(day FROM month) = 1),
    category_id   uuid   NOT NULL,
    product_id    uuid   NOT NULL,
    currency_code text   NOT NULL,
    items_sold    bigint NOT NULL DEFAULT 0,
    PRIMARY KEY (merchant_id, month, category_id, product_id, currency_code)
);
CREATE INDEX monthly_merchant_products_month_idx ON reports.monthly_merchant_products (month);
CREATE INDEX monthly_merchant_products_category_idx ON reports.monthly_merchant_products (category_id, month);

-- Up to when events are included: the latest commit time of an applied event.
CREATE TABLE reports.watermark (
    singleton  boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    applied_at timestamptz NOT NULL
);
