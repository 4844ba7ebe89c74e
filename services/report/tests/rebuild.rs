//! `pos_report::rebuild::rebuild` sums the facts into the rollups: the figures of a small,
//! hand-checked history, against a real PostgreSQL.

use pos_platform::testkit::TestDatabase;
use sqlx::PgPool;
use uuid::Uuid;

const MERCHANT: Uuid = Uuid::from_u128(0x1);
const ANA: Uuid = Uuid::from_u128(0xa);
const BOB: Uuid = Uuid::from_u128(0xb);
const DRINKS: Uuid = Uuid::from_u128(0xd);
const FOOD: Uuid = Uuid::from_u128(0xf);
const TEA: Uuid = Uuid::from_u128(0x7ea);
const COFFEE: Uuid = Uuid::from_u128(0xc0f);
const BREAD: Uuid = Uuid::from_u128(0xb4d);

async fn sale(db: &PgPool, order: u128, cashier: Uuid, date: &str, lines: &[(Uuid, Uuid, i64, i64)]) {
    let total: i64 = lines.iter().map(|(_, _, q, p)| q * p).sum();
    let items: i64 = lines.iter().map(|(_, _, q, _)| q).sum();
    sqlx::query(
        "INSERT INTO reports.sales (order_id, merchant_id, cashier_id, currency_code, paid_at, business_date, \
         amount_paid, lines_total, items) VALUES ($1, $2, $3, 'IDR', $4::date::timestamptz, $4::date, $5, $5, $6)",
    )
    .bind(Uuid::from_u128(order))
    .bind(MERCHANT)
    .bind(cashier)
    .bind(date)
    .bind(total)
    .bind(items)
    .execute(db)
    .await
    .unwrap();
    for (n, (product, category, quantity, price)) in lines.iter().enumerate() {
        sqlx::query(
            "INSERT INTO reports.sale_lines (order_id, order_item_id, product_id, category_id, quantity, unit_price) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(Uuid::from_u128(order))
        .bind(Uuid::from_u128(order * 100 + n as u128))
        .bind(product)
        .bind(category)
        .bind(quantity)
        .bind(price)
        .execute(db)
        .await
        .unwrap();
    }
}

async fn refund(
    db: &PgPool,
    refund: u128,
    order: u128,
    date: &str,
    line: usize,
    (product, category, quantity, price): (Uuid, Uuid, i64, i64),
) {
    sqlx::query(
        "INSERT INTO reports.refunds (refund_id, order_id, refunded_at, business_date, amount, lines_amount, items) \
         VALUES ($1, $2, $3::date::timestamptz, $3::date, $4, $4, $5)",
    )
    .bind(Uuid::from_u128(refund))
    .bind(Uuid::from_u128(order))
    .bind(date)
    .bind(quantity * price)
    .bind(quantity)
    .execute(db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO reports.refund_lines (refund_id, order_item_id, product_id, category_id, quantity, unit_price) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(Uuid::from_u128(refund))
    .bind(Uuid::from_u128(order * 100 + line as u128))
    .bind(product)
    .bind(category)
    .bind(quantity)
    .bind(price)
    .execute(db)
    .await
    .unwrap();
}

/// (gross_paid, refunded_paid, order_count, items_sold, items_refunded) of a cashier's day.
async fn day(db: &PgPool, cashier: Uuid, date: &str) -> Option<(i64, i64, i64, i64, i64)> {
    sqlx::query_as(
        "SELECT gross_paid, refunded_paid, order_count, items_sold, items_refunded FROM reports.daily_sales \
         WHERE merchant_id = $1 AND cashier_id = $2 AND business_date = $3::date",
    )
    .bind(MERCHANT)
    .bind(cashier)
    .bind(date)
    .fetch_optional(db)
    .await
    .unwrap()
}

/// (gross_lines, refunded_lines, order_count, items_sold) of a category's day, all cashiers.
async fn category_day(db: &PgPool, category: Uuid, date: &str) -> (i64, i64, i64, i64) {
    sqlx::query_as(
        "SELECT coalesce(sum(gross_lines), 0)::bigint, coalesce(sum(refunded_lines), 0)::bigint, \
                coalesce(sum(order_count), 0)::bigint, coalesce(sum(items_sold), 0)::bigint \
         FROM reports.daily_category_sales WHERE category_id = $1 AND business_date = $2::date",
    )
    .bind(category)
    .bind(date)
    .fetch_one(db)
    .await
    .unwrap()
}

#[tokio::test]
async fn a_rebuild_sums_sales_on_their_day_and_refunds_on_theirs_without_fan_out() {
    let database = TestDatabase::migrated().await.unwrap();
    let db = &database.pool;
    // Ana sells two teas and a coffee (one order, two lines of one category) and a bread on the
    // last day of February of a leap year; Bob sells a coffee the next day.
    sale(
        db,
        1,
        ANA,
        "2024-02-29",
        &[
            (TEA, DRINKS, 2, 5_000),
            (COFFEE, DRINKS, 1, 12_000),
            (BREAD, FOOD, 1, 8_000),
        ],
    )
    .await;
    sale(db, 2, BOB, "2024-03-01", &[(COFFEE, DRINKS, 1, 12_000)]).await;
    // One tea of Ana's order comes back in March: on March's day, still Ana's figure.
    refund(db, 10, 1, "2024-03-01", 0, (TEA, DRINKS, 1, 5_000)).await;

    let rebuilt = pos_report::rebuild::rebuild(db).await.unwrap();
    assert_eq!((rebuilt.sales, rebuilt.refunds, rebuilt.payments), (2, 1, 0));

    assert_eq!(day(db, ANA, "2024-02-29").await, Some((30_000, 0, 1, 4, 0)));
    assert_eq!(day(db, ANA, "2024-03-01").await, Some((0, 5_000, 0, 0, 1)));
    assert_eq!(day(db, BOB, "2024-03-01").await, Some((12_000, 0, 1, 1, 0)));
    // The drinks category holds its own lines only, and the order counts once for it.
    assert_eq!(category_day(db, DRINKS, "2024-02-29").await, (22_000, 0, 1, 3));
    assert_eq!(category_day(db, FOOD, "2024-02-29").await, (8_000, 0, 1, 1));
    assert_eq!(
        category_day(db, DRINKS, "2024-03-01").await,
        (12_000, 5_000, 1, 1)
    );
    // Products sold per month: tea, coffee, bread in February; coffee in March.
    let products: Vec<(chrono::NaiveDate, i64)> = sqlx::query_as(
        "SELECT month, count(DISTINCT product_id) FROM reports.monthly_products GROUP BY month ORDER BY month",
    )
    .fetch_all(db)
    .await
    .unwrap();
    let months: Vec<(String, i64)> = products.into_iter().map(|(m, n)| (m.to_string(), n)).collect();
    assert_eq!(
        months,
        [("2024-02-01".to_owned(), 3), ("2024-03-01".to_owned(), 1)]
    );

    // A second rebuild gives the same rows, not twice the figures.
    pos_report::rebuild::rebuild(db).await.unwrap();
    assert_eq!(day(db, ANA, "2024-02-29").await, Some((30_000, 0, 1, 4, 0)));
    database.drop_database().await.unwrap();
}
