//! Reports (issue #8) through the real server: every module in one process, the access layer in
//! front, the report module fed by the events the order and transaction modules publish.
//!
//! Real checkout stamps sales with the current time, and these tests need sales on chosen business
//! days (31 December at 23:30, 29 February, the last day of a month, across time zones). So the
//! tests publish the upstream modules' events themselves, exactly as those modules do: they append
//! `pos.order.v1` OrderPaid / OrderRefunded / OrderCancelled to the order module's outbox and
//! `pos.transaction.v1` PaymentSucceeded / PaymentFailed to the transaction module's outbox; the
//! platform's relays publish them and the report module's consumers apply them. Merchants,
//! cashiers and categories are real ones created through the API, so names and time zones resolve.
//!
//! The last test is the property test of the issue: a seeded random history over several merchants,
//! time zones, month and year boundaries, and every report RPC compared with a brute-force
//! computation from the raw events that implements the metric definitions of the
//! `pos.report.v1.ReportService` comment literally.
//!
//! Redis is shared by every test platform on the machine and answers of platform-wide requests are
//! cached under the global generation: each test asks platform-wide questions only about years no
//! other test uses.

#[path = "support/platform.rs"]
mod platform;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;
use futures::FutureExt as _;
use platform::{CashierSession, MerchantOwner, Session, TestPlatform, bearer, eventually};
use pos_api::Module;
use pos_api::pos::cashier::v1::cashier_service_client::CashierServiceClient;
use pos_api::pos::cashier::v1::{Cashier, GetCashierRequest, UpdateCashierRequest};
use pos_api::pos::category::v1::category_service_client::CategoryServiceClient;
use pos_api::pos::category::v1::{Category, GetCategoryRequest, UpdateCategoryRequest};
use pos_api::pos::common::v1::{EventMeta, Money};
use pos_api::pos::merchant::v1::merchant_service_client::MerchantServiceClient;
use pos_api::pos::merchant::v1::{ApproveMerchantRequest, CreateMerchantRequest, Merchant};
use pos_api::pos::order::v1::{
    OrderCancelled, OrderPaid, OrderPaidLine, OrderRefunded, OrderRefundedLine, OrderState,
};
use pos_api::pos::report::v1::report_service_client::ReportServiceClient;
use pos_api::pos::report::v1::{
    CashierSales, CategorySales, ComparePaymentMethodsRequest, ComparePaymentMethodsResponse,
    ComparePaymentStatusesRequest, ComparePaymentStatusesResponse, CompareRevenueRequest,
    CompareRevenueResponse, GetCashierSalesRequest, GetCategorySalesRequest, GetRevenueBreakdownRequest,
    GetRevenueBreakdownResponse, Granularity, Period, RevenueBasis, RevenueTotals,
};
use pos_api::pos::transaction::v1::{
    PaymentFailed, PaymentFailureReason, PaymentMethod, PaymentSucceeded, Transaction, TransactionKind,
    TransactionStatus,
};
use pos_platform::events::{Outbox, OutboxEvent};
use prost_types::FieldMask;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// How long event-driven effects may take on a loaded two-core machine.
const EVENTUAL: Duration = Duration::from_secs(90);

/// Every payment method a report zero-fills over.
const METHODS: [PaymentMethod; 4] = [
    PaymentMethod::Cash,
    PaymentMethod::Card,
    PaymentMethod::EWallet,
    PaymentMethod::BankTransfer,
];

// ---------------------------------------------------------------------------------------------
// The history the tests publish
// ---------------------------------------------------------------------------------------------

/// A merchant the tests sell for: created through the API with a chosen time zone and currency.
#[derive(Clone, Debug)]
struct Shop {
    id: String,
    tz: Tz,
    currency: String,
    owner: Session,
}

/// One sold line.
#[derive(Clone, Debug)]
struct Line {
    item_id: Uuid,
    product_id: Uuid,
    category_id: String,
    quantity: i64,
    unit_price: i64,
}

impl Line {
    fn value(&self) -> i64 {
        self.quantity * self.unit_price
    }
}

/// An order that became PAID at `paid_at` (OrderPaid).
#[derive(Clone, Debug)]
struct Sale {
    order_id: Uuid,
    shop: Shop,
    cashier_id: String,
    paid_at: DateTime<Utc>,
    lines: Vec<Line>,
    /// Order-level tax: basis PAYMENTS (`total`) differs from basis LINES by it.
    tax: i64,
}

impl Sale {
    fn lines_total(&self) -> i64 {
        self.lines.iter().map(Line::value).sum()
    }

    fn total(&self) -> i64 {
        self.lines_total() + self.tax
    }
}

/// A refund of some of a sale's lines at `at` (OrderRefunded).
#[derive(Clone, Debug)]
struct Refund {
    refund_id: Uuid,
    order_id: Uuid,
    at: DateTime<Utc>,
    /// The refunded lines, `quantity` being the refunded quantity.
    lines: Vec<Line>,
    tax: i64,
}

impl Refund {
    fn lines_amount(&self) -> i64 {
        self.lines.iter().map(Line::value).sum()
    }

    fn amount(&self) -> i64 {
        self.lines_amount() + self.tax
    }
}

/// A payment that became final at `at` (PaymentSucceeded / PaymentFailed).
#[derive(Clone, Debug)]
struct Payment {
    transaction_id: Uuid,
    order_id: Uuid,
    shop: Shop,
    cashier_id: String,
    method: PaymentMethod,
    status: TransactionStatus,
    amount: i64,
    /// Change given back (cash): never part of the figures.
    change: i64,
    at: DateTime<Utc>,
}

/// An open order cancelled at `at` (OrderCancelled): never counts.
#[derive(Clone, Debug)]
struct Cancel {
    order_id: Uuid,
    shop: Shop,
    cashier_id: String,
    at: DateTime<Utc>,
    total: i64,
}

/// Everything a test publishes.
#[derive(Clone, Debug, Default)]
struct History {
    sales: Vec<Sale>,
    refunds: Vec<Refund>,
    payments: Vec<Payment>,
    cancels: Vec<Cancel>,
}

fn money(currency: &str, amount_minor: i64) -> Option<Money> {
    Some(Money {
        currency_code: currency.to_owned(),
        amount_minor,
    })
}

fn timestamp(at: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: 0,
    })
}

fn meta(event_id: Uuid, at: DateTime<Utc>) -> Option<EventMeta> {
    Some(EventMeta {
        event_id: event_id.to_string(),
        occur_time: timestamp(at),
        ..EventMeta::default()
    })
}

/// The instant of local time `y-m-d h:min` in `tz`.
fn local(tz: &str, (y, m, d): (i32, u32, u32), (h, min): (u32, u32)) -> DateTime<Utc> {
    let tz: Tz = tz.parse().expect("an IANA zone");
    tz.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("an unambiguous local time")
        .with_timezone(&Utc)
}

/// The merchant's business day of `at`.
fn business_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

fn paid_message(sale: &Sale, event_id: Uuid) -> OrderPaid {
    let currency = &sale.shop.currency;
    OrderPaid {
        meta: meta(event_id, sale.paid_at),
        order_id: sale.order_id.to_string(),
        merchant_id: sale.shop.id.clone(),
        cashier_id: sale.cashier_id.clone(),
        lines: sale
            .lines
            .iter()
            .map(|line| OrderPaidLine {
                order_item_id: line.item_id.to_string(),
                product_id: line.product_id.to_string(),
                category_id: line.category_id.clone(),
                product_name: format!("Product {}", line.product_id.simple()),
                quantity: line.quantity,
                unit_price: money(currency, line.unit_price),
                line_total: money(currency, line.value()),
            })
            .collect(),
        currency_code: currency.clone(),
        subtotal: money(currency, sale.lines_total()),
        tax_rate_basis_points: 0,
        tax: money(currency, sale.tax),
        total: money(currency, sale.total()),
        create_time: timestamp(sale.paid_at - chrono::Duration::minutes(5)),
        paid_time: timestamp(sale.paid_at),
    }
}

fn refunded_message(history: &History, refund: &Refund, event_id: Uuid) -> OrderRefunded {
    let sale = history.sale(refund.order_id);
    let currency = &sale.shop.currency;
    let refunded_so_far: i64 = history
        .refunds
        .iter()
        .filter(|other| other.order_id == refund.order_id && other.at <= refund.at)
        .map(Refund::amount)
        .sum();
    let fully = refunded_so_far >= sale.total();
    OrderRefunded {
        meta: meta(event_id, refund.at),
        order_id: refund.order_id.to_string(),
        refund_id: refund.refund_id.to_string(),
        merchant_id: sale.shop.id.clone(),
        cashier_id: sale.cashier_id.clone(),
        lines: refund
            .lines
            .iter()
            .map(|line| OrderRefundedLine {
                order_item_id: line.item_id.to_string(),
                product_id: line.product_id.to_string(),
                category_id: line.category_id.clone(),
                quantity: line.quantity,
                unit_price: money(currency, line.unit_price),
                amount: money(currency, line.value()),
                restock: true,
            })
            .collect(),
        currency_code: currency.clone(),
        tax: money(currency, refund.tax),
        amount: money(currency, refund.amount()),
        reason: "customer changed their mind".to_owned(),
        order_state: if fully {
            OrderState::Refunded
        } else {
            OrderState::PartiallyRefunded
        }
        .into(),
        amount_refunded: money(currency, refunded_so_far),
        paid_time: timestamp(sale.paid_at),
        refund_time: timestamp(refund.at),
    }
}

fn transaction(payment: &Payment) -> Transaction {
    let currency = &payment.shop.currency;
    let cash = payment.method == PaymentMethod::Cash;
    Transaction {
        id: payment.transaction_id.to_string(),
        order_id: payment.order_id.to_string(),
        merchant_id: payment.shop.id.clone(),
        cashier_id: payment.cashier_id.clone(),
        kind: TransactionKind::Payment.into(),
        method: payment.method.into(),
        status: payment.status.into(),
        amount: money(currency, payment.amount),
        tendered: if cash {
            money(currency, payment.amount + payment.change)
        } else {
            None
        },
        change: if cash {
            money(currency, payment.change)
        } else {
            None
        },
        failure_reason: if payment.status == TransactionStatus::Failed {
            PaymentFailureReason::Declined.into()
        } else {
            PaymentFailureReason::Unspecified.into()
        },
        create_time: timestamp(payment.at - chrono::Duration::minutes(1)),
        update_time: timestamp(payment.at),
        complete_time: timestamp(payment.at),
        ..Transaction::default()
    }
}

impl History {
    fn sale(&self, order_id: Uuid) -> &Sale {
        self.sales
            .iter()
            .find(|sale| sale.order_id == order_id)
            .expect("a refund of a sale of the history")
    }
}

// ---------------------------------------------------------------------------------------------
// The platform of one test
// ---------------------------------------------------------------------------------------------

/// A platform, a signed-in admin and the ids of the events published so far.
struct Fixture {
    platform: TestPlatform,
    admin: Session,
}

impl Fixture {
    async fn start() -> Self {
        let platform = TestPlatform::start().await;
        let admin = platform.admin().await;
        Fixture { platform, admin }
    }

    async fn stop(self) {
        self.platform.stop().await;
    }

    async fn reports(&self) -> ReportServiceClient<Channel> {
        ReportServiceClient::new(self.platform.channel().await)
    }

    /// A new ACTIVE merchant in `time_zone` and `currency`, with its signed-in owner.
    async fn shop(&self, time_zone: &str, currency: &str) -> Shop {
        let email = format!("owner-{}@example.com", Uuid::now_v7().simple());
        let user_id = self.platform.create_user(&email).await;
        let mut merchants = MerchantServiceClient::new(self.platform.channel().await);
        let merchant = merchants
            .create_merchant(self.platform.as_service(CreateMerchantRequest {
                merchant: Some(Merchant {
                    owner_user_id: user_id,
                    name: format!("Shop in {time_zone}"),
                    currency_code: currency.to_owned(),
                    time_zone: time_zone.to_owned(),
                    ..Merchant::default()
                }),
                request_id: String::new(),
            }))
            .await
            .unwrap_or_else(|status| panic!("CreateMerchant: {status:?}"))
            .into_inner()
            .merchant
            .expect("the created merchant");
        merchants
            .approve_merchant(self.platform.as_service(ApproveMerchantRequest {
                merchant_id: merchant.id.clone(),
            }))
            .await
            .unwrap_or_else(|status| panic!("ApproveMerchant: {status:?}"));
        Shop {
            id: merchant.id,
            tz: time_zone.parse().expect("an IANA zone"),
            currency: currency.to_owned(),
            owner: self.platform.login(&email).await,
        }
    }

    /// A new cashier of `shop`, signed in.
    async fn cashier(&self, shop: &Shop) -> CashierSession {
        self.platform
            .cashier(&MerchantOwner {
                merchant_id: shop.id.clone(),
                session: shop.owner.clone(),
            })
            .await
    }

    async fn cashier_name(&self, cashier_id: &str) -> String {
        CashierServiceClient::new(self.platform.channel().await)
            .get_cashier(self.platform.as_service(GetCashierRequest {
                cashier_id: cashier_id.to_owned(),
            }))
            .await
            .unwrap_or_else(|status| panic!("GetCashier: {status:?}"))
            .into_inner()
            .cashier
            .expect("the cashier")
            .name
    }

    async fn category_name(&self, category_id: &str) -> String {
        CategoryServiceClient::new(self.platform.channel().await)
            .get_category(self.platform.as_service(GetCategoryRequest {
                category_id: category_id.to_owned(),
            }))
            .await
            .unwrap_or_else(|status| panic!("GetCategory: {status:?}"))
            .into_inner()
            .category
            .expect("the category")
            .name
    }

    /// Publishes `history` as the order and transaction modules would (sales first, refunds once
    /// their sales are applied), and waits until the report module applied every event.
    async fn publish(&self, history: &History) {
        let mut sold = Vec::new();
        let mut tx = self.platform.database.pool.begin().await.expect("a transaction");
        for sale in &history.sales {
            let id = Uuid::now_v7();
            let message = paid_message(sale, id);
            append(&mut tx, Module::Order, id, sale.order_id, &message).await;
            sold.push(id);
        }
        for cancel in &history.cancels {
            let id = Uuid::now_v7();
            let message = OrderCancelled {
                meta: meta(id, cancel.at),
                order_id: cancel.order_id.to_string(),
                merchant_id: cancel.shop.id.clone(),
                cashier_id: cancel.cashier_id.clone(),
                total: money(&cancel.shop.currency, cancel.total),
                reason: "customer left".to_owned(),
                cancel_time: timestamp(cancel.at),
            };
            append(&mut tx, Module::Order, id, cancel.order_id, &message).await;
            sold.push(id);
        }
        for payment in &history.payments {
            let id = Uuid::now_v7();
            let transaction = Some(transaction(payment));
            if payment.status == TransactionStatus::Failed {
                let message = PaymentFailed {
                    meta: meta(id, payment.at),
                    transaction,
                };
                append(&mut tx, Module::Transaction, id, payment.order_id, &message).await;
            } else {
                let message = PaymentSucceeded {
                    meta: meta(id, payment.at),
                    transaction,
                    order_total: money(&payment.shop.currency, payment.amount),
                    paid_total: money(&payment.shop.currency, payment.amount),
                    balance_due: money(&payment.shop.currency, 0),
                };
                append(&mut tx, Module::Transaction, id, payment.order_id, &message).await;
            }
            sold.push(id);
        }
        tx.commit().await.expect("the events commit");
        self.applied(&sold).await;

        let mut refunded = Vec::new();
        let mut tx = self.platform.database.pool.begin().await.expect("a transaction");
        let mut refunds = history.refunds.clone();
        refunds.sort_by_key(|refund| refund.at);
        for refund in &refunds {
            let id = Uuid::now_v7();
            let message = refunded_message(history, refund, id);
            append(&mut tx, Module::Order, id, refund.order_id, &message).await;
            refunded.push(id);
        }
        tx.commit().await.expect("the events commit");
        self.applied(&refunded).await;
    }

    /// Waits until the report module recorded every one of `event_ids` in its inbox; on timeout the
    /// panic shows the report consumers' retries and dead letters from /metrics.
    async fn applied(&self, event_ids: &[Uuid]) {
        let pool = &self.platform.database.pool;
        let expected = i64::try_from(event_ids.len()).expect("a few events");
        let deadline = tokio::time::Instant::now() + EVENTUAL;
        let consumers = format!("{}.report@", self.platform.database.name);
        for poll in 0_u32.. {
            let applied: i64 = sqlx::query_scalar(
                "SELECT count(DISTINCT event_id) FROM reports.inbox WHERE event_id = ANY($1)",
            )
            .bind(event_ids)
            .fetch_one(pool)
            .await
            .expect("the inbox is readable");
            if applied == expected {
                return;
            }
            // Every second, and at the deadline: a dead-lettered event will never be applied.
            let late = tokio::time::Instant::now() >= deadline;
            if late || poll % 10 == 9 {
                let metrics = metrics_text(self.platform.pos.admin_addr).await;
                let report: Vec<&str> = metrics
                    .lines()
                    .filter(|line| {
                        line.contains(&consumers) && !line.starts_with('#') && !line.contains("_lag")
                    })
                    .collect();
                let dead = report
                    .iter()
                    .any(|line| line.contains("outcome=\"dead_lettered\""));
                assert!(
                    !late && !dead,
                    "the report module applied {applied} of {expected} events ({}); its consumers:\n{}",
                    if dead {
                        "some were dead-lettered"
                    } else {
                        "timed out"
                    },
                    report.join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    async fn compare_revenue(
        &self,
        token: &str,
        request: CompareRevenueRequest,
    ) -> Result<CompareRevenueResponse, Status> {
        self.reports()
            .await
            .compare_revenue(bearer(token, request))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn breakdown(
        &self,
        token: &str,
        request: GetRevenueBreakdownRequest,
    ) -> Result<GetRevenueBreakdownResponse, Status> {
        self.reports()
            .await
            .get_revenue_breakdown(bearer(token, request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Every page of GetCashierSales.
    async fn cashier_sales(
        &self,
        token: &str,
        request: GetCashierSalesRequest,
    ) -> Result<(Vec<CashierSales>, String), Status> {
        let mut client = self.reports().await;
        let mut rows = Vec::new();
        let mut request = request;
        loop {
            let page = client
                .get_cashier_sales(bearer(token, request.clone()))
                .await?
                .into_inner();
            rows.extend(page.rows);
            if page.next_page_token.is_empty() {
                return Ok((rows, page.time_zone));
            }
            request.page_token = page.next_page_token;
        }
    }

    /// Every page of GetCategorySales.
    async fn category_sales(
        &self,
        token: &str,
        request: GetCategorySalesRequest,
    ) -> Result<(Vec<CategorySales>, String), Status> {
        let mut client = self.reports().await;
        let mut rows = Vec::new();
        let mut request = request;
        loop {
            let page = client
                .get_category_sales(bearer(token, request.clone()))
                .await?
                .into_inner();
            rows.extend(page.rows);
            if page.next_page_token.is_empty() {
                return Ok((rows, page.time_zone));
            }
            request.page_token = page.next_page_token;
        }
    }

    async fn payment_statuses(
        &self,
        token: &str,
        request: ComparePaymentStatusesRequest,
    ) -> Result<ComparePaymentStatusesResponse, Status> {
        self.reports()
            .await
            .compare_payment_statuses(bearer(token, request))
            .await
            .map(tonic::Response::into_inner)
    }

    async fn payment_methods(
        &self,
        token: &str,
        request: ComparePaymentMethodsRequest,
    ) -> Result<ComparePaymentMethodsResponse, Status> {
        self.reports()
            .await
            .compare_payment_methods(bearer(token, request))
            .await
            .map(tonic::Response::into_inner)
    }
}

/// The Prometheus exposition of the process's admin port.
async fn metrics_text(admin_addr: std::net::SocketAddr) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let mut stream = tokio::net::TcpStream::connect(admin_addr)
        .await
        .expect("the admin port accepts connections");
    stream
        .write_all(b"GET /metrics HTTP/1.0\r\nHost: pos\r\n\r\n")
        .await
        .expect("the request is sent");
    let mut response = String::new();
    stream
        .read_to_string(&mut response)
        .await
        .expect("a text response");
    response
}

async fn append<M: prost::Message + prost::Name>(
    tx: &mut sqlx::PgConnection,
    module: Module,
    event_id: Uuid,
    order_id: Uuid,
    message: &M,
) {
    Outbox::of(module)
        .append(tx, &OutboxEvent::new(event_id, order_id.to_string(), message))
        .await
        .expect("the event is appended to the outbox");
}

// ---------------------------------------------------------------------------------------------
// Requests and answers
// ---------------------------------------------------------------------------------------------

/// A report period: `month` 0 for a year.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Label {
    year: i32,
    month: i32,
}

impl Label {
    const fn month(year: i32, month: i32) -> Self {
        Label { year, month }
    }

    const fn year(year: i32) -> Self {
        Label { year, month: 0 }
    }

    fn granularity(self) -> Granularity {
        if self.month == 0 {
            Granularity::Year
        } else {
            Granularity::Month
        }
    }

    /// The business dates of the period, `[start, end)`.
    fn dates(self) -> (NaiveDate, NaiveDate) {
        let first = |year: i32, month: i32| {
            NaiveDate::from_ymd_opt(year, u32::try_from(month).expect("a month"), 1).expect("a date")
        };
        if self.month == 0 {
            (first(self.year, 1), first(self.year + 1, 1))
        } else if self.month == 12 {
            (first(self.year, 12), first(self.year + 1, 1))
        } else {
            (first(self.year, self.month), first(self.year, self.month + 1))
        }
    }

    fn contains(self, date: NaiveDate) -> bool {
        let (start, end) = self.dates();
        start <= date && date < end
    }

    fn previous(self) -> Self {
        match self.month {
            0 => Label::year(self.year - 1),
            1 => Label::month(self.year - 1, 12),
            month => Label::month(self.year, month - 1),
        }
    }

    /// The periods of a breakdown of `year` at this label's granularity.
    fn breakdown(self) -> Vec<Label> {
        if self.month == 0 {
            (self.year - 4..=self.year).map(Label::year).collect()
        } else {
            (1..=12).map(|month| Label::month(self.year, month)).collect()
        }
    }
}

fn label_of(period: Option<&Period>) -> Label {
    let period = period.expect("a period");
    Label {
        year: period.year,
        month: period.month,
    }
}

/// Asserts `period`'s bounds are the local midnights of its first and next period's first day in `tz`.
#[track_caller]
fn assert_bounds(period: Option<&Period>, time_zone: &str) {
    let period = period.expect("a period");
    let tz: Tz = time_zone.parse().expect("an IANA time zone in the response");
    let (start, end) = label_of(Some(period)).dates();
    let midnight = |date: NaiveDate| {
        tz.from_local_datetime(&date.and_hms_opt(0, 0, 0).expect("midnight"))
            .earliest()
            .expect("a local midnight")
            .timestamp()
    };
    let seconds = |at: Option<&prost_types::Timestamp>| at.expect("a bound").seconds;
    assert_eq!(
        (
            seconds(period.start_time.as_ref()),
            seconds(period.end_time.as_ref())
        ),
        (midnight(start), midnight(end)),
        "bounds of {period:?} in {time_zone}"
    );
}

/// The revenue figures of one row (money as minor units of the row's currency).
#[derive(Clone, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Figures {
    gross: i64,
    refunded: i64,
    orders: i64,
    items_sold: i64,
    items_refunded: i64,
    cashiers: i64,
    products: i64,
}

/// The currency of `gross`, `refunded` and `revenue`, checking they agree and revenue = gross − refunded.
#[track_caller]
fn amounts(gross: Option<&Money>, refunded: Option<&Money>, revenue: Option<&Money>) -> (String, i64, i64) {
    let (gross, refunded, revenue) = (
        gross.expect("gross_sales"),
        refunded.expect("refunded"),
        revenue.expect("revenue"),
    );
    assert_eq!(
        gross.currency_code, refunded.currency_code,
        "one currency per row"
    );
    assert_eq!(gross.currency_code, revenue.currency_code, "one currency per row");
    assert_eq!(
        revenue.amount_minor,
        gross.amount_minor - refunded.amount_minor,
        "revenue is gross − refunded"
    );
    (
        gross.currency_code.clone(),
        gross.amount_minor,
        refunded.amount_minor,
    )
}

/// Rows of a CompareRevenue / GetRevenueBreakdown answer as (period, currency, figures).
fn revenue_rows(totals: &[RevenueTotals], time_zone: &str) -> Vec<(Label, String, Figures)> {
    totals
        .iter()
        .map(|row| {
            assert_bounds(row.period.as_ref(), time_zone);
            let (currency, gross, refunded) = amounts(
                row.gross_sales.as_ref(),
                row.refunded.as_ref(),
                row.revenue.as_ref(),
            );
            let figures = Figures {
                gross,
                refunded,
                orders: row.order_count,
                items_sold: row.items_sold,
                items_refunded: row.items_refunded,
                cashiers: row.active_cashiers,
                products: row.unique_products_sold,
            };
            (label_of(row.period.as_ref()), currency, figures)
        })
        .collect()
}

fn month_request(year: i32, month: i32) -> CompareRevenueRequest {
    CompareRevenueRequest {
        granularity: Granularity::Month.into(),
        year,
        month,
        ..CompareRevenueRequest::default()
    }
}

fn compare_request(label: Label) -> CompareRevenueRequest {
    CompareRevenueRequest {
        granularity: label.granularity().into(),
        year: label.year,
        month: label.month,
        ..CompareRevenueRequest::default()
    }
}

/// Asserts `status` has `code` and the ErrorInfo `reason` in domain `pos.report`.
#[track_caller]
fn assert_error(status: &Status, code: Code, reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    let info = status.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(
        (info.domain.as_str(), info.reason.as_str()),
        ("pos.report", reason),
        "{status:?}"
    );
}

/// The fields named by `status`'s BadRequest violations, sorted.
fn violated_fields(status: &Status) -> Vec<String> {
    let mut fields: Vec<String> = status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    fields.sort();
    fields
}

fn line(category_id: &str, quantity: i64, unit_price: i64) -> Line {
    Line {
        item_id: Uuid::now_v7(),
        product_id: Uuid::now_v7(),
        category_id: category_id.to_owned(),
        quantity,
        unit_price,
    }
}

fn sale(shop: &Shop, cashier_id: &str, paid_at: DateTime<Utc>, lines: Vec<Line>, tax: i64) -> Sale {
    Sale {
        order_id: Uuid::now_v7(),
        shop: shop.clone(),
        cashier_id: cashier_id.to_owned(),
        paid_at,
        lines,
        tax,
    }
}

/// A cashier, a category and a one-line sale of `price` at `paid_at` in `shop`, published and applied.
async fn sell_once(fixture: &Fixture, shop: &Shop, paid_at: DateTime<Utc>, price: i64) -> Sale {
    let cashier = fixture.cashier(shop).await;
    let category = fixture.platform.category().await;
    let sold = sale(
        shop,
        &cashier.cashier_id,
        paid_at,
        vec![line(&category, 1, price)],
        0,
    );
    fixture
        .publish(&History {
            sales: vec![sold.clone()],
            ..History::default()
        })
        .await;
    sold
}

/// The merchant-scope CompareRevenue rows of `label` as its owner sees them (merchant implied).
async fn owner_compare(fixture: &Fixture, shop: &Shop, label: Label) -> Vec<(Label, String, Figures)> {
    let answer = fixture
        .compare_revenue(&shop.owner.access_token, compare_request(label))
        .await
        .unwrap_or_else(|status| panic!("CompareRevenue {label:?}: {status:?}"));
    assert_eq!(answer.time_zone, shop.tz.name(), "a single merchant's zone");
    assert!(answer.as_of_time.is_some(), "as_of_time is set");
    revenue_rows(&answer.totals, &answer.time_zone)
}

/// Figures of one sold order of `items` items worth `amount`.
fn one_order(amount: i64, items: i64) -> Figures {
    Figures {
        gross: amount,
        orders: 1,
        items_sold: items,
        cashiers: 1,
        products: 1,
        ..Figures::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Periods and business days
// ---------------------------------------------------------------------------------------------

/// The reference refused month 12 and dropped the last day of every month: December counts, to
/// its last minute, and the sale is not in January.
#[tokio::test]
async fn a_sale_at_23_30_on_31_december_counts_in_december_and_not_in_january() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    sell_once(
        &fixture,
        &shop,
        local("Asia/Jakarta", (2024, 12, 31), (23, 30)),
        50_000,
    )
    .await;

    let december = owner_compare(&fixture, &shop, Label::month(2024, 12)).await;
    assert_eq!(
        december,
        vec![
            (Label::month(2024, 12), "IDR".to_owned(), one_order(50_000, 1)),
            (Label::month(2024, 11), "IDR".to_owned(), Figures::default()),
        ]
    );
    let january = owner_compare(&fixture, &shop, Label::month(2025, 1)).await;
    assert_eq!(
        january,
        vec![
            (Label::month(2025, 1), "IDR".to_owned(), Figures::default()),
            (Label::month(2024, 12), "IDR".to_owned(), one_order(50_000, 1)),
        ],
        "January compares with December of the year before"
    );
    fixture.stop().await;
}

/// 29 February of a leap year is a business day of February and of its year.
#[tokio::test]
async fn a_sale_on_29_february_2024_counts_in_february_and_in_the_year_2024() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    sell_once(
        &fixture,
        &shop,
        local("Asia/Jakarta", (2024, 2, 29), (12, 0)),
        20_000,
    )
    .await;

    let february = owner_compare(&fixture, &shop, Label::month(2024, 2)).await;
    assert_eq!(
        february[0],
        (Label::month(2024, 2), "IDR".to_owned(), one_order(20_000, 1))
    );
    let march = owner_compare(&fixture, &shop, Label::month(2024, 3)).await;
    assert_eq!(
        march[1],
        (Label::month(2024, 2), "IDR".to_owned(), one_order(20_000, 1))
    );
    assert_eq!(march[0].2, Figures::default(), "nothing in March");
    let year = owner_compare(&fixture, &shop, Label::year(2024)).await;
    assert_eq!(
        year,
        vec![
            (Label::year(2024), "IDR".to_owned(), one_order(20_000, 1)),
            (Label::year(2023), "IDR".to_owned(), Figures::default()),
        ]
    );
    let months = fixture
        .breakdown(
            &shop.owner.access_token,
            GetRevenueBreakdownRequest {
                granularity: Granularity::Month.into(),
                year: 2024,
                ..GetRevenueBreakdownRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        revenue_rows(&months.totals, &months.time_zone),
        vec![(Label::month(2024, 2), "IDR".to_owned(), one_order(20_000, 1))],
        "a breakdown lists only the periods with activity"
    );
    fixture.stop().await;
}

/// The last day of a 30-day month (30 April, 23:30 local) is inside April.
#[tokio::test]
async fn the_last_day_of_a_30_day_month_is_included_in_that_month() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    sell_once(
        &fixture,
        &shop,
        local("Asia/Jakarta", (2024, 4, 30), (23, 30)),
        30_000,
    )
    .await;

    let april = owner_compare(&fixture, &shop, Label::month(2024, 4)).await;
    assert_eq!(
        april[0],
        (Label::month(2024, 4), "IDR".to_owned(), one_order(30_000, 1))
    );
    let may = owner_compare(&fixture, &shop, Label::month(2024, 5)).await;
    assert_eq!(may[0].2, Figures::default(), "nothing in May");
    fixture.stop().await;
}

/// 23:30 on 31 January is 16:30 UTC the same day in Jakarta but 04:30 UTC on 1 February in New York:
/// each sale lands on its merchant's local day, January; and 00:30 on 1 January in Auckland
/// (11:30 UTC on 31 December) is in January and in the new year.
#[tokio::test]
async fn a_sale_lands_on_the_merchants_local_day_whatever_the_utc_day() {
    let fixture = Fixture::start().await;
    let jakarta = fixture.shop("Asia/Jakarta", "IDR").await;
    let new_york = fixture.shop("America/New_York", "USD").await;
    let auckland = fixture.shop("Pacific/Auckland", "NZD").await;
    let in_new_york = local("America/New_York", (2025, 1, 31), (23, 30));
    assert_eq!(
        in_new_york.date_naive(),
        NaiveDate::from_ymd_opt(2025, 2, 1).unwrap()
    );
    let in_auckland = local("Pacific/Auckland", (2025, 1, 1), (0, 30));
    assert_eq!(
        in_auckland.date_naive(),
        NaiveDate::from_ymd_opt(2024, 12, 31).unwrap()
    );
    sell_once(
        &fixture,
        &jakarta,
        local("Asia/Jakarta", (2025, 1, 31), (23, 30)),
        10_000,
    )
    .await;
    sell_once(&fixture, &new_york, in_new_york, 1_500).await;
    sell_once(&fixture, &auckland, in_auckland, 2_500).await;

    for (shop, amount) in [(&jakarta, 10_000), (&new_york, 1_500), (&auckland, 2_500)] {
        let january = owner_compare(&fixture, shop, Label::month(2025, 1)).await;
        assert_eq!(
            january,
            vec![
                (Label::month(2025, 1), shop.currency.clone(), one_order(amount, 1)),
                (Label::month(2024, 12), shop.currency.clone(), Figures::default()),
            ],
            "{}",
            shop.tz
        );
    }
    let auckland_years = owner_compare(&fixture, &auckland, Label::year(2025)).await;
    assert_eq!(
        auckland_years[0],
        (Label::year(2025), "NZD".to_owned(), one_order(2_500, 1))
    );
    assert_eq!(
        auckland_years[1].2,
        Figures::default(),
        "nothing in 2024 in Auckland"
    );
    fixture.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Metrics
// ---------------------------------------------------------------------------------------------

/// A March sale of three lines in two categories (with tax) and an April refund of part of it:
/// March has the sale once, April only the refund, so April's revenue is negative; a category's
/// figures are only its own lines; basis LINES values lines without the tax.
#[tokio::test]
async fn revenue_is_paid_minus_refunded_with_each_refund_on_its_own_day() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    let cashier = fixture.cashier(&shop).await;
    let drinks = fixture.platform.category().await;
    let snacks = fixture.platform.category().await;
    let sold = sale(
        &shop,
        &cashier.cashier_id,
        local("Asia/Jakarta", (2024, 3, 15), (10, 0)),
        vec![
            line(&drinks, 2, 10_000),
            line(&drinks, 1, 5_000),
            line(&snacks, 3, 4_000),
        ],
        3_700,
    );
    // 2 × 10 000 + 5 000 + 3 × 4 000 = 37 000 of lines, 40 700 paid.
    assert_eq!((sold.lines_total(), sold.total()), (37_000, 40_700));
    let mut refunded_line = sold.lines[0].clone();
    refunded_line.quantity = 1;
    let refund = Refund {
        refund_id: Uuid::now_v7(),
        order_id: sold.order_id,
        at: local("Asia/Jakarta", (2024, 4, 2), (9, 0)),
        lines: vec![refunded_line],
        tax: 1_000,
    };
    fixture
        .publish(&History {
            sales: vec![sold.clone()],
            refunds: vec![refund],
            ..History::default()
        })
        .await;

    let april = owner_compare(&fixture, &shop, Label::month(2024, 4)).await;
    let march_sale = Figures {
        gross: 40_700,
        orders: 1,
        items_sold: 6,
        cashiers: 1,
        products: 3,
        ..Figures::default()
    };
    let april_refund = Figures {
        refunded: 11_000,
        items_refunded: 1,
        ..Figures::default()
    };
    assert_eq!(
        april,
        vec![
            (Label::month(2024, 4), "IDR".to_owned(), april_refund.clone()),
            (Label::month(2024, 3), "IDR".to_owned(), march_sale),
        ],
        "the order counts once in March; the refund only in April"
    );
    let answer = fixture
        .compare_revenue(&shop.owner.access_token, compare_request(Label::month(2024, 4)))
        .await
        .unwrap();
    assert_eq!(
        answer.totals[0].revenue.as_ref().unwrap().amount_minor,
        -11_000,
        "April's revenue is negative"
    );

    let lines = fixture
        .compare_revenue(
            &shop.owner.access_token,
            CompareRevenueRequest {
                basis: RevenueBasis::Lines.into(),
                ..compare_request(Label::month(2024, 4))
            },
        )
        .await
        .unwrap();
    let lines = revenue_rows(&lines.totals, &lines.time_zone);
    assert_eq!(
        (lines[0].2.refunded, lines[1].2.gross),
        (10_000, 37_000),
        "basis LINES"
    );

    let snacks_only = fixture
        .compare_revenue(
            &shop.owner.access_token,
            CompareRevenueRequest {
                category_id: snacks.clone(),
                ..compare_request(Label::month(2024, 3))
            },
        )
        .await
        .unwrap();
    assert_eq!(
        revenue_rows(&snacks_only.totals, &snacks_only.time_zone)[0].2,
        Figures {
            gross: 12_000,
            orders: 1,
            items_sold: 3,
            cashiers: 1,
            products: 1,
            ..Figures::default()
        },
        "a category's revenue is only its lines (no fan-out of the order's total)"
    );
    fixture.stop().await;
}

/// Both periods always appear, the requested one first, zero-filled in the merchant's currency.
#[tokio::test]
async fn compare_revenue_returns_the_requested_and_the_previous_period_zero_filled() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("America/New_York", "USD").await;

    let january = owner_compare(&fixture, &shop, Label::month(2025, 1)).await;
    assert_eq!(
        january,
        vec![
            (Label::month(2025, 1), "USD".to_owned(), Figures::default()),
            (Label::month(2024, 12), "USD".to_owned(), Figures::default()),
        ]
    );
    let year = owner_compare(&fixture, &shop, Label::year(2025)).await;
    assert_eq!(
        year,
        vec![
            (Label::year(2025), "USD".to_owned(), Figures::default()),
            (Label::year(2024), "USD".to_owned(), Figures::default()),
        ]
    );
    let order = fixture
        .compare_revenue(
            &fixture.admin.access_token,
            CompareRevenueRequest {
                order_id: Uuid::now_v7().to_string(),
                merchant_id: shop.id.clone(),
                ..month_request(2025, 1)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        revenue_rows(&order.totals, &order.time_zone)
            .into_iter()
            .map(|(label, _, figures)| (label, figures))
            .collect::<Vec<_>>(),
        vec![
            (Label::month(2025, 1), Figures::default()),
            (Label::month(2024, 12), Figures::default()),
        ],
        "an unknown order gives zeros"
    );
    fixture.stop().await;
}

/// Failed attempts count (with their attempted amount) next to succeeded payments; cash change is
/// excluded; every method appears zero-filled in both periods.
#[tokio::test]
async fn failed_payments_are_counted_by_status_and_by_method_zero_filled_over_every_method() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    let cashier = fixture.cashier(&shop).await;
    let order_id = Uuid::now_v7();
    let at = |day: u32, hour: u32| local("Asia/Jakarta", (2024, 6, day), (hour, 0));
    let payment = |method, status, amount, change, at| Payment {
        transaction_id: Uuid::now_v7(),
        order_id,
        shop: shop.clone(),
        cashier_id: cashier.cashier_id.clone(),
        method,
        status,
        amount,
        change,
        at,
    };
    fixture
        .publish(&History {
            payments: vec![
                payment(
                    PaymentMethod::Card,
                    TransactionStatus::Failed,
                    30_000,
                    0,
                    at(30, 23),
                ),
                payment(
                    PaymentMethod::Cash,
                    TransactionStatus::Succeeded,
                    20_000,
                    5_000,
                    at(30, 23),
                ),
                payment(
                    PaymentMethod::EWallet,
                    TransactionStatus::Succeeded,
                    10_000,
                    0,
                    at(1, 0),
                ),
            ],
            ..History::default()
        })
        .await;

    let statuses = fixture
        .payment_statuses(
            &shop.owner.access_token,
            ComparePaymentStatusesRequest {
                granularity: Granularity::Month.into(),
                year: 2024,
                month: 6,
                ..ComparePaymentStatusesRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(statuses.time_zone, "Asia/Jakarta");
    let rows: Vec<_> = statuses
        .totals
        .iter()
        .map(|row| {
            assert_bounds(row.period.as_ref(), &statuses.time_zone);
            let amount = row.amount.as_ref().expect("an amount");
            (
                label_of(row.period.as_ref()),
                row.status(),
                amount.currency_code.clone(),
                row.transaction_count,
                amount.amount_minor,
            )
        })
        .collect();
    let (june, may) = (Label::month(2024, 6), Label::month(2024, 5));
    let idr = || "IDR".to_owned();
    assert_eq!(
        rows,
        vec![
            (june, TransactionStatus::Succeeded, idr(), 2, 30_000),
            (june, TransactionStatus::Failed, idr(), 1, 30_000),
            (may, TransactionStatus::Succeeded, idr(), 0, 0),
            (may, TransactionStatus::Failed, idr(), 0, 0),
        ]
    );

    let methods = fixture
        .payment_methods(
            &shop.owner.access_token,
            ComparePaymentMethodsRequest {
                granularity: Granularity::Month.into(),
                year: 2024,
                month: 6,
                ..ComparePaymentMethodsRequest::default()
            },
        )
        .await
        .unwrap();
    let rows: Vec<_> = methods
        .totals
        .iter()
        .map(|row| {
            assert_bounds(row.period.as_ref(), &methods.time_zone);
            let amount = row.amount.as_ref().expect("an amount");
            (
                label_of(row.period.as_ref()),
                row.method(),
                row.status(),
                row.transaction_count,
                amount.amount_minor,
            )
        })
        .collect();
    let mut expected = Vec::new();
    for period in [june, may] {
        for method in METHODS {
            for status in [TransactionStatus::Succeeded, TransactionStatus::Failed] {
                let (count, amount) = match (period == june, method, status) {
                    (true, PaymentMethod::Cash, TransactionStatus::Succeeded) => (1, 20_000),
                    (true, PaymentMethod::EWallet, TransactionStatus::Succeeded) => (1, 10_000),
                    (true, PaymentMethod::Card, TransactionStatus::Failed) => (1, 30_000),
                    _ => (0, 0),
                };
                expected.push((period, method, status, count, amount));
            }
        }
    }
    assert_eq!(rows, expected);

    let failed_only = fixture
        .payment_methods(
            &shop.owner.access_token,
            ComparePaymentMethodsRequest {
                granularity: Granularity::Month.into(),
                year: 2024,
                month: 6,
                status: TransactionStatus::Failed.into(),
                ..ComparePaymentMethodsRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        failed_only.totals.len(),
        2 * METHODS.len(),
        "every method, FAILED only, two periods"
    );
    assert!(
        failed_only
            .totals
            .iter()
            .all(|row| row.status() == TransactionStatus::Failed)
    );
    fixture.stop().await;
}

/// Money given back for an order that was never sold (cancelled before its payment landed) is not
/// a sales figure: the refund is applied and ignored, and the merchant's month stays at zero.
#[tokio::test]
async fn a_refund_of_an_order_never_sold_is_not_a_sales_figure() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    let cashier = fixture.cashier(&shop).await;
    let category = fixture.platform.category().await;
    let at = local("Asia/Jakarta", (2024, 11, 20), (10, 0));
    let never_sold = sale(&shop, &cashier.cashier_id, at, vec![line(&category, 1, 5_000)], 0);
    let refund = Refund {
        refund_id: Uuid::now_v7(),
        order_id: never_sold.order_id,
        at: at + chrono::Duration::hours(1),
        lines: never_sold.lines.clone(),
        tax: 0,
    };
    let history = History {
        sales: vec![never_sold.clone()],
        refunds: vec![refund.clone()],
        ..History::default()
    };
    let id = Uuid::now_v7();
    let mut tx = fixture.platform.database.pool.begin().await.unwrap();
    append(
        &mut tx,
        Module::Order,
        id,
        refund.order_id,
        &refunded_message(&history, &refund, id),
    )
    .await;
    tx.commit().await.unwrap();
    fixture.applied(&[id]).await;

    let november = owner_compare(&fixture, &shop, Label::month(2024, 11)).await;
    assert_eq!(
        november[0],
        (Label::month(2024, 11), "IDR".to_owned(), Figures::default())
    );
    fixture.stop().await;
}

/// A sale may be consumed before its merchant's MerchantCreated (another topic): the report module
/// then asks MerchantService.GetMerchant for the zone, and the sale lands on the local day.
#[tokio::test]
async fn a_sale_of_a_merchant_not_learnt_yet_is_cut_in_the_zone_the_merchant_module_gives() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("America/New_York", "USD").await;
    let pool = &fixture.platform.database.pool;
    let merchant_id = Uuid::parse_str(&shop.id).unwrap();
    // Once MerchantCreated was applied, forget the merchant: as if the sale came first.
    eventually(EVENTUAL, "the merchant learnt from its events", || async move {
        let known: i64 = sqlx::query_scalar("SELECT count(*) FROM reports.merchants WHERE merchant_id = $1")
            .bind(merchant_id)
            .fetch_one(pool)
            .await
            .unwrap();
        (known == 1).then_some(())
    })
    .await;
    sqlx::query("DELETE FROM reports.merchants WHERE merchant_id = $1")
        .bind(merchant_id)
        .execute(pool)
        .await
        .unwrap();

    sell_once(
        &fixture,
        &shop,
        local("America/New_York", (2025, 1, 31), (23, 30)),
        1_500,
    )
    .await;

    let january = owner_compare(&fixture, &shop, Label::month(2025, 1)).await;
    assert_eq!(
        january[0],
        (Label::month(2025, 1), "USD".to_owned(), one_order(1_500, 1))
    );
    fixture.stop().await;
}

/// The same OrderPaid delivered twice (two deliveries of one message) counts once.
#[tokio::test]
async fn a_redelivered_sale_counts_once() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    let cashier = fixture.cashier(&shop).await;
    let category = fixture.platform.category().await;
    let sold = sale(
        &shop,
        &cashier.cashier_id,
        local("Asia/Jakarta", (2024, 7, 7), (7, 0)),
        vec![line(&category, 2, 2_500)],
        0,
    );
    // The same message (same `meta.event_id`) in two outbox rows: delivered twice.
    let message = paid_message(&sold, Uuid::now_v7());
    let deliveries = [Uuid::now_v7(), Uuid::now_v7()];
    for delivery in deliveries {
        let mut tx = fixture.platform.database.pool.begin().await.unwrap();
        append(&mut tx, Module::Order, delivery, sold.order_id, &message).await;
        tx.commit().await.unwrap();
    }
    fixture.applied(&deliveries).await;

    let july = owner_compare(&fixture, &shop, Label::month(2024, 7)).await;
    assert_eq!(july[0].2, one_order(5_000, 2));
    fixture.stop().await;
}

/// Cashier and category rows carry the current names: a rename relabels past sales.
#[tokio::test]
async fn cashier_and_category_rows_carry_their_current_names() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    let cashier = fixture.cashier(&shop).await;
    let category = fixture.platform.category().await;
    sell_with(&fixture, &shop, &cashier, &category).await;

    CashierServiceClient::new(fixture.platform.channel().await)
        .update_cashier(fixture.platform.as_service(UpdateCashierRequest {
            cashier: Some(Cashier {
                id: cashier.cashier_id.clone(),
                name: "Renamed Kasir".to_owned(),
                ..Cashier::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["name".to_owned()],
            }),
        }))
        .await
        .unwrap();
    CategoryServiceClient::new(fixture.platform.channel().await)
        .update_category(fixture.platform.as_service(UpdateCategoryRequest {
            category: Some(Category {
                id: category.clone(),
                name: "Renamed Category".to_owned(),
                ..Category::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["name".to_owned()],
            }),
        }))
        .await
        .unwrap();

    let year = |granularity: Granularity| GetCashierSalesRequest {
        granularity: granularity.into(),
        year: 2024,
        ..GetCashierSalesRequest::default()
    };
    eventually(EVENTUAL, "the cashier's new name", || async {
        let (rows, _) = fixture
            .cashier_sales(&shop.owner.access_token, year(Granularity::Month))
            .await
            .unwrap();
        (rows.len() == 1 && rows[0].cashier_name == "Renamed Kasir").then_some(())
    })
    .await;
    eventually(EVENTUAL, "the category's new name", || async {
        let (rows, _) = fixture
            .category_sales(
                &shop.owner.access_token,
                GetCategorySalesRequest {
                    granularity: Granularity::Year.into(),
                    year: 2024,
                    ..GetCategorySalesRequest::default()
                },
            )
            .await
            .unwrap();
        (rows.len() == 1 && rows[0].category_name == "Renamed Category").then_some(())
    })
    .await;
    fixture.stop().await;
}

/// One sale by `cashier` of a line of `category` in March 2024, published and applied.
async fn sell_with(fixture: &Fixture, shop: &Shop, cashier: &CashierSession, category: &str) {
    let at = local("Asia/Jakarta", (2024, 3, 3), (3, 0));
    fixture
        .publish(&History {
            sales: vec![sale(
                shop,
                &cashier.cashier_id,
                at,
                vec![line(category, 1, 1_000)],
                0,
            )],
            ..History::default()
        })
        .await;
}

// ---------------------------------------------------------------------------------------------
// Access and validation
// ---------------------------------------------------------------------------------------------

/// An admin sees the platform (zones in UTC) and any merchant (in that merchant's zone).
#[tokio::test]
async fn an_admin_sees_the_platform_and_any_merchant() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    sell_once(
        &fixture,
        &shop,
        local("Asia/Jakarta", (2019, 7, 1), (8, 0)),
        7_000,
    )
    .await;

    let platform = fixture
        .compare_revenue(&fixture.admin.access_token, month_request(2019, 7))
        .await
        .unwrap();
    assert_eq!(platform.time_zone, "UTC");
    assert_eq!(
        revenue_rows(&platform.totals, &platform.time_zone)[0],
        (Label::month(2019, 7), "IDR".to_owned(), one_order(7_000, 1))
    );
    let merchant = fixture
        .compare_revenue(
            &fixture.admin.access_token,
            CompareRevenueRequest {
                merchant_id: shop.id.clone(),
                ..month_request(2019, 7)
            },
        )
        .await
        .unwrap();
    assert_eq!(merchant.time_zone, "Asia/Jakarta");
    assert_eq!(
        revenue_rows(&merchant.totals, &merchant.time_zone)[0],
        (Label::month(2019, 7), "IDR".to_owned(), one_order(7_000, 1))
    );
    fixture.stop().await;
}

/// An owner's merchant is implied; another merchant is refused.
#[tokio::test]
async fn an_owner_sees_its_own_merchant_and_is_refused_another() {
    let fixture = Fixture::start().await;
    let mine = fixture.shop("Asia/Jakarta", "IDR").await;
    let theirs = fixture.shop("Asia/Jakarta", "IDR").await;
    sell_once(
        &fixture,
        &mine,
        local("Asia/Jakarta", (2024, 8, 1), (8, 0)),
        9_000,
    )
    .await;
    sell_once(
        &fixture,
        &theirs,
        local("Asia/Jakarta", (2024, 8, 1), (9, 0)),
        4_000,
    )
    .await;

    let implied = owner_compare(&fixture, &mine, Label::month(2024, 8)).await;
    assert_eq!(implied[0].2, one_order(9_000, 1), "only the owner's merchant");
    let explicit = fixture
        .compare_revenue(
            &mine.owner.access_token,
            CompareRevenueRequest {
                merchant_id: mine.id.clone(),
                ..month_request(2024, 8)
            },
        )
        .await
        .unwrap();
    assert_eq!(
        revenue_rows(&explicit.totals, &explicit.time_zone)[0].2,
        one_order(9_000, 1)
    );

    let refused = fixture
        .compare_revenue(
            &mine.owner.access_token,
            CompareRevenueRequest {
                merchant_id: theirs.id.clone(),
                ..month_request(2024, 8)
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::PermissionDenied, "REPORT_SCOPE_DENIED");
    let refused = fixture
        .cashier_sales(
            &mine.owner.access_token,
            GetCashierSalesRequest {
                granularity: Granularity::Month.into(),
                year: 2024,
                merchant_id: theirs.id.clone(),
                ..GetCashierSalesRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::PermissionDenied, "REPORT_SCOPE_DENIED");
    fixture.stop().await;
}

/// A cashier's figures are only its own sales; naming another cashier or merchant is refused.
#[tokio::test]
async fn a_cashier_sees_only_its_own_figures() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    let other_shop = fixture.shop("Asia/Jakarta", "IDR").await;
    let me = fixture.cashier(&shop).await;
    let colleague = fixture.cashier(&shop).await;
    let category = fixture.platform.category().await;
    let at = local("Asia/Jakarta", (2024, 9, 10), (12, 0));
    fixture
        .publish(&History {
            sales: vec![
                sale(&shop, &me.cashier_id, at, vec![line(&category, 1, 6_000)], 0),
                sale(
                    &shop,
                    &colleague.cashier_id,
                    at,
                    vec![line(&category, 2, 8_000)],
                    0,
                ),
            ],
            ..History::default()
        })
        .await;
    let token = &me.session.access_token;

    let mine = fixture
        .compare_revenue(token, month_request(2024, 9))
        .await
        .unwrap();
    assert_eq!(
        mine.time_zone, "Asia/Jakarta",
        "a cashier's scope is its merchant's"
    );
    assert_eq!(
        revenue_rows(&mine.totals, &mine.time_zone)[0].2,
        one_order(6_000, 1)
    );
    let (rows, _) = fixture
        .cashier_sales(
            token,
            GetCashierSalesRequest {
                granularity: Granularity::Month.into(),
                year: 2024,
                ..GetCashierSalesRequest::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(
        rows.iter().map(|row| row.cashier_id.as_str()).collect::<Vec<_>>(),
        vec![me.cashier_id.as_str()],
        "only the caller's row"
    );
    assert_eq!(rows[0].cashier_name, fixture.cashier_name(&me.cashier_id).await);

    let refused = fixture
        .compare_revenue(
            token,
            CompareRevenueRequest {
                cashier_id: colleague.cashier_id.clone(),
                ..month_request(2024, 9)
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::PermissionDenied, "REPORT_SCOPE_DENIED");
    let refused = fixture
        .compare_revenue(
            token,
            CompareRevenueRequest {
                merchant_id: other_shop.id.clone(),
                ..month_request(2024, 9)
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::PermissionDenied, "REPORT_SCOPE_DENIED");
    fixture.stop().await;
}

/// Month 13, an unspecified granularity and year 0 are refused with the violated fields; PENDING
/// is not a final status; basis PAYMENTS cannot be narrowed to a category.
#[tokio::test]
async fn invalid_periods_statuses_and_bases_are_refused_with_their_reasons() {
    let fixture = Fixture::start().await;
    let token = &fixture.admin.access_token;

    let refused = fixture
        .compare_revenue(token, month_request(2024, 13))
        .await
        .unwrap_err();
    assert_error(&refused, Code::InvalidArgument, "INVALID_PERIOD");
    assert_eq!(violated_fields(&refused), vec!["month"]);
    let refused = fixture
        .compare_revenue(
            token,
            CompareRevenueRequest {
                granularity: Granularity::Unspecified.into(),
                ..month_request(2024, 1)
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::InvalidArgument, "INVALID_PERIOD");
    assert_eq!(violated_fields(&refused), vec!["granularity"]);
    let refused = fixture
        .breakdown(
            token,
            GetRevenueBreakdownRequest {
                granularity: Granularity::Year.into(),
                year: 0,
                ..GetRevenueBreakdownRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::InvalidArgument, "INVALID_PERIOD");
    assert_eq!(violated_fields(&refused), vec!["year"]);
    let ignored_month = fixture
        .compare_revenue(
            token,
            CompareRevenueRequest {
                granularity: Granularity::Year.into(),
                year: 2024,
                month: 13,
                ..CompareRevenueRequest::default()
            },
        )
        .await;
    assert!(
        ignored_month.is_ok(),
        "month is ignored for YEAR: {ignored_month:?}"
    );

    let refused = fixture
        .payment_statuses(
            token,
            ComparePaymentStatusesRequest {
                granularity: Granularity::Month.into(),
                year: 2024,
                month: 1,
                status: TransactionStatus::Pending.into(),
                ..ComparePaymentStatusesRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::InvalidArgument, "INVALID_STATUS");
    let refused = fixture
        .payment_methods(
            token,
            ComparePaymentMethodsRequest {
                granularity: Granularity::Month.into(),
                year: 2024,
                month: 1,
                status: TransactionStatus::Pending.into(),
                ..ComparePaymentMethodsRequest::default()
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::InvalidArgument, "INVALID_STATUS");
    let refused = fixture
        .compare_revenue(
            token,
            CompareRevenueRequest {
                category_id: Uuid::now_v7().to_string(),
                basis: RevenueBasis::Payments.into(),
                ..month_request(2024, 1)
            },
        )
        .await
        .unwrap_err();
    assert_error(&refused, Code::InvalidArgument, "BASIS_NOT_SUPPORTED");
    fixture.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Cache and rebuild
// ---------------------------------------------------------------------------------------------

/// An answer is cached; once one more sale is applied the next answers include it, and never go
/// back to the old value.
#[tokio::test]
async fn a_cached_answer_gives_way_to_a_new_sale_and_never_comes_back() {
    let fixture = Fixture::start().await;
    let shop = fixture.shop("Asia/Jakarta", "IDR").await;
    let cashier = fixture.cashier(&shop).await;
    let category = fixture.platform.category().await;
    let at = local("Asia/Jakarta", (2024, 10, 5), (12, 0));
    fixture
        .publish(&History {
            sales: vec![sale(
                &shop,
                &cashier.cashier_id,
                at,
                vec![line(&category, 1, 1_000)],
                0,
            )],
            ..History::default()
        })
        .await;
    let gross = || async {
        owner_compare(&fixture, &shop, Label::month(2024, 10)).await[0]
            .2
            .gross
    };
    assert_eq!(gross().await, 1_000);
    assert_eq!(
        gross().await,
        1_000,
        "asked twice: the second answer may come from the cache"
    );

    let second = sale(&shop, &cashier.cashier_id, at, vec![line(&category, 1, 2_000)], 0);
    let id = Uuid::now_v7();
    let mut tx = fixture.platform.database.pool.begin().await.unwrap();
    append(
        &mut tx,
        Module::Order,
        id,
        second.order_id,
        &paid_message(&second, id),
    )
    .await;
    tx.commit().await.unwrap();

    eventually(EVENTUAL, "the new sale in the answer", || async {
        let seen = gross().await;
        assert!(seen == 1_000 || seen == 3_000, "unexpected gross {seen}");
        (seen == 3_000).then_some(())
    })
    .await;
    for _ in 0..10 {
        assert_eq!(gross().await, 3_000, "the old answer never comes back");
    }
    fixture.stop().await;
}

/// Every rollup table, as sorted JSON rows.
async fn rollups(pool: &sqlx::PgPool) -> BTreeMap<&'static str, Vec<String>> {
    let mut tables = BTreeMap::new();
    for table in [
        "daily_sales",
        "daily_category_sales",
        "daily_payments",
        "monthly_sales",
        "monthly_category_sales",
        "monthly_payments",
        "monthly_products",
        "monthly_merchant_category_sales",
        "monthly_merchant_products",
    ] {
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT to_jsonb(t)::text FROM reports.{table} t ORDER BY 1"
        )))
        .fetch_all(pool)
        .await
        .expect("the rollup is readable");
        tables.insert(table, rows);
    }
    tables
}

/// Rebuilding the rollups from the facts gives exactly the tables the consumers maintained.
#[tokio::test]
async fn rebuilding_the_rollups_from_the_facts_gives_the_same_tables() {
    let fixture = Fixture::start().await;
    let world = World::create(&fixture, 2).await;
    let history = world.history(&mut Rng::new(8_008), 30);
    fixture.publish(&history).await;
    let pool = &fixture.platform.database.pool;

    let maintained = rollups(pool).await;
    assert!(
        !maintained["daily_sales"].is_empty(),
        "the history produced rollups"
    );
    let rebuilt = pos_report::rebuild::rebuild(pool)
        .await
        .expect("the rebuild succeeds");
    assert_eq!(
        (rebuilt.sales, rebuilt.refunds, rebuilt.payments),
        (
            i64::try_from(history.sales.len()).unwrap(),
            i64::try_from(history.refunds.len()).unwrap(),
            i64::try_from(history.payments.len()).unwrap()
        )
    );
    assert_eq!(rollups(pool).await, maintained);
    fixture.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The property test: every report against a brute-force computation from the events
// ---------------------------------------------------------------------------------------------

/// A deterministic generator (SplitMix64): a failing seed reproduces.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `low..=high`.
    fn between(&mut self, low: i64, high: i64) -> i64 {
        let span = u64::try_from(high - low + 1).expect("a non-empty range");
        low + i64::try_from(self.next() % span).expect("a small number")
    }

    fn chance(&mut self, percent: i64) -> bool {
        self.between(1, 100) <= percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let last = i64::try_from(items.len()).expect("a few items") - 1;
        &items[usize::try_from(self.between(0, last)).expect("an index")]
    }
}

/// A product of a shop: fixed category and price.
#[derive(Clone, Debug)]
struct Item {
    product_id: Uuid,
    category_id: String,
    unit_price: i64,
}

/// The merchants, cashiers, categories and products a random history sells with.
struct World {
    shops: Vec<Shop>,
    /// (shop index, cashier).
    cashiers: Vec<(usize, CashierSession)>,
    categories: Vec<String>,
    /// Products per shop.
    items: Vec<Vec<Item>>,
}

/// Instants near which the random events happen: around year and month ends (UTC).
const ANCHORS: [(i32, u32, u32); 8] = [
    (2035, 12, 31),
    (2036, 1, 1),
    (2036, 1, 31),
    (2036, 2, 29),
    (2036, 3, 1),
    (2036, 4, 30),
    (2036, 12, 31),
    (2037, 1, 1),
];

impl World {
    /// Four merchants (UTC, Jakarta and New York, Auckland) with `cashiers_per_shop` cashiers each,
    /// three categories.
    async fn create(fixture: &Fixture, cashiers_per_shop: usize) -> Self {
        let shops = vec![
            fixture.shop("UTC", "IDR").await,
            fixture.shop("Asia/Jakarta", "IDR").await,
            fixture.shop("America/New_York", "USD").await,
            fixture.shop("Pacific/Auckland", "NZD").await,
        ];
        let mut cashiers = Vec::new();
        for (index, shop) in shops.iter().enumerate() {
            for _ in 0..cashiers_per_shop {
                cashiers.push((index, fixture.cashier(shop).await));
            }
        }
        let mut categories = Vec::new();
        for _ in 0..3 {
            categories.push(fixture.platform.category().await);
        }
        let mut rng = Rng::new(42);
        let items = shops
            .iter()
            .map(|_| {
                (0..5)
                    .map(|_| Item {
                        product_id: Uuid::now_v7(),
                        category_id: rng.pick(&categories).clone(),
                        unit_price: rng.between(1, 40) * 500,
                    })
                    .collect()
            })
            .collect();
        World {
            shops,
            cashiers,
            categories,
            items,
        }
    }

    fn instant(rng: &mut Rng) -> DateTime<Utc> {
        let (y, m, d) = *rng.pick(&ANCHORS);
        let noon = Utc
            .with_ymd_and_hms(y, m, d, 12, 0, 0)
            .single()
            .expect("a UTC instant");
        noon + chrono::Duration::minutes(rng.between(-20 * 60, 20 * 60))
    }

    /// `sales` random sales with their payments (some failed attempts first), partial refunds of
    /// some of them later, and cancelled orders with failed attempts.
    fn history(&self, rng: &mut Rng, sales: usize) -> History {
        let mut history = History::default();
        for _ in 0..sales {
            let (shop_index, cashier) = rng.pick(&self.cashiers);
            let shop = &self.shops[*shop_index];
            let paid_at = Self::instant(rng);
            let mut lines = Vec::new();
            for _ in 0..rng.between(1, 4) {
                let item = rng.pick(&self.items[*shop_index]);
                lines.push(Line {
                    item_id: Uuid::now_v7(),
                    product_id: item.product_id,
                    category_id: item.category_id.clone(),
                    quantity: rng.between(1, 3),
                    unit_price: item.unit_price,
                });
            }
            let sold = Sale {
                order_id: Uuid::now_v7(),
                shop: shop.clone(),
                cashier_id: cashier.cashier_id.clone(),
                paid_at,
                lines,
                tax: rng.between(0, 3) * 100,
            };
            let payment = |method, status, amount, change, at| Payment {
                transaction_id: Uuid::now_v7(),
                order_id: sold.order_id,
                shop: shop.clone(),
                cashier_id: cashier.cashier_id.clone(),
                method,
                status,
                amount,
                change,
                at,
            };
            if rng.chance(30) {
                let at = paid_at - chrono::Duration::minutes(rng.between(1, 90));
                history.payments.push(payment(
                    *rng.pick(&METHODS),
                    TransactionStatus::Failed,
                    sold.total(),
                    0,
                    at,
                ));
            }
            // Split tender now and then: half a while before, the rest when the order became paid.
            let mut due = sold.total();
            if rng.chance(30) {
                let at = paid_at - chrono::Duration::minutes(rng.between(1, 30));
                let half = due / 2;
                history.payments.push(payment(
                    *rng.pick(&METHODS),
                    TransactionStatus::Succeeded,
                    half,
                    0,
                    at,
                ));
                due -= half;
            }
            let method = *rng.pick(&METHODS);
            let change = if method == PaymentMethod::Cash {
                rng.between(0, 5) * 100
            } else {
                0
            };
            history.payments.push(payment(
                method,
                TransactionStatus::Succeeded,
                due,
                change,
                paid_at,
            ));
            if rng.chance(40) {
                history.refunds.extend(Self::refunds(rng, &sold));
            }
            history.sales.push(sold);
        }
        for _ in 0..sales / 5 {
            let (shop_index, cashier) = rng.pick(&self.cashiers);
            let shop = &self.shops[*shop_index];
            let at = Self::instant(rng);
            let cancel = Cancel {
                order_id: Uuid::now_v7(),
                shop: shop.clone(),
                cashier_id: cashier.cashier_id.clone(),
                at,
                total: rng.between(1, 20) * 1_000,
            };
            history.payments.push(Payment {
                transaction_id: Uuid::now_v7(),
                order_id: cancel.order_id,
                shop: shop.clone(),
                cashier_id: cashier.cashier_id.clone(),
                method: *rng.pick(&METHODS),
                status: TransactionStatus::Failed,
                amount: cancel.total,
                change: 0,
                at: at - chrono::Duration::minutes(2),
            });
            history.cancels.push(cancel);
        }
        history
    }

    /// One or two refunds of some units of `sold`'s lines, later than the sale.
    fn refunds(rng: &mut Rng, sold: &Sale) -> Vec<Refund> {
        let mut left: Vec<i64> = sold.lines.iter().map(|line| line.quantity).collect();
        let mut at = sold.paid_at;
        let mut refunds = Vec::new();
        for _ in 0..rng.between(1, 2) {
            at += chrono::Duration::minutes(rng.between(30, 45 * 24 * 60));
            let mut lines = Vec::new();
            for (index, line) in sold.lines.iter().enumerate() {
                if left[index] > 0 && rng.chance(60) {
                    let quantity = rng.between(1, left[index]);
                    left[index] -= quantity;
                    lines.push(Line {
                        quantity,
                        ..line.clone()
                    });
                }
            }
            if lines.is_empty() {
                continue;
            }
            let lines_amount: i64 = lines.iter().map(Line::value).sum();
            refunds.push(Refund {
                refund_id: Uuid::now_v7(),
                order_id: sold.order_id,
                at,
                tax: if sold.tax > 0 {
                    lines_amount.min(sold.tax) / 10
                } else {
                    0
                },
                lines,
            });
        }
        refunds
    }
}

/// What a request narrows to; nothing set is the platform.
#[derive(Clone, Debug, Default)]
struct Scope {
    merchant: Option<String>,
    cashier: Option<String>,
    category: Option<String>,
    order: Option<Uuid>,
}

impl Scope {
    fn takes(&self, sale: &Sale) -> bool {
        self.merchant.as_ref().is_none_or(|id| *id == sale.shop.id)
            && self.cashier.as_ref().is_none_or(|id| *id == sale.cashier_id)
            && self.order.is_none_or(|id| id == sale.order_id)
    }

    fn takes_line(&self, line: &Line) -> bool {
        self.category.as_ref().is_none_or(|id| *id == line.category_id)
    }
}

/// How model rows are grouped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum By {
    Nothing,
    Cashier,
    Category,
}

/// Figures being summed.
#[derive(Default)]
struct Sums {
    gross: i64,
    refunded: i64,
    orders: BTreeSet<Uuid>,
    items_sold: i64,
    items_refunded: i64,
    cashiers: BTreeSet<String>,
    products: BTreeSet<Uuid>,
}

impl Sums {
    fn figures(&self) -> Figures {
        let count = |n: usize| i64::try_from(n).expect("a count");
        Figures {
            gross: self.gross,
            refunded: self.refunded,
            orders: count(self.orders.len()),
            items_sold: self.items_sold,
            items_refunded: self.items_refunded,
            cashiers: count(self.cashiers.len()),
            products: count(self.products.len()),
        }
    }
}

/// The groups `lines` fall in.
fn groups(by: By, sale: &Sale, lines: &[&Line]) -> BTreeSet<String> {
    match by {
        By::Nothing => BTreeSet::from([String::new()]),
        By::Cashier => BTreeSet::from([sale.cashier_id.clone()]),
        By::Category => lines.iter().map(|line| line.category_id.clone()).collect(),
    }
}

/// The service comment's metric definitions, literally: per (period, group, currency) the figures
/// of `scope` over `periods`, with only the periods, groups and currencies with activity.
fn revenue_model(
    history: &History,
    scope: &Scope,
    periods: &[Label],
    lines_basis: bool,
    by: By,
) -> BTreeMap<(Label, String, String), Figures> {
    let mut sums: BTreeMap<(Label, String, String), Sums> = BTreeMap::new();
    let period_of = |tz: Tz, at: DateTime<Utc>| {
        let date = business_date(tz, at);
        periods.iter().copied().find(|period| period.contains(date))
    };
    for sale in history.sales.iter().filter(|sale| scope.takes(sale)) {
        let lines: Vec<&Line> = sale.lines.iter().filter(|line| scope.takes_line(line)).collect();
        let Some(period) = period_of(sale.shop.tz, sale.paid_at) else {
            continue;
        };
        if lines.is_empty() {
            continue;
        }
        for group in groups(by, sale, &lines) {
            let mine: Vec<&Line> = lines
                .iter()
                .copied()
                .filter(|line| by != By::Category || line.category_id == group)
                .collect();
            let sum = sums
                .entry((period, group, sale.shop.currency.clone()))
                .or_default();
            sum.gross += if lines_basis {
                mine.iter().map(|line| line.value()).sum()
            } else {
                sale.total()
            };
            sum.orders.insert(sale.order_id);
            sum.items_sold += mine.iter().map(|line| line.quantity).sum::<i64>();
            sum.cashiers.insert(sale.cashier_id.clone());
            sum.products.extend(mine.iter().map(|line| line.product_id));
        }
    }
    for refund in &history.refunds {
        let sale = history.sale(refund.order_id);
        if !scope.takes(sale) {
            continue;
        }
        let lines: Vec<&Line> = refund
            .lines
            .iter()
            .filter(|line| scope.takes_line(line))
            .collect();
        let Some(period) = period_of(sale.shop.tz, refund.at) else {
            continue;
        };
        if lines.is_empty() {
            continue;
        }
        for group in groups(by, sale, &lines) {
            let mine: Vec<&Line> = lines
                .iter()
                .copied()
                .filter(|line| by != By::Category || line.category_id == group)
                .collect();
            let sum = sums
                .entry((period, group, sale.shop.currency.clone()))
                .or_default();
            sum.refunded += if lines_basis {
                mine.iter().map(|line| line.value()).sum()
            } else {
                refund.amount()
            };
            sum.items_refunded += mine.iter().map(|line| line.quantity).sum::<i64>();
        }
    }
    sums.into_iter().map(|(key, sum)| (key, sum.figures())).collect()
}

/// Final payments per (period, method, status, currency): (count, amount).
fn payment_model(
    history: &History,
    scope: &Scope,
    periods: &[Label],
) -> BTreeMap<(Label, i32, i32, String), (i64, i64)> {
    let mut totals: BTreeMap<(Label, i32, i32, String), (i64, i64)> = BTreeMap::new();
    for payment in &history.payments {
        if scope.merchant.as_ref().is_some_and(|id| *id != payment.shop.id)
            || scope.cashier.as_ref().is_some_and(|id| *id != payment.cashier_id)
        {
            continue;
        }
        let date = business_date(payment.shop.tz, payment.at);
        let Some(period) = periods.iter().copied().find(|period| period.contains(date)) else {
            continue;
        };
        let total = totals
            .entry((
                period,
                payment.method.into(),
                payment.status.into(),
                payment.shop.currency.clone(),
            ))
            .or_default();
        total.0 += 1;
        total.1 += payment.amount;
    }
    totals
}

/// A scope of the property test: who asks, what it narrows to, the expected zone and currency.
#[derive(Clone, Debug)]
struct Case {
    name: String,
    token: String,
    scope: Scope,
    /// The request's filters (what the caller sends; a cashier's or owner's may be implied).
    request: Scope,
    time_zone: String,
    /// The scope's currency, when it is a single merchant's.
    currency: Option<String>,
}

/// Compares every report RPC of one case and period with the model.
struct Checker<'a> {
    fixture: &'a Fixture,
    history: &'a History,
    seed: u64,
    cashier_names: BTreeMap<String, (String, String)>,
    category_names: BTreeMap<String, String>,
    /// How many answers had figures (a check of empty answers only would prove little).
    with_figures: std::cell::Cell<usize>,
}

/// `(rows, expected)` with the currency of the zero rows of a scope without a currency taken as the answer's.
fn with_wildcard(
    mut expected: Vec<(Label, String, Figures)>,
    actual: &[(Label, String, Figures)],
) -> Vec<(Label, String, Figures)> {
    for (row, answer) in expected.iter_mut().zip(actual) {
        if row.1 == "*" {
            row.1.clone_from(&answer.1);
        }
    }
    expected
}

impl Checker<'_> {
    /// Counts an answer whose expected figures are not all zero.
    fn saw(&self, any: bool) {
        if any {
            self.with_figures.set(self.with_figures.get() + 1);
        }
    }

    fn context(&self, case: &Case, what: &str) -> String {
        format!("seed {}, {} — {what}", self.seed, case.name)
    }

    async fn compare_revenue(&self, case: &Case, label: Label, basis: RevenueBasis) {
        let what = self.context(case, &format!("CompareRevenue {label:?} {basis:?}"));
        let answer = self
            .fixture
            .compare_revenue(
                &case.token,
                CompareRevenueRequest {
                    merchant_id: case.request.merchant.clone().unwrap_or_default(),
                    cashier_id: case.request.cashier.clone().unwrap_or_default(),
                    category_id: case.request.category.clone().unwrap_or_default(),
                    order_id: case.request.order.map(|id| id.to_string()).unwrap_or_default(),
                    basis: basis.into(),
                    ..compare_request(label)
                },
            )
            .await
            .unwrap_or_else(|status| panic!("{what}: {status:?}"));
        assert_eq!(answer.time_zone, case.time_zone, "{what}");
        assert!(answer.as_of_time.is_some(), "{what}: as_of_time");
        let lines_basis = basis == RevenueBasis::Lines
            || (basis == RevenueBasis::Unspecified && case.scope.category.is_some());
        let periods = [label, label.previous()];
        let model = revenue_model(self.history, &case.scope, &periods, lines_basis, By::Nothing);
        let mut currencies: BTreeSet<String> = model.keys().map(|key| key.2.clone()).collect();
        if currencies.is_empty() {
            currencies.insert(case.currency.clone().unwrap_or_else(|| "*".to_owned()));
        }
        let mut expected = Vec::new();
        for period in periods {
            for currency in &currencies {
                let figures = model
                    .get(&(period, String::new(), currency.clone()))
                    .cloned()
                    .unwrap_or_default();
                expected.push((period, currency.clone(), figures));
            }
        }
        self.saw(expected.iter().any(|row| row.2 != Figures::default()));
        let actual = revenue_rows(&answer.totals, &answer.time_zone);
        assert_eq!(actual, with_wildcard(expected, &actual), "{what}");
    }

    async fn breakdown(&self, case: &Case, label: Label, basis: RevenueBasis) {
        let what = self.context(case, &format!("GetRevenueBreakdown {label:?} {basis:?}"));
        let answer = self
            .fixture
            .breakdown(
                &case.token,
                GetRevenueBreakdownRequest {
                    granularity: label.granularity().into(),
                    year: label.year,
                    merchant_id: case.request.merchant.clone().unwrap_or_default(),
                    cashier_id: case.request.cashier.clone().unwrap_or_default(),
                    basis: basis.into(),
                },
            )
            .await
            .unwrap_or_else(|status| panic!("{what}: {status:?}"));
        assert_eq!(answer.time_zone, case.time_zone, "{what}");
        let model = revenue_model(
            self.history,
            &case.scope,
            &label.breakdown(),
            basis == RevenueBasis::Lines,
            By::Nothing,
        );
        let expected: Vec<_> = model
            .into_iter()
            .map(|((period, _, currency), figures)| (period, currency, figures))
            .collect();
        self.saw(!expected.is_empty());
        assert_eq!(
            revenue_rows(&answer.totals, &answer.time_zone),
            expected,
            "{what}"
        );
    }

    async fn cashier_sales(&self, case: &Case, label: Label, page_size: i32) {
        let what = self.context(case, &format!("GetCashierSales {label:?} pages of {page_size}"));
        let (rows, time_zone) = self
            .fixture
            .cashier_sales(
                &case.token,
                GetCashierSalesRequest {
                    granularity: label.granularity().into(),
                    year: label.year,
                    merchant_id: case.request.merchant.clone().unwrap_or_default(),
                    cashier_id: case.request.cashier.clone().unwrap_or_default(),
                    page_size,
                    page_token: String::new(),
                },
            )
            .await
            .unwrap_or_else(|status| panic!("{what}: {status:?}"));
        assert_eq!(time_zone, case.time_zone, "{what}");
        let mut actual = Vec::new();
        for row in &rows {
            assert_bounds(row.period.as_ref(), &time_zone);
            let (currency, gross, refunded) = amounts(
                row.gross_sales.as_ref(),
                row.refunded.as_ref(),
                row.revenue.as_ref(),
            );
            let (name, merchant_id) = &self.cashier_names[&row.cashier_id];
            assert_eq!(
                (&row.cashier_name, &row.merchant_id),
                (name, merchant_id),
                "{what}"
            );
            let figures = Figures {
                gross,
                refunded,
                orders: row.order_count,
                items_sold: row.items_sold,
                items_refunded: row.items_refunded,
                ..Figures::default()
            };
            actual.push((
                label_of(row.period.as_ref()),
                row.cashier_id.clone(),
                currency,
                figures,
            ));
        }
        let order: Vec<_> = actual
            .iter()
            .map(|(period, id, _, figures)| (*period, -(figures.gross - figures.refunded), id.clone()))
            .collect();
        assert!(
            order.windows(2).all(|pair| pair[0] <= pair[1]),
            "{what}: by period, revenue descending, cashier id: {order:?}"
        );
        let model = revenue_model(self.history, &case.scope, &label.breakdown(), false, By::Cashier);
        let mut expected: Vec<_> = model
            .into_iter()
            .map(|((period, cashier, currency), figures)| {
                let figures = Figures {
                    cashiers: 0,
                    products: 0,
                    ..figures
                };
                (period, cashier, currency, figures)
            })
            .collect();
        actual.sort();
        expected.sort();
        self.saw(!expected.is_empty());
        assert_eq!(actual, expected, "{what}");
    }

    async fn category_sales(&self, case: &Case, label: Label, page_size: i32) {
        let what = self.context(case, &format!("GetCategorySales {label:?} pages of {page_size}"));
        let (rows, time_zone) = self
            .fixture
            .category_sales(
                &case.token,
                GetCategorySalesRequest {
                    granularity: label.granularity().into(),
                    year: label.year,
                    merchant_id: case.request.merchant.clone().unwrap_or_default(),
                    cashier_id: case.request.cashier.clone().unwrap_or_default(),
                    category_id: case.request.category.clone().unwrap_or_default(),
                    page_size,
                    page_token: String::new(),
                },
            )
            .await
            .unwrap_or_else(|status| panic!("{what}: {status:?}"));
        assert_eq!(time_zone, case.time_zone, "{what}");
        let mut actual = Vec::new();
        for row in &rows {
            assert_bounds(row.period.as_ref(), &time_zone);
            let (currency, gross, refunded) = amounts(
                row.gross_sales.as_ref(),
                row.refunded.as_ref(),
                row.revenue.as_ref(),
            );
            assert_eq!(row.category_name, self.category_names[&row.category_id], "{what}");
            let figures = Figures {
                gross,
                refunded,
                orders: row.order_count,
                items_sold: row.items_sold,
                items_refunded: row.items_refunded,
                products: row.unique_products_sold,
                ..Figures::default()
            };
            actual.push((
                label_of(row.period.as_ref()),
                row.category_id.clone(),
                currency,
                figures,
            ));
        }
        let order: Vec<_> = actual
            .iter()
            .map(|(period, id, _, figures)| (*period, -(figures.gross - figures.refunded), id.clone()))
            .collect();
        assert!(
            order.windows(2).all(|pair| pair[0] <= pair[1]),
            "{what}: by period, revenue descending, category id: {order:?}"
        );
        let model = revenue_model(self.history, &case.scope, &label.breakdown(), true, By::Category);
        let mut expected: Vec<_> = model
            .into_iter()
            .map(|((period, category, currency), figures)| {
                (
                    period,
                    category,
                    currency,
                    Figures {
                        cashiers: 0,
                        ..figures
                    },
                )
            })
            .collect();
        actual.sort();
        expected.sort();
        self.saw(!expected.is_empty());
        assert_eq!(actual, expected, "{what}");
    }

    async fn payment_statuses(&self, case: &Case, label: Label, status: TransactionStatus) {
        let what = self.context(case, &format!("ComparePaymentStatuses {label:?} {status:?}"));
        let answer = self
            .fixture
            .payment_statuses(
                &case.token,
                ComparePaymentStatusesRequest {
                    granularity: label.granularity().into(),
                    year: label.year,
                    month: label.month,
                    merchant_id: case.request.merchant.clone().unwrap_or_default(),
                    cashier_id: case.request.cashier.clone().unwrap_or_default(),
                    status: status.into(),
                },
            )
            .await
            .unwrap_or_else(|status| panic!("{what}: {status:?}"));
        assert_eq!(answer.time_zone, case.time_zone, "{what}");
        let periods = [label, label.previous()];
        let statuses = requested_statuses(status);
        let rank = |s: TransactionStatus| i32::from(s == TransactionStatus::Failed);
        let mut actual = BTreeMap::new();
        let mut keys = Vec::new();
        let mut covered = BTreeSet::new();
        for row in &answer.totals {
            assert_bounds(row.period.as_ref(), &answer.time_zone);
            let period = label_of(row.period.as_ref());
            let position = periods
                .iter()
                .position(|p| *p == period)
                .expect("a compared period");
            let amount = row.amount.as_ref().expect("an amount");
            assert!(
                statuses.contains(&row.status()),
                "{what}: status {:?}",
                row.status()
            );
            keys.push((position, rank(row.status()), amount.currency_code.clone()));
            covered.insert((period, row.status));
            if row.transaction_count == 0 {
                assert_eq!(amount.amount_minor, 0, "{what}: a zero row");
                continue;
            }
            actual.insert(
                (period, row.status, amount.currency_code.clone()),
                (row.transaction_count, amount.amount_minor),
            );
        }
        assert!(
            keys.windows(2).all(|pair| pair[0] < pair[1]),
            "{what}: order {keys:?}"
        );
        for period in periods {
            for status in &statuses {
                assert!(
                    covered.contains(&(period, i32::from(*status))),
                    "{what}: no row for {period:?} {status:?}"
                );
            }
        }
        let mut expected: BTreeMap<(Label, i32, String), (i64, i64)> = BTreeMap::new();
        for ((period, _, status, currency), (count, amount)) in
            payment_model(self.history, &case.scope, &periods)
        {
            if statuses.iter().any(|s| i32::from(*s) == status) {
                let total = expected.entry((period, status, currency)).or_default();
                total.0 += count;
                total.1 += amount;
            }
        }
        self.saw(!expected.is_empty());
        assert_eq!(actual, expected, "{what}");
    }

    async fn payment_methods(
        &self,
        case: &Case,
        label: Label,
        status: TransactionStatus,
        method: PaymentMethod,
    ) {
        let what = self.context(
            case,
            &format!("ComparePaymentMethods {label:?} {status:?} {method:?}"),
        );
        let answer = self
            .fixture
            .payment_methods(
                &case.token,
                ComparePaymentMethodsRequest {
                    granularity: label.granularity().into(),
                    year: label.year,
                    month: label.month,
                    merchant_id: case.request.merchant.clone().unwrap_or_default(),
                    cashier_id: case.request.cashier.clone().unwrap_or_default(),
                    status: status.into(),
                    method: method.into(),
                },
            )
            .await
            .unwrap_or_else(|status| panic!("{what}: {status:?}"));
        assert_eq!(answer.time_zone, case.time_zone, "{what}");
        let periods = [label, label.previous()];
        let statuses = requested_statuses(status);
        let methods: Vec<PaymentMethod> = if method == PaymentMethod::Unspecified {
            METHODS.to_vec()
        } else {
            vec![method]
        };
        let rank = |s: TransactionStatus| i32::from(s == TransactionStatus::Failed);
        let mut actual = BTreeMap::new();
        let mut keys = Vec::new();
        let mut covered = BTreeSet::new();
        for row in &answer.totals {
            assert_bounds(row.period.as_ref(), &answer.time_zone);
            let period = label_of(row.period.as_ref());
            let position = periods
                .iter()
                .position(|p| *p == period)
                .expect("a compared period");
            let amount = row.amount.as_ref().expect("an amount");
            assert!(
                statuses.contains(&row.status()),
                "{what}: status {:?}",
                row.status()
            );
            assert!(
                methods.contains(&row.method()),
                "{what}: method {:?}",
                row.method()
            );
            keys.push((
                position,
                row.method,
                rank(row.status()),
                amount.currency_code.clone(),
            ));
            covered.insert((period, row.method, row.status));
            if row.transaction_count == 0 {
                assert_eq!(amount.amount_minor, 0, "{what}: a zero row");
                continue;
            }
            actual.insert(
                (period, row.method, row.status, amount.currency_code.clone()),
                (row.transaction_count, amount.amount_minor),
            );
        }
        assert!(
            keys.windows(2).all(|pair| pair[0] < pair[1]),
            "{what}: order {keys:?}"
        );
        for period in periods {
            for method in &methods {
                for status in &statuses {
                    assert!(
                        covered.contains(&(period, i32::from(*method), i32::from(*status))),
                        "{what}: no row for {period:?} {method:?} {status:?}"
                    );
                }
            }
        }
        let expected: BTreeMap<_, _> = payment_model(self.history, &case.scope, &periods)
            .into_iter()
            .filter(|((_, m, s, _), _)| {
                methods.iter().any(|x| i32::from(*x) == *m) && statuses.iter().any(|x| i32::from(*x) == *s)
            })
            .collect();
        self.saw(!expected.is_empty());
        assert_eq!(actual, expected, "{what}");
    }
}

/// The months and years the property test asks about: every anchor's, their neighbours, and quiet ones.
const MONTHS: [Label; 9] = [
    Label::month(2035, 12),
    Label::month(2036, 1),
    Label::month(2036, 2),
    Label::month(2036, 3),
    Label::month(2036, 4),
    Label::month(2036, 5),
    Label::month(2036, 12),
    Label::month(2037, 1),
    Label::month(2037, 2),
];
const YEARS: [Label; 3] = [Label::year(2035), Label::year(2036), Label::year(2037)];

/// Every RPC for a platform, merchant or cashier scope.
async fn check_everything(checker: &Checker<'_>, case: &Case) {
    for label in MONTHS.iter().chain(&YEARS).copied() {
        checker
            .compare_revenue(case, label, RevenueBasis::Unspecified)
            .await;
        checker.compare_revenue(case, label, RevenueBasis::Lines).await;
        checker
            .payment_statuses(case, label, TransactionStatus::Unspecified)
            .await;
        checker
            .payment_methods(
                case,
                label,
                TransactionStatus::Unspecified,
                PaymentMethod::Unspecified,
            )
            .await;
    }
    checker
        .payment_statuses(case, Label::month(2036, 1), TransactionStatus::Failed)
        .await;
    checker
        .payment_methods(
            case,
            Label::year(2036),
            TransactionStatus::Succeeded,
            PaymentMethod::Card,
        )
        .await;
    for label in [Label::month(2036, 1), Label::month(2037, 1), Label::year(2037)] {
        checker.breakdown(case, label, RevenueBasis::Unspecified).await;
        checker.breakdown(case, label, RevenueBasis::Lines).await;
        checker.cashier_sales(case, label, 0).await;
        checker.category_sales(case, label, 0).await;
    }
    checker.cashier_sales(case, Label::month(2036, 1), 3).await;
    checker.category_sales(case, Label::month(2036, 1), 2).await;
}

/// CompareRevenue (basis LINES) and GetCategorySales for a category scope.
async fn check_category(checker: &Checker<'_>, case: &Case) {
    for label in MONTHS.iter().chain(&YEARS).copied() {
        checker
            .compare_revenue(case, label, RevenueBasis::Unspecified)
            .await;
        checker.compare_revenue(case, label, RevenueBasis::Lines).await;
    }
    for label in [Label::month(2036, 1), Label::year(2037)] {
        checker.category_sales(case, label, 0).await;
    }
}

/// CompareRevenue for one order, both bases.
async fn check_order(checker: &Checker<'_>, case: &Case) {
    for label in MONTHS.iter().chain(&YEARS).copied() {
        checker
            .compare_revenue(case, label, RevenueBasis::Unspecified)
            .await;
        checker.compare_revenue(case, label, RevenueBasis::Lines).await;
    }
}

fn requested_statuses(status: TransactionStatus) -> Vec<TransactionStatus> {
    if status == TransactionStatus::Unspecified {
        vec![TransactionStatus::Succeeded, TransactionStatus::Failed]
    } else {
        vec![status]
    }
}

/// The core of the issue: a seeded random history of sales (1–4 lines, several products and
/// categories, several cashiers), split and failed payments, later partial refunds and
/// cancellations, around month and year ends, in four time zones; then every report RPC, monthly
/// and yearly, for the platform, each merchant, each cashier, each category and some orders,
/// compared with the model. Set `POS_REPORTS_SEED` to replay a seed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_report_matches_a_brute_force_computation_from_the_events() {
    let seed = std::env::var("POS_REPORTS_SEED")
        .ok()
        .and_then(|seed| seed.parse().ok())
        .unwrap_or(20_361_231);
    let fixture = Fixture::start().await;
    let world = World::create(&fixture, 2).await;
    let history = world.history(&mut Rng::new(seed), 80);
    fixture.publish(&history).await;

    let mut cashier_names = BTreeMap::new();
    for (shop, cashier) in &world.cashiers {
        let name = fixture.cashier_name(&cashier.cashier_id).await;
        cashier_names.insert(cashier.cashier_id.clone(), (name, world.shops[*shop].id.clone()));
    }
    let mut category_names = BTreeMap::new();
    for category in &world.categories {
        category_names.insert(category.clone(), fixture.category_name(category).await);
    }
    let checker = Checker {
        fixture: &fixture,
        history: &history,
        seed,
        cashier_names,
        category_names,
        with_figures: std::cell::Cell::new(0),
    };

    let admin = fixture.admin.access_token.clone();
    let mut cases = vec![Case {
        name: "platform".to_owned(),
        token: admin.clone(),
        scope: Scope::default(),
        request: Scope::default(),
        time_zone: "UTC".to_owned(),
        currency: None,
    }];
    for shop in &world.shops {
        let scope = Scope {
            merchant: Some(shop.id.clone()),
            ..Scope::default()
        };
        cases.push(Case {
            name: format!("merchant in {}", shop.tz),
            token: admin.clone(),
            scope: scope.clone(),
            request: scope.clone(),
            time_zone: shop.tz.name().to_owned(),
            currency: Some(shop.currency.clone()),
        });
    }
    let owner_shop = &world.shops[1];
    cases.push(Case {
        name: format!("owner of the merchant in {}", owner_shop.tz),
        token: owner_shop.owner.access_token.clone(),
        scope: Scope {
            merchant: Some(owner_shop.id.clone()),
            ..Scope::default()
        },
        request: Scope::default(),
        time_zone: owner_shop.tz.name().to_owned(),
        currency: Some(owner_shop.currency.clone()),
    });
    for (index, (shop, cashier)) in world.cashiers.iter().enumerate() {
        let shop = &world.shops[*shop];
        let scope = Scope {
            cashier: Some(cashier.cashier_id.clone()),
            ..Scope::default()
        };
        let signed_in = index % 3 == 0;
        cases.push(Case {
            name: format!(
                "cashier {index} in {}{}",
                shop.tz,
                if signed_in { " (signed in)" } else { "" }
            ),
            token: if signed_in {
                cashier.session.access_token.clone()
            } else {
                admin.clone()
            },
            scope: scope.clone(),
            request: if signed_in { Scope::default() } else { scope },
            time_zone: shop.tz.name().to_owned(),
            currency: Some(shop.currency.clone()),
        });
    }
    let mut category_cases = Vec::new();
    for (index, category) in world.categories.iter().enumerate() {
        let scope = Scope {
            category: Some(category.clone()),
            ..Scope::default()
        };
        category_cases.push(Case {
            name: format!("category {index}"),
            token: admin.clone(),
            scope: scope.clone(),
            request: scope,
            time_zone: "UTC".to_owned(),
            currency: None,
        });
    }
    let shop = &world.shops[2];
    let scope = Scope {
        merchant: Some(shop.id.clone()),
        category: Some(world.categories[0].clone()),
        ..Scope::default()
    };
    category_cases.push(Case {
        name: format!("category 0 of the merchant in {}", shop.tz),
        token: admin.clone(),
        scope: scope.clone(),
        request: scope,
        time_zone: shop.tz.name().to_owned(),
        currency: Some(shop.currency.clone()),
    });
    let mut order_cases = Vec::new();
    for sold in history
        .sales
        .iter()
        .filter(|sale| {
            history
                .refunds
                .iter()
                .any(|refund| refund.order_id == sale.order_id)
        })
        .take(4)
    {
        let scope = Scope {
            order: Some(sold.order_id),
            ..Scope::default()
        };
        order_cases.push(Case {
            name: format!("order {}", sold.order_id),
            token: admin.clone(),
            scope: scope.clone(),
            request: scope,
            time_zone: sold.shop.tz.name().to_owned(),
            currency: Some(sold.shop.currency.clone()),
        });
    }

    // The cases run concurrently (each one's calls in order): the cache sees concurrent readers.
    let checks = cases
        .iter()
        .map(|case| check_everything(&checker, case).boxed_local())
        .chain(
            category_cases
                .iter()
                .map(|case| check_category(&checker, case).boxed_local()),
        )
        .chain(
            order_cases
                .iter()
                .map(|case| check_order(&checker, case).boxed_local()),
        );
    futures::future::join_all(checks).await;
    assert!(
        checker.with_figures.get() >= 300,
        "only {} answers had figures: the history misses the periods asked",
        checker.with_figures.get()
    );
    fixture.stop().await;
}
