//! Stock through the real server (every module in one process, the access layer in front, real
//! PostgreSQL): the append-only ledger, AdjustStock (conditional updates, compare-and-swap,
//! idempotency, ownership), ListStockMovements, and the reservations the order module makes
//! (all-or-none, idempotent reserve / commit / release, expiry by the background task, merchant
//! status).
//!
//! Products are inserted straight into the test database with no stock and then stocked through
//! AdjustStock (RECEIVED), so these tests depend on the catalogue RPCs only through the table.

#[path = "support/platform.rs"]
mod platform;

use std::time::Duration;

use platform::{MerchantOwner, TestPlatform, bearer, eventually};
use pos_api::pos::merchant::v1::SuspendMerchantRequest;
use pos_api::pos::merchant::v1::merchant_service_client::MerchantServiceClient;
use pos_api::pos::product::v1::product_service_client::ProductServiceClient;
use pos_api::pos::product::v1::{
    AdjustStockRequest, AdjustStockResponse, CommitReservationRequest, GetReservationRequest,
    ListStockMovementsRequest, ListStockMovementsResponse, ReleaseReservationRequest, ReservationLine,
    ReserveStockRequest, StockMovementReason, StockReservation, StockReservationState,
};
use sqlx::PgPool;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// How long the expiry task may take to return the stock of an expired reservation.
const EXPIRY_DEADLINE: Duration = Duration::from_secs(20);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// How many platforms of this file run at once: each holds PostgreSQL connections for every
/// module, and the concurrency test needs its connections to wait on one row lock, not on others.
static PLATFORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A platform, an ACTIVE merchant with its signed-in owner, and the test database.
struct Fixture {
    _turn: tokio::sync::SemaphorePermit<'static>,
    platform: TestPlatform,
    owner: MerchantOwner,
    db: PgPool,
}

impl Fixture {
    async fn start() -> Self {
        let turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
        let platform = TestPlatform::start().await;
        let owner = platform.active_merchant().await;
        let db = PgPool::connect(&platform.database.url)
            .await
            .expect("the test database accepts connections");
        Fixture {
            _turn: turn,
            platform,
            owner,
            db,
        }
    }

    async fn products(&self) -> ProductServiceClient<Channel> {
        ProductServiceClient::new(self.platform.channel().await)
    }

    /// `message` as the merchant's owner.
    fn as_owner<T>(&self, message: T) -> tonic::Request<T> {
        bearer(&self.owner.session.access_token, message)
    }

    /// A new product of `merchant_id` with `stock` units on hand, received through AdjustStock
    /// (so the ledger holds one RECEIVED row when `stock` > 0).
    async fn product_of(&self, merchant_id: &str, stock: i64) -> String {
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO products.products (id, merchant_id, category_id, name, price_minor, currency_code, \
             barcode, slug) VALUES ($1, $2, $3, $4, 15000, 'IDR', $5, $6)",
        )
        .bind(id)
        .bind(Uuid::parse_str(merchant_id).expect("a merchant id"))
        .bind(Uuid::now_v7())
        .bind(format!("Kopi {}", &id.simple().to_string()[24..]))
        .bind(format!("SKU-{}", id.simple()))
        .bind(format!("kopi-{}", id.simple()))
        .execute(&self.db)
        .await
        .expect("a product row");
        if stock > 0 {
            self.products()
                .await
                .adjust_stock(self.platform.as_service(adjust(
                    &id.to_string(),
                    stock,
                    StockMovementReason::Received,
                )))
                .await
                .expect("initial stock");
        }
        id.to_string()
    }

    /// A new product of the fixture's merchant with `stock` units on hand.
    async fn product(&self, stock: i64) -> String {
        self.product_of(&self.owner.merchant_id, stock).await
    }

    /// `(count_in_stock, reserved_quantity)` of a product, read from the database.
    async fn quantities(&self, product_id: &str) -> (i64, i64) {
        sqlx::query_as("SELECT count_in_stock, reserved_quantity FROM products.products WHERE id = $1")
            .bind(Uuid::parse_str(product_id).expect("a product id"))
            .fetch_one(&self.db)
            .await
            .expect("the product row")
    }

    /// Every ledger row of a product (one page of up to 500), as an admin-equivalent service.
    async fn movements(&self, product_id: &str) -> ListStockMovementsResponse {
        self.products()
            .await
            .list_stock_movements(self.platform.as_service(ListStockMovementsRequest {
                page_size: 500,
                product_id: product_id.to_owned(),
                ..ListStockMovementsRequest::default()
            }))
            .await
            .expect("ListStockMovements")
            .into_inner()
    }

    /// Reserves `lines` (product, quantity) for `order_id` as the order module would.
    async fn reserve(&self, order_id: &str, lines: &[(&str, i64)]) -> Result<StockReservation, Status> {
        self.reserve_for(order_id, &self.owner.merchant_id, lines, None)
            .await
    }

    async fn reserve_for(
        &self,
        order_id: &str,
        merchant_id: &str,
        lines: &[(&str, i64)],
        ttl: Option<Duration>,
    ) -> Result<StockReservation, Status> {
        let request = ReserveStockRequest {
            order_id: order_id.to_owned(),
            merchant_id: merchant_id.to_owned(),
            lines: lines
                .iter()
                .map(|(product_id, quantity)| ReservationLine {
                    product_id: (*product_id).to_owned(),
                    quantity: *quantity,
                    ..ReservationLine::default()
                })
                .collect(),
            ttl: ttl.map(|ttl| prost_types::Duration {
                seconds: i64::try_from(ttl.as_secs()).expect("a short TTL"),
                nanos: 0,
            }),
        };
        self.products()
            .await
            .reserve_stock(self.platform.as_service(request))
            .await
            .map(|response| response.into_inner().reservation.expect("a reservation"))
    }

    async fn commit(&self, order_id: &str) -> Result<StockReservation, Status> {
        self.products()
            .await
            .commit_reservation(self.platform.as_service(CommitReservationRequest {
                order_id: order_id.to_owned(),
            }))
            .await
            .map(|response| response.into_inner().reservation.expect("a reservation"))
    }

    async fn release(&self, order_id: &str) -> Result<StockReservation, Status> {
        self.products()
            .await
            .release_reservation(self.platform.as_service(ReleaseReservationRequest {
                order_id: order_id.to_owned(),
            }))
            .await
            .map(|response| response.into_inner().reservation.expect("a reservation"))
    }

    async fn reservation(&self, order_id: &str) -> Result<StockReservation, Status> {
        self.products()
            .await
            .get_reservation(self.platform.as_service(GetReservationRequest {
                order_id: order_id.to_owned(),
            }))
            .await
            .map(|response| response.into_inner().reservation.expect("a reservation"))
    }

    async fn stop(self) {
        self.db.close().await;
        self.platform.stop().await;
    }
}

/// An AdjustStock request with a fresh `request_id`.
fn adjust(product_id: &str, delta: i64, reason: StockMovementReason) -> AdjustStockRequest {
    AdjustStockRequest {
        product_id: product_id.to_owned(),
        delta,
        reason: reason.into(),
        request_id: Uuid::now_v7().to_string(),
        ..AdjustStockRequest::default()
    }
}

/// The `ErrorInfo` reason of an error.
fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// One `ErrorInfo` metadata value of an error.
fn metadata(status: &Status, key: &str) -> String {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get(key).cloned())
        .unwrap_or_default()
}

fn assert_refused(result: Result<impl std::fmt::Debug, Status>, code: Code, expected_reason: &str) -> Status {
    let status = result.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(&status), expected_reason, "{status:?}");
    status
}

fn new_order() -> String {
    Uuid::now_v7().to_string()
}

// ---------------------------------------------------------------------------------------------
// AdjustStock and the ledger
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_hundred_concurrent_removals_from_fifty_units_sell_exactly_fifty() {
    let fx = Fixture::start().await;
    let product = fx.product(50).await;
    let channel = fx.platform.channel().await;
    // The owner's first call makes the process fetch the token signing keys; a burst of first
    // calls would race that fetch (see the report: only one caller waits for it).
    ProductServiceClient::new(channel.clone())
        .list_stock_movements(fx.as_owner(ListStockMovementsRequest {
            product_id: product.clone(),
            ..ListStockMovementsRequest::default()
        }))
        .await
        .expect("the owner lists the ledger");

    let attempts = (0..100).map(|_| {
        let mut client = ProductServiceClient::new(channel.clone());
        let request = fx.as_owner(adjust(&product, -1, StockMovementReason::Damaged));
        tokio::spawn(async move { client.adjust_stock(request).await })
    });
    let results = futures_join(attempts).await;

    let succeeded = results.iter().filter(|result| result.is_ok()).count();
    let failures: Vec<_> = results
        .iter()
        .filter_map(|result| result.as_ref().err())
        .collect();
    assert_eq!(succeeded, 50, "{:?}", failures.first());
    for refused in results.iter().filter_map(|result| result.as_ref().err()) {
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        assert_eq!(reason(refused), "INSUFFICIENT_STOCK");
    }
    assert_eq!(fx.quantities(&product).await, (0, 0));
    let ledger = fx.movements(&product).await;
    let damaged: Vec<_> = ledger
        .movements
        .iter()
        .filter(|row| row.reason == i32::from(StockMovementReason::Damaged))
        .collect();
    assert_eq!(damaged.len(), 50);
    assert_eq!(ledger.total_size, 51, "50 removals and the initial RECEIVED row");
    // Newest first, and each row starts where the previous one ended: no change was lost.
    for pair in ledger.movements.windows(2) {
        assert_eq!(pair[0].quantity_before, pair[1].quantity_after);
    }
    assert_eq!(ledger.movements[0].quantity_after, 0);
    fx.stop().await;
}

async fn futures_join<T>(tasks: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let mut results = Vec::new();
    for task in tasks.collect::<Vec<_>>() {
        results.push(task.await.expect("the task finishes"));
    }
    results
}

#[tokio::test]
async fn an_adjustment_writes_one_ledger_row_with_before_after_actor_and_reference() {
    let fx = Fixture::start().await;
    let product = fx.product(10).await;

    let response: AdjustStockResponse = fx
        .products()
        .await
        .adjust_stock(fx.as_owner(AdjustStockRequest {
            note: "delivery from the roaster".to_owned(),
            reference: "DN-2024-17".to_owned(),
            ..adjust(&product, 5, StockMovementReason::Received)
        }))
        .await
        .expect("AdjustStock")
        .into_inner();

    let movement = response.movement.expect("the ledger row");
    assert_eq!(
        (movement.quantity_before, movement.delta, movement.quantity_after),
        (10, 5, 15)
    );
    assert_eq!(movement.reason, i32::from(StockMovementReason::Received));
    assert_eq!(movement.actor_user_id, fx.owner.session.user_id);
    assert_eq!(movement.reference, "DN-2024-17");
    assert_eq!(movement.note, "delivery from the roaster");
    assert_eq!(movement.merchant_id, fx.owner.merchant_id);
    let product_after = response.product.expect("the product");
    assert_eq!(product_after.count_in_stock, 15);
    assert_eq!(product_after.available_quantity, 15);
    assert_eq!(fx.movements(&product).await.movements[0].id, movement.id);
    fx.stop().await;
}

#[tokio::test]
async fn a_stale_expected_quantity_is_aborted_and_writes_nothing() {
    let fx = Fixture::start().await;
    let product = fx.product(20).await;

    let stale = fx
        .products()
        .await
        .adjust_stock(fx.as_owner(AdjustStockRequest {
            expected_quantity: Some(19),
            ..adjust(&product, -2, StockMovementReason::Correction)
        }))
        .await;

    let status = assert_refused(stale, Code::Aborted, "STOCK_QUANTITY_MISMATCH");
    assert_eq!(metadata(&status, "currentQuantity"), "20");
    assert_eq!(fx.quantities(&product).await, (20, 0));
    assert_eq!(
        fx.movements(&product).await.total_size,
        1,
        "only the initial RECEIVED row"
    );

    let current = fx
        .products()
        .await
        .adjust_stock(fx.as_owner(AdjustStockRequest {
            expected_quantity: Some(20),
            ..adjust(&product, -2, StockMovementReason::Correction)
        }))
        .await
        .expect("the expected quantity is current")
        .into_inner();
    assert_eq!(current.product.expect("the product").count_in_stock, 18);
    fx.stop().await;
}

#[tokio::test]
async fn a_retried_adjustment_is_applied_once_and_its_key_cannot_be_reused() {
    let fx = Fixture::start().await;
    let product = fx.product(10).await;
    let request = adjust(&product, -3, StockMovementReason::Damaged);

    let first = fx
        .products()
        .await
        .adjust_stock(fx.as_owner(request.clone()))
        .await
        .expect("first");
    let retry = fx
        .products()
        .await
        .adjust_stock(fx.as_owner(request.clone()))
        .await
        .expect("retry");

    assert_eq!(first.into_inner(), retry.into_inner());
    assert_eq!(fx.quantities(&product).await, (7, 0));
    assert_eq!(fx.movements(&product).await.total_size, 2);
    let reused = fx
        .products()
        .await
        .adjust_stock(fx.as_owner(AdjustStockRequest { delta: -4, ..request }))
        .await;
    assert_refused(reused, Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED");
    fx.stop().await;
}

#[tokio::test]
async fn an_adjustment_that_fits_neither_its_reason_nor_the_stock_is_refused() {
    let fx = Fixture::start().await;
    let product = fx.product(3).await;
    let mut client = fx.products().await;

    let wrong_sign = client
        .adjust_stock(fx.as_owner(adjust(&product, -1, StockMovementReason::Received)))
        .await;
    assert_refused(wrong_sign, Code::InvalidArgument, "INVALID_ARGUMENT");
    let zero = client
        .adjust_stock(fx.as_owner(adjust(&product, 0, StockMovementReason::Correction)))
        .await;
    assert_refused(zero, Code::InvalidArgument, "INVALID_ARGUMENT");
    let too_many = client
        .adjust_stock(fx.as_owner(adjust(&product, -4, StockMovementReason::Damaged)))
        .await;
    let status = assert_refused(too_many, Code::FailedPrecondition, "INSUFFICIENT_STOCK");
    assert_eq!(metadata(&status, "availableQuantity"), "3");
    assert_eq!(metadata(&status, "requestedQuantity"), "4");
    assert_eq!(metadata(&status, "productId"), product);
    assert_eq!(fx.quantities(&product).await, (3, 0));
    fx.stop().await;
}

#[tokio::test]
async fn stock_held_by_a_reservation_cannot_be_adjusted_away() {
    let fx = Fixture::start().await;
    let product = fx.product(5).await;
    fx.reserve(&new_order(), &[(&product, 4)])
        .await
        .expect("reserved");

    let refused = fx
        .products()
        .await
        .adjust_stock(fx.as_owner(adjust(&product, -2, StockMovementReason::Damaged)))
        .await;

    let status = assert_refused(refused, Code::FailedPrecondition, "INSUFFICIENT_STOCK");
    assert_eq!(metadata(&status, "availableQuantity"), "1");
    assert_eq!(fx.quantities(&product).await, (5, 4));
    fx.stop().await;
}

#[tokio::test]
async fn an_owner_cannot_adjust_or_list_another_merchants_stock() {
    let fx = Fixture::start().await;
    let other = fx.platform.active_merchant().await;
    let theirs = fx.product_of(&other.merchant_id, 5).await;
    let mut client = fx.products().await;

    let adjusted = client
        .adjust_stock(fx.as_owner(adjust(&theirs, -1, StockMovementReason::Damaged)))
        .await;
    assert_refused(adjusted, Code::PermissionDenied, "PERMISSION_MISSING");
    let listed = client
        .list_stock_movements(fx.as_owner(ListStockMovementsRequest {
            merchant_id: other.merchant_id.clone(),
            ..ListStockMovementsRequest::default()
        }))
        .await;
    assert_refused(listed, Code::PermissionDenied, "PERMISSION_MISSING");
    let by_product = client
        .list_stock_movements(fx.as_owner(ListStockMovementsRequest {
            product_id: theirs.clone(),
            ..ListStockMovementsRequest::default()
        }))
        .await;
    assert_refused(by_product, Code::PermissionDenied, "PERMISSION_MISSING");
    assert_eq!(fx.quantities(&theirs).await, (5, 0));
    fx.stop().await;
}

#[tokio::test]
async fn the_database_refuses_to_change_or_delete_ledger_rows() {
    let fx = Fixture::start().await;
    let product = fx.product(5).await;
    let product_id = Uuid::parse_str(&product).expect("a product id");

    let updated = sqlx::query("UPDATE products.stock_movements SET delta = 500 WHERE product_id = $1")
        .bind(product_id)
        .execute(&fx.db)
        .await;
    let deleted = sqlx::query("DELETE FROM products.stock_movements WHERE product_id = $1")
        .bind(product_id)
        .execute(&fx.db)
        .await;
    let truncated = sqlx::query("TRUNCATE products.stock_movements")
        .execute(&fx.db)
        .await;

    for refused in [updated, deleted, truncated] {
        let error = refused.expect_err("the ledger is append-only");
        assert!(error.to_string().contains("append-only"), "{error}");
    }
    let ledger = fx.movements(&product).await;
    assert_eq!(ledger.total_size, 1);
    assert_eq!(ledger.movements[0].delta, 5);
    fx.stop().await;
}

#[tokio::test]
async fn stock_movements_are_listed_newest_first_page_by_page() {
    let fx = Fixture::start().await;
    let product = fx.product(10).await;
    for delta in [-1, -2, 3, -4] {
        let reason = if delta > 0 {
            StockMovementReason::Received
        } else {
            StockMovementReason::Damaged
        };
        fx.products()
            .await
            .adjust_stock(fx.as_owner(adjust(&product, delta, reason)))
            .await
            .expect("AdjustStock");
    }
    let mut client = fx.products().await;
    let mut pages = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_stock_movements(fx.as_owner(ListStockMovementsRequest {
                page_size: 2,
                page_token: page_token.clone(),
                merchant_id: fx.owner.merchant_id.clone(),
                ..ListStockMovementsRequest::default()
            }))
            .await
            .expect("a page")
            .into_inner();
        assert_eq!(page.total_size, 5);
        page_token = page.next_page_token.clone();
        pages.push(page.movements);
        if page_token.is_empty() {
            break;
        }
    }

    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);
    let deltas: Vec<i64> = pages.concat().iter().map(|row| row.delta).collect();
    assert_eq!(deltas, [-4, 3, -2, -1, 10], "newest first");
    let damaged = client
        .list_stock_movements(fx.as_owner(ListStockMovementsRequest {
            product_id: product.clone(),
            reason: StockMovementReason::Damaged.into(),
            ..ListStockMovementsRequest::default()
        }))
        .await
        .expect("filtered by reason")
        .into_inner();
    assert_eq!(damaged.total_size, 3);
    let merchant_token = client
        .list_stock_movements(fx.as_owner(ListStockMovementsRequest {
            page_size: 2,
            merchant_id: fx.owner.merchant_id.clone(),
            ..ListStockMovementsRequest::default()
        }))
        .await
        .expect("a first page")
        .into_inner()
        .next_page_token;
    let other_filters = client
        .list_stock_movements(fx.as_owner(ListStockMovementsRequest {
            page_size: 2,
            page_token: merchant_token,
            product_id: product.clone(),
            ..ListStockMovementsRequest::default()
        }))
        .await;
    assert_refused(other_filters, Code::InvalidArgument, "INVALID_ARGUMENT");
    fx.stop().await;
}

#[tokio::test]
async fn listing_stock_movements_needs_a_product_or_a_merchant() {
    let fx = Fixture::start().await;

    let unfiltered = fx
        .products()
        .await
        .list_stock_movements(fx.platform.as_service(ListStockMovementsRequest::default()))
        .await;

    let status = assert_refused(unfiltered, Code::InvalidArgument, "INVALID_ARGUMENT");
    let violations = status
        .get_details_bad_request()
        .expect("field violations")
        .field_violations;
    assert_eq!(violations[0].field, "merchant_id");
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Reservations
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_reservation_with_one_short_line_holds_nothing() {
    let fx = Fixture::start().await;
    let plenty = fx.product(10).await;
    let scarce = fx.product(1).await;
    let order = new_order();

    let refused = fx.reserve(&order, &[(&plenty, 3), (&scarce, 2)]).await;

    let status = assert_refused(refused, Code::FailedPrecondition, "INSUFFICIENT_STOCK");
    assert_eq!(metadata(&status, "productId"), scarce);
    assert_eq!(metadata(&status, "availableQuantity"), "1");
    assert_eq!(metadata(&status, "requestedQuantity"), "2");
    assert_eq!(fx.quantities(&plenty).await, (10, 0));
    assert_eq!(fx.quantities(&scarce).await, (1, 0));
    assert_refused(
        fx.reservation(&order).await,
        Code::NotFound,
        "RESERVATION_NOT_FOUND",
    );
    fx.stop().await;
}

#[tokio::test]
async fn a_reservation_snapshots_the_products_and_a_retry_holds_the_stock_once() {
    let fx = Fixture::start().await;
    let product = fx.product(10).await;
    let order = new_order();

    let first = fx.reserve(&order, &[(&product, 4)]).await.expect("reserved");
    let retry = fx.reserve(&order, &[(&product, 4)]).await.expect("retried");

    assert_eq!(fx.quantities(&product).await, (10, 4));
    assert_eq!(first.state, i32::from(StockReservationState::Pending));
    assert_eq!(retry.lines, first.lines);
    let line = &first.lines[0];
    assert!(line.product_name.starts_with("Kopi "), "{line:?}");
    assert_eq!(
        line.unit_price.as_ref().map(|price| price.amount_minor),
        Some(15000)
    );
    assert_eq!(
        fx.reservation(&order).await.expect("GetReservation").lines,
        first.lines
    );
    fx.stop().await;
}

#[tokio::test]
async fn reserving_other_lines_for_a_pending_order_replaces_the_held_quantities() {
    let fx = Fixture::start().await;
    let kept = fx.product(10).await;
    let dropped = fx.product(10).await;
    let order = new_order();
    fx.reserve(&order, &[(&kept, 2), (&dropped, 3)])
        .await
        .expect("reserved");

    let changed = fx.reserve(&order, &[(&kept, 6)]).await.expect("changed");

    assert_eq!(changed.lines.len(), 1);
    assert_eq!(fx.quantities(&kept).await, (10, 6));
    assert_eq!(fx.quantities(&dropped).await, (10, 0));
    let too_many = fx.reserve(&order, &[(&kept, 11)]).await;
    assert_refused(too_many, Code::FailedPrecondition, "INSUFFICIENT_STOCK");
    assert_eq!(
        fx.quantities(&kept).await,
        (10, 6),
        "a refused change keeps the held lines"
    );
    fx.stop().await;
}

#[tokio::test]
async fn committing_a_reservation_sells_its_stock_once() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let tea = fx.product(5).await;
    let order = new_order();
    fx.reserve(&order, &[(&coffee, 3), (&tea, 5)])
        .await
        .expect("reserved");

    let committed = fx.commit(&order).await.expect("committed");
    let again = fx.commit(&order).await.expect("committed again");

    assert_eq!(committed.state, i32::from(StockReservationState::Committed));
    assert!(committed.close_time.is_some());
    assert_eq!(again, committed);
    assert_eq!(fx.quantities(&coffee).await, (7, 0));
    assert_eq!(fx.quantities(&tea).await, (0, 0));
    let sales = fx.movements(&coffee).await;
    assert_eq!(sales.total_size, 2, "the initial RECEIVED row and one SALE row");
    let sale = &sales.movements[0];
    assert_eq!(sale.reason, i32::from(StockMovementReason::Sale));
    assert_eq!(
        (sale.quantity_before, sale.delta, sale.quantity_after),
        (10, -3, 7)
    );
    assert_eq!(sale.reference, order);
    assert_refused(
        fx.release(&order).await,
        Code::FailedPrecondition,
        "RESERVATION_COMMITTED",
    );
    assert_refused(
        fx.reserve(&order, &[(&coffee, 1)]).await,
        Code::FailedPrecondition,
        "RESERVATION_CLOSED",
    );
    fx.stop().await;
}

#[tokio::test]
async fn releasing_a_reservation_returns_its_stock_once() {
    let fx = Fixture::start().await;
    let product = fx.product(8).await;
    let order = new_order();
    fx.reserve(&order, &[(&product, 8)]).await.expect("reserved");

    let released = fx.release(&order).await.expect("released");
    let again = fx.release(&order).await.expect("released again");

    assert_eq!(released.state, i32::from(StockReservationState::Released));
    assert_eq!(again, released);
    assert_eq!(fx.quantities(&product).await, (8, 0));
    assert_eq!(
        fx.movements(&product).await.total_size,
        1,
        "a release writes no ledger row"
    );
    assert_refused(
        fx.commit(&order).await,
        Code::FailedPrecondition,
        "RESERVATION_RELEASED",
    );
    fx.stop().await;
}

#[tokio::test]
async fn an_unknown_reservation_is_not_found() {
    let fx = Fixture::start().await;
    let order = new_order();

    assert_refused(fx.commit(&order).await, Code::NotFound, "RESERVATION_NOT_FOUND");
    assert_refused(fx.release(&order).await, Code::NotFound, "RESERVATION_NOT_FOUND");
    assert_refused(
        fx.reservation(&order).await,
        Code::NotFound,
        "RESERVATION_NOT_FOUND",
    );
    fx.stop().await;
}

#[tokio::test]
async fn an_expired_reservation_returns_its_stock() {
    let fx = Fixture::start().await;
    let product = fx.product(6).await;
    let order = new_order();
    fx.reserve_for(
        &order,
        &fx.owner.merchant_id,
        &[(&product, 5)],
        Some(Duration::from_secs(1)),
    )
    .await
    .expect("reserved");
    assert_eq!(fx.quantities(&product).await, (6, 5));

    // GetReservation only reads: the background task is what expires it.
    let expired = eventually(EXPIRY_DEADLINE, "the reservation to expire", || async {
        let reservation = fx.reservation(&order).await.expect("GetReservation");
        (reservation.state == i32::from(StockReservationState::Expired)).then_some(reservation)
    })
    .await;

    assert!(expired.close_time.is_some());
    assert_eq!(fx.quantities(&product).await, (6, 0));
    assert_refused(
        fx.commit(&order).await,
        Code::FailedPrecondition,
        "RESERVATION_EXPIRED",
    );
    assert_eq!(
        fx.release(&order)
            .await
            .expect("releasing an expired reservation")
            .state,
        i32::from(StockReservationState::Expired)
    );
    fx.stop().await;
}

#[tokio::test]
async fn products_of_another_merchant_cannot_be_reserved() {
    let fx = Fixture::start().await;
    let other = fx.platform.active_merchant().await;
    let theirs = fx.product_of(&other.merchant_id, 5).await;
    let order = new_order();

    let refused = fx.reserve(&order, &[(&theirs, 1)]).await;

    assert_refused(refused, Code::NotFound, "PRODUCT_NOT_FOUND");
    assert_eq!(fx.quantities(&theirs).await, (5, 0));
    fx.stop().await;
}

#[tokio::test]
async fn a_merchant_that_is_not_active_cannot_reserve_stock() {
    let fx = Fixture::start().await;
    let pending = fx.platform.pending_merchant().await;
    let pending_product = fx.product_of(&pending.merchant_id, 5).await;
    let suspended_product = fx.product(5).await;
    MerchantServiceClient::new(fx.platform.channel().await)
        .suspend_merchant(fx.platform.as_service(SuspendMerchantRequest {
            merchant_id: fx.owner.merchant_id.clone(),
            reason: "unpaid fees".to_owned(),
        }))
        .await
        .expect("SuspendMerchant");

    let for_pending = fx
        .reserve_for(&new_order(), &pending.merchant_id, &[(&pending_product, 1)], None)
        .await;
    let for_suspended = fx.reserve(&new_order(), &[(&suspended_product, 1)]).await;

    assert_refused(for_pending, Code::FailedPrecondition, "MERCHANT_NOT_ACTIVE");
    assert_refused(for_suspended, Code::FailedPrecondition, "MERCHANT_NOT_ACTIVE");
    assert_eq!(fx.quantities(&suspended_product).await, (5, 0));
    fx.stop().await;
}

#[tokio::test]
async fn an_owner_reads_its_reservations_but_cannot_make_them() {
    let fx = Fixture::start().await;
    let other = fx.platform.active_merchant().await;
    let product = fx.product(5).await;
    let order = new_order();
    fx.reserve(&order, &[(&product, 1)]).await.expect("reserved");
    let mut client = fx.products().await;

    let own = client
        .get_reservation(fx.as_owner(GetReservationRequest {
            order_id: order.clone(),
        }))
        .await
        .expect("the owner reads its merchant's reservation");
    let foreign = client
        .get_reservation(bearer(
            &other.session.access_token,
            GetReservationRequest {
                order_id: order.clone(),
            },
        ))
        .await;
    let reserved_by_owner = client
        .reserve_stock(fx.as_owner(ReserveStockRequest {
            order_id: new_order(),
            merchant_id: fx.owner.merchant_id.clone(),
            lines: vec![ReservationLine {
                product_id: product.clone(),
                quantity: 1,
                ..ReservationLine::default()
            }],
            ttl: None,
        }))
        .await;

    assert_eq!(
        own.into_inner().reservation.expect("a reservation").order_id,
        order
    );
    assert_eq!(
        foreign.expect_err("another owner is refused").code(),
        Code::PermissionDenied
    );
    assert_eq!(
        reserved_by_owner.expect_err("owners cannot reserve").code(),
        Code::PermissionDenied
    );
    fx.stop().await;
}
