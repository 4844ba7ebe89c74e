//! Checkout through the real server (issue #7, "Done when"): carts in Redis, orders with stock
//! reservations, cash payments with change, the events that mark an order PAID and commit its
//! stock, refunds that restock, and merchant settlement — with every module in one process and
//! with the order, product and transaction modules each in a process of its own.
//!
//! Every call goes through the access layer with a real identity: the cashier rings up and takes
//! payment, the owner refunds (cashiers lack `order.refund` by default) and settles. Effects that
//! travel by events (PAID, stock committed and restocked, refund transactions, settlement) are
//! polled with a deadline, never slept on.

#[path = "support/platform.rs"]
mod platform;

use std::collections::BTreeSet;
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use platform::{CashierSession, MerchantOwner, SERVICE_SECRET, TestPlatform, bearer, eventually};
use pos_api::Module;
use pos_api::pos::common::v1::Money;
use pos_api::pos::merchant::v1::merchant_service_client::MerchantServiceClient;
use pos_api::pos::merchant::v1::{
    GetSettlementRequest, RequestSettlementRequest, Settlement, SettlementState, SuspendMerchantRequest,
};
use pos_api::pos::order::v1::cart_service_client::CartServiceClient;
use pos_api::pos::order::v1::order_service_client::OrderServiceClient;
use pos_api::pos::order::v1::{
    AddCartLineRequest, CancelOrderRequest, Cart, CheckoutCartRequest, CreateCartRequest, CreateOrderRequest,
    GetCartRequest, GetOrderRequest, GetReceiptRequest, ListOrdersRequest, Order, OrderItem, OrderState,
    RefundLine, RefundOrderRequest, add_cart_line_request,
};
use pos_api::pos::product::v1::product_service_client::ProductServiceClient;
use pos_api::pos::product::v1::{
    CreateProductRequest, GetProductRequest, GetReservationRequest, ListStockMovementsRequest, Product,
    StockMovement, StockMovementReason, StockReservationState,
};
use pos_api::pos::transaction::v1::transaction_service_client::TransactionServiceClient;
use pos_api::pos::transaction::v1::{
    CreatePaymentRequest, CreatePaymentResponse, ListTransactionsRequest, PaymentMethod, Transaction,
    TransactionKind, TransactionStatus,
};
use pos_platform::Config;
use pos_platform::testkit::{self, TestDatabase};
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// How long an event-driven effect (order PAID, stock committed, refund recorded, settlement
/// completed) may take to show. Generous: a fresh platform's consumer groups join the shared
/// test broker first (tens of seconds on a loaded machine), and only then see the first event.
const EVENTS: Duration = Duration::from_secs(90);

/// How many platforms of this file run at once: the concurrency tests need the machine's cores
/// and PostgreSQL connections for their own races.
static PLATFORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

// ---------------------------------------------------------------------------------------------
// The sale, in whichever topology
// ---------------------------------------------------------------------------------------------

/// A full sale: cart (lines by barcode and by id) → checkout → cash payment with change → order
/// PAID → stock committed → partial refund restocking one line → stock and order state right →
/// settlement with the right net; a second settlement settles nothing twice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sale_from_cart_to_settlement_in_one_process() {
    let _turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
    let platform = TestPlatform::start().await;
    let routes = Routes::one_process(&platform).await;

    full_sale(&platform, &routes).await;

    platform.stop().await;
}

/// The same sale with the order, product and transaction modules each in a process of its own
/// and every other module in a fourth, sharing one database, Redis and broker: every call between
/// them crosses the network and every event the broker.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sale_with_order_product_and_transaction_in_separate_processes() {
    let _turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
    let split = SplitPlatform::start().await;

    full_sale(&split.platform, &split.routes).await;

    split.stop().await;
}

async fn full_sale(platform: &TestPlatform, routes: &Routes) {
    let owner = platform.active_merchant().await;
    let cashier = platform.cashier(&owner).await;
    let tea = new_product(platform, routes, &owner, 5_000, 10).await;
    let rice = new_product(platform, routes, &owner, 12_000, 5).await;
    let cashier_token = cashier.session.access_token.as_str();
    let owner_token = owner.session.access_token.as_str();

    // The cashier opens a cart, scans two teas by barcode and adds a rice by id.
    let mut carts = CartServiceClient::new(routes.order.clone());
    let cart = carts
        .create_cart(bearer(
            cashier_token,
            CreateCartRequest {
                cart: Some(Cart {
                    merchant_id: owner.merchant_id.clone(),
                    cashier_id: cashier.cashier_id.clone(),
                    ..Cart::default()
                }),
                cart_id: String::new(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("CreateCart: {status:?}"))
        .into_inner()
        .cart
        .expect("the cart");
    assert!(cart.lines.is_empty(), "{cart:?}");
    assert_eq!(cart.currency_code, "IDR", "{cart:?}");
    carts
        .add_cart_line(bearer(
            cashier_token,
            AddCartLineRequest {
                cart_id: cart.id.clone(),
                product: Some(add_cart_line_request::Product::Barcode(tea.barcode.clone())),
                quantity: 2,
                expected_version: None,
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("AddCartLine by barcode: {status:?}"));
    let cart = carts
        .add_cart_line(bearer(
            cashier_token,
            AddCartLineRequest {
                cart_id: cart.id.clone(),
                product: Some(add_cart_line_request::Product::ProductId(rice.id.clone())),
                quantity: 1,
                expected_version: None,
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("AddCartLine by id: {status:?}"))
        .into_inner()
        .cart
        .expect("the cart");
    let lines: Vec<(&str, i64, i64)> = cart
        .lines
        .iter()
        .map(|line| {
            (
                line.product_id.as_str(),
                line.quantity,
                minor(line.line_total.as_ref()),
            )
        })
        .collect();
    assert_eq!(
        lines,
        vec![(tea.id.as_str(), 2, 10_000), (rice.id.as_str(), 1, 12_000)],
        "{cart:?}"
    );
    assert_eq!(minor(cart.total.as_ref()), 22_000, "{cart:?}");

    // Checkout: an OPEN order with the cart's lines, stock reserved, the cart gone.
    let order = carts
        .checkout_cart(bearer(
            cashier_token,
            CheckoutCartRequest {
                cart_id: cart.id.clone(),
                request_id: Uuid::now_v7().to_string(),
                expected_version: Some(cart.version),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("CheckoutCart: {status:?}"))
        .into_inner()
        .order
        .expect("the order");
    assert_eq!(order.state(), OrderState::Open, "{order:?}");
    assert_eq!(
        (order.merchant_id.as_str(), order.cashier_id.as_str()),
        (owner.merchant_id.as_str(), cashier.cashier_id.as_str())
    );
    assert_eq!(minor(order.total.as_ref()), 22_000, "{order:?}");
    assert_eq!(minor(order.amount_due.as_ref()), 22_000, "{order:?}");
    assert_eq!(order.items.len(), 2, "{order:?}");
    let gone = carts
        .get_cart(bearer(
            cashier_token,
            GetCartRequest {
                cart_id: cart.id.clone(),
            },
        ))
        .await;
    assert_refused(gone, Code::NotFound, "CART_NOT_FOUND");
    let held = product(routes, &owner, &tea.id).await;
    assert_eq!(
        (
            held.count_in_stock,
            held.reserved_quantity,
            held.available_quantity
        ),
        (10, 2, 8),
        "checkout reserves, the stock on hand is unchanged: {held:?}"
    );

    // Cash: 50 000 handed over for 22 000, 28 000 back.
    let paid = TransactionServiceClient::new(routes.transaction.clone())
        .create_payment(bearer(
            cashier_token,
            CreatePaymentRequest {
                order_id: order.id.clone(),
                method: PaymentMethod::Cash.into(),
                amount: None,
                tendered: Some(idr(50_000)),
                payment_token: String::new(),
                request_id: Uuid::now_v7().to_string(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("CreatePayment: {status:?}"))
        .into_inner();
    let payment = paid.transaction.clone().expect("the payment");
    assert_eq!(payment.status(), TransactionStatus::Succeeded, "{payment:?}");
    assert_eq!(payment.kind(), TransactionKind::Payment, "{payment:?}");
    assert_eq!(
        (
            minor(payment.amount.as_ref()),
            minor(payment.tendered.as_ref()),
            minor(payment.change.as_ref())
        ),
        (22_000, 50_000, 28_000),
        "{payment:?}"
    );
    assert_eq!(payment.cashier_id, cashier.cashier_id, "{payment:?}");
    assert_eq!(minor(paid.balance_due.as_ref()), 0, "{paid:?}");

    // The order becomes PAID; the reservation is committed as SALE rows.
    let order = wait_for_state(routes, &cashier.session.access_token, &order.id, OrderState::Paid).await;
    assert_eq!(minor(order.amount_paid.as_ref()), 22_000, "{order:?}");
    assert_eq!(minor(order.amount_due.as_ref()), 0, "{order:?}");
    let tea_sold = eventually(EVENTS, "the tea's reservation committed", || async {
        let read = product(routes, &owner, &tea.id).await;
        (read.count_in_stock == 8).then_some(read)
    })
    .await;
    assert_eq!(
        (tea_sold.reserved_quantity, tea_sold.available_quantity),
        (0, 8),
        "{tea_sold:?}"
    );
    let sales = movements(routes, &owner, &tea.id, StockMovementReason::Sale).await;
    assert_eq!(
        sales
            .iter()
            .map(|row| (row.delta, row.reference.as_str()))
            .collect::<Vec<_>>(),
        vec![(-2, order.id.as_str())],
        "{sales:?}"
    );
    let rice_sold = eventually(EVENTS, "the rice's reservation committed", || async {
        let read = product(routes, &owner, &rice.id).await;
        (read.count_in_stock == 4).then_some(read)
    })
    .await;
    assert_eq!(rice_sold.reserved_quantity, 0, "{rice_sold:?}");

    // The owner refunds one tea (back on the shelf) and the rice (damaged, not restocked).
    let item = |product_id: &str| {
        order
            .items
            .iter()
            .find(|item| item.product_id == product_id)
            .unwrap_or_else(|| panic!("an item of {product_id}: {order:?}"))
            .id
            .clone()
    };
    let refunded = OrderServiceClient::new(routes.order.clone())
        .refund_order(bearer(
            owner_token,
            RefundOrderRequest {
                order_id: order.id.clone(),
                lines: vec![
                    RefundLine {
                        order_item_id: item(&tea.id),
                        quantity: 1,
                        restock: true,
                        ..RefundLine::default()
                    },
                    RefundLine {
                        order_item_id: item(&rice.id),
                        quantity: 1,
                        restock: false,
                        ..RefundLine::default()
                    },
                ],
                restock_all: false,
                reason: "customer returned one tea and a torn rice bag".to_owned(),
                request_id: Uuid::now_v7().to_string(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("RefundOrder: {status:?}"))
        .into_inner();
    let refund = refunded.refund.expect("the refund");
    let order = refunded.order.expect("the order");
    assert_eq!(order.state(), OrderState::PartiallyRefunded, "{order:?}");
    assert_eq!(minor(refund.amount.as_ref()), 17_000, "{refund:?}");
    assert_eq!(minor(order.amount_refunded.as_ref()), 17_000, "{order:?}");

    // The transaction module records the money going back through the cash payment.
    let refund_transaction = eventually(EVENTS, "the REFUND transaction", || async {
        transactions(routes, &owner, &order.id)
            .await
            .into_iter()
            .find(|transaction| transaction.kind() == TransactionKind::Refund)
    })
    .await;
    assert_eq!(
        refund_transaction.status(),
        TransactionStatus::Succeeded,
        "{refund_transaction:?}"
    );
    assert_eq!(
        minor(refund_transaction.amount.as_ref()),
        17_000,
        "{refund_transaction:?}"
    );
    assert_eq!(refund_transaction.refund_id, refund.id, "{refund_transaction:?}");
    assert_eq!(
        refund_transaction.refunded_transaction_id, payment.id,
        "{refund_transaction:?}"
    );
    assert_eq!(refund_transaction.method(), PaymentMethod::Cash);

    // The tea is back on the shelf; the rice is not.
    eventually(EVENTS, "the tea restocked", || async {
        (product(routes, &owner, &tea.id).await.count_in_stock == 9).then_some(())
    })
    .await;
    let restocked = movements(routes, &owner, &tea.id, StockMovementReason::Refund).await;
    assert_eq!(
        restocked.iter().map(|row| row.delta).collect::<Vec<_>>(),
        vec![1],
        "{restocked:?}"
    );
    assert_eq!(product(routes, &owner, &rice.id).await.count_in_stock, 4);
    assert!(
        movements(routes, &owner, &rice.id, StockMovementReason::Refund)
            .await
            .is_empty(),
        "the rice was not restocked"
    );

    // The owner settles: the payment and the refund, net 5 000.
    let first = settle(routes, &owner).await;
    assert_eq!(
        (
            minor(first.gross.as_ref()),
            minor(first.refunds.as_ref()),
            minor(first.net.as_ref()),
            first.payment_count,
            first.refund_count
        ),
        (22_000, 17_000, 5_000, 1, 1),
        "{first:?}"
    );
    let settled: BTreeSet<(String, String)> = transactions(routes, &owner, &order.id)
        .await
        .into_iter()
        .map(|transaction| (transaction.id, transaction.settlement_id))
        .collect();
    assert_eq!(
        settled,
        BTreeSet::from([
            (payment.id.clone(), first.id.clone()),
            (refund_transaction.id.clone(), first.id.clone())
        ]),
        "both transactions carry the settlement id"
    );

    // A second settlement finds nothing left to settle.
    let second = settle(routes, &owner).await;
    assert_ne!(second.id, first.id);
    assert_eq!(
        (
            minor(second.gross.as_ref()),
            minor(second.refunds.as_ref()),
            minor(second.net.as_ref()),
            second.payment_count,
            second.refund_count
        ),
        (0, 0, 0, 0, 0),
        "nothing is settled twice: {second:?}"
    );
    let still: BTreeSet<String> = transactions(routes, &owner, &order.id)
        .await
        .into_iter()
        .map(|transaction| transaction.settlement_id)
        .collect();
    assert_eq!(still, BTreeSet::from([first.id.clone()]));
}

// ---------------------------------------------------------------------------------------------
// Races
// ---------------------------------------------------------------------------------------------

/// Checkouts in flight at once; all 200 still race for the 10 units. At 50 the test platform's
/// one pool of 32 PostgreSQL connections (shared by every module of the process) runs dry while
/// reservations queue on the product's row lock, and CreateOrder answers UNAVAILABLE.
const IN_FLIGHT: usize = 20;

/// 200 checkouts of one unit race for 10 units ([`IN_FLIGHT`] at a time): exactly 10 orders, the
/// other 190 refused with INSUFFICIENT_STOCK, nothing available, nothing negative, 10 pending
/// reservations and no ledger row but the initial delivery.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_checkouts_of_ten_units_make_exactly_ten_orders() {
    let _turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
    let platform = TestPlatform::start().await;
    let routes = Routes::one_process(&platform).await;
    let owner = platform.active_merchant().await;
    let cashier = platform.cashier(&owner).await;
    let tea = new_product(&platform, &routes, &owner, 5_000, 10).await;

    let in_flight = Arc::new(tokio::sync::Semaphore::new(IN_FLIGHT));
    let mut checkouts = tokio::task::JoinSet::new();
    for _ in 0..200 {
        let orders = OrderServiceClient::new(routes.order.clone());
        let request = bearer(&cashier.session.access_token, order_request(&cashier, &tea.id, 1));
        let in_flight = Arc::clone(&in_flight);
        checkouts.spawn(async move {
            let _slot = in_flight.acquire_owned().await.expect("never closed");
            let mut orders = orders;
            orders
                .create_order(request)
                .await
                .map(|response| response.into_inner().order.expect("the created order"))
        });
    }
    let mut created = Vec::new();
    let mut short = 0;
    let mut other = Vec::new();
    while let Some(answer) = checkouts.join_next().await {
        match answer.expect("the checkout task") {
            Ok(order) => created.push(order),
            Err(status)
                if status.code() == Code::FailedPrecondition && reason(&status) == "INSUFFICIENT_STOCK" =>
            {
                short += 1;
            }
            Err(status) => other.push(status),
        }
    }
    let unexpected: std::collections::BTreeMap<(String, String), usize> =
        other
            .iter()
            .fold(std::collections::BTreeMap::new(), |mut counts, status| {
                *counts
                    .entry((format!("{:?}", status.code()), status.message().to_owned()))
                    .or_default() += 1;
                counts
            });
    assert!(
        other.is_empty(),
        "{} OK, {short} INSUFFICIENT_STOCK, unexpected answers (code, message → count): {unexpected:?}",
        created.len()
    );
    assert_eq!((created.len(), short), (10, 190));
    assert!(
        created.iter().all(|order| order.state() == OrderState::Open),
        "{created:?}"
    );

    let after = product(&routes, &owner, &tea.id).await;
    assert_eq!(
        (
            after.count_in_stock,
            after.reserved_quantity,
            after.available_quantity
        ),
        (10, 10, 0),
        "{after:?}"
    );
    let mut products = ProductServiceClient::new(routes.product.clone());
    for order in &created {
        let reservation = products
            .get_reservation(bearer(
                &owner.session.access_token,
                GetReservationRequest {
                    order_id: order.id.clone(),
                },
            ))
            .await
            .unwrap_or_else(|status| panic!("GetReservation {}: {status:?}", order.id))
            .into_inner()
            .reservation
            .expect("the reservation");
        assert_eq!(
            reservation.state(),
            StockReservationState::Pending,
            "{reservation:?}"
        );
        assert_eq!(
            reservation
                .lines
                .iter()
                .map(|line| (line.product_id.as_str(), line.quantity))
                .collect::<Vec<_>>(),
            vec![(tea.id.as_str(), 1)],
            "{reservation:?}"
        );
    }
    let ledger = movements(&routes, &owner, &tea.id, StockMovementReason::Unspecified).await;
    assert_eq!(
        ledger
            .iter()
            .map(|row| (row.reason(), row.delta, row.quantity_after))
            .collect::<Vec<_>>(),
        vec![(StockMovementReason::Received, 10, 10)],
        "reserving writes no ledger row: {ledger:?}"
    );
    let listed = OrderServiceClient::new(routes.order.clone())
        .list_orders(bearer(
            &owner.session.access_token,
            ListOrdersRequest {
                merchant_id: owner.merchant_id.clone(),
                page_size: 500,
                ..ListOrdersRequest::default()
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("ListOrders: {status:?}"))
        .into_inner();
    assert_eq!(listed.total_size, 10, "{listed:?}");

    platform.stop().await;
}

/// The same CreatePayment (one request id) sent 50 times at once records one payment, and every
/// caller gets that payment back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_payment_sent_fifty_times_at_once_records_one_payment() {
    let _turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
    let platform = TestPlatform::start().await;
    let routes = Routes::one_process(&platform).await;
    let owner = platform.active_merchant().await;
    let cashier = platform.cashier(&owner).await;
    let tea = new_product(&platform, &routes, &owner, 7_000, 5).await;
    let order = create_order(&routes, &cashier, &tea.id, 1).await;

    let request = CreatePaymentRequest {
        order_id: order.id.clone(),
        method: PaymentMethod::Cash.into(),
        amount: None,
        tendered: Some(idr(10_000)),
        payment_token: String::new(),
        request_id: Uuid::now_v7().to_string(),
    };
    let mut payments = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let mut client = TransactionServiceClient::new(routes.transaction.clone());
        let request = bearer(&cashier.session.access_token, request.clone());
        payments.spawn(async move {
            client
                .create_payment(request)
                .await
                .map(|response| response.into_inner().transaction.expect("the transaction"))
        });
    }
    let mut ids = BTreeSet::new();
    let mut refused = Vec::new();
    while let Some(answer) = payments.join_next().await {
        match answer.expect("the payment task") {
            Ok(transaction) => {
                assert_eq!(
                    (transaction.status(), minor(transaction.change.as_ref())),
                    (TransactionStatus::Succeeded, 3_000),
                    "{transaction:?}"
                );
                ids.insert(transaction.id);
            }
            Err(status) => refused.push(status),
        }
    }
    assert!(refused.is_empty(), "every caller gets the payment: {refused:?}");
    assert_eq!(ids.len(), 1, "one transaction id for all: {ids:?}");

    let recorded = transactions(&routes, &owner, &order.id).await;
    assert_eq!(
        recorded
            .iter()
            .map(|transaction| transaction.id.clone())
            .collect::<BTreeSet<_>>(),
        ids,
        "{recorded:?}"
    );
    let order = wait_for_state(
        &routes,
        &cashier.session.access_token,
        &order.id,
        OrderState::Paid,
    )
    .await;
    assert_eq!(minor(order.amount_paid.as_ref()), 7_000, "paid once: {order:?}");

    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Carts, orders, payments and refunds, one behaviour each
// ---------------------------------------------------------------------------------------------

/// A checkout retried with the same request id returns the same order and reserves once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retried_checkout_returns_the_same_order_and_reserves_once() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 10).await;
    let cart = shop.cart_with(&tea.id, 3).await;
    let request = CheckoutCartRequest {
        cart_id: cart.id.clone(),
        request_id: Uuid::now_v7().to_string(),
        expected_version: None,
    };

    let mut carts = CartServiceClient::new(shop.routes.order.clone());
    let first = carts
        .checkout_cart(shop.as_cashier(request.clone()))
        .await
        .unwrap_or_else(|status| panic!("CheckoutCart: {status:?}"))
        .into_inner()
        .order
        .expect("the order");
    let retried = carts
        .checkout_cart(shop.as_cashier(request))
        .await
        .unwrap_or_else(|status| panic!("CheckoutCart again: {status:?}"))
        .into_inner()
        .order
        .expect("the order");

    assert_eq!(retried.id, first.id);
    let held = product(&shop.routes, &shop.owner, &tea.id).await;
    assert_eq!(
        (held.reserved_quantity, held.available_quantity),
        (3, 7),
        "{held:?}"
    );
    shop.close().await;
}

/// A checkout short of stock (another order took it after the line was added) is refused with
/// INSUFFICIENT_STOCK and leaves the cart as it was.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_short_of_stock_is_refused_and_keeps_the_cart() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 4).await;
    let cart = shop.cart_with(&tea.id, 3).await;
    create_order(&shop.routes, &shop.cashier, &tea.id, 2).await;

    let refused = CartServiceClient::new(shop.routes.order.clone())
        .checkout_cart(shop.as_cashier(CheckoutCartRequest {
            cart_id: cart.id.clone(),
            request_id: Uuid::now_v7().to_string(),
            expected_version: None,
        }))
        .await;

    let status = refused.expect_err("the checkout is refused");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "INSUFFICIENT_STOCK"),
        "{status:?}"
    );
    assert_eq!(metadata(&status, "productId"), tea.id, "{status:?}");
    assert_eq!(metadata(&status, "availableQuantity"), "2", "{status:?}");
    let kept = CartServiceClient::new(shop.routes.order.clone())
        .get_cart(shop.as_cashier(GetCartRequest {
            cart_id: cart.id.clone(),
        }))
        .await
        .unwrap_or_else(|status| panic!("GetCart: {status:?}"))
        .into_inner()
        .cart
        .expect("the cart");
    assert_eq!(
        (kept.version, kept.lines.len(), kept.lines[0].quantity),
        (cart.version, 1, 3),
        "{kept:?}"
    );
    shop.close().await;
}

/// Cancelling an OPEN order releases its reservation: the stock is available again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelling_an_open_order_releases_its_stock() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 5).await;
    let order = create_order(&shop.routes, &shop.cashier, &tea.id, 2).await;

    let cancelled = OrderServiceClient::new(shop.routes.order.clone())
        .cancel_order(shop.as_cashier(CancelOrderRequest {
            order_id: order.id.clone(),
            reason: "customer left".to_owned(),
        }))
        .await
        .unwrap_or_else(|status| panic!("CancelOrder: {status:?}"))
        .into_inner()
        .order
        .expect("the order");

    assert_eq!(cancelled.state(), OrderState::Cancelled, "{cancelled:?}");
    let after = product(&shop.routes, &shop.owner, &tea.id).await;
    assert_eq!(
        (
            after.count_in_stock,
            after.reserved_quantity,
            after.available_quantity
        ),
        (5, 0, 5),
        "{after:?}"
    );
    let paying = pay_cash(&shop, &order.id, None, Some(10_000)).await;
    assert_refused(paying, Code::FailedPrecondition, "ORDER_NOT_OPEN");
    shop.close().await;
}

/// Split tender: a first cash payment of part of the total leaves a balance and the order OPEN;
/// the second pays the rest and the order becomes PAID.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_payments_of_a_split_tender_pay_the_order() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 5).await;
    let order = create_order(&shop.routes, &shop.cashier, &tea.id, 2).await;

    let first = pay_cash(&shop, &order.id, Some(4_000), None)
        .await
        .unwrap_or_else(|status| panic!("first CreatePayment: {status:?}"));
    assert_eq!(minor(first.balance_due.as_ref()), 6_000, "{first:?}");
    let open = get_order(&shop.routes, shop.cashier_token(), &order.id).await;
    assert_eq!(open.state(), OrderState::Open, "{open:?}");

    let second = pay_cash(&shop, &order.id, None, Some(10_000))
        .await
        .unwrap_or_else(|status| panic!("second CreatePayment: {status:?}"));
    assert_eq!(minor(second.balance_due.as_ref()), 0, "{second:?}");
    let payment = second.transaction.expect("the payment");
    assert_eq!(
        (minor(payment.amount.as_ref()), minor(payment.change.as_ref())),
        (6_000, 4_000),
        "the rest of the balance, change from 10 000: {payment:?}"
    );
    let paid = wait_for_state(&shop.routes, shop.cashier_token(), &order.id, OrderState::Paid).await;
    assert_eq!(minor(paid.amount_paid.as_ref()), 10_000, "{paid:?}");
    shop.close().await;
}

/// Cash handed over below the amount is refused with TENDERED_BELOW_AMOUNT and records nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cash_tendered_below_the_amount_is_refused() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 5).await;
    let order = create_order(&shop.routes, &shop.cashier, &tea.id, 1).await;

    let refused = pay_cash(&shop, &order.id, None, Some(4_999)).await;

    assert_refused(refused, Code::InvalidArgument, "TENDERED_BELOW_AMOUNT");
    assert!(
        transactions(&shop.routes, &shop.owner, &order.id)
            .await
            .is_empty()
    );
    shop.close().await;
}

/// A cashier of another merchant cannot take a payment for the order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cashier_of_another_merchant_cannot_take_the_payment() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 5).await;
    let order = create_order(&shop.routes, &shop.cashier, &tea.id, 1).await;
    let other_owner = shop.platform.active_merchant().await;
    let stranger = shop.platform.cashier(&other_owner).await;

    let refused = TransactionServiceClient::new(shop.routes.transaction.clone())
        .create_payment(bearer(
            &stranger.session.access_token,
            cash_request(&order.id, None, None),
        ))
        .await;

    assert_refused(refused, Code::PermissionDenied, "ORDER_OF_OTHER_MERCHANT");
    shop.close().await;
}

/// A suspended merchant cannot take payments.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_suspended_merchant_cannot_take_payments() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 5).await;
    let order = create_order(&shop.routes, &shop.cashier, &tea.id, 1).await;
    MerchantServiceClient::new(shop.routes.merchant.clone())
        .suspend_merchant(shop.platform.as_service(SuspendMerchantRequest {
            merchant_id: shop.owner.merchant_id.clone(),
            reason: "unpaid fees".to_owned(),
        }))
        .await
        .unwrap_or_else(|status| panic!("SuspendMerchant: {status:?}"));

    let refused = pay_cash(&shop, &order.id, None, None).await;

    assert_refused(refused, Code::FailedPrecondition, "MERCHANT_NOT_ACTIVE");
    shop.close().await;
}

/// A refund of more units than were sold is refused with REFUND_EXCEEDS_PAID and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refunding_more_units_than_were_sold_is_refused() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 5).await;
    let order = shop.paid_order(&tea.id, 2).await;

    let refused = OrderServiceClient::new(shop.routes.order.clone())
        .refund_order(shop.as_owner(RefundOrderRequest {
            order_id: order.id.clone(),
            lines: vec![RefundLine {
                order_item_id: order.items[0].id.clone(),
                quantity: 3,
                restock: true,
                ..RefundLine::default()
            }],
            restock_all: false,
            reason: "three returned?".to_owned(),
            request_id: Uuid::now_v7().to_string(),
        }))
        .await;

    let status = refused.expect_err("the refund is refused");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (Code::FailedPrecondition, "REFUND_EXCEEDS_PAID"),
        "{status:?}"
    );
    assert_eq!(metadata(&status, "refundableQuantity"), "2", "{status:?}");
    let unchanged = get_order(&shop.routes, shop.cashier_token(), &order.id).await;
    assert_eq!(unchanged.state(), OrderState::Paid, "{unchanged:?}");
    shop.close().await;
}

/// A full refund (no lines) makes the order REFUNDED, gives back everything paid and restocks
/// every unit when asked to.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_refund_makes_the_order_refunded_and_restocks_everything() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 5).await;
    let order = shop.paid_order(&tea.id, 2).await;
    eventually(EVENTS, "the sale committed", || async {
        (product(&shop.routes, &shop.owner, &tea.id).await.count_in_stock == 3).then_some(())
    })
    .await;

    let refunded = OrderServiceClient::new(shop.routes.order.clone())
        .refund_order(shop.as_owner(RefundOrderRequest {
            order_id: order.id.clone(),
            lines: Vec::new(),
            restock_all: true,
            reason: "wrong flavour".to_owned(),
            request_id: Uuid::now_v7().to_string(),
        }))
        .await
        .unwrap_or_else(|status| panic!("RefundOrder: {status:?}"))
        .into_inner();

    let order = refunded.order.expect("the order");
    assert_eq!(order.state(), OrderState::Refunded, "{order:?}");
    assert_eq!(minor(order.amount_refunded.as_ref()), 10_000, "{order:?}");
    eventually(EVENTS, "both units restocked", || async {
        (product(&shop.routes, &shop.owner, &tea.id).await.count_in_stock == 5).then_some(())
    })
    .await;
    let refunds = eventually(EVENTS, "the REFUND transaction", || async {
        let refunds: Vec<Transaction> = transactions(&shop.routes, &shop.owner, &order.id)
            .await
            .into_iter()
            .filter(|transaction| transaction.kind() == TransactionKind::Refund)
            .collect();
        (!refunds.is_empty()).then_some(refunds)
    })
    .await;
    assert_eq!(
        refunds
            .iter()
            .map(|refund| minor(refund.amount.as_ref()))
            .sum::<i64>(),
        10_000,
        "{refunds:?}"
    );
    shop.close().await;
}

/// The receipt of a paid order shows the lines, the cash payment and its change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_receipt_of_a_paid_order_shows_the_cash_payment_and_its_change() {
    let shop = Shop::open().await;
    let tea = shop.product(5_000, 5).await;
    let order = shop.paid_order(&tea.id, 2).await;

    let receipt = OrderServiceClient::new(shop.routes.order.clone())
        .get_receipt(shop.as_cashier(GetReceiptRequest {
            order_id: order.id.clone(),
        }))
        .await
        .unwrap_or_else(|status| panic!("GetReceipt: {status:?}"))
        .into_inner()
        .receipt
        .expect("the receipt");

    assert_eq!(receipt.order_state(), OrderState::Paid, "{receipt:?}");
    assert_eq!(
        receipt
            .lines
            .iter()
            .map(|line| (line.quantity, minor(line.line_total.as_ref())))
            .collect::<Vec<_>>(),
        vec![(2, 10_000)],
        "{receipt:?}"
    );
    assert_eq!(
        (
            minor(receipt.total.as_ref()),
            minor(receipt.amount_paid.as_ref()),
            minor(receipt.change.as_ref())
        ),
        (10_000, 10_000, 10_000),
        "paid with 20 000 in cash: {receipt:?}"
    );
    assert_eq!(receipt.payments.len(), 1, "{receipt:?}");
    assert_eq!(receipt.payments[0].method, "PAYMENT_METHOD_CASH", "{receipt:?}");
    shop.close().await;
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A platform (every module in one process), an ACTIVE merchant, its owner and a cashier.
struct Shop {
    _turn: tokio::sync::SemaphorePermit<'static>,
    platform: TestPlatform,
    routes: Routes,
    owner: MerchantOwner,
    cashier: CashierSession,
}

impl Shop {
    async fn open() -> Self {
        let turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
        let platform = TestPlatform::start().await;
        let routes = Routes::one_process(&platform).await;
        let owner = platform.active_merchant().await;
        let cashier = platform.cashier(&owner).await;
        Shop {
            _turn: turn,
            platform,
            routes,
            owner,
            cashier,
        }
    }

    async fn close(self) {
        self.platform.stop().await;
    }

    fn cashier_token(&self) -> &str {
        &self.cashier.session.access_token
    }

    fn as_cashier<T>(&self, message: T) -> tonic::Request<T> {
        bearer(&self.cashier.session.access_token, message)
    }

    fn as_owner<T>(&self, message: T) -> tonic::Request<T> {
        bearer(&self.owner.session.access_token, message)
    }

    async fn product(&self, price_minor: i64, stock: i64) -> Product {
        new_product(&self.platform, &self.routes, &self.owner, price_minor, stock).await
    }

    /// A cart of the cashier holding `quantity` units of `product_id`.
    async fn cart_with(&self, product_id: &str, quantity: i64) -> Cart {
        let mut carts = CartServiceClient::new(self.routes.order.clone());
        let cart = carts
            .create_cart(self.as_cashier(CreateCartRequest {
                cart: Some(Cart {
                    merchant_id: self.owner.merchant_id.clone(),
                    cashier_id: self.cashier.cashier_id.clone(),
                    ..Cart::default()
                }),
                cart_id: String::new(),
            }))
            .await
            .unwrap_or_else(|status| panic!("CreateCart: {status:?}"))
            .into_inner()
            .cart
            .expect("the cart");
        carts
            .add_cart_line(self.as_cashier(AddCartLineRequest {
                cart_id: cart.id,
                product: Some(add_cart_line_request::Product::ProductId(product_id.to_owned())),
                quantity,
                expected_version: None,
            }))
            .await
            .unwrap_or_else(|status| panic!("AddCartLine: {status:?}"))
            .into_inner()
            .cart
            .expect("the cart")
    }

    /// A PAID order of `quantity` units of `product_id`, paid with 20 000 in cash.
    async fn paid_order(&self, product_id: &str, quantity: i64) -> Order {
        let order = create_order(&self.routes, &self.cashier, product_id, quantity).await;
        pay_cash(self, &order.id, None, Some(20_000))
            .await
            .unwrap_or_else(|status| panic!("CreatePayment: {status:?}"));
        wait_for_state(&self.routes, self.cashier_token(), &order.id, OrderState::Paid).await
    }
}

/// A cash CreatePayment with a new request id.
fn cash_request(order_id: &str, amount: Option<i64>, tendered: Option<i64>) -> CreatePaymentRequest {
    CreatePaymentRequest {
        order_id: order_id.to_owned(),
        method: PaymentMethod::Cash.into(),
        amount: amount.map(idr),
        tendered: tendered.map(idr),
        payment_token: String::new(),
        request_id: Uuid::now_v7().to_string(),
    }
}

/// The shop's cashier pays `order_id` in cash.
async fn pay_cash(
    shop: &Shop,
    order_id: &str,
    amount: Option<i64>,
    tendered: Option<i64>,
) -> Result<CreatePaymentResponse, Status> {
    TransactionServiceClient::new(shop.routes.transaction.clone())
        .create_payment(shop.as_cashier(cash_request(order_id, amount, tendered)))
        .await
        .map(tonic::Response::into_inner)
}

/// An order as `token`'s holder reads it.
async fn get_order(routes: &Routes, token: &str, order_id: &str) -> Order {
    OrderServiceClient::new(routes.order.clone())
        .get_order(bearer(
            token,
            GetOrderRequest {
                order_id: order_id.to_owned(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("GetOrder: {status:?}"))
        .into_inner()
        .order
        .expect("the order")
}

/// One `ErrorInfo` metadata value of an error.
fn metadata(status: &Status, key: &str) -> String {
    status
        .get_details_error_info()
        .and_then(|info| info.metadata.get(key).cloned())
        .unwrap_or_default()
}

/// Where each module's services are reached: the one process, or the process serving it.
struct Routes {
    order: Channel,
    product: Channel,
    transaction: Channel,
    merchant: Channel,
}

impl Routes {
    async fn one_process(platform: &TestPlatform) -> Self {
        let channel = platform.channel().await;
        Routes {
            order: channel.clone(),
            product: channel.clone(),
            transaction: channel.clone(),
            merchant: channel,
        }
    }
}

/// The order, product and transaction modules each in a `pos` process of its own, every other
/// module in a fourth, on one database, Redis and broker namespace. `platform` is the fourth
/// process (the [`TestPlatform`] helpers create users, merchants, cashiers and categories there).
struct SplitPlatform {
    platform: TestPlatform,
    routes: Routes,
    separate: Vec<pos::RunningPos>,
}

impl SplitPlatform {
    const ALONE: [Module; 3] = [Module::Order, Module::Product, Module::Transaction];

    async fn start() -> Self {
        let database = TestDatabase::migrated().await.expect("a migrated test database");
        // Every process names every other one's address, so the ports are chosen first.
        let ports: Vec<TcpListener> = (0..4)
            .map(|_| TcpListener::bind("127.0.0.1:0").expect("a free port"))
            .collect();
        let addrs: Vec<SocketAddr> = ports
            .iter()
            .map(|listener| listener.local_addr().expect("a bound address"))
            .collect();
        drop(ports);
        let rest_addr = addrs[3];
        let addr_of = |module: Module| {
            Self::ALONE
                .iter()
                .position(|alone| *alone == module)
                .map_or(rest_addr, |index| addrs[index])
        };
        let upstreams_except = |served: &[Module]| {
            Module::ALL
                .iter()
                .filter(|module| !served.contains(module))
                .map(|module| format!("{module}=http://{}", addr_of(*module)))
                .collect::<Vec<_>>()
                .join(",")
        };
        let others: Vec<Module> = Module::ALL
            .iter()
            .copied()
            .filter(|module| !Self::ALONE.contains(module))
            .collect();
        let others_list = others
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(",");

        let mut separate = Vec::new();
        for (index, module) in Self::ALONE.iter().enumerate() {
            let config = process_config(
                &database,
                &module.to_string(),
                &upstreams_except(&[*module]),
                addrs[index],
            );
            separate.push(
                pos::start(&config)
                    .await
                    .unwrap_or_else(|error| panic!("pos serving {module} starts: {error:#}")),
            );
        }
        let config = process_config(&database, &others_list, &upstreams_except(&others), rest_addr);
        let rest = pos::start(&config)
            .await
            .unwrap_or_else(|error| panic!("pos serving {others_list} starts: {error:#}"));
        let connect = |addr: SocketAddr| async move {
            Channel::from_shared(format!("http://{addr}"))
                .expect("a valid address")
                .connect()
                .await
                .expect("pos accepts connections")
        };
        let routes = Routes {
            order: connect(addrs[0]).await,
            product: connect(addrs[1]).await,
            transaction: connect(addrs[2]).await,
            merchant: connect(rest_addr).await,
        };
        SplitPlatform {
            platform: TestPlatform {
                pos: rest,
                database,
                config,
            },
            routes,
            separate,
        }
    }

    async fn stop(self) {
        for process in self.separate {
            let _ = process.shutdown().await;
        }
        self.platform.stop().await;
    }
}

#[derive(Parser)]
#[command(args_override_self = true)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

/// The configuration of one process of a split platform (as [`TestPlatform::start`]'s, with its
/// own modules, upstreams and address).
fn process_config(database: &TestDatabase, modules: &str, upstreams: &str, grpc_addr: SocketAddr) -> Config {
    let brokers = testkit::kafka_brokers();
    let redis = testkit::redis_url();
    let namespace = format!("{}.", database.name);
    let grpc_addr = grpc_addr.to_string();
    let argv = [
        "pos",
        "--modules",
        modules,
        "--grpc-addr",
        &grpc_addr,
        "--admin-addr",
        "127.0.0.1:0",
        "--shutdown-grace-seconds",
        "5",
        "--upstreams",
        upstreams,
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
        "--smtp-url",
        "smtp://127.0.0.1:9",
        "--object-store-url",
        "memory://",
        "--database-max-connections",
        "16",
        "--log-format",
        "text",
    ];
    Cli::try_parse_from(argv).expect("test arguments parse").config
}

/// An IDR amount.
fn idr(amount_minor: i64) -> Money {
    Money {
        currency_code: "IDR".to_owned(),
        amount_minor,
    }
}

/// The minor units of an IDR amount (unset is a failure).
fn minor(money: Option<&Money>) -> i64 {
    let money = money.expect("an amount");
    assert_eq!(money.currency_code, "IDR", "{money:?}");
    money.amount_minor
}

/// The ErrorInfo reason of an error.
fn reason(status: &Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

fn assert_refused<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, expected_reason: &str) {
    let status = result.expect_err("the call is refused");
    assert_eq!(
        (status.code(), reason(&status).as_str()),
        (code, expected_reason),
        "{status:?}"
    );
}

/// A new product of `owner`'s merchant in a new category, created by the owner on the process
/// serving the product module.
async fn new_product(
    platform: &TestPlatform,
    routes: &Routes,
    owner: &MerchantOwner,
    price_minor: i64,
    stock: i64,
) -> Product {
    let category_id = platform.category().await;
    ProductServiceClient::new(routes.product.clone())
        .create_product(bearer(
            &owner.session.access_token,
            CreateProductRequest {
                product: Some(Product {
                    merchant_id: owner.merchant_id.clone(),
                    category_id,
                    name: format!("Product {}", Uuid::now_v7().simple()),
                    price: Some(idr(price_minor)),
                    ..Product::default()
                }),
                initial_stock: stock,
                request_id: String::new(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("CreateProduct: {status:?}"))
        .into_inner()
        .product
        .expect("the created product")
}

/// A product as its owner reads it.
async fn product(routes: &Routes, owner: &MerchantOwner, product_id: &str) -> Product {
    ProductServiceClient::new(routes.product.clone())
        .get_product(bearer(
            &owner.session.access_token,
            GetProductRequest {
                product_id: product_id.to_owned(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("GetProduct: {status:?}"))
        .into_inner()
        .product
        .expect("the product")
}

/// A product's ledger rows with `reason` (every reason when unspecified), newest first.
async fn movements(
    routes: &Routes,
    owner: &MerchantOwner,
    product_id: &str,
    reason: StockMovementReason,
) -> Vec<StockMovement> {
    ProductServiceClient::new(routes.product.clone())
        .list_stock_movements(bearer(
            &owner.session.access_token,
            ListStockMovementsRequest {
                product_id: product_id.to_owned(),
                reason: reason.into(),
                page_size: 500,
                ..ListStockMovementsRequest::default()
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("ListStockMovements: {status:?}"))
        .into_inner()
        .movements
}

/// A one-line CreateOrder by `cashier` with a new request id.
fn order_request(cashier: &CashierSession, product_id: &str, quantity: i64) -> CreateOrderRequest {
    CreateOrderRequest {
        order: Some(Order {
            merchant_id: cashier.merchant_id.clone(),
            cashier_id: cashier.cashier_id.clone(),
            items: vec![OrderItem {
                product_id: product_id.to_owned(),
                quantity,
                ..OrderItem::default()
            }],
            ..Order::default()
        }),
        request_id: Uuid::now_v7().to_string(),
    }
}

/// An OPEN one-line order rung up by `cashier`.
async fn create_order(routes: &Routes, cashier: &CashierSession, product_id: &str, quantity: i64) -> Order {
    OrderServiceClient::new(routes.order.clone())
        .create_order(bearer(
            &cashier.session.access_token,
            order_request(cashier, product_id, quantity),
        ))
        .await
        .unwrap_or_else(|status| panic!("CreateOrder: {status:?}"))
        .into_inner()
        .order
        .expect("the created order")
}

/// Polls GetOrder until the order is in `state`.
async fn wait_for_state(routes: &Routes, token: &str, order_id: &str, state: OrderState) -> Order {
    eventually(EVENTS, &format!("order {order_id} {state:?}"), || async {
        let order = get_order(routes, token, order_id).await;
        (order.state() == state).then_some(order)
    })
    .await
}

/// The transactions of an order, as the merchant's owner reads them.
async fn transactions(routes: &Routes, owner: &MerchantOwner, order_id: &str) -> Vec<Transaction> {
    TransactionServiceClient::new(routes.transaction.clone())
        .list_transactions(bearer(
            &owner.session.access_token,
            ListTransactionsRequest {
                order_id: order_id.to_owned(),
                merchant_id: owner.merchant_id.clone(),
                page_size: 500,
                ..ListTransactionsRequest::default()
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("ListTransactions: {status:?}"))
        .into_inner()
        .transactions
}

/// The owner requests a settlement up to now and waits until it is COMPLETED.
async fn settle(routes: &Routes, owner: &MerchantOwner) -> Settlement {
    let requested = MerchantServiceClient::new(routes.merchant.clone())
        .request_settlement(bearer(
            &owner.session.access_token,
            RequestSettlementRequest {
                merchant_id: owner.merchant_id.clone(),
                cut_off_time: None,
                request_id: Uuid::now_v7().to_string(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("RequestSettlement: {status:?}"))
        .into_inner()
        .settlement
        .expect("the settlement");
    assert_eq!(requested.state(), SettlementState::Requested, "{requested:?}");
    assert_eq!(requested.merchant_id, owner.merchant_id);
    assert_eq!(requested.requester_user_id, owner.session.user_id);
    eventually(EVENTS, "the settlement COMPLETED", || async {
        let settlement = MerchantServiceClient::new(routes.merchant.clone())
            .get_settlement(bearer(
                &owner.session.access_token,
                GetSettlementRequest {
                    settlement_id: requested.id.clone(),
                },
            ))
            .await
            .unwrap_or_else(|status| panic!("GetSettlement: {status:?}"))
            .into_inner()
            .settlement
            .expect("the settlement");
        assert_ne!(
            settlement.state(),
            SettlementState::Failed,
            "the settlement failed: {settlement:?}"
        );
        (settlement.state() == SettlementState::Completed).then_some(settlement)
    })
    .await
}
