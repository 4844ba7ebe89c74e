//! `cargo xtask bench reports`: what a report costs on a read model of many orders.
//!
//! Creates a fresh migrated database and seeds the report module's facts straight into
//! `reports.*` with set-based SQL (no events): 100 merchants in eight time zones, one in five
//! trading in USD and the others in IDR, 1,000 cashiers, 50 categories, 2,000 products, and
//! `POS_BENCH_REPORT_ORDERS` orders (default 1,000,000) of 1–4 lines spread over the business
//! days of 2025 and 2026, 5 % of them partially refunded, each with its succeeded payment
//! (methods mixed) and 3 % with a failed attempt before it. Then it builds the rollups with
//! `pos_report::rebuild::rebuild` (timed), starts `pos` serving only the report module, and
//! calls every report RPC over gRPC with the service credential (platform scope) in several
//! request shapes — platform, merchant, cashier, category, order; MONTH and YEAR — each call
//! cycling over 20 variants of its shape (other merchants, cashiers, periods), one call at a time.
//! It prints p50/p99 per shape without the cache (`POS_REPORT_CACHE_SECONDS=0`), then again with
//! the cache on (every variant misses once, then hits).
//!
//! `POS_BENCH_REPORT_CALLS` (default 200) calls per shape and pass, each shape stopping early
//! after `POS_BENCH_REPORT_SHAPE_SECONDS` (default 30).

#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "a benchmark reports on stdout and stderr"
)]

use std::time::{Duration, Instant};

use anyhow::{Context as _, Result};
use clap::Parser;
use pos_api::pos::report::v1::report_service_client::ReportServiceClient;
use pos_api::pos::report::v1::{
    ComparePaymentMethodsRequest, ComparePaymentStatusesRequest, CompareRevenueRequest,
    GetCashierSalesRequest, GetCategorySalesRequest, GetRevenueBreakdownRequest, Granularity, RevenueBasis,
};
use pos_api::pos::transaction::v1::TransactionStatus;
use pos_platform::Config;
use pos_platform::access::{SERVICE_HEADER, ServiceCredential};
use pos_platform::testkit::{self, TestDatabase};
use sqlx::PgPool;
use tonic::transport::Channel;

/// The service-credential secret of the bench's `pos`.
const SERVICE_SECRET: &str = "bench-service-token-secret";
/// Distinct requests each shape cycles over.
const VARIANTS: usize = 20;
const MERCHANTS: i64 = 100;
const CASHIERS: i64 = 1_000;
const CATEGORIES: i64 = 50;

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(default)
}

#[derive(Parser)]
#[command(args_override_self = true)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

#[tokio::main]
async fn main() -> Result<()> {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: nothing to measure then.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("skipped: run with `cargo xtask bench reports`");
        return Ok(());
    }
    let orders = env_number("POS_BENCH_REPORT_ORDERS", 1_000_000).max(1);
    let calls = usize::try_from(env_number("POS_BENCH_REPORT_CALLS", 200))?.max(1);
    let shape_limit = Duration::from_secs(env_number("POS_BENCH_REPORT_SHAPE_SECONDS", 30).max(1));

    let database = TestDatabase::migrated().await?;
    let result = run(&database, orders, calls, shape_limit).await;
    database.drop_database().await?;
    result
}

async fn run(database: &TestDatabase, orders: u64, calls: usize, shape_limit: Duration) -> Result<()> {
    let started = Instant::now();
    let orders = i64::try_from(orders)?;
    seed(&database.pool, orders).await?;
    let facts: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM reports.sales), (SELECT count(*) FROM reports.sale_lines), \
         (SELECT count(*) FROM reports.refunds), (SELECT count(*) FROM reports.payments)",
    )
    .fetch_one(&database.pool)
    .await?;
    println!(
        "seeded {} orders, {} lines, {} refunds, {} payments into the report facts in {:.1} s",
        facts.0,
        facts.1,
        facts.2,
        facts.3,
        started.elapsed().as_secs_f64()
    );

    let started = Instant::now();
    let rebuilt = pos_report::rebuild::rebuild(&database.pool).await?;
    println!(
        "rebuild: {} sales, {} refunds, {} payments summed into the rollups in {:.1} s",
        rebuilt.sales,
        rebuilt.refunds,
        rebuilt.payments,
        started.elapsed().as_secs_f64()
    );
    sqlx::query("ANALYZE").execute(&database.pool).await?;
    let rollups: (i64, i64, i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM reports.daily_sales), (SELECT count(*) FROM reports.daily_category_sales), \
         (SELECT count(*) FROM reports.monthly_products), (SELECT count(*) FROM reports.daily_payments)",
    )
    .fetch_one(&database.pool)
    .await?;
    println!(
        "rollup rows: daily_sales {}, daily_category_sales {}, monthly_products {}, daily_payments {}",
        rollups.0, rollups.1, rollups.2, rollups.3
    );

    let ids = Ids::load(&database.pool, orders).await?;
    let shapes = shapes(&ids);
    println!(
        "each shape: up to {calls} calls (at most {} s) cycling over {VARIANTS} variants, one at a time, \
         over gRPC to one `pos` serving the report module (release build, {} cores shared with the \
         bench and PostgreSQL)",
        shape_limit.as_secs(),
        std::thread::available_parallelism().map_or(1, usize::from)
    );

    let uncached = pass(database, 0, &shapes, calls, shape_limit).await?;
    invalidate_cache(&ids.merchants).await?;
    let cached = pass(database, 300, &shapes, calls, shape_limit).await?;

    println!();
    println!(
        "{:<24} {:<34} {:>14} {:>10} {:>6}   {:>12} {:>10} {:>6}",
        "RPC", "shape", "uncached p50", "p99", "calls", "cached p50", "p99", "calls"
    );
    for ((shape, uncached), cached) in shapes.iter().zip(&uncached).zip(&cached) {
        println!(
            "{:<24} {:<34} {:>11.2} ms {:>7.2} ms {:>6}   {:>9.2} ms {:>7.2} ms {:>6}",
            shape.rpc,
            shape.name,
            millis(uncached.p50),
            millis(uncached.p99),
            uncached.calls,
            millis(cached.p50),
            millis(cached.p99),
            cached.calls
        );
        for (what, figures) in [("uncached", uncached), ("cached", cached)] {
            if figures.failed > 0 {
                println!(
                    "    {what}: {} calls failed, first: {}",
                    figures.failed,
                    figures.first_error.as_deref().unwrap_or("?")
                );
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The read model
// ---------------------------------------------------------------------------------------------

/// The lines of every order: order `o` of merchant `m` sold by cashier `c`, line `l` of product `p`
/// (its category is [`CATEGORY`]), on a business day of 2025–2026 picked by a hash of `o` (so every
/// cashier sells on most days). Products `m + 100 k` (k = 0…19) belong to merchant `m`; an order's
/// lines are distinct products picked by another hash of `o`.
const LINES: &str = "
    SELECT o, l, m, c, p,
           1 + (o + l) % 3 AS quantity,
           CASE WHEN m % 5 = 0 THEN 100 ELSE 1000 END * (1 + p % 97) AS price,
           DATE '2025-01-01' + ((hashint8(o)::bigint + 2147483648) % 730)::int AS business_date
    FROM (SELECT o, l, o % 100 + 1 AS m,
                 o % 100 + 1 + 100 * ((o / 100) % 10) AS c,
                 o % 100 + 1 + 100 * ((hashint8(o * 31 + 7)::bigint + 2147483648 + l * 7) % 20) AS p
          FROM generate_series(1::bigint, $1::bigint) AS o,
               generate_series(1::bigint, 1 + (o * 31) % 4) AS l) AS line";

/// The category of product `p`: a merchant's 20 products spread over 20 of the 50 categories.
const CATEGORY: &str = "md5('bench-category-' || ((7 * p + p / 100) % 50 + 1))::uuid";

/// Ordered ids (so the primary keys fill in order) of order `o`.
fn order_uuid(o: &str) -> String {
    format!("('00000000-0000-7000-8000-' || lpad(to_hex({o}), 12, '0'))::uuid")
}

async fn seed(pool: &PgPool, orders: i64) -> Result<()> {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "INSERT INTO reports.merchants (merchant_id, time_zone, currency_code)
         SELECT md5('bench-merchant-' || m)::uuid,
                (ARRAY['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura', 'Asia/Singapore', 'UTC',
                       'Europe/Berlin', 'America/New_York', 'Australia/Sydney'])[1 + m % 8],
                CASE WHEN m % 5 = 0 THEN 'USD' ELSE 'IDR' END
         FROM generate_series(1, $1) AS m",
    )
    .bind(MERCHANTS)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO reports.cashiers (cashier_id, merchant_id, name)
         SELECT md5('bench-cashier-' || c)::uuid, md5('bench-merchant-' || ((c - 1) % 100 + 1))::uuid,
                'Cashier ' || c
         FROM generate_series(1, $1) AS c",
    )
    .bind(CASHIERS)
    .execute(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO reports.categories (category_id, name)
         SELECT md5('bench-category-' || k)::uuid, 'Category ' || k FROM generate_series(1, $1) AS k",
    )
    .bind(CATEGORIES)
    .execute(&mut *tx)
    .await?;

    // Sales: one in ten orders paid 10 % below its line value (a discount).
    let order_id = order_uuid("o");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO reports.sales
             (order_id, merchant_id, cashier_id, currency_code, paid_at, business_date, amount_paid,
              lines_total, items)
         SELECT {order_id}, md5('bench-merchant-' || m)::uuid, md5('bench-cashier-' || c)::uuid,
                CASE WHEN m % 5 = 0 THEN 'USD' ELSE 'IDR' END,
                (business_date + make_interval(mins => 480 + (o % 600)::int)) AT TIME ZONE 'UTC',
                business_date,
                total - CASE WHEN o % 10 = 0 THEN total / 10 ELSE 0 END, total, items
         FROM (SELECT o, m, c, business_date, sum(quantity * price) AS total, sum(quantity) AS items
               FROM ({LINES}) AS lines GROUP BY o, m, c, business_date) AS sold"
    )))
    .bind(orders)
    .execute(&mut *tx)
    .await
    .context("seeding reports.sales")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO reports.sale_lines
             (order_id, order_item_id, product_id, category_id, quantity, unit_price)
         SELECT {order_id}, ('00000000-0000-700' || l || '-8000-' || lpad(to_hex(o), 12, '0'))::uuid,
                md5('bench-product-' || p)::uuid, {CATEGORY},
                quantity, price
         FROM ({LINES}) AS lines"
    )))
    .bind(orders)
    .execute(&mut *tx)
    .await
    .context("seeding reports.sale_lines")?;

    // One order in twenty: one unit of its first line refunded 0–29 days after the sale.
    let refunded = format!("SELECT * FROM ({LINES}) AS lines WHERE l = 1 AND o % 20 = 3");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO reports.refunds
             (refund_id, order_id, refunded_at, business_date, amount, lines_amount, items)
         SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(o), 12, '0'))::uuid, {order_id},
                (business_date + (o % 30)::int + make_interval(mins => 600)) AT TIME ZONE 'UTC',
                business_date + (o % 30)::int, price, price, 1
         FROM ({refunded}) AS refunded"
    )))
    .bind(orders)
    .execute(&mut *tx)
    .await
    .context("seeding reports.refunds")?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "INSERT INTO reports.refund_lines
             (refund_id, order_item_id, product_id, category_id, quantity, unit_price)
         SELECT ('00000000-0000-7000-9000-' || lpad(to_hex(o), 12, '0'))::uuid,
                ('00000000-0000-7001-8000-' || lpad(to_hex(o), 12, '0'))::uuid,
                md5('bench-product-' || p)::uuid, {CATEGORY}, 1, price
         FROM ({refunded}) AS refunded"
    )))
    .bind(orders)
    .execute(&mut *tx)
    .await
    .context("seeding reports.refund_lines")?;

    // Every order's succeeded payment (cash, card, e-wallet, bank transfer in turn), and for one
    // order in 33 a failed non-cash attempt a minute before it.
    sqlx::query(
        "INSERT INTO reports.payments
             (transaction_id, order_id, merchant_id, cashier_id, method, status, currency_code, amount,
              final_at, business_date)
         SELECT ('00000000-0000-7000-a000-' || right(order_id::text, 12))::uuid, order_id, merchant_id,
                cashier_id, (1 + o % 4)::smallint, 2, currency_code, amount_paid, paid_at, business_date
         FROM (SELECT *, ('x' || right(order_id::text, 12))::bit(48)::bigint AS o FROM reports.sales) AS sold
         UNION ALL
         SELECT ('00000000-0000-7000-b000-' || right(order_id::text, 12))::uuid, order_id, merchant_id,
                cashier_id, (2 + o % 3)::smallint, 3, currency_code, amount_paid,
                paid_at - interval '1 minute', business_date
         FROM (SELECT *, ('x' || right(order_id::text, 12))::bit(48)::bigint AS o FROM reports.sales) AS sold
         WHERE o % 33 = 0",
    )
    .execute(&mut *tx)
    .await
    .context("seeding reports.payments")?;
    sqlx::query(
        "INSERT INTO reports.watermark (applied_at) VALUES (now())
         ON CONFLICT (singleton) DO UPDATE SET applied_at = excluded.applied_at",
    )
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ids the request shapes pick from.
struct Ids {
    merchants: Vec<String>,
    cashiers: Vec<String>,
    categories: Vec<String>,
    orders: Vec<String>,
}

impl Ids {
    async fn load(pool: &PgPool, orders: i64) -> Result<Ids> {
        let strings = |sql: &'static str| async move {
            sqlx::query_scalar::<_, String>(sql)
                .fetch_all(pool)
                .await
                .with_context(|| sql.to_owned())
        };
        let stride = (orders / i64::try_from(VARIANTS)?).max(1);
        Ok(Ids {
            merchants: strings("SELECT merchant_id::text FROM reports.merchants ORDER BY merchant_id")
                .await?,
            cashiers: strings("SELECT cashier_id::text FROM reports.cashiers ORDER BY cashier_id").await?,
            categories: strings("SELECT category_id::text FROM reports.categories ORDER BY category_id")
                .await?,
            orders: (0..i64::try_from(VARIANTS)?)
                .map(|k| format!("00000000-0000-7000-8000-{:012x}", (1 + k * stride).min(orders)))
                .collect(),
        })
    }
}

// ---------------------------------------------------------------------------------------------
// Request shapes
// ---------------------------------------------------------------------------------------------

/// One request of any report RPC.
enum Call {
    CompareRevenue(CompareRevenueRequest),
    RevenueBreakdown(GetRevenueBreakdownRequest),
    CashierSales(GetCashierSalesRequest),
    CategorySales(GetCategorySalesRequest),
    PaymentStatuses(ComparePaymentStatusesRequest),
    PaymentMethods(ComparePaymentMethodsRequest),
}

/// A kind of request: variant `v` (0…VARIANTS) of it.
struct Shape {
    rpc: &'static str,
    name: &'static str,
    variant: Box<dyn Fn(usize) -> Call>,
}

const MONTH: i32 = Granularity::Month as i32;
const YEAR: i32 = Granularity::Year as i32;

/// Variant `v`'s year: 2025 or 2026.
fn year_of(v: usize) -> i32 {
    2025 + i32::from(v % 2 == 1)
}

/// Variant `v`'s month: spread over the year.
fn month_of(v: usize) -> i32 {
    1 + i32::try_from((v * 5) % 12).unwrap_or(0)
}

fn pick(ids: &[String], v: usize) -> String {
    ids[(v * 7) % ids.len()].clone()
}

#[allow(clippy::too_many_lines, reason = "one table of request shapes")]
fn shapes(ids: &Ids) -> Vec<Shape> {
    let merchants = ids.merchants.clone();
    let cashiers = ids.cashiers.clone();
    let categories = ids.categories.clone();
    let orders = ids.orders.clone();
    let shape = |rpc, name, variant: Box<dyn Fn(usize) -> Call>| Shape { rpc, name, variant };
    let revenue = |v: usize, granularity| CompareRevenueRequest {
        granularity,
        year: year_of(v),
        month: month_of(v),
        ..CompareRevenueRequest::default()
    };
    vec![
        shape(
            "CompareRevenue",
            "platform MONTH",
            Box::new(move |v| Call::CompareRevenue(revenue(v, MONTH))),
        ),
        shape(
            "CompareRevenue",
            "platform YEAR",
            Box::new(move |v| Call::CompareRevenue(revenue(v, YEAR))),
        ),
        shape("CompareRevenue", "merchant MONTH", {
            let merchants = merchants.clone();
            Box::new(move |v| {
                Call::CompareRevenue(CompareRevenueRequest {
                    merchant_id: pick(&merchants, v),
                    ..revenue(v, MONTH)
                })
            })
        }),
        shape("CompareRevenue", "merchant YEAR", {
            let merchants = merchants.clone();
            Box::new(move |v| {
                Call::CompareRevenue(CompareRevenueRequest {
                    merchant_id: pick(&merchants, v),
                    ..revenue(v, YEAR)
                })
            })
        }),
        shape("CompareRevenue", "cashier MONTH", {
            let cashiers = cashiers.clone();
            Box::new(move |v| {
                Call::CompareRevenue(CompareRevenueRequest {
                    cashier_id: pick(&cashiers, v),
                    ..revenue(v, MONTH)
                })
            })
        }),
        shape("CompareRevenue", "category YEAR (LINES)", {
            let categories = categories.clone();
            Box::new(move |v| {
                Call::CompareRevenue(CompareRevenueRequest {
                    category_id: pick(&categories, v),
                    basis: RevenueBasis::Lines.into(),
                    ..revenue(v, YEAR)
                })
            })
        }),
        shape("CompareRevenue", "order MONTH", {
            let orders = orders.clone();
            Box::new(move |v| {
                Call::CompareRevenue(CompareRevenueRequest {
                    order_id: orders[v % orders.len()].clone(),
                    ..revenue(v, MONTH)
                })
            })
        }),
        shape(
            "GetRevenueBreakdown",
            "platform MONTH",
            Box::new(|v| {
                Call::RevenueBreakdown(GetRevenueBreakdownRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    ..GetRevenueBreakdownRequest::default()
                })
            }),
        ),
        shape(
            "GetRevenueBreakdown",
            "platform YEAR",
            Box::new(|v| {
                Call::RevenueBreakdown(GetRevenueBreakdownRequest {
                    granularity: YEAR,
                    year: year_of(v) + 1,
                    ..GetRevenueBreakdownRequest::default()
                })
            }),
        ),
        shape("GetRevenueBreakdown", "merchant YEAR", {
            let merchants = merchants.clone();
            Box::new(move |v| {
                Call::RevenueBreakdown(GetRevenueBreakdownRequest {
                    granularity: YEAR,
                    year: year_of(v),
                    merchant_id: pick(&merchants, v),
                    ..GetRevenueBreakdownRequest::default()
                })
            })
        }),
        shape("GetRevenueBreakdown", "cashier MONTH", {
            let cashiers = cashiers.clone();
            Box::new(move |v| {
                Call::RevenueBreakdown(GetRevenueBreakdownRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    cashier_id: pick(&cashiers, v),
                    ..GetRevenueBreakdownRequest::default()
                })
            })
        }),
        shape(
            "GetCashierSales",
            "platform MONTH (first 1000 rows)",
            Box::new(|v| {
                Call::CashierSales(GetCashierSalesRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    ..GetCashierSalesRequest::default()
                })
            }),
        ),
        shape("GetCashierSales", "merchant YEAR", {
            let merchants = merchants.clone();
            Box::new(move |v| {
                Call::CashierSales(GetCashierSalesRequest {
                    granularity: YEAR,
                    year: year_of(v),
                    merchant_id: pick(&merchants, v),
                    ..GetCashierSalesRequest::default()
                })
            })
        }),
        shape("GetCashierSales", "cashier MONTH", {
            let cashiers = cashiers.clone();
            Box::new(move |v| {
                Call::CashierSales(GetCashierSalesRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    cashier_id: pick(&cashiers, v),
                    ..GetCashierSalesRequest::default()
                })
            })
        }),
        shape(
            "GetCategorySales",
            "platform MONTH",
            Box::new(|v| {
                Call::CategorySales(GetCategorySalesRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    ..GetCategorySalesRequest::default()
                })
            }),
        ),
        shape("GetCategorySales", "merchant YEAR", {
            let merchants = merchants.clone();
            Box::new(move |v| {
                Call::CategorySales(GetCategorySalesRequest {
                    granularity: YEAR,
                    year: year_of(v),
                    merchant_id: pick(&merchants, v),
                    ..GetCategorySalesRequest::default()
                })
            })
        }),
        shape("GetCategorySales", "category MONTH", {
            let categories = categories.clone();
            Box::new(move |v| {
                Call::CategorySales(GetCategorySalesRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    category_id: pick(&categories, v),
                    ..GetCategorySalesRequest::default()
                })
            })
        }),
        shape("GetCategorySales", "cashier YEAR", {
            let cashiers = cashiers.clone();
            Box::new(move |v| {
                Call::CategorySales(GetCategorySalesRequest {
                    granularity: YEAR,
                    year: year_of(v),
                    cashier_id: pick(&cashiers, v),
                    ..GetCategorySalesRequest::default()
                })
            })
        }),
        shape(
            "ComparePaymentStatuses",
            "platform MONTH",
            Box::new(|v| {
                Call::PaymentStatuses(ComparePaymentStatusesRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    month: month_of(v),
                    ..ComparePaymentStatusesRequest::default()
                })
            }),
        ),
        shape("ComparePaymentStatuses", "merchant YEAR", {
            let merchants = merchants.clone();
            Box::new(move |v| {
                Call::PaymentStatuses(ComparePaymentStatusesRequest {
                    granularity: YEAR,
                    year: year_of(v),
                    merchant_id: pick(&merchants, v),
                    ..ComparePaymentStatusesRequest::default()
                })
            })
        }),
        shape("ComparePaymentStatuses", "cashier MONTH FAILED", {
            let cashiers = cashiers.clone();
            Box::new(move |v| {
                Call::PaymentStatuses(ComparePaymentStatusesRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    month: month_of(v),
                    cashier_id: pick(&cashiers, v),
                    status: TransactionStatus::Failed.into(),
                    ..ComparePaymentStatusesRequest::default()
                })
            })
        }),
        shape(
            "ComparePaymentMethods",
            "platform YEAR",
            Box::new(|v| {
                Call::PaymentMethods(ComparePaymentMethodsRequest {
                    granularity: YEAR,
                    year: year_of(v),
                    ..ComparePaymentMethodsRequest::default()
                })
            }),
        ),
        shape("ComparePaymentMethods", "merchant MONTH", {
            Box::new(move |v| {
                Call::PaymentMethods(ComparePaymentMethodsRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    month: month_of(v),
                    merchant_id: pick(&merchants, v),
                    ..ComparePaymentMethodsRequest::default()
                })
            })
        }),
        shape("ComparePaymentMethods", "cashier MONTH SUCCEEDED", {
            Box::new(move |v| {
                Call::PaymentMethods(ComparePaymentMethodsRequest {
                    granularity: MONTH,
                    year: year_of(v),
                    month: month_of(v),
                    cashier_id: pick(&cashiers, v),
                    status: TransactionStatus::Succeeded.into(),
                    ..ComparePaymentMethodsRequest::default()
                })
            })
        }),
    ]
}

// ---------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------

struct Figures {
    calls: usize,
    failed: usize,
    first_error: Option<String>,
    p50: Duration,
    p99: Duration,
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Starts `pos` (the report module only) on `database` with the given cache TTL, measures every
/// shape, stops it.
async fn pass(
    database: &TestDatabase,
    cache_seconds: u64,
    shapes: &[Shape],
    calls: usize,
    shape_limit: Duration,
) -> Result<Vec<Figures>> {
    let config = config(database, cache_seconds)?;
    let pos = pos::start(&config).await.context("starting pos")?;
    let channel = Channel::from_shared(format!("http://{}", pos.grpc_addr))?
        .connect()
        .await?;
    let mut client = ReportServiceClient::new(channel);
    let credential = ServiceCredential::new(SERVICE_SECRET);
    println!(
        "pass with POS_REPORT_CACHE_SECONDS={cache_seconds}: {}",
        if cache_seconds == 0 {
            "every call reads PostgreSQL"
        } else {
            "cache on"
        }
    );
    let mut figures = Vec::with_capacity(shapes.len());
    for shape in shapes {
        let started = Instant::now();
        let mut latencies = Vec::with_capacity(calls);
        let mut failed = 0;
        let mut first_error = None;
        for n in 0..calls {
            if started.elapsed() > shape_limit {
                break;
            }
            let call = (shape.variant)(n % VARIANTS);
            let began = Instant::now();
            match send(&mut client, &credential, call).await {
                Ok(()) => latencies.push(began.elapsed()),
                Err(status) => {
                    failed += 1;
                    first_error.get_or_insert_with(|| format!("{:?}: {}", status.code(), status.message()));
                }
            }
        }
        latencies.sort_unstable();
        let percentile = |p: f64| {
            if latencies.is_empty() {
                return Duration::ZERO;
            }
            #[allow(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "an index into a few hundred latencies"
            )]
            let index = ((latencies.len() as f64 * p).ceil() as usize).clamp(1, latencies.len()) - 1;
            latencies[index]
        };
        let shape_figures = Figures {
            calls: latencies.len(),
            failed,
            first_error,
            p50: percentile(0.50),
            p99: percentile(0.99),
        };
        eprintln!(
            "    {:<24} {:<34} p50 {:>8.2} ms  p99 {:>8.2} ms  ({} calls, {} failed)",
            shape.rpc,
            shape.name,
            millis(shape_figures.p50),
            millis(shape_figures.p99),
            shape_figures.calls,
            shape_figures.failed
        );
        figures.push(shape_figures);
    }
    pos.shutdown().await?;
    Ok(figures)
}

async fn send(
    client: &mut ReportServiceClient<Channel>,
    credential: &ServiceCredential,
    call: Call,
) -> Result<(), tonic::Status> {
    fn request<T>(credential: &ServiceCredential, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        request.metadata_mut().insert(
            SERVICE_HEADER,
            credential
                .mint("report-bench", chrono::Utc::now())
                .parse()
                .expect("a credential is ASCII"),
        );
        request
    }
    match call {
        Call::CompareRevenue(message) => client
            .compare_revenue(request(credential, message))
            .await
            .map(drop),
        Call::RevenueBreakdown(message) => client
            .get_revenue_breakdown(request(credential, message))
            .await
            .map(drop),
        Call::CashierSales(message) => client
            .get_cashier_sales(request(credential, message))
            .await
            .map(drop),
        Call::CategorySales(message) => client
            .get_category_sales(request(credential, message))
            .await
            .map(drop),
        Call::PaymentStatuses(message) => client
            .compare_payment_statuses(request(credential, message))
            .await
            .map(drop),
        Call::PaymentMethods(message) => client
            .compare_payment_methods(request(credential, message))
            .await
            .map(drop),
    }
}

/// `pos` serving the report module only, on free ports, against `database`.
fn config(database: &TestDatabase, cache_seconds: u64) -> Result<Config> {
    let brokers = testkit::kafka_brokers();
    let redis = testkit::redis_url();
    let namespace = format!("{}.", database.name);
    let cache_seconds = cache_seconds.to_string();
    let argv = [
        "pos",
        "--modules",
        "report",
        "--grpc-addr",
        "127.0.0.1:0",
        "--admin-addr",
        "127.0.0.1:0",
        "--shutdown-grace-seconds",
        "5",
        "--upstreams",
        "",
        "--database-url",
        &database.url,
        "--redis-url",
        &redis,
        "--kafka-brokers",
        &brokers,
        "--kafka-namespace",
        &namespace,
        "--service-token-secret",
        SERVICE_SECRET,
        "--object-store-url",
        "memory://",
        "--report-cache-seconds",
        &cache_seconds,
        "--log-format",
        "text",
    ];
    Ok(Cli::try_parse_from(argv).context("bench arguments")?.config)
}

/// Bumps the global report generation and every merchant's, so the cached pass starts cold even
/// when an earlier run left answers for the same (deterministic) requests in Redis.
async fn invalidate_cache(merchants: &[String]) -> Result<()> {
    let client = redis::Client::open(testkit::redis_url())?;
    let mut connection = client.get_multiplexed_async_connection().await?;
    let mut pipe = redis::pipe();
    pipe.incr("pos:report:gen", 1).ignore();
    for merchant in merchants {
        pipe.incr(format!("pos:report:gen:{merchant}"), 1).ignore();
    }
    let () = pipe.query_async(&mut connection).await?;
    Ok(())
}
