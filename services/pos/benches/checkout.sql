-- pgbench script: the database work of one checkout of `benches/checkout.rs` (3 lines, one cash
-- payment), as plain SQL with no platform around it. Each module's part is one transaction, as in
-- the platform: the product module's reservation, the order module's order (idempotency key,
-- order, items, OrderCreated in the outbox), the transaction module's payment (balance row lock,
-- payment, PaymentSucceeded and OrderFullyPaid in the outbox), then what the events set off: the
-- order becomes PAID (inbox row, OrderPaid) and the reservation is committed (inbox row, stock
-- and reserved quantity down, three ledger rows). Event payloads are 200 placeholder bytes.
-- Variables: `products` (pgbench --define), the number of rows of public.bench_products.

\set a random(0, :products - 1)
\set b (:a + 7) % :products
\set c (:a + 18) % :products
SELECT (SELECT id FROM public.bench_products WHERE n = :a) AS p1,
       (SELECT id FROM public.bench_products WHERE n = :b) AS p2,
       (SELECT id FROM public.bench_products WHERE n = :c) AS p3,
       gen_random_uuid() AS order_id, gen_random_uuid() AS payment_id, gen_random_uuid()::text AS request_id \gset

-- Product module: ReserveStock.
BEGIN;
SELECT id FROM products.products WHERE id IN (':p1', ':p2', ':p3') ORDER BY id FOR UPDATE;
INSERT INTO products.stock_reservations (order_id, merchant_id, state, expires_at)
    SELECT ':order_id', merchant_id, 'pending', now() + interval '35 minutes' FROM products.products WHERE id = ':p1';
UPDATE products.products SET reserved_quantity = reserved_quantity + 1, updated_at = now()
    WHERE id IN (':p1', ':p2', ':p3') AND count_in_stock - reserved_quantity >= 1;
INSERT INTO products.stock_reservation_lines
        (order_id, product_id, position, quantity, product_name, category_id, unit_price_minor, currency_code)
    SELECT ':order_id', id, row_number() OVER (ORDER BY id), 1, name, category_id, price_minor, currency_code
    FROM products.products WHERE id IN (':p1', ':p2', ':p3');
COMMIT;

-- Order module: CreateOrder.
BEGIN;
INSERT INTO orders.idempotency_keys (operation, principal, request_id, request_hash, expires_at)
    VALUES ('CreateOrder', 'bench', ':request_id', sha256(':request_id'::bytea), now() + interval '72 hours');
INSERT INTO orders.orders (id, merchant_id, cashier_id, currency_code, subtotal_minor, tax_minor, total_minor,
        request_id, expires_at)
    SELECT ':order_id', merchant_id, merchant_id, 'IDR', sum(unit_price_minor), 0, sum(unit_price_minor),
        ':request_id', now() + interval '30 minutes'
    FROM products.stock_reservation_lines JOIN products.stock_reservations USING (order_id)
    WHERE order_id = ':order_id' GROUP BY merchant_id;
INSERT INTO orders.order_items (id, order_id, merchant_id, position, product_id, product_name, category_id,
        quantity, unit_price_minor)
    SELECT gen_random_uuid(), ':order_id', r.merchant_id, l.position, l.product_id, l.product_name,
        l.category_id::text, l.quantity, l.unit_price_minor
    FROM products.stock_reservation_lines l JOIN products.stock_reservations r USING (order_id)
    WHERE order_id = ':order_id';
INSERT INTO orders.outbox (event_id, topic, aggregate_id, event_type, payload)
    VALUES (gen_random_uuid(), 'pos.order.v1.events', ':order_id', 'pos.order.v1.OrderCreated', decode(repeat('00', 200), 'hex'));
UPDATE orders.idempotency_keys SET state = 'completed', response = decode(repeat('00', 200), 'hex')
    WHERE operation = 'CreateOrder' AND principal = 'bench' AND request_id = ':request_id';
COMMIT;

-- Transaction module: CreatePayment (cash, the whole balance).
BEGIN;
INSERT INTO transactions.order_balances (order_id, merchant_id, currency_code, total_minor)
    SELECT id, merchant_id, currency_code, total_minor FROM orders.orders WHERE id = ':order_id'
    ON CONFLICT (order_id) DO NOTHING;
SELECT total_minor FROM transactions.order_balances WHERE order_id = ':order_id' FOR UPDATE;
SELECT id FROM transactions.transactions WHERE merchant_id = (SELECT merchant_id FROM transactions.order_balances WHERE order_id = ':order_id') AND request_id = ':request_id';
SELECT coalesce(sum(amount_minor), 0) FROM transactions.transactions
    WHERE order_id = ':order_id' AND kind = 'PAYMENT' AND status IN ('PENDING', 'SUCCEEDED');
INSERT INTO transactions.transactions (id, order_id, merchant_id, cashier_id, kind, method, status, currency_code,
        amount_minor, tendered_minor, change_minor, request_id, request_hash, completed_at)
    SELECT ':payment_id', order_id, merchant_id, merchant_id, 'PAYMENT', 'CASH', 'SUCCEEDED', currency_code,
        total_minor, total_minor, 0, ':request_id', sha256(':request_id'::bytea), now()
    FROM transactions.order_balances WHERE order_id = ':order_id';
UPDATE transactions.order_balances SET fully_paid_at = now(), updated_at = now() WHERE order_id = ':order_id';
INSERT INTO transactions.outbox (event_id, topic, aggregate_id, event_type, payload)
    VALUES (gen_random_uuid(), 'pos.transaction.v1.events', ':order_id', 'pos.transaction.v1.PaymentSucceeded', decode(repeat('00', 200), 'hex')),
           (gen_random_uuid(), 'pos.transaction.v1.events', ':order_id', 'pos.transaction.v1.OrderFullyPaid', decode(repeat('00', 200), 'hex'));
COMMIT;

-- Order module, on OrderFullyPaid: the order becomes PAID.
BEGIN;
INSERT INTO orders.inbox (consumer, event_id, topic, kafka_partition, kafka_offset)
    VALUES ('order@pos.transaction.v1.events', gen_random_uuid(), 'pos.transaction.v1.events', 0, 0);
UPDATE orders.orders SET state = 'paid', amount_paid_minor = total_minor, paid_at = now(), expires_at = NULL,
        updated_at = now()
    WHERE id = ':order_id' AND state = 'open';
INSERT INTO orders.outbox (event_id, topic, aggregate_id, event_type, payload)
    VALUES (gen_random_uuid(), 'pos.order.v1.events', ':order_id', 'pos.order.v1.OrderPaid', decode(repeat('00', 200), 'hex'));
COMMIT;

-- Product module, on OrderPaid: the reservation is committed.
BEGIN;
INSERT INTO products.inbox (consumer, event_id, topic, kafka_partition, kafka_offset)
    VALUES ('product@pos.order.v1.events', gen_random_uuid(), 'pos.order.v1.events', 0, 0);
UPDATE products.stock_reservations SET state = 'committed', closed_at = now(), updated_at = now()
    WHERE order_id = ':order_id' AND state = 'pending';
SELECT id FROM products.products WHERE id IN (':p1', ':p2', ':p3') ORDER BY id FOR UPDATE;
UPDATE products.products SET count_in_stock = count_in_stock - 1, reserved_quantity = reserved_quantity - 1,
        updated_at = now()
    WHERE id IN (':p1', ':p2', ':p3');
INSERT INTO products.stock_movements (id, product_id, merchant_id, delta, quantity_before, quantity_after, reason,
        reference)
    SELECT gen_random_uuid(), id, merchant_id, -1, count_in_stock + 1, count_in_stock, 'sale', ':order_id'
    FROM products.products WHERE id IN (':p1', ':p2', ':p3');
COMMIT;
