//! Orders and order items through the real server (every module in one process, real PostgreSQL,
//! Redis and broker): creation with price snapshots and stock reservations, idempotency, line
//! changes, cancellation and expiry, scopes, listing, the trash of cancelled orders, and the
//! payment-driven states (PAID, refunds, compensation) — the payment events are appended to the
//! transaction module's outbox by the tests, as the transaction module would publish them.

#[path = "support/platform.rs"]
mod platform;

use std::time::Duration;

use platform::{CashierSession, MerchantOwner, TestPlatform, bearer, eventually};
use pos_api::Module;
use pos_api::pos::common::v1::{Lifecycle, Money};
use pos_api::pos::order::v1::order_item_service_client::OrderItemServiceClient;
use pos_api::pos::order::v1::order_service_client::OrderServiceClient;
use pos_api::pos::order::v1::{
    CancelOrderRequest, CreateOrderRequest, DeleteOrderRequest, GetOrderRequest, GetReceiptRequest,
    ListOrderItemsRequest, ListOrdersRequest, Order, OrderItem, OrderState, PurgeOrderRequest, RefundLine,
    RefundOrderRequest, RestoreOrderRequest, UpdateOrderLinesRequest,
};
use pos_api::pos::product::v1::product_service_client::ProductServiceClient;
use pos_api::pos::product::v1::{GetReservationRequest, StockReservation, StockReservationState};
use pos_api::pos::transaction::v1::{
    OrderFullyPaid, PaymentMethod, PaymentSucceeded, Transaction, TransactionKind, TransactionStatus,
};
use pos_platform::events::{Outbox, OutboxEvent};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// How long an event-driven effect may take.
const EVENTUAL: Duration = Duration::from_secs(60);
/// Unit price of the first product of these tests (IDR).
const PRICE: i64 = 15_000;

/// How many platforms of this file run at once.
static PLATFORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

/// A platform with a merchant, its owner, a cashier and two products.
struct Fixture {
    platform: TestPlatform,
    owner: MerchantOwner,
    cashier: CashierSession,
    /// 15 000 IDR, 10 in stock.
    product: String,
    /// 2 500 IDR, 5 in stock.
    other: String,
    orders: OrderServiceClient<Channel>,
    _permit: tokio::sync::SemaphorePermit<'static>,
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with(&[]).await
    }

    async fn start_with(args: &[&str]) -> Self {
        let permit = PLATFORMS.acquire().await.expect("semaphore open");
        let platform = TestPlatform::start_with(args).await;
        let owner = platform.active_merchant().await;
        let cashier = platform.cashier(&owner).await;
        let product = platform.product(&owner, PRICE, 10).await.id;
        let other = platform.product(&owner, 2_500, 5).await.id;
        let orders = OrderServiceClient::new(platform.channel().await);
        Fixture {
            platform,
            owner,
            cashier,
            product,
            other,
            orders,
            _permit: permit,
        }
    }

    /// CreateOrder by the cashier with `lines` (product, quantity) under `request_id`.
    async fn create_as(
        &self,
        token: &str,
        cashier_id: &str,
        lines: &[(&str, i64)],
        request_id: &str,
    ) -> Result<Order, Status> {
        let request = CreateOrderRequest {
            order: Some(Order {
                merchant_id: self.owner.merchant_id.clone(),
                cashier_id: cashier_id.to_owned(),
                items: items(lines),
                ..Order::default()
            }),
            request_id: request_id.to_owned(),
        };
        self.orders
            .clone()
            .create_order(bearer(token, request))
            .await
            .map(|response| response.into_inner().order.expect("an order"))
    }

    async fn create(&self, lines: &[(&str, i64)]) -> Result<Order, Status> {
        let token = self.cashier.session.access_token.clone();
        self.create_as(
            &token,
            &self.cashier.cashier_id,
            lines,
            &Uuid::now_v7().to_string(),
        )
        .await
    }

    async fn get(&self, order_id: &str) -> Result<Order, Status> {
        self.orders
            .clone()
            .get_order(bearer(
                &self.owner.session.access_token,
                GetOrderRequest {
                    order_id: order_id.to_owned(),
                },
            ))
            .await
            .map(|response| response.into_inner().order.expect("an order"))
    }

    async fn cancel(&self, order_id: &str) -> Result<Order, Status> {
        self.orders
            .clone()
            .cancel_order(bearer(
                &self.cashier.session.access_token,
                CancelOrderRequest {
                    order_id: order_id.to_owned(),
                    reason: "customer left".to_owned(),
                },
            ))
            .await
            .map(|response| response.into_inner().order.expect("an order"))
    }

    async fn reservation(&self, order_id: &str) -> StockReservation {
        ProductServiceClient::new(self.platform.channel().await)
            .get_reservation(self.platform.as_service(GetReservationRequest {
                order_id: order_id.to_owned(),
            }))
            .await
            .unwrap_or_else(|status| panic!("GetReservation: {status:?}"))
            .into_inner()
            .reservation
            .expect("a reservation")
    }

    /// Publishes `message` on the transaction topic (key: the order id), as the transaction
    /// module does, through its outbox.
    async fn publish_payment_event<M: prost::Message + prost::Name>(&self, order_id: &str, message: &M) {
        let mut conn = self.platform.database.pool.acquire().await.unwrap();
        Outbox::of(Module::Transaction)
            .append(
                &mut conn,
                &OutboxEvent::new(Uuid::now_v7(), order_id.to_owned(), message),
            )
            .await
            .unwrap();
    }

    /// A cash payment of `amount` for `order` succeeds, as the transaction module reports it.
    async fn pay(&self, order: &Order, amount: i64) -> Transaction {
        let payment = Transaction {
            id: Uuid::now_v7().to_string(),
            order_id: order.id.clone(),
            merchant_id: order.merchant_id.clone(),
            cashier_id: order.cashier_id.clone(),
            kind: TransactionKind::Payment.into(),
            method: PaymentMethod::Cash.into(),
            status: TransactionStatus::Succeeded.into(),
            amount: Some(idr(amount)),
            tendered: Some(idr(amount)),
            change: Some(idr(0)),
            ..Transaction::default()
        };
        self.publish_payment_event(
            &order.id,
            &PaymentSucceeded {
                transaction: Some(payment.clone()),
                ..PaymentSucceeded::default()
            },
        )
        .await;
        payment
    }

    /// The transaction module reports `order` fully paid by `payments`.
    async fn fully_paid(&self, order: &Order, payments: Vec<Transaction>) {
        self.publish_payment_event(
            &order.id,
            &OrderFullyPaid {
                order_id: order.id.clone(),
                merchant_id: order.merchant_id.clone(),
                cashier_id: order.cashier_id.clone(),
                order_total: order.total.clone(),
                change_total: Some(idr(0)),
                payments,
                ..OrderFullyPaid::default()
            },
        )
        .await;
    }

    /// Waits until order `order_id` satisfies `done`.
    async fn order_eventually(&self, order_id: &str, what: &str, done: impl Fn(&Order) -> bool) -> Order {
        eventually(EVENTUAL, what, || async {
            let order = self.get(order_id).await.ok()?;
            done(&order).then_some(order)
        })
        .await
    }

    /// An order of 2 × the first product, paid in full.
    async fn paid_order(&self) -> Order {
        let order = self
            .create(&[(&self.product, 2), (&self.other, 1)])
            .await
            .unwrap();
        let total = amount(order.total.as_ref());
        let payment = self.pay(&order, total).await;
        self.fully_paid(&order, vec![payment]).await;
        self.order_eventually(&order.id, "the order becomes PAID", |order| {
            order.state == OrderState::Paid as i32
        })
        .await
    }

    async fn refund(
        &self,
        request: RefundOrderRequest,
    ) -> Result<(Order, pos_api::pos::order::v1::Refund), Status> {
        self.orders
            .clone()
            .refund_order(bearer(&self.owner.session.access_token, request))
            .await
            .map(|response| {
                let response = response.into_inner();
                (
                    response.order.expect("an order"),
                    response.refund.expect("a refund"),
                )
            })
    }

    async fn stop(self) {
        self.platform.stop().await;
    }
}

fn items(lines: &[(&str, i64)]) -> Vec<OrderItem> {
    lines
        .iter()
        .map(|(product_id, quantity)| OrderItem {
            product_id: (*product_id).to_owned(),
            quantity: *quantity,
            ..OrderItem::default()
        })
        .collect()
}

fn idr(amount_minor: i64) -> Money {
    Money {
        currency_code: "IDR".to_owned(),
        amount_minor,
    }
}

fn amount(money: Option<&Money>) -> i64 {
    money.map_or(0, |money| money.amount_minor)
}

fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

fn metadata(status: &Status, key: &str) -> String {
    status
        .get_error_details()
        .error_info()
        .and_then(|info| info.metadata.get(key).cloned())
        .unwrap_or_default()
}

fn reserved(reservation: &StockReservation) -> Vec<(String, i64)> {
    let mut lines: Vec<(String, i64)> = reservation
        .lines
        .iter()
        .map(|line| (line.product_id.clone(), line.quantity))
        .collect();
    lines.sort();
    lines
}

#[tokio::test(flavor = "multi_thread")]
async fn creating_an_order_snapshots_prices_computes_totals_and_reserves_the_stock() {
    let fx = Fixture::start().await;
    let order = fx
        .create(&[(&fx.product, 2), (&fx.other, 1), (&fx.product, 1)])
        .await
        .unwrap();

    assert_eq!(order.state, OrderState::Open as i32);
    assert_eq!(order.currency_code, "IDR");
    assert_eq!(order.items.len(), 2, "lines of one product are merged");
    assert_eq!(order.items[0].product_id, fx.product);
    assert_eq!(order.items[0].quantity, 3);
    assert_eq!(amount(order.items[0].unit_price.as_ref()), PRICE);
    assert_eq!(amount(order.items[0].line_total.as_ref()), 3 * PRICE);
    assert!(order.items[0].product_name.starts_with("Product "));
    assert!(!order.items[0].category_id.is_empty());
    let subtotal = 3 * PRICE + 2_500;
    assert_eq!(amount(order.subtotal.as_ref()), subtotal);
    assert_eq!(order.tax_rate_basis_points, 0);
    assert_eq!(amount(order.tax.as_ref()), 0);
    assert_eq!(amount(order.total.as_ref()), subtotal);
    assert_eq!(amount(order.amount_due.as_ref()), subtotal);
    assert_eq!(amount(order.amount_paid.as_ref()), 0);
    assert!(order.expire_time.is_some());

    let reservation = fx.reservation(&order.id).await;
    assert_eq!(reservation.state, StockReservationState::Pending as i32);
    let mut expected = vec![(fx.product.clone(), 3), (fx.other.clone(), 1)];
    expected.sort();
    assert_eq!(reserved(&reservation), expected);
    assert_eq!(fx.get(&order.id).await.unwrap(), order);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retry_with_the_same_request_id_returns_the_first_order_and_reserves_nothing_more() {
    let fx = Fixture::start().await;
    let token = fx.cashier.session.access_token.clone();
    let request_id = Uuid::now_v7().to_string();
    let first = fx
        .create_as(&token, &fx.cashier.cashier_id, &[(&fx.product, 4)], &request_id)
        .await
        .unwrap();
    let retry = fx
        .create_as(&token, &fx.cashier.cashier_id, &[(&fx.product, 4)], &request_id)
        .await
        .unwrap();
    assert_eq!(retry, first);

    // 10 in stock, 4 held once: 6 more fit, 7 do not.
    let short = fx.create(&[(&fx.product, 7)]).await.unwrap_err();
    assert_eq!(reason(&short), "INSUFFICIENT_STOCK");
    fx.create(&[(&fx.product, 6)]).await.unwrap();
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn the_same_request_id_with_other_lines_is_refused() {
    let fx = Fixture::start().await;
    let token = fx.cashier.session.access_token.clone();
    let request_id = Uuid::now_v7().to_string();
    fx.create_as(&token, &fx.cashier.cashier_id, &[(&fx.product, 1)], &request_id)
        .await
        .unwrap();
    let reused = fx
        .create_as(&token, &fx.cashier.cashier_id, &[(&fx.product, 2)], &request_id)
        .await
        .unwrap_err();
    assert_eq!(reused.code(), Code::AlreadyExists);
    assert_eq!(reason(&reused), "IDEMPOTENCY_KEY_REUSED");
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_short_line_names_the_product_and_its_available_quantity_and_nothing_is_reserved() {
    let fx = Fixture::start().await;
    let short = fx.create(&[(&fx.product, 1), (&fx.other, 6)]).await.unwrap_err();
    assert_eq!(short.code(), Code::FailedPrecondition);
    assert_eq!(reason(&short), "INSUFFICIENT_STOCK");
    assert_eq!(metadata(&short, "productId"), fx.other);
    assert_eq!(metadata(&short, "availableQuantity"), "5");
    assert_eq!(metadata(&short, "requestedQuantity"), "6");
    // Nothing was held: the whole stock is still available.
    fx.create(&[(&fx.product, 10), (&fx.other, 5)]).await.unwrap();
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unknown_product_is_not_found() {
    let fx = Fixture::start().await;
    let missing = fx.create(&[(&Uuid::now_v7().to_string(), 1)]).await.unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(reason(&missing), "PRODUCT_NOT_FOUND");
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn cancelling_an_open_order_releases_its_stock_and_is_idempotent() {
    let fx = Fixture::start().await;
    let order = fx.create(&[(&fx.product, 10)]).await.unwrap();
    let cancelled = fx.cancel(&order.id).await.unwrap();
    assert_eq!(cancelled.state, OrderState::Cancelled as i32);
    assert_eq!(cancelled.cancel_reason, "customer left");
    assert!(cancelled.cancel_time.is_some());
    assert!(cancelled.expire_time.is_none());
    assert_eq!(
        fx.reservation(&order.id).await.state,
        StockReservationState::Released as i32
    );
    assert_eq!(
        fx.cancel(&order.id).await.unwrap(),
        cancelled,
        "cancelling again changes nothing"
    );
    // The 10 units are available again.
    fx.create(&[(&fx.product, 10)]).await.unwrap();
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn updating_the_lines_replaces_the_items_and_the_reservation() {
    let fx = Fixture::start().await;
    let order = fx.create(&[(&fx.product, 2), (&fx.other, 1)]).await.unwrap();
    let updated = fx
        .orders
        .clone()
        .update_order_lines(bearer(
            &fx.cashier.session.access_token,
            UpdateOrderLinesRequest {
                order_id: order.id.clone(),
                items: items(&[(&fx.product, 5)]),
                request_id: Uuid::now_v7().to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert_eq!(updated.items.len(), 1);
    assert_eq!(
        updated.items[0].id, order.items[0].id,
        "a kept product keeps its item"
    );
    assert_eq!(updated.items[0].quantity, 5);
    assert_eq!(amount(updated.total.as_ref()), 5 * PRICE);
    assert_eq!(
        reserved(&fx.reservation(&order.id).await),
        vec![(fx.product.clone(), 5)]
    );

    let short = fx
        .orders
        .clone()
        .update_order_lines(bearer(
            &fx.cashier.session.access_token,
            UpdateOrderLinesRequest {
                order_id: order.id.clone(),
                items: items(&[(&fx.product, 11)]),
                request_id: Uuid::now_v7().to_string(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&short), "INSUFFICIENT_STOCK");
    assert_eq!(
        fx.get(&order.id).await.unwrap().items[0].quantity,
        5,
        "unchanged when short"
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cashier_of_another_merchant_can_neither_sell_for_nor_read_this_merchant() {
    let fx = Fixture::start().await;
    let order = fx.create(&[(&fx.product, 1)]).await.unwrap();
    let stranger_owner = fx.platform.active_merchant().await;
    let stranger = fx.platform.cashier(&stranger_owner).await;

    let refused = fx
        .create_as(
            &stranger.session.access_token,
            &stranger.cashier_id,
            &[(&fx.product, 1)],
            &Uuid::now_v7().to_string(),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert_eq!(reason(&refused), "PERMISSION_MISSING");

    let hidden = fx
        .orders
        .clone()
        .get_order(bearer(
            &stranger.session.access_token,
            GetOrderRequest {
                order_id: order.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(hidden.code(), Code::NotFound);
    assert_eq!(reason(&hidden), "ORDER_NOT_FOUND");

    // A cashier sells only as itself, even at its own merchant.
    let colleague = fx.platform.cashier(&fx.owner).await;
    let as_other = fx
        .create_as(
            &fx.cashier.session.access_token,
            &colleague.cashier_id,
            &[(&fx.product, 1)],
            &Uuid::now_v7().to_string(),
        )
        .await
        .unwrap_err();
    assert_eq!(as_other.code(), Code::PermissionDenied);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn orders_are_listed_newest_first_filtered_and_paged() {
    let fx = Fixture::start().await;
    let colleague = fx.platform.cashier(&fx.owner).await;
    let mut mine = Vec::new();
    for _ in 0..3 {
        mine.push(fx.create(&[(&fx.product, 1)]).await.unwrap());
    }
    let theirs = fx
        .create_as(
            &colleague.session.access_token,
            &colleague.cashier_id,
            &[(&fx.other, 1)],
            &Uuid::now_v7().to_string(),
        )
        .await
        .unwrap();
    fx.cancel(&mine[0].id).await.unwrap();

    let list = |request: ListOrdersRequest| {
        let mut client = fx.orders.clone();
        let token = fx.owner.session.access_token.clone();
        async move {
            client
                .list_orders(bearer(&token, request))
                .await
                .map(tonic::Response::into_inner)
        }
    };
    let base = ListOrdersRequest {
        merchant_id: fx.owner.merchant_id.clone(),
        ..ListOrdersRequest::default()
    };
    let first = list(ListOrdersRequest {
        cashier_id: fx.cashier.cashier_id.clone(),
        page_size: 2,
        ..base.clone()
    })
    .await
    .unwrap();
    assert_eq!(first.total_size, 3);
    let ids: Vec<&str> = first.orders.iter().map(|order| order.id.as_str()).collect();
    assert_eq!(ids, [mine[2].id.as_str(), mine[1].id.as_str()]);
    assert!(first.orders[0].items.is_empty(), "the basic view has no items");
    let second = list(ListOrdersRequest {
        cashier_id: fx.cashier.cashier_id.clone(),
        page_size: 2,
        page_token: first.next_page_token.clone(),
        ..base.clone()
    })
    .await
    .unwrap();
    assert_eq!(second.orders.len(), 1);
    assert_eq!(second.orders[0].id, mine[0].id);
    assert!(second.next_page_token.is_empty());

    let cancelled = list(ListOrdersRequest {
        state: OrderState::Cancelled.into(),
        ..base.clone()
    })
    .await
    .unwrap();
    assert_eq!(cancelled.orders.len(), 1);
    assert_eq!(cancelled.orders[0].id, mine[0].id);

    let everything = list(ListOrdersRequest {
        view: pos_api::pos::order::v1::OrderView::Full.into(),
        ..base.clone()
    })
    .await
    .unwrap();
    assert_eq!(everything.total_size, 4);
    assert_eq!(everything.orders[0].id, theirs.id);
    assert_eq!(everything.orders[0].items.len(), 1);

    let tampered = list(ListOrdersRequest {
        cashier_id: colleague.cashier_id.clone(),
        page_token: first.next_page_token,
        ..base
    })
    .await
    .unwrap_err();
    assert_eq!(tampered.code(), Code::InvalidArgument);

    let elsewhere = fx
        .orders
        .clone()
        .list_orders(bearer(
            &fx.cashier.session.access_token,
            ListOrdersRequest::default(),
        ))
        .await
        .unwrap_err();
    assert_eq!(elsewhere.code(), Code::PermissionDenied);

    let items = OrderItemServiceClient::new(fx.platform.channel().await)
        .list_order_items(bearer(
            &fx.cashier.session.access_token,
            ListOrderItemsRequest {
                order_id: theirs.id.clone(),
                ..ListOrderItemsRequest::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(items.order_items.len(), 1);
    assert_eq!(items.order_items[0].product_id, fx.other);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn only_cancelled_orders_go_to_the_trash_and_come_back_or_are_purged() {
    let fx = Fixture::start().await;
    let open = fx.create(&[(&fx.product, 1)]).await.unwrap();
    let token = fx.owner.session.access_token.clone();
    let mut orders = fx.orders.clone();

    let refused = orders
        .delete_order(bearer(
            &token,
            DeleteOrderRequest {
                order_id: open.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ORDER_NOT_CANCELLED");

    fx.cancel(&open.id).await.unwrap();
    let by_cashier = orders
        .delete_order(bearer(
            &fx.cashier.session.access_token,
            DeleteOrderRequest {
                order_id: open.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(by_cashier.code(), Code::PermissionDenied);

    let trashed = orders
        .delete_order(bearer(
            &token,
            DeleteOrderRequest {
                order_id: open.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert!(trashed.delete_time.is_some());
    let again = orders
        .delete_order(bearer(
            &token,
            DeleteOrderRequest {
                order_id: open.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&again), "ORDER_TRASHED");
    let listed = orders
        .list_orders(bearer(
            &token,
            ListOrdersRequest {
                merchant_id: fx.owner.merchant_id.clone(),
                lifecycle: Lifecycle::Trashed.into(),
                ..ListOrdersRequest::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.orders.len(), 1);

    let restored = orders
        .restore_order(bearer(
            &token,
            RestoreOrderRequest {
                order_id: open.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .order
        .unwrap();
    assert!(restored.delete_time.is_none());
    let not_trashed = orders
        .purge_order(bearer(
            &token,
            PurgeOrderRequest {
                order_id: open.id.clone(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(reason(&not_trashed), "ORDER_NOT_TRASHED");

    orders
        .delete_order(bearer(
            &token,
            DeleteOrderRequest {
                order_id: open.id.clone(),
            },
        ))
        .await
        .unwrap();
    orders
        .purge_order(bearer(
            &token,
            PurgeOrderRequest {
                order_id: open.id.clone(),
            },
        ))
        .await
        .unwrap();
    let gone = fx.get(&open.id).await.unwrap_err();
    assert_eq!(gone.code(), Code::NotFound);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unpaid_order_is_cancelled_at_its_expire_time_and_its_stock_released() {
    let fx = Fixture::start_with(&["--order-hold-seconds", "2"]).await;
    let order = fx.create(&[(&fx.product, 10)]).await.unwrap();
    let expire = order.expire_time.as_ref().unwrap().seconds;
    let created = order.create_time.as_ref().unwrap().seconds;
    assert!(
        (1..=3).contains(&(expire - created)),
        "held for the configured 2 s"
    );
    let cancelled = fx
        .order_eventually(&order.id, "the expired order is cancelled", |order| {
            order.state == OrderState::Cancelled as i32
        })
        .await;
    assert!(!cancelled.cancel_reason.is_empty());
    assert_eq!(
        fx.reservation(&order.id).await.state,
        StockReservationState::Released as i32
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_fully_paid_order_becomes_paid_and_is_refunded_never_beyond_what_was_paid() {
    let fx = Fixture::start().await;
    let paid = fx.paid_order().await;
    let total = amount(paid.total.as_ref());
    assert_eq!(amount(paid.amount_paid.as_ref()), total);
    assert_eq!(amount(paid.amount_due.as_ref()), 0);
    assert!(paid.paid_time.is_some());
    assert!(paid.expire_time.is_none());

    let cancel = fx.cancel(&paid.id).await.unwrap_err();
    assert_eq!(reason(&cancel), "ORDER_NOT_OPEN");

    let item = &paid.items[0];
    let too_many = fx
        .refund(RefundOrderRequest {
            order_id: paid.id.clone(),
            lines: vec![RefundLine {
                order_item_id: item.id.clone(),
                quantity: 3,
                restock: true,
                ..RefundLine::default()
            }],
            reason: "too many".to_owned(),
            request_id: Uuid::now_v7().to_string(),
            ..RefundOrderRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(too_many.code(), Code::FailedPrecondition);
    assert_eq!(reason(&too_many), "REFUND_EXCEEDS_PAID");
    assert_eq!(metadata(&too_many, "refundableQuantity"), "2");

    let partial_request = RefundOrderRequest {
        order_id: paid.id.clone(),
        lines: vec![RefundLine {
            order_item_id: item.id.clone(),
            quantity: 1,
            restock: true,
            ..RefundLine::default()
        }],
        reason: "damaged box".to_owned(),
        request_id: Uuid::now_v7().to_string(),
        ..RefundOrderRequest::default()
    };
    let (partial, refund) = fx.refund(partial_request.clone()).await.unwrap();
    assert_eq!(partial.state, OrderState::PartiallyRefunded as i32);
    assert_eq!(amount(refund.amount.as_ref()), PRICE);
    assert_eq!(refund.lines.len(), 1);
    assert!(refund.lines[0].restock);
    assert_eq!(partial.items[0].refunded_quantity, 1);
    let (replayed, replayed_refund) = fx.refund(partial_request).await.unwrap();
    assert_eq!(replayed_refund, refund, "a retry returns the first refund");
    assert_eq!(replayed.refunds.len(), 1);

    let (full, rest) = fx
        .refund(RefundOrderRequest {
            order_id: paid.id.clone(),
            reason: "customer returned everything".to_owned(),
            request_id: Uuid::now_v7().to_string(),
            ..RefundOrderRequest::default()
        })
        .await
        .unwrap();
    assert_eq!(full.state, OrderState::Refunded as i32);
    assert_eq!(
        amount(rest.amount.as_ref()),
        total - PRICE,
        "exactly the rest of what was paid"
    );
    assert_eq!(amount(full.amount_refunded.as_ref()), total);
    assert_eq!(full.refunds.len(), 2);

    let nothing_left = fx
        .refund(RefundOrderRequest {
            order_id: paid.id.clone(),
            reason: "again".to_owned(),
            request_id: Uuid::now_v7().to_string(),
            ..RefundOrderRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(reason(&nothing_left), "REFUND_EXCEEDS_PAID");
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_open_order_cannot_be_refunded() {
    let fx = Fixture::start().await;
    let order = fx.create(&[(&fx.product, 1)]).await.unwrap();
    let refused = fx
        .refund(RefundOrderRequest {
            order_id: order.id.clone(),
            reason: "no".to_owned(),
            request_id: Uuid::now_v7().to_string(),
            ..RefundOrderRequest::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ORDER_NOT_PAID");
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_partial_payment_blocks_cancelling_the_order() {
    let fx = Fixture::start().await;
    let order = fx.create(&[(&fx.product, 2)]).await.unwrap();
    fx.pay(&order, PRICE).await;
    let part_paid = fx
        .order_eventually(&order.id, "the payment is applied", |order| {
            amount(order.amount_paid.as_ref()) == PRICE
        })
        .await;
    assert_eq!(part_paid.state, OrderState::Open as i32);
    assert_eq!(amount(part_paid.amount_due.as_ref()), PRICE);
    let refused = fx.cancel(&order.id).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert_eq!(reason(&refused), "ORDER_HAS_PAYMENTS");
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_payment_that_lands_on_a_cancelled_order_is_given_back() {
    let fx = Fixture::start().await;
    let order = fx.create(&[(&fx.product, 1)]).await.unwrap();
    fx.cancel(&order.id).await.unwrap();
    let payment = fx.pay(&order, PRICE).await;
    fx.fully_paid(&order, vec![payment]).await;
    let compensated = fx
        .order_eventually(&order.id, "the late payment is refunded", |order| {
            !order.refunds.is_empty()
        })
        .await;
    assert_eq!(
        compensated.state,
        OrderState::Cancelled as i32,
        "it stays cancelled"
    );
    assert_eq!(compensated.refunds.len(), 1);
    assert_eq!(compensated.refunds[0].reason, "ORDER_CANCELLED_BEFORE_PAYMENT");
    assert_eq!(amount(compensated.refunds[0].amount.as_ref()), PRICE);
    assert!(compensated.refunds[0].lines.is_empty(), "nothing is restocked");
    assert_eq!(amount(compensated.amount_refunded.as_ref()), PRICE);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_receipt_carries_the_merchant_the_cashier_and_the_lines() {
    let fx = Fixture::start().await;
    let order = fx.create(&[(&fx.product, 2)]).await.unwrap();
    let receipt = fx
        .orders
        .clone()
        .get_receipt(bearer(
            &fx.cashier.session.access_token,
            GetReceiptRequest {
                order_id: order.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .receipt
        .unwrap();
    assert_eq!(receipt.order_id, order.id);
    assert_eq!(receipt.order_state, OrderState::Open as i32);
    assert!(receipt.merchant_name.starts_with("Toko "));
    assert_eq!(receipt.time_zone, "Asia/Jakarta");
    assert!(receipt.cashier_name.starts_with("Kasir "));
    assert_eq!(receipt.lines.len(), 1);
    assert_eq!(receipt.lines[0].quantity, 2);
    assert_eq!(amount(receipt.total.as_ref()), 2 * PRICE);
    assert!(receipt.payments.is_empty(), "a pro-forma has no payments");
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn concurrent_orders_never_oversell() {
    let fx = Fixture::start().await;
    // 200 orders race for 10 units, 4 in flight at a time: fewer than the process's 32
    // PostgreSQL connections, which every module shares (reservations of one product queue on its
    // row lock holding one), so the race is about stock, not about the pool.
    let in_flight = std::sync::Arc::new(tokio::sync::Semaphore::new(4));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let in_flight = std::sync::Arc::clone(&in_flight);
        let orders = fx.orders.clone();
        let token = fx.cashier.session.access_token.clone();
        let request = CreateOrderRequest {
            order: Some(Order {
                merchant_id: fx.owner.merchant_id.clone(),
                cashier_id: fx.cashier.cashier_id.clone(),
                items: items(&[(&fx.product, 1)]),
                ..Order::default()
            }),
            request_id: Uuid::now_v7().to_string(),
        };
        tasks.spawn(async move {
            let _turn = in_flight.acquire().await.expect("the semaphore is never closed");
            orders.clone().create_order(bearer(&token, request)).await
        });
    }
    let mut created = 0;
    while let Some(result) = tasks.join_next().await {
        match result.unwrap() {
            Ok(_) => created += 1,
            Err(status) => assert_eq!(reason(&status), "INSUFFICIENT_STOCK", "{status:?}"),
        }
    }
    assert_eq!(created, 10, "exactly the 10 units in stock are sold");
    let listed = fx
        .orders
        .clone()
        .list_orders(bearer(
            &fx.owner.session.access_token,
            ListOrdersRequest {
                merchant_id: fx.owner.merchant_id.clone(),
                ..ListOrdersRequest::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.total_size, 10, "no order without its reservation");
    fx.stop().await;
}
