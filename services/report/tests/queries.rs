//! The report RPCs against a real, migrated PostgreSQL (and Redis for the cache), with the read
//! model's rollups and facts written directly: the SQL, scopes, ordering, zero-fill and paging of
//! the query side, independent of the ingest. Whole-platform behaviour (events in, reports out)
//! is `services/pos/tests/reports.rs`.

use chrono::NaiveDate;
use clap::Parser;
use pos_api::pos::report::v1 as pb;
use pos_api::pos::report::v1::report_service_client::ReportServiceClient;
use pos_platform::auth::Principal;
use pos_platform::paging::PageTokens;
use pos_platform::testkit::{self, TestDatabase};
use pos_platform::{AuthContext, Config, ModuleContext};
use sqlx::PgPool;
use std::collections::BTreeSet;
use tonic::service::{Routes, RoutesBuilder};
use tonic::{Code, Request};
use tonic_types::StatusExt as _;
use uuid::Uuid;

const MONTH: i32 = pb::Granularity::Month as i32;
const YEAR: i32 = pb::Granularity::Year as i32;
const SUCCEEDED: i32 = 2;
const FAILED: i32 = 3;

#[derive(Parser)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

/// The report module over a fresh database, called in-process.
struct Harness {
    database: TestDatabase,
    client: ReportServiceClient<Routes>,
    redis: pos_platform::redis_pool::RedisPool,
    /// The deployment's `POS_KAFKA_NAMESPACE`, which prefixes its cache keys.
    namespace: String,
}

impl Harness {
    /// Without the answer cache.
    async fn start() -> Self {
        Self::start_with_cache(0).await
    }

    async fn start_with_cache(seconds: u64) -> Self {
        let database = TestDatabase::migrated().await.expect("a migrated test database");
        let redis_url = testkit::redis_url();
        let namespace = format!("{}.", database.name);
        let seconds = seconds.to_string();
        let config = Cli::try_parse_from([
            "pos",
            "--database-url",
            &database.url,
            "--redis-url",
            &redis_url,
            "--kafka-namespace",
            &namespace,
            "--report-cache-seconds",
            &seconds,
            "--service-token-secret",
            "test-service-token-secret",
        ])
        .expect("test arguments parse")
        .config;
        let redis = pos_platform::redis_pool::lazy_pool(&redis_url).expect("redis url");
        let ctx = ModuleContext {
            db: database.pool.clone(),
            redis: redis.clone(),
            clients: pos_api::Clients::default(),
            page_tokens: PageTokens::new("test-page-token-secret"),
            config: std::sync::Arc::new(config),
            files: pos_platform::files::Files::in_memory(),
        };
        let mut routes = RoutesBuilder::default();
        pos_report::add_services(&ctx, &mut routes);
        Harness {
            database,
            client: ReportServiceClient::new(routes.routes()),
            redis,
            namespace,
        }
    }

    fn db(&self) -> &PgPool {
        &self.database.pool
    }

    async fn stop(self) {
        let _ = self.database.drop_database().await;
    }
}

fn user(merchant_id: Option<Uuid>, cashier_id: Option<Uuid>, owner: bool) -> AuthContext {
    let permissions = BTreeSet::from(["report.read".to_owned()]);
    AuthContext {
        principal: Principal::User {
            user_id: Uuid::now_v7(),
            session_id: Uuid::now_v7(),
        },
        roles: BTreeSet::new(),
        permissions: permissions.clone(),
        platform_permissions: BTreeSet::new(),
        merchant_permissions: if owner { permissions } else { BTreeSet::new() },
        merchant_id,
        cashier_id,
    }
}

fn with<T>(auth: AuthContext, message: T) -> Request<T> {
    let mut request = Request::new(message);
    request.extensions_mut().insert(auth);
    request
}

fn admin<T>(message: T) -> Request<T> {
    with(AuthContext::service("test"), message)
}

fn owner<T>(merchant_id: Uuid, message: T) -> Request<T> {
    with(user(Some(merchant_id), None, true), message)
}

fn cashier<T>(merchant_id: Uuid, cashier_id: Uuid, message: T) -> Request<T> {
    with(user(Some(merchant_id), Some(cashier_id), false), message)
}

fn reason(status: &tonic::Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

fn date(text: &str) -> NaiveDate {
    text.parse().expect("a date")
}

fn amount(money: Option<&pos_api::pos::common::v1::Money>) -> (String, i64) {
    let money = money.expect("money");
    (money.currency_code.clone(), money.amount_minor)
}

// Read-model writers -------------------------------------------------------------------------

async fn merchant(db: &PgPool, time_zone: &str, currency: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO reports.merchants (merchant_id, time_zone, currency_code) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(time_zone)
        .bind(currency)
        .execute(db)
        .await
        .unwrap();
    id
}

async fn named_cashier(db: &PgPool, merchant_id: Uuid, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO reports.cashiers (cashier_id, merchant_id, name) VALUES ($1, $2, $3)")
        .bind(id)
        .bind(merchant_id)
        .bind(name)
        .execute(db)
        .await
        .unwrap();
    id
}

/// One `reports.daily_sales` row.
#[derive(Clone, Copy)]
struct Day<'a> {
    merchant: Uuid,
    cashier: Uuid,
    date: &'a str,
    currency: &'a str,
    gross_paid: i64,
    gross_lines: i64,
    refunded_paid: i64,
    refunded_lines: i64,
    orders: i64,
    items_sold: i64,
    items_refunded: i64,
}

impl Day<'_> {
    fn sale(merchant: Uuid, cashier: Uuid, date: &str, paid: i64, orders: i64) -> Day<'_> {
        Day {
            merchant,
            cashier,
            date,
            currency: "IDR",
            gross_paid: paid,
            gross_lines: paid + 100,
            refunded_paid: 0,
            refunded_lines: 0,
            orders,
            items_sold: orders * 2,
            items_refunded: 0,
        }
    }

    async fn insert(self, db: &PgPool) {
        sqlx::query(
            "INSERT INTO reports.daily_sales (merchant_id, cashier_id, business_date, currency_code, \
             gross_paid, gross_lines, refunded_paid, refunded_lines, order_count, items_sold, items_refunded) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(self.merchant)
        .bind(self.cashier)
        .bind(date(self.date))
        .bind(self.currency)
        .bind(self.gross_paid)
        .bind(self.gross_lines)
        .bind(self.refunded_paid)
        .bind(self.refunded_lines)
        .bind(self.orders)
        .bind(self.items_sold)
        .bind(self.items_refunded)
        .execute(db)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO reports.monthly_sales AS m (merchant_id, cashier_id, month, currency_code, \
             gross_paid, gross_lines, refunded_paid, refunded_lines, order_count, items_sold, items_refunded) \
             VALUES ($1, $2, date_trunc('month', $3::date)::date, $4, $5, $6, $7, $8, $9, $10, $11) \
             ON CONFLICT (merchant_id, month, cashier_id, currency_code) DO UPDATE SET \
             gross_paid = m.gross_paid + EXCLUDED.gross_paid, gross_lines = m.gross_lines + EXCLUDED.gross_lines, \
             refunded_paid = m.refunded_paid + EXCLUDED.refunded_paid, \
             refunded_lines = m.refunded_lines + EXCLUDED.refunded_lines, \
             order_count = m.order_count + EXCLUDED.order_count, items_sold = m.items_sold + EXCLUDED.items_sold, \
             items_refunded = m.items_refunded + EXCLUDED.items_refunded",
        )
        .bind(self.merchant)
        .bind(self.cashier)
        .bind(date(self.date))
        .bind(self.currency)
        .bind(self.gross_paid)
        .bind(self.gross_lines)
        .bind(self.refunded_paid)
        .bind(self.refunded_lines)
        .bind(self.orders)
        .bind(self.items_sold)
        .bind(self.items_refunded)
        .execute(db)
        .await
        .unwrap();
    }
}

#[expect(clippy::too_many_arguments, reason = "one column each")]
async fn category_day(
    db: &PgPool,
    merchant: Uuid,
    cashier: Uuid,
    category: Uuid,
    day: &str,
    gross_lines: i64,
    refunded_lines: i64,
    orders: i64,
) {
    // The day, its month, and its month without the cashier (as the ingest writes them).
    for sql in [
        "INSERT INTO reports.daily_category_sales (merchant_id, cashier_id, category_id, business_date, \
         currency_code, gross_lines, refunded_lines, order_count, items_sold, items_refunded) \
         VALUES ($1, $2, $3, $4, 'IDR', $5, $6, $7, $7, 0)",
        "INSERT INTO reports.monthly_category_sales AS m (merchant_id, cashier_id, category_id, month, \
         currency_code, gross_lines, refunded_lines, order_count, items_sold, items_refunded) \
         VALUES ($1, $2, $3, date_trunc('month', $4::date)::date, 'IDR', $5, $6, $7, $7, 0) \
         ON CONFLICT (merchant_id, month, cashier_id, category_id, currency_code) DO UPDATE SET \
         gross_lines = m.gross_lines + EXCLUDED.gross_lines, refunded_lines = m.refunded_lines + EXCLUDED.refunded_lines, \
         order_count = m.order_count + EXCLUDED.order_count, items_sold = m.items_sold + EXCLUDED.items_sold",
        "INSERT INTO reports.monthly_merchant_category_sales AS m (merchant_id, category_id, month, \
         currency_code, gross_lines, refunded_lines, order_count, items_sold, items_refunded) \
         SELECT $1, $3, date_trunc('month', $4::date)::date, 'IDR', $5, $6, $7, $7, 0 WHERE $2::uuid IS NOT NULL \
         ON CONFLICT (merchant_id, month, category_id, currency_code) DO UPDATE SET \
         gross_lines = m.gross_lines + EXCLUDED.gross_lines, refunded_lines = m.refunded_lines + EXCLUDED.refunded_lines, \
         order_count = m.order_count + EXCLUDED.order_count, items_sold = m.items_sold + EXCLUDED.items_sold",
    ] {
        sqlx::query(sql)
            .bind(merchant)
            .bind(cashier)
            .bind(category)
            .bind(date(day))
            .bind(gross_lines)
            .bind(refunded_lines)
            .bind(orders)
            .execute(db)
            .await
            .unwrap();
    }
}

async fn product_month(
    db: &PgPool,
    merchant: Uuid,
    cashier: Uuid,
    category: Uuid,
    product: Uuid,
    month: &str,
) {
    for sql in [
        "INSERT INTO reports.monthly_products (merchant_id, cashier_id, category_id, product_id, month, \
         currency_code, items_sold) VALUES ($1, $2, $3, $4, $5, 'IDR', 1)",
        "INSERT INTO reports.monthly_merchant_products AS m (merchant_id, category_id, product_id, month, \
         currency_code, items_sold) SELECT $1, $3, $4, $5, 'IDR', 1 WHERE $2::uuid IS NOT NULL \
         ON CONFLICT (merchant_id, month, category_id, product_id, currency_code) DO UPDATE SET \
         items_sold = m.items_sold + EXCLUDED.items_sold",
    ] {
        sqlx::query(sql)
            .bind(merchant)
            .bind(cashier)
            .bind(category)
            .bind(product)
            .bind(date(month))
            .execute(db)
            .await
            .unwrap();
    }
}

#[expect(clippy::too_many_arguments, reason = "one column each")]
async fn payments_day(
    db: &PgPool,
    merchant: Uuid,
    cashier: Uuid,
    day: &str,
    method: i16,
    status: i16,
    count: i64,
    amount: i64,
) {
    for sql in [
        "INSERT INTO reports.daily_payments (merchant_id, cashier_id, business_date, method, status, \
         currency_code, transaction_count, amount) VALUES ($1, $2, $3, $4, $5, 'IDR', $6, $7)",
        "INSERT INTO reports.monthly_payments AS m (merchant_id, cashier_id, month, method, status, \
         currency_code, transaction_count, amount) \
         VALUES ($1, $2, date_trunc('month', $3::date)::date, $4, $5, 'IDR', $6, $7) \
         ON CONFLICT (merchant_id, month, cashier_id, method, status, currency_code) DO UPDATE SET \
         transaction_count = m.transaction_count + EXCLUDED.transaction_count, amount = m.amount + EXCLUDED.amount",
    ] {
        sqlx::query(sql)
            .bind(merchant)
            .bind(cashier)
            .bind(date(day))
            .bind(method)
            .bind(status)
            .bind(count)
            .bind(amount)
            .execute(db)
            .await
            .unwrap();
    }
}

fn compare(year: i32, month: i32) -> pb::CompareRevenueRequest {
    pb::CompareRevenueRequest {
        granularity: MONTH,
        year,
        month,
        ..Default::default()
    }
}

// CompareRevenue -----------------------------------------------------------------------------

#[tokio::test]
async fn compare_revenue_sums_a_merchants_month_including_its_last_day_and_zero_fills_the_previous_one() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "Asia/Jakarta", "IDR").await;
    let other = merchant(&db, "UTC", "IDR").await;
    let (ana, budi) = (Uuid::now_v7(), Uuid::now_v7());
    Day::sale(shop, ana, "2025-12-01", 10_000, 2).insert(&db).await;
    Day::sale(shop, ana, "2025-12-31", 5_000, 1).insert(&db).await;
    Day::sale(shop, ana, "2026-01-01", 99_999, 9).insert(&db).await;
    Day::sale(other, Uuid::now_v7(), "2025-12-10", 77_777, 7)
        .insert(&db)
        .await;
    // A refund-only day: figures count, the cashier is not active.
    Day {
        refunded_paid: 1_500,
        refunded_lines: 1_600,
        items_refunded: 1,
        ..Day::sale(shop, budi, "2025-12-15", 0, 0)
    }
    .insert(&db)
    .await;
    let (p1, p2) = (Uuid::now_v7(), Uuid::now_v7());
    product_month(&db, shop, ana, Uuid::nil(), p1, "2025-12-01").await;
    product_month(&db, shop, budi, Uuid::nil(), p1, "2025-12-01").await;
    product_month(&db, shop, ana, Uuid::nil(), p2, "2025-12-01").await;

    let answer = h
        .client
        .compare_revenue(owner(shop, compare(2025, 12)))
        .await
        .expect("CompareRevenue")
        .into_inner();

    assert_eq!(answer.time_zone, "Asia/Jakarta");
    assert!(answer.as_of_time.is_some());
    assert_eq!(answer.totals.len(), 2);
    let december = &answer.totals[0];
    let period = december.period.as_ref().unwrap();
    assert_eq!((period.year, period.month), (2025, 12));
    // 2025-12-01T00:00+07:00 and 2026-01-01T00:00+07:00.
    assert_eq!(period.start_time.as_ref().unwrap().seconds, 1_764_522_000);
    assert_eq!(period.end_time.as_ref().unwrap().seconds, 1_767_200_400);
    assert_eq!(amount(december.gross_sales.as_ref()), ("IDR".to_owned(), 15_000));
    assert_eq!(amount(december.refunded.as_ref()), ("IDR".to_owned(), 1_500));
    assert_eq!(amount(december.revenue.as_ref()), ("IDR".to_owned(), 13_500));
    assert_eq!(december.order_count, 3);
    assert_eq!(december.items_sold, 6);
    assert_eq!(december.items_refunded, 1);
    assert_eq!(december.active_cashiers, 1);
    assert_eq!(december.unique_products_sold, 2);
    let november = &answer.totals[1];
    assert_eq!(november.period.as_ref().unwrap().month, 11);
    assert_eq!(amount(november.gross_sales.as_ref()), ("IDR".to_owned(), 0));
    assert_eq!(november.order_count, 0);
    h.stop().await;
}

#[tokio::test]
async fn january_is_compared_with_december_and_a_currency_of_one_period_appears_in_both() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "America/New_York", "USD").await;
    Day {
        currency: "USD",
        ..Day::sale(shop, Uuid::now_v7(), "2025-12-20", 4_200, 1)
    }
    .insert(&db)
    .await;

    let answer = h
        .client
        .compare_revenue(admin(compare(2026, 1)))
        .await
        .expect("CompareRevenue")
        .into_inner();

    assert_eq!(answer.time_zone, "UTC");
    let rows: Vec<_> = answer
        .totals
        .iter()
        .map(|row| {
            let period = row.period.as_ref().unwrap();
            (period.year, period.month, amount(row.gross_sales.as_ref()))
        })
        .collect();
    assert_eq!(
        rows,
        [
            (2026, 1, ("USD".to_owned(), 0)),
            (2025, 12, ("USD".to_owned(), 4_200)),
        ]
    );
    h.stop().await;
}

#[tokio::test]
async fn a_platform_without_activity_gets_one_zero_row_per_period_in_the_default_currency() {
    let mut h = Harness::start().await;
    let answer = h
        .client
        .compare_revenue(admin(pb::CompareRevenueRequest {
            granularity: YEAR,
            year: 2024,
            ..Default::default()
        }))
        .await
        .expect("CompareRevenue")
        .into_inner();
    let rows: Vec<_> = answer
        .totals
        .iter()
        .map(|row| (row.period.as_ref().unwrap().year, amount(row.revenue.as_ref())))
        .collect();
    assert_eq!(
        rows,
        [(2024, ("IDR".to_owned(), 0)), (2023, ("IDR".to_owned(), 0))]
    );
    h.stop().await;
}

#[tokio::test]
async fn a_category_in_scope_reads_line_figures_and_refuses_basis_payments() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let (drinks, food) = (Uuid::now_v7(), Uuid::now_v7());
    let ana = Uuid::now_v7();
    category_day(&db, shop, ana, drinks, "2025-03-31", 3_000, 500, 2).await;
    category_day(&db, shop, ana, food, "2025-03-31", 9_000, 0, 1).await;

    let request = pb::CompareRevenueRequest {
        category_id: drinks.to_string(),
        ..compare(2025, 3)
    };
    let answer = h
        .client
        .compare_revenue(admin(request.clone()))
        .await
        .expect("CompareRevenue")
        .into_inner();
    let march = &answer.totals[0];
    assert_eq!(amount(march.gross_sales.as_ref()).1, 3_000);
    assert_eq!(amount(march.revenue.as_ref()).1, 2_500);
    assert_eq!(march.order_count, 2);

    let refused = h
        .client
        .compare_revenue(admin(pb::CompareRevenueRequest {
            basis: pb::RevenueBasis::Payments as i32,
            ..request
        }))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(reason(&refused), "BASIS_NOT_SUPPORTED");
    h.stop().await;
}

#[tokio::test]
async fn an_order_in_scope_counts_its_sale_on_its_paid_day_and_its_refunds_on_theirs() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "Asia/Jakarta", "IDR").await;
    let order = Uuid::now_v7();
    let ana = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO reports.sales (order_id, merchant_id, cashier_id, currency_code, paid_at, business_date, \
         amount_paid, lines_total, items) VALUES ($1, $2, $3, 'IDR', now(), '2025-11-30', 11000, 10000, 3)",
    )
    .bind(order)
    .bind(shop)
    .bind(ana)
    .execute(&db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO reports.sale_lines (order_id, order_item_id, product_id, category_id, quantity, unit_price) \
         VALUES ($1, $2, $3, $4, 3, 3333)",
    )
    .bind(order)
    .bind(Uuid::now_v7())
    .bind(Uuid::now_v7())
    .bind(Uuid::nil())
    .execute(&db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO reports.refunds (refund_id, order_id, refunded_at, business_date, amount, lines_amount, items) \
         VALUES ($1, $2, now(), '2025-12-02', 4000, 3333, 1)",
    )
    .bind(Uuid::now_v7())
    .bind(order)
    .execute(&db)
    .await
    .unwrap();

    let answer = h
        .client
        .compare_revenue(admin(pb::CompareRevenueRequest {
            order_id: order.to_string(),
            ..compare(2025, 12)
        }))
        .await
        .expect("CompareRevenue")
        .into_inner();

    assert_eq!(answer.time_zone, "Asia/Jakarta");
    let (december, november) = (&answer.totals[0], &answer.totals[1]);
    assert_eq!(amount(december.gross_sales.as_ref()).1, 0);
    assert_eq!(amount(december.refunded.as_ref()).1, 4_000);
    assert_eq!(amount(december.revenue.as_ref()).1, -4_000);
    assert_eq!(december.items_refunded, 1);
    assert_eq!(amount(november.gross_sales.as_ref()).1, 11_000);
    assert_eq!(november.order_count, 1);
    assert_eq!(november.items_sold, 3);
    assert_eq!(november.active_cashiers, 1);
    assert_eq!(november.unique_products_sold, 1);

    // Another merchant's owner naming the order sees zeros (filters combine with AND).
    let stranger = merchant(&db, "UTC", "IDR").await;
    let answer = h
        .client
        .compare_revenue(owner(
            stranger,
            pb::CompareRevenueRequest {
                order_id: order.to_string(),
                ..compare(2025, 12)
            },
        ))
        .await
        .expect("CompareRevenue")
        .into_inner();
    assert!(answer.totals.iter().all(|row| row.order_count == 0
        && amount(row.gross_sales.as_ref()).1 == 0
        && amount(row.refunded.as_ref()).1 == 0));
    h.stop().await;
}

// GetRevenueBreakdown ------------------------------------------------------------------------

#[tokio::test]
async fn a_year_breakdown_lists_only_years_with_activity_in_ascending_order() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let ana = Uuid::now_v7();
    Day::sale(shop, ana, "2025-06-01", 2_000, 1).insert(&db).await;
    Day::sale(shop, ana, "2022-02-28", 1_000, 1).insert(&db).await;
    Day::sale(shop, ana, "2020-12-31", 5_000, 1).insert(&db).await; // before 2021: outside

    let answer = h
        .client
        .get_revenue_breakdown(admin(pb::GetRevenueBreakdownRequest {
            granularity: YEAR,
            year: 2025,
            basis: pb::RevenueBasis::Lines as i32,
            ..Default::default()
        }))
        .await
        .expect("GetRevenueBreakdown")
        .into_inner();

    let rows: Vec<_> = answer
        .totals
        .iter()
        .map(|row| {
            (
                row.period.as_ref().unwrap().year,
                amount(row.gross_sales.as_ref()).1,
            )
        })
        .collect();
    assert_eq!(rows, [(2022, 1_100), (2025, 2_100)]);
    h.stop().await;
}

// GetCashierSales ------------------------------------------------------------------------------

#[tokio::test]
async fn cashier_sales_are_ordered_by_period_then_revenue_and_paged() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let ana = named_cashier(&db, shop, "Ana").await;
    let budi = named_cashier(&db, shop, "Budi").await;
    Day::sale(shop, ana, "2025-01-05", 1_000, 1).insert(&db).await;
    Day::sale(shop, budi, "2025-01-06", 3_000, 1).insert(&db).await;
    Day::sale(shop, ana, "2025-02-01", 500, 1).insert(&db).await;

    let request = pb::GetCashierSalesRequest {
        granularity: MONTH,
        year: 2025,
        merchant_id: shop.to_string(),
        page_size: 2,
        ..Default::default()
    };
    let first = h
        .client
        .get_cashier_sales(admin(request.clone()))
        .await
        .expect("GetCashierSales")
        .into_inner();
    let names: Vec<_> = first
        .rows
        .iter()
        .map(|row| (row.period.as_ref().unwrap().month, row.cashier_name.clone()))
        .collect();
    assert_eq!(names, [(1, "Budi".to_owned()), (1, "Ana".to_owned())]);
    assert_eq!(first.rows[0].merchant_id, shop.to_string());
    assert!(!first.next_page_token.is_empty());

    let second = h
        .client
        .get_cashier_sales(admin(pb::GetCashierSalesRequest {
            page_token: first.next_page_token.clone(),
            ..request.clone()
        }))
        .await
        .expect("GetCashierSales page 2")
        .into_inner();
    let names: Vec<_> = second
        .rows
        .iter()
        .map(|row| (row.period.as_ref().unwrap().month, row.cashier_name.clone()))
        .collect();
    assert_eq!(names, [(2, "Ana".to_owned())]);
    assert!(second.next_page_token.is_empty());

    let other_filters = h
        .client
        .get_cashier_sales(admin(pb::GetCashierSalesRequest {
            page_token: first.next_page_token,
            year: 2024,
            ..request
        }))
        .await
        .unwrap_err();
    assert_eq!(other_filters.code(), Code::InvalidArgument);
    h.stop().await;
}

#[tokio::test]
async fn a_cashier_sees_only_its_own_row_and_is_denied_another_cashier() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let ana = named_cashier(&db, shop, "Ana").await;
    let budi = named_cashier(&db, shop, "Budi").await;
    Day::sale(shop, ana, "2025-01-05", 1_000, 1).insert(&db).await;
    Day::sale(shop, budi, "2025-01-06", 3_000, 1).insert(&db).await;
    let request = pb::GetCashierSalesRequest {
        granularity: YEAR,
        year: 2025,
        ..Default::default()
    };

    let own = h
        .client
        .get_cashier_sales(cashier(shop, ana, request.clone()))
        .await
        .expect("GetCashierSales")
        .into_inner();
    let ids: Vec<_> = own.rows.iter().map(|row| row.cashier_id.clone()).collect();
    assert_eq!(ids, [ana.to_string()]);

    let denied = h
        .client
        .get_cashier_sales(cashier(
            shop,
            ana,
            pb::GetCashierSalesRequest {
                cashier_id: budi.to_string(),
                ..request
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(reason(&denied), "REPORT_SCOPE_DENIED");
    h.stop().await;
}

#[tokio::test]
async fn an_owner_naming_another_merchant_is_denied() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let denied = h
        .client
        .compare_revenue(owner(
            shop,
            pb::CompareRevenueRequest {
                merchant_id: Uuid::now_v7().to_string(),
                ..compare(2025, 1)
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied);
    assert_eq!(reason(&denied), "REPORT_SCOPE_DENIED");
    h.stop().await;
}

// GetCategorySales -----------------------------------------------------------------------------

#[tokio::test]
async fn category_sales_carry_current_names_and_distinct_products() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let drinks = Uuid::now_v7();
    sqlx::query("INSERT INTO reports.categories (category_id, name) VALUES ($1, 'Drinks')")
        .bind(drinks)
        .execute(&db)
        .await
        .unwrap();
    let (ana, budi) = (Uuid::now_v7(), Uuid::now_v7());
    category_day(&db, shop, ana, drinks, "2025-05-02", 4_000, 0, 2).await;
    category_day(&db, shop, budi, drinks, "2025-05-03", 1_000, 300, 1).await;
    category_day(&db, shop, ana, Uuid::nil(), "2025-05-02", 9_000, 0, 1).await;
    let (tea, coffee) = (Uuid::now_v7(), Uuid::now_v7());
    product_month(&db, shop, ana, drinks, tea, "2025-05-01").await;
    product_month(&db, shop, budi, drinks, tea, "2025-05-01").await;
    product_month(&db, shop, ana, drinks, coffee, "2025-05-01").await;

    let answer = h
        .client
        .get_category_sales(admin(pb::GetCategorySalesRequest {
            granularity: MONTH,
            year: 2025,
            ..Default::default()
        }))
        .await
        .expect("GetCategorySales")
        .into_inner();

    let rows: Vec<_> = answer
        .rows
        .iter()
        .map(|row| {
            (
                row.category_name.clone(),
                amount(row.revenue.as_ref()).1,
                row.order_count,
                row.unique_products_sold,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [(String::new(), 9_000, 1, 0), ("Drinks".to_owned(), 4_700, 3, 2),]
    );
    assert!(answer.next_page_token.is_empty());
    h.stop().await;
}

// ComparePaymentStatuses / ComparePaymentMethods ---------------------------------------------

#[tokio::test]
async fn payment_statuses_are_zero_filled_for_every_requested_status_and_period() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let ana = Uuid::now_v7();
    payments_day(&db, shop, ana, "2025-12-31", 1, 2, 2, 7_000).await;
    payments_day(&db, shop, ana, "2025-12-01", 2, 2, 1, 3_000).await;
    payments_day(&db, shop, ana, "2025-12-01", 2, 3, 1, 9_000).await;

    let answer = h
        .client
        .compare_payment_statuses(owner(
            shop,
            pb::ComparePaymentStatusesRequest {
                granularity: MONTH,
                year: 2025,
                month: 12,
                ..Default::default()
            },
        ))
        .await
        .expect("ComparePaymentStatuses")
        .into_inner();
    let rows: Vec<_> = answer
        .totals
        .iter()
        .map(|row| {
            (
                row.period.as_ref().unwrap().month,
                row.status,
                row.transaction_count,
                amount(row.amount.as_ref()).1,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (12, SUCCEEDED, 3, 10_000),
            (12, FAILED, 1, 9_000),
            (11, SUCCEEDED, 0, 0),
            (11, FAILED, 0, 0),
        ]
    );

    let pending = h
        .client
        .compare_payment_statuses(owner(
            shop,
            pb::ComparePaymentStatusesRequest {
                granularity: MONTH,
                year: 2025,
                month: 12,
                status: 1,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(pending.code(), Code::InvalidArgument);
    assert_eq!(reason(&pending), "INVALID_STATUS");
    h.stop().await;
}

#[tokio::test]
async fn payment_methods_are_zero_filled_over_every_method_in_enum_order() {
    let mut h = Harness::start().await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    payments_day(&db, shop, Uuid::now_v7(), "2024-02-29", 3, 2, 1, 1_234).await;

    let answer = h
        .client
        .compare_payment_methods(admin(pb::ComparePaymentMethodsRequest {
            granularity: MONTH,
            year: 2024,
            month: 2,
            status: SUCCEEDED,
            ..Default::default()
        }))
        .await
        .expect("ComparePaymentMethods")
        .into_inner();
    let rows: Vec<_> = answer
        .totals
        .iter()
        .map(|row| {
            (
                row.period.as_ref().unwrap().month,
                row.method,
                row.transaction_count,
            )
        })
        .collect();
    assert_eq!(
        rows,
        [
            (2, 1, 0),
            (2, 2, 0),
            (2, 3, 1),
            (2, 4, 0),
            (1, 1, 0),
            (1, 2, 0),
            (1, 3, 0),
            (1, 4, 0),
        ]
    );
    h.stop().await;
}

// Errors and cache -----------------------------------------------------------------------------

#[tokio::test]
async fn every_bad_period_field_is_named_with_reason_invalid_period() {
    let mut h = Harness::start().await;
    let status = h
        .client
        .compare_revenue(admin(pb::CompareRevenueRequest {
            granularity: MONTH,
            year: 0,
            month: 13,
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(status.code(), Code::InvalidArgument);
    assert_eq!(reason(&status), "INVALID_PERIOD");
    let details = status.get_error_details();
    let fields: Vec<_> = details
        .bad_request()
        .expect("bad request")
        .field_violations
        .iter()
        .map(|violation| violation.field.clone())
        .collect();
    assert_eq!(fields, ["year", "month"]);

    let bad_id = h
        .client
        .get_category_sales(admin(pb::GetCategorySalesRequest {
            granularity: YEAR,
            year: 2025,
            category_id: "drinks".to_owned(),
            ..Default::default()
        }))
        .await
        .unwrap_err();
    assert_eq!(bad_id.code(), Code::InvalidArgument);
    assert_eq!(
        bad_id.get_error_details().bad_request().unwrap().field_violations[0].field,
        "category_id"
    );
    h.stop().await;
}

#[tokio::test]
async fn a_cached_answer_is_served_until_its_merchants_generation_moves() {
    let mut h = Harness::start_with_cache(300).await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let ana = Uuid::now_v7();
    Day::sale(shop, ana, "2025-04-10", 1_000, 1).insert(&db).await;
    let revenue = |answer: pb::CompareRevenueResponse| amount(answer.totals[0].gross_sales.as_ref()).1;

    let first = h
        .client
        .compare_revenue(owner(shop, compare(2025, 4)))
        .await
        .unwrap();
    assert_eq!(revenue(first.into_inner()), 1_000);
    assert!(answer_cached_for(&h.redis, shop).await, "the answer is stored");
    // The read model changes without an event: the cached answer is still served.
    Day::sale(shop, ana, "2025-04-11", 2_000, 1).insert(&db).await;
    let cached = h
        .client
        .compare_revenue(owner(shop, compare(2025, 4)))
        .await
        .unwrap();
    assert_eq!(revenue(cached.into_inner()), 1_000);

    // What the ingest does after applying an event of the merchant.
    let mut redis = h.redis.get().await.unwrap();
    let _: i64 = redis::cmd("INCR")
        .arg(format!("pos:report:{}gen:{shop}", h.namespace))
        .query_async(&mut *redis)
        .await
        .unwrap();
    drop(redis);
    let fresh = h
        .client
        .compare_revenue(owner(shop, compare(2025, 4)))
        .await
        .unwrap();
    assert_eq!(revenue(fresh.into_inner()), 3_000);
    h.stop().await;
}

#[tokio::test]
async fn a_cached_answer_shows_new_category_names_once_the_labels_generation_moves() {
    let mut h = Harness::start_with_cache(300).await;
    let db = h.db().clone();
    let shop = merchant(&db, "UTC", "IDR").await;
    let drinks = Uuid::now_v7();
    sqlx::query("INSERT INTO reports.categories (category_id, name) VALUES ($1, 'Drinks')")
        .bind(drinks)
        .execute(&db)
        .await
        .unwrap();
    category_day(&db, shop, Uuid::now_v7(), drinks, "2025-05-02", 4_000, 0, 2).await;
    let request = || {
        owner(
            shop,
            pb::GetCategorySalesRequest {
                granularity: YEAR,
                year: 2025,
                ..Default::default()
            },
        )
    };
    let name = |answer: pb::GetCategorySalesResponse| answer.rows[0].category_name.clone();

    assert_eq!(
        name(h.client.get_category_sales(request()).await.unwrap().into_inner()),
        "Drinks"
    );
    sqlx::query("UPDATE reports.categories SET name = 'Beverages' WHERE category_id = $1")
        .bind(drinks)
        .execute(&db)
        .await
        .unwrap();
    assert_eq!(
        name(h.client.get_category_sales(request()).await.unwrap().into_inner()),
        "Drinks"
    );

    // What the ingest does after applying a category rename.
    let mut redis = h.redis.get().await.unwrap();
    let _: i64 = redis::cmd("INCR")
        .arg(format!("pos:report:{}gen:labels", h.namespace))
        .query_async(&mut *redis)
        .await
        .unwrap();
    drop(redis);
    assert_eq!(
        name(h.client.get_category_sales(request()).await.unwrap().into_inner()),
        "Beverages"
    );
    h.stop().await;
}

/// Whether an answer of `merchant`'s generation is in the cache.
async fn answer_cached_for(redis: &pos_platform::redis_pool::RedisPool, merchant: Uuid) -> bool {
    let mut connection = redis.get().await.unwrap();
    let keys: Vec<String> = redis::cmd("KEYS")
        .arg(format!("pos:report:answer:*{merchant}*"))
        .query_async(&mut *connection)
        .await
        .unwrap();
    !keys.is_empty()
}
