//! The rollups as sums over the facts: one SQL statement per (rollup, kind of fact).
//!
//! The same statements serve the ingest (restricted to the one fact just recorded, added to the
//! existing rows) and the rebuild (over every fact, into emptied tables), so the incrementally
//! maintained model and a rebuilt one are the same sums by construction. Every statement groups
//! by the rollup's key, so one statement never touches a row twice.
//!
//! The per-cashier rollups exist per business day (`daily_*`, keyed by `business_date`) and per
//! business month (`monthly_*`, keyed by `month`, its first day): report periods are whole months,
//! so queries read the monthly ones. Per-merchant monthly rollups without the cashier serve the
//! platform- and merchant-wide questions.

use sqlx::PgConnection;
use uuid::Uuid;

/// Which facts a statement sums.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Facts {
    /// Every fact (rebuild).
    All,
    /// One fact: the sale of this order, the refund or the payment with this id (ingest).
    One(Uuid),
}

/// The time bucket of a rollup: `{period}` in a statement is the table prefix, `{bucket}` the key
/// column, `{at}` the bucket of the statement's date.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    period: &'static str,
    column: &'static str,
    of_date: &'static str,
}

const DAY: Bucket = Bucket {
    period: "daily",
    column: "business_date",
    of_date: "{date}",
};

const MONTH: Bucket = Bucket {
    period: "monthly",
    column: "month",
    of_date: "date_trunc('month', {date})::date",
};

/// A statement template, the date its bucket comes from, and its fact id column.
struct Statement {
    sql: &'static str,
    date: &'static str,
    key: &'static str,
}

/// Sales into `{period}_sales`.
const SALES: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_sales AS d
    (merchant_id, cashier_id, {bucket}, currency_code, gross_paid, gross_lines, order_count, items_sold)
SELECT s.merchant_id, s.cashier_id, {at}, s.currency_code,
       sum(s.amount_paid)::bigint, sum(s.lines_total)::bigint, count(*), sum(s.items)::bigint
FROM reports.sales s
{filter}
GROUP BY 1, 2, 3, 4
ON CONFLICT (merchant_id, {bucket}, cashier_id, currency_code) DO UPDATE SET
    gross_paid = d.gross_paid + EXCLUDED.gross_paid,
    gross_lines = d.gross_lines + EXCLUDED.gross_lines,
    order_count = d.order_count + EXCLUDED.order_count,
    items_sold = d.items_sold + EXCLUDED.items_sold",
    date: "s.business_date",
    key: "s.order_id",
};

/// Sold lines into `{period}_category_sales` (an order counts once per category).
const SALES_CATEGORY: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_category_sales AS d
    (merchant_id, cashier_id, category_id, {bucket}, currency_code, gross_lines, order_count, items_sold)
SELECT s.merchant_id, s.cashier_id, l.category_id, {at}, s.currency_code,
       sum(l.quantity * l.unit_price)::bigint, count(DISTINCT s.order_id), sum(l.quantity)::bigint
FROM reports.sales s JOIN reports.sale_lines l ON l.order_id = s.order_id
{filter}
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (merchant_id, {bucket}, cashier_id, category_id, currency_code) DO UPDATE SET
    gross_lines = d.gross_lines + EXCLUDED.gross_lines,
    order_count = d.order_count + EXCLUDED.order_count,
    items_sold = d.items_sold + EXCLUDED.items_sold",
    date: "s.business_date",
    key: "s.order_id",
};

/// Sold lines into `monthly_merchant_category_sales` (no cashier).
const SALES_MERCHANT_CATEGORY: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_merchant_category_sales AS d
    (merchant_id, category_id, {bucket}, currency_code, gross_lines, order_count, items_sold)
SELECT s.merchant_id, l.category_id, {at}, s.currency_code,
       sum(l.quantity * l.unit_price)::bigint, count(DISTINCT s.order_id), sum(l.quantity)::bigint
FROM reports.sales s JOIN reports.sale_lines l ON l.order_id = s.order_id
{filter}
GROUP BY 1, 2, 3, 4
ON CONFLICT (merchant_id, {bucket}, category_id, currency_code) DO UPDATE SET
    gross_lines = d.gross_lines + EXCLUDED.gross_lines,
    order_count = d.order_count + EXCLUDED.order_count,
    items_sold = d.items_sold + EXCLUDED.items_sold",
    date: "s.business_date",
    key: "s.order_id",
};

/// Sold lines into `monthly_products` (per cashier and category).
const SALES_PRODUCTS: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_products AS d
    (merchant_id, {bucket}, cashier_id, category_id, product_id, currency_code, items_sold)
SELECT s.merchant_id, {at}, s.cashier_id, l.category_id, l.product_id, s.currency_code, sum(l.quantity)::bigint
FROM reports.sales s JOIN reports.sale_lines l ON l.order_id = s.order_id
{filter}
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (merchant_id, {bucket}, cashier_id, category_id, product_id, currency_code) DO UPDATE SET
    items_sold = d.items_sold + EXCLUDED.items_sold",
    date: "s.business_date",
    key: "s.order_id",
};

/// Sold lines into `monthly_merchant_products` (no cashier).
const SALES_MERCHANT_PRODUCTS: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_merchant_products AS d
    (merchant_id, {bucket}, category_id, product_id, currency_code, items_sold)
SELECT s.merchant_id, {at}, l.category_id, l.product_id, s.currency_code, sum(l.quantity)::bigint
FROM reports.sales s JOIN reports.sale_lines l ON l.order_id = s.order_id
{filter}
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (merchant_id, {bucket}, category_id, product_id, currency_code) DO UPDATE SET
    items_sold = d.items_sold + EXCLUDED.items_sold",
    date: "s.business_date",
    key: "s.order_id",
};

/// Refunds into `{period}_sales`: the refund's day, the selling cashier.
const REFUNDS: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_sales AS d
    (merchant_id, cashier_id, {bucket}, currency_code, refunded_paid, refunded_lines, items_refunded)
SELECT s.merchant_id, s.cashier_id, {at}, s.currency_code,
       sum(r.amount)::bigint, sum(r.lines_amount)::bigint, sum(r.items)::bigint
FROM reports.refunds r JOIN reports.sales s ON s.order_id = r.order_id
{filter}
GROUP BY 1, 2, 3, 4
ON CONFLICT (merchant_id, {bucket}, cashier_id, currency_code) DO UPDATE SET
    refunded_paid = d.refunded_paid + EXCLUDED.refunded_paid,
    refunded_lines = d.refunded_lines + EXCLUDED.refunded_lines,
    items_refunded = d.items_refunded + EXCLUDED.items_refunded",
    date: "r.business_date",
    key: "r.refund_id",
};

/// Refunded lines into `{period}_category_sales`.
const REFUNDS_CATEGORY: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_category_sales AS d
    (merchant_id, cashier_id, category_id, {bucket}, currency_code, refunded_lines, items_refunded)
SELECT s.merchant_id, s.cashier_id, l.category_id, {at}, s.currency_code,
       sum(l.quantity * l.unit_price)::bigint, sum(l.quantity)::bigint
FROM reports.refunds r
JOIN reports.sales s ON s.order_id = r.order_id
JOIN reports.refund_lines l ON l.refund_id = r.refund_id
{filter}
GROUP BY 1, 2, 3, 4, 5
ON CONFLICT (merchant_id, {bucket}, cashier_id, category_id, currency_code) DO UPDATE SET
    refunded_lines = d.refunded_lines + EXCLUDED.refunded_lines,
    items_refunded = d.items_refunded + EXCLUDED.items_refunded",
    date: "r.business_date",
    key: "r.refund_id",
};

/// Refunded lines into `monthly_merchant_category_sales`.
const REFUNDS_MERCHANT_CATEGORY: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_merchant_category_sales AS d
    (merchant_id, category_id, {bucket}, currency_code, refunded_lines, items_refunded)
SELECT s.merchant_id, l.category_id, {at}, s.currency_code,
       sum(l.quantity * l.unit_price)::bigint, sum(l.quantity)::bigint
FROM reports.refunds r
JOIN reports.sales s ON s.order_id = r.order_id
JOIN reports.refund_lines l ON l.refund_id = r.refund_id
{filter}
GROUP BY 1, 2, 3, 4
ON CONFLICT (merchant_id, {bucket}, category_id, currency_code) DO UPDATE SET
    refunded_lines = d.refunded_lines + EXCLUDED.refunded_lines,
    items_refunded = d.items_refunded + EXCLUDED.items_refunded",
    date: "r.business_date",
    key: "r.refund_id",
};

/// Final payments into `{period}_payments`.
const PAYMENTS: Statement = Statement {
    sql: "
INSERT INTO reports.{period}_payments AS d
    (merchant_id, cashier_id, {bucket}, method, status, currency_code, transaction_count, amount)
SELECT p.merchant_id, p.cashier_id, {at}, p.method, p.status, p.currency_code, count(*), sum(p.amount)::bigint
FROM reports.payments p
{filter}
GROUP BY 1, 2, 3, 4, 5, 6
ON CONFLICT (merchant_id, {bucket}, cashier_id, method, status, currency_code) DO UPDATE SET
    transaction_count = d.transaction_count + EXCLUDED.transaction_count,
    amount = d.amount + EXCLUDED.amount",
    date: "p.business_date",
    key: "p.transaction_id",
};

/// Every rollup table, for the rebuild.
pub(crate) const TABLES: &[&str] = &[
    "reports.daily_sales",
    "reports.daily_category_sales",
    "reports.daily_payments",
    "reports.monthly_sales",
    "reports.monthly_category_sales",
    "reports.monthly_payments",
    "reports.monthly_products",
    "reports.monthly_merchant_category_sales",
    "reports.monthly_merchant_products",
];

/// Adds the sale(s) to every rollup.
pub(crate) async fn add_sales(conn: &mut PgConnection, facts: Facts) -> Result<(), sqlx::Error> {
    for bucket in [DAY, MONTH] {
        run(conn, &SALES, bucket, facts).await?;
        run(conn, &SALES_CATEGORY, bucket, facts).await?;
    }
    for statement in [
        &SALES_MERCHANT_CATEGORY,
        &SALES_PRODUCTS,
        &SALES_MERCHANT_PRODUCTS,
    ] {
        run(conn, statement, MONTH, facts).await?;
    }
    Ok(())
}

/// Adds the refund(s) to every rollup.
pub(crate) async fn add_refunds(conn: &mut PgConnection, facts: Facts) -> Result<(), sqlx::Error> {
    for bucket in [DAY, MONTH] {
        run(conn, &REFUNDS, bucket, facts).await?;
        run(conn, &REFUNDS_CATEGORY, bucket, facts).await?;
    }
    run(conn, &REFUNDS_MERCHANT_CATEGORY, MONTH, facts).await
}

/// Adds the payment(s) to every rollup.
pub(crate) async fn add_payments(conn: &mut PgConnection, facts: Facts) -> Result<(), sqlx::Error> {
    for bucket in [DAY, MONTH] {
        run(conn, &PAYMENTS, bucket, facts).await?;
    }
    Ok(())
}

/// Runs `statement` into the `bucket` rollup over `facts`.
async fn run(
    conn: &mut PgConnection,
    statement: &Statement,
    bucket: Bucket,
    facts: Facts,
) -> Result<(), sqlx::Error> {
    let at = bucket.of_date.replace("{date}", statement.date);
    let sql = statement
        .sql
        .replace("{period}", bucket.period)
        .replace("{bucket}", bucket.column)
        .replace("{at}", &at);
    match facts {
        Facts::All => {
            let sql = sql.replace("{filter}", "");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(conn).await?;
        }
        Facts::One(id) => {
            let sql = sql.replace("{filter}", &format!("WHERE {} = $1", statement.key));
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .bind(id)
                .execute(conn)
                .await?;
        }
    }
    Ok(())
}
