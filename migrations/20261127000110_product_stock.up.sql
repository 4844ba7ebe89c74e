-- Stock: the append-only ledger of every change of a product's quantity on hand, and the stock
-- held for open orders (reservations keyed by order id). Only the product module reads or writes
-- schema `products`. No foreign key to products.products: ledger rows and closed reservations
-- outlive a purged product (audit data, order snapshots).

-- One row per change of `products.products.count_in_stock`, written in the transaction of the
-- change. Append-only: the trigger below refuses UPDATE, DELETE and TRUNCATE.
CREATE TABLE products.stock_movements (
    id              uuid        PRIMARY KEY,     -- UUIDv7, taken while the product row is locked
    product_id      uuid        NOT NULL,
    merchant_id     uuid        NOT NULL,
    delta           bigint      NOT NULL CHECK (delta <> 0),
    quantity_before bigint      NOT NULL CHECK (quantity_before >= 0),
    quantity_after  bigint      NOT NULL CHECK (quantity_after >= 0),
    reason          text        NOT NULL
                                CHECK (reason IN ('received', 'sale', 'refund', 'damaged', 'correction')),
    actor_user_id   uuid,                        -- NULL for system actions
    reference       text        NOT NULL DEFAULT '' CHECK (length(reference) <= 100),
    note            text        NOT NULL DEFAULT '' CHECK (length(note) <= 500),
    created_at      timestamptz NOT NULL DEFAULT now(),
    CHECK (quantity_after = quantity_before + delta)
);
CREATE INDEX stock_movements_product_idx ON products.stock_movements (product_id, id DESC);
CREATE INDEX stock_movements_merchant_idx ON products.stock_movements (merchant_id, id DESC);
CREATE INDEX stock_movements_reference_idx ON products.stock_movements (reference) WHERE reference <> '';

CREATE FUNCTION products.stock_movements_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'products.stock_movements is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
CREATE TRIGGER stock_movements_append_only
    BEFORE UPDATE OR DELETE ON products.stock_movements
    FOR EACH ROW EXECUTE FUNCTION products.stock_movements_append_only();
CREATE TRIGGER stock_movements_no_truncate
    BEFORE TRUNCATE ON products.stock_movements
    FOR EACH STATEMENT EXECUTE FUNCTION products.stock_movements_append_only();

-- The stock held for one order. While `pending`, its lines are counted in
-- `products.products.reserved_quantity`; closing it (committed, released, expired) takes them out.
CREATE TABLE products.stock_reservations (
    order_id    uuid        PRIMARY KEY,
    merchant_id uuid        NOT NULL,
    state       text        NOT NULL CHECK (state IN ('pending', 'committed', 'released', 'expired')),
    expires_at  timestamptz NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    closed_at   timestamptz,
    CHECK ((state = 'pending') = (closed_at IS NULL))
);
-- What the expiry task scans.
CREATE INDEX stock_reservations_pending_expiry_idx
    ON products.stock_reservations (expires_at) WHERE state = 'pending';

-- The lines of a reservation, with the product's data when they were reserved.
CREATE TABLE products.stock_reservation_lines (
    order_id         uuid   NOT NULL REFERENCES products.stock_reservations (order_id) ON DELETE CASCADE,
    product_id       uuid   NOT NULL,
    position         int    NOT NULL,               -- order of the lines in the request
    quantity         bigint NOT NULL CHECK (quantity BETWEEN 1 AND 9999),
    product_name     text   NOT NULL,
    category_id      uuid   NOT NULL,
    unit_price_minor bigint NOT NULL,
    currency_code    text   NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX stock_reservation_lines_product_idx ON products.stock_reservation_lines (product_id);
