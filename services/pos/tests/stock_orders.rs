//! What an order's life does to stock, through the real server (every module in one process,
//! real PostgreSQL, Redis and broker): the product module consumes `pos.order.v1.events` and
//! commits the reservation of a paid order (SALE rows), restocks the refunded lines marked for
//! restock (REFUND rows referring to the refund) and releases the reservation of a cancelled
//! order. Each event changes stock once, however often it is delivered or published.
//!
//! The tests play the order module: they reserve stock through `ProductService.ReserveStock` as a
//! service, then append the order events to the order module's outbox, whose relay publishes them.

#[path = "support/platform.rs"]
mod platform;

use std::time::Duration;

use platform::{MerchantOwner, TestPlatform, eventually};
use pos_api::Module;
use pos_api::pos::common::v1::Money;
use pos_api::pos::order::v1::{
    OrderCancelled, OrderPaid, OrderPaidLine, OrderRefunded, OrderRefundedLine, OrderState,
};
use pos_api::pos::product::v1::product_service_client::ProductServiceClient;
use pos_api::pos::product::v1::{
    CommitReservationRequest, GetProductRequest, GetReservationRequest, ListStockMovementsRequest,
    ReleaseReservationRequest, ReservationLine, ReserveStockRequest, StockMovement, StockMovementReason,
    StockReservation, StockReservationState,
};
use pos_platform::events::{Outbox, OutboxEvent};
use sqlx::PgPool;
use tonic::transport::Channel;
use uuid::Uuid;

/// How long an event may take from the outbox to the product module's commit (a new consumer
/// group joins slowly on a loaded machine).
const EVENTUAL: Duration = Duration::from_secs(90);

/// Unit price of every product of these tests (IDR).
const PRICE: i64 = 15_000;

/// How many platforms of this file run at once.
static PLATFORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A platform, an ACTIVE merchant with its owner, and the test database.
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

    /// A new product of the merchant with `stock` units on hand; returns its id.
    async fn product(&self, stock: i64) -> String {
        self.platform.product(&self.owner, PRICE, stock).await.id
    }

    /// Reserves `lines` (product, quantity) for a new order as the order module does; returns
    /// the order id.
    async fn reserve(&self, lines: &[(&str, i64)]) -> String {
        let order_id = Uuid::now_v7().to_string();
        self.products()
            .await
            .reserve_stock(
                self.platform.as_service(ReserveStockRequest {
                    order_id: order_id.clone(),
                    merchant_id: self.owner.merchant_id.clone(),
                    lines: lines
                        .iter()
                        .map(|(product_id, quantity)| ReservationLine {
                            product_id: (*product_id).to_owned(),
                            quantity: *quantity,
                            ..ReservationLine::default()
                        })
                        .collect(),
                    ttl: None,
                }),
            )
            .await
            .unwrap_or_else(|status| panic!("ReserveStock: {status:?}"));
        order_id
    }

    async fn reservation(&self, order_id: &str) -> StockReservation {
        self.products()
            .await
            .get_reservation(self.platform.as_service(GetReservationRequest {
                order_id: order_id.to_owned(),
            }))
            .await
            .unwrap_or_else(|status| panic!("GetReservation: {status:?}"))
            .into_inner()
            .reservation
            .expect("a reservation")
    }

    /// `(count_in_stock, reserved_quantity)` of a product, read from the database.
    async fn quantities(&self, product_id: &str) -> (i64, i64) {
        sqlx::query_as("SELECT count_in_stock, reserved_quantity FROM products.products WHERE id = $1")
            .bind(Uuid::parse_str(product_id).expect("a product id"))
            .fetch_one(&self.db)
            .await
            .expect("the product row")
    }

    /// The ledger rows of a product, newest first.
    async fn movements(&self, product_id: &str) -> Vec<StockMovement> {
        self.products()
            .await
            .list_stock_movements(self.platform.as_service(ListStockMovementsRequest {
                page_size: 500,
                product_id: product_id.to_owned(),
                ..ListStockMovementsRequest::default()
            }))
            .await
            .unwrap_or_else(|status| panic!("ListStockMovements: {status:?}"))
            .into_inner()
            .movements
    }

    /// Appends `event` (key: `order_id`) to the order module's outbox, as the order module does
    /// in the transaction of the change; returns the event id.
    async fn publish<M: prost::Message + prost::Name>(&self, order_id: &str, event: &M) -> Uuid {
        let event_id = Uuid::now_v7();
        let mut conn = self.db.acquire().await.expect("a connection");
        Outbox::of(Module::Order)
            .append(&mut conn, &OutboxEvent::new(event_id, order_id.to_owned(), event))
            .await
            .expect("the event is in the order outbox");
        event_id
    }

    /// Waits until the product module applied the event `event_id` (its inbox row committed with
    /// the event's stock writes).
    async fn applied(&self, event_id: Uuid) {
        eventually(
            EVENTUAL,
            "the product module applies the order event",
            || async move {
                let applied: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM products.inbox WHERE event_id = $1)")
                        .bind(event_id)
                        .fetch_one(&self.db)
                        .await
                        .ok()?;
                applied.then_some(())
            },
        )
        .await;
    }

    async fn stop(self) {
        self.db.close().await;
        self.platform.stop().await;
    }
}

fn idr(amount_minor: i64) -> Option<Money> {
    Some(Money {
        currency_code: "IDR".to_owned(),
        amount_minor,
    })
}

/// `OrderPaid` of `order_id` selling `lines` (product, quantity).
fn order_paid(merchant_id: &str, order_id: &str, lines: &[(&str, i64)]) -> OrderPaid {
    let total: i64 = lines.iter().map(|(_, quantity)| quantity * PRICE).sum();
    OrderPaid {
        order_id: order_id.to_owned(),
        merchant_id: merchant_id.to_owned(),
        lines: lines
            .iter()
            .map(|(product_id, quantity)| OrderPaidLine {
                order_item_id: Uuid::now_v7().to_string(),
                product_id: (*product_id).to_owned(),
                quantity: *quantity,
                unit_price: idr(PRICE),
                line_total: idr(quantity * PRICE),
                ..OrderPaidLine::default()
            })
            .collect(),
        currency_code: "IDR".to_owned(),
        subtotal: idr(total),
        tax: idr(0),
        total: idr(total),
        ..OrderPaid::default()
    }
}

/// `OrderRefunded` of refund `refund_id` giving back `lines` (product, quantity, restock).
fn order_refunded(
    merchant_id: &str,
    order_id: &str,
    refund_id: &str,
    lines: &[(&str, i64, bool)],
) -> OrderRefunded {
    let amount: i64 = lines.iter().map(|(_, quantity, _)| quantity * PRICE).sum();
    OrderRefunded {
        order_id: order_id.to_owned(),
        refund_id: refund_id.to_owned(),
        merchant_id: merchant_id.to_owned(),
        lines: lines
            .iter()
            .map(|(product_id, quantity, restock)| OrderRefundedLine {
                order_item_id: Uuid::now_v7().to_string(),
                product_id: (*product_id).to_owned(),
                quantity: *quantity,
                unit_price: idr(PRICE),
                amount: idr(quantity * PRICE),
                restock: *restock,
                ..OrderRefundedLine::default()
            })
            .collect(),
        currency_code: "IDR".to_owned(),
        tax: idr(0),
        amount: idr(amount),
        reason: "customer changed their mind".to_owned(),
        order_state: OrderState::PartiallyRefunded.into(),
        amount_refunded: idr(amount),
        ..OrderRefunded::default()
    }
}

fn order_cancelled(merchant_id: &str, order_id: &str) -> OrderCancelled {
    OrderCancelled {
        order_id: order_id.to_owned(),
        merchant_id: merchant_id.to_owned(),
        reason: "customer left".to_owned(),
        ..OrderCancelled::default()
    }
}

fn reasons(movements: &[StockMovement]) -> Vec<StockMovementReason> {
    movements
        .iter()
        .map(|movement| StockMovementReason::try_from(movement.reason).expect("a known reason"))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// OrderPaid
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paid_order_commits_its_reservation_with_one_sale_row_per_line() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let tea = fx.product(4).await;
    let order = fx.reserve(&[(&coffee, 3), (&tea, 4)]).await;
    assert_eq!(fx.quantities(&coffee).await, (10, 3));

    let paid = fx
        .publish(
            &order,
            &order_paid(&fx.owner.merchant_id, &order, &[(&coffee, 3), (&tea, 4)]),
        )
        .await;
    fx.applied(paid).await;

    let reservation = fx.reservation(&order).await;
    assert_eq!(reservation.state, i32::from(StockReservationState::Committed));
    assert_eq!(fx.quantities(&coffee).await, (7, 0));
    assert_eq!(fx.quantities(&tea).await, (0, 0));
    let coffee_rows = fx.movements(&coffee).await;
    assert_eq!(
        reasons(&coffee_rows),
        [StockMovementReason::Sale, StockMovementReason::Received]
    );
    let sale = &coffee_rows[0];
    assert_eq!(
        (sale.quantity_before, sale.delta, sale.quantity_after),
        (10, -3, 7)
    );
    assert_eq!(sale.reference, order);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_order_paid_event_delivered_again_and_published_twice_sells_once() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let order = fx.reserve(&[(&coffee, 3)]).await;
    let event = order_paid(&fx.owner.merchant_id, &order, &[(&coffee, 3)]);
    let first = fx.publish(&order, &event).await;
    fx.applied(first).await;

    // The relay sends the same event again (same event id), then the order module publishes the
    // same fact once more under a new id; same key, so the second arrives after the redelivery.
    sqlx::query("UPDATE orders.outbox SET published_at = NULL WHERE event_id = $1")
        .bind(first)
        .execute(&fx.db)
        .await
        .expect("the event is sent again");
    let second = fx.publish(&order, &event).await;
    fx.applied(second).await;

    assert_eq!(fx.quantities(&coffee).await, (7, 0));
    assert_eq!(
        reasons(&fx.movements(&coffee).await),
        [StockMovementReason::Sale, StockMovementReason::Received],
        "one SALE row"
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paid_order_shows_its_sold_stock_on_the_cached_product() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let order = fx.reserve(&[(&coffee, 3)]).await;
    let get = || async {
        fx.products()
            .await
            .get_product(fx.platform.as_service(GetProductRequest {
                product_id: coffee.clone(),
            }))
            .await
            .unwrap_or_else(|status| panic!("GetProduct: {status:?}"))
            .into_inner()
            .product
            .expect("a product")
    };
    let before = get().await;
    assert_eq!((before.count_in_stock, before.available_quantity), (10, 7));

    let paid = fx
        .publish(
            &order,
            &order_paid(&fx.owner.merchant_id, &order, &[(&coffee, 3)]),
        )
        .await;
    fx.applied(paid).await;

    eventually(EVENTUAL, "the cached product shows the sale", || async {
        let product = get().await;
        (product.count_in_stock == 7 && product.reserved_quantity == 0 && product.available_quantity == 7)
            .then_some(())
    })
    .await;
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// OrderRefunded
// ---------------------------------------------------------------------------------------------

/// A sold order of `coffee` ×3 and `tea` ×2 (reserved and committed as the order module would).
async fn sold(fx: &Fixture, coffee: &str, tea: &str) -> String {
    let order = fx.reserve(&[(coffee, 3), (tea, 2)]).await;
    fx.products()
        .await
        .commit_reservation(fx.platform.as_service(CommitReservationRequest {
            order_id: order.clone(),
        }))
        .await
        .unwrap_or_else(|status| panic!("CommitReservation: {status:?}"));
    order
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_restocks_only_the_lines_marked_for_restock() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let tea = fx.product(10).await;
    let order = sold(&fx, &coffee, &tea).await;
    let refund = Uuid::now_v7().to_string();

    let refunded = fx
        .publish(
            &order,
            &order_refunded(
                &fx.owner.merchant_id,
                &order,
                &refund,
                &[(&coffee, 2, true), (&tea, 1, false)],
            ),
        )
        .await;
    fx.applied(refunded).await;

    assert_eq!(fx.quantities(&coffee).await, (9, 0));
    assert_eq!(fx.quantities(&tea).await, (8, 0), "tea was not restocked");
    let coffee_rows = fx.movements(&coffee).await;
    assert_eq!(
        reasons(&coffee_rows),
        [
            StockMovementReason::Refund,
            StockMovementReason::Sale,
            StockMovementReason::Received
        ]
    );
    let restocked = &coffee_rows[0];
    assert_eq!(
        (
            restocked.quantity_before,
            restocked.delta,
            restocked.quantity_after
        ),
        (7, 2, 9)
    );
    assert_eq!(restocked.reference, refund);
    assert_eq!(
        reasons(&fx.movements(&tea).await),
        [StockMovementReason::Sale, StockMovementReason::Received]
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_refund_published_twice_restocks_once() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let tea = fx.product(10).await;
    let order = sold(&fx, &coffee, &tea).await;
    let event = order_refunded(
        &fx.owner.merchant_id,
        &order,
        &Uuid::now_v7().to_string(),
        &[(&coffee, 3, true), (&tea, 2, true)],
    );

    let first = fx.publish(&order, &event).await;
    let second = fx.publish(&order, &event).await;
    fx.applied(first).await;
    fx.applied(second).await;

    assert_eq!(fx.quantities(&coffee).await, (10, 0));
    assert_eq!(fx.quantities(&tea).await, (10, 0));
    assert_eq!(
        reasons(&fx.movements(&coffee).await),
        [
            StockMovementReason::Refund,
            StockMovementReason::Sale,
            StockMovementReason::Received
        ],
        "one REFUND row"
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_refunds_of_one_order_each_restock_their_units() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let tea = fx.product(10).await;
    let order = sold(&fx, &coffee, &tea).await;

    let first = fx
        .publish(
            &order,
            &order_refunded(
                &fx.owner.merchant_id,
                &order,
                &Uuid::now_v7().to_string(),
                &[(&coffee, 1, true)],
            ),
        )
        .await;
    let second = fx
        .publish(
            &order,
            &order_refunded(
                &fx.owner.merchant_id,
                &order,
                &Uuid::now_v7().to_string(),
                &[(&coffee, 2, true)],
            ),
        )
        .await;
    fx.applied(first).await;
    fx.applied(second).await;

    assert_eq!(fx.quantities(&coffee).await, (10, 0));
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// OrderCancelled
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_order_releases_its_reservation_without_a_ledger_row() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let order = fx.reserve(&[(&coffee, 4)]).await;

    let cancelled = fx
        .publish(&order, &order_cancelled(&fx.owner.merchant_id, &order))
        .await;
    fx.applied(cancelled).await;

    let reservation = fx.reservation(&order).await;
    assert_eq!(reservation.state, i32::from(StockReservationState::Released));
    assert_eq!(fx.quantities(&coffee).await, (10, 0));
    assert_eq!(
        reasons(&fx.movements(&coffee).await),
        [StockMovementReason::Received]
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancellation_after_the_synchronous_release_changes_nothing() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let order = fx.reserve(&[(&coffee, 4)]).await;
    let released = fx
        .products()
        .await
        .release_reservation(fx.platform.as_service(ReleaseReservationRequest {
            order_id: order.clone(),
        }))
        .await
        .unwrap_or_else(|status| panic!("ReleaseReservation: {status:?}"))
        .into_inner()
        .reservation
        .expect("a reservation");

    let cancelled = fx
        .publish(&order, &order_cancelled(&fx.owner.merchant_id, &order))
        .await;
    fx.applied(cancelled).await;

    assert_eq!(fx.reservation(&order).await, released);
    assert_eq!(fx.quantities(&coffee).await, (10, 0));
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_order_shows_its_released_stock_on_the_cached_product() {
    let fx = Fixture::start().await;
    let coffee = fx.product(10).await;
    let order = fx.reserve(&[(&coffee, 4)]).await;
    let get = || async {
        fx.products()
            .await
            .get_product(fx.platform.as_service(GetProductRequest {
                product_id: coffee.clone(),
            }))
            .await
            .unwrap_or_else(|status| panic!("GetProduct: {status:?}"))
            .into_inner()
            .product
            .expect("a product")
    };
    assert_eq!(get().await.available_quantity, 6, "cached while held");

    let cancelled = fx
        .publish(&order, &order_cancelled(&fx.owner.merchant_id, &order))
        .await;
    fx.applied(cancelled).await;

    eventually(
        EVENTUAL,
        "the cached product shows the released stock",
        || async { (get().await.available_quantity == 10).then_some(()) },
    )
    .await;
    fx.stop().await;
}
