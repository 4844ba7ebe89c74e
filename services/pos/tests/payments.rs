//! Payments, voids, failed attempts, refund transactions and settlements of the transaction module,
//! through the whole platform: real orders (order module), merchants and cashiers, the simulated
//! payment processor, and the events between the modules.

#[path = "support/platform.rs"]
mod platform;

use std::time::Duration;

use pos_api::pos::common::v1::{Lifecycle, Money};
use pos_api::pos::merchant::v1::merchant_service_client::MerchantServiceClient;
use pos_api::pos::merchant::v1::{
    GetSettlementRequest, RequestSettlementRequest, Settlement, SettlementState, SuspendMerchantRequest,
};
use pos_api::pos::order::v1::order_service_client::OrderServiceClient;
use pos_api::pos::order::v1::{
    CreateOrderRequest, GetOrderRequest, Order, OrderItem, OrderState, RefundOrderRequest,
};
use pos_api::pos::product::v1::Product;
use pos_api::pos::transaction::v1::transaction_service_client::TransactionServiceClient;
use pos_api::pos::transaction::v1::{
    CreatePaymentRequest, CreatePaymentResponse, DeleteTransactionRequest, GetTransactionRequest,
    ListTransactionsRequest, PaymentFailureReason, PaymentMethod, PurgeTransactionRequest,
    RestoreTransactionRequest, Transaction, TransactionKind, TransactionStatus, VoidPaymentRequest,
};
use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

use platform::{CashierSession, MerchantOwner, Session, TestPlatform, bearer, eventually};

/// Unit price of the product every test sells (IDR minor units).
const PRICE: i64 = 10_000;
/// How long event-driven effects may take.
const EVENTS: Duration = Duration::from_secs(120);

/// An active merchant with a cashier and a product in stock.
struct Shop {
    platform: TestPlatform,
    owner: MerchantOwner,
    cashier: CashierSession,
    product: Product,
}

impl Shop {
    async fn open() -> Self {
        let platform = TestPlatform::start().await;
        let owner = platform.active_merchant().await;
        let cashier = platform.cashier(&owner).await;
        let product = platform.product(&owner, PRICE, 1_000).await;
        Shop {
            platform,
            owner,
            cashier,
            product,
        }
    }

    /// A new OPEN order of `quantity` units, rung up by the shop's cashier.
    async fn order(&self, quantity: i64) -> Order {
        OrderServiceClient::new(self.platform.channel().await)
            .create_order(bearer(
                &self.cashier.session.access_token,
                CreateOrderRequest {
                    order: Some(Order {
                        merchant_id: self.owner.merchant_id.clone(),
                        cashier_id: self.cashier.cashier_id.clone(),
                        items: vec![OrderItem {
                            product_id: self.product.id.clone(),
                            quantity,
                            ..OrderItem::default()
                        }],
                        ..Order::default()
                    }),
                    request_id: Uuid::now_v7().to_string(),
                },
            ))
            .await
            .unwrap_or_else(|status| panic!("CreateOrder: {status:?}"))
            .into_inner()
            .order
            .expect("the created order")
    }

    async fn transactions(&self) -> TransactionServiceClient<tonic::transport::Channel> {
        TransactionServiceClient::new(self.platform.channel().await)
    }

    /// CreatePayment as `session`.
    async fn pay_as(
        &self,
        session: &Session,
        request: CreatePaymentRequest,
    ) -> Result<CreatePaymentResponse, Status> {
        self.transactions()
            .await
            .create_payment(bearer(&session.access_token, request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// CreatePayment as the shop's cashier.
    async fn pay(&self, request: CreatePaymentRequest) -> Result<CreatePaymentResponse, Status> {
        self.pay_as(&self.cashier.session, request).await
    }

    /// The order as the order module has it now.
    async fn get_order(&self, order_id: &str) -> Order {
        self.try_get_order(order_id)
            .await
            .unwrap_or_else(|status| panic!("GetOrder: {status:?}"))
    }

    /// [`Shop::get_order`], or the error (polling loops ride out a busy test machine).
    async fn try_get_order(&self, order_id: &str) -> Result<Order, Status> {
        let response = OrderServiceClient::new(self.platform.channel().await)
            .get_order(self.platform.as_service(GetOrderRequest {
                order_id: order_id.to_owned(),
            }))
            .await?;
        Ok(response.into_inner().order.expect("the order"))
    }

    /// Every transaction of `order_id`, as the owner lists them (all lifecycles).
    async fn of_order(&self, order_id: &str) -> Vec<Transaction> {
        self.try_of_order(order_id)
            .await
            .unwrap_or_else(|status| panic!("ListTransactions: {status:?}"))
    }

    /// [`Shop::of_order`], or the error.
    async fn try_of_order(&self, order_id: &str) -> Result<Vec<Transaction>, Status> {
        let response = self
            .transactions()
            .await
            .list_transactions(bearer(
                &self.owner.session.access_token,
                ListTransactionsRequest {
                    order_id: order_id.to_owned(),
                    lifecycle: Lifecycle::All.into(),
                    ..ListTransactionsRequest::default()
                },
            ))
            .await?;
        Ok(response.into_inner().transactions)
    }

    /// Requests a settlement of the merchant up to now (as its owner); returns its id.
    async fn settle(&self) -> String {
        MerchantServiceClient::new(self.platform.channel().await)
            .request_settlement(bearer(
                &self.owner.session.access_token,
                RequestSettlementRequest {
                    merchant_id: self.owner.merchant_id.clone(),
                    cut_off_time: None,
                    request_id: Uuid::now_v7().to_string(),
                },
            ))
            .await
            .unwrap_or_else(|status| panic!("RequestSettlement: {status:?}"))
            .into_inner()
            .settlement
            .expect("the requested settlement")
            .id
    }

    /// Waits until settlement `id` is COMPLETED.
    async fn settled(&self, id: String) -> Settlement {
        eventually(EVENTS, "a completed settlement", || async {
            let settlement = MerchantServiceClient::new(self.platform.channel().await)
                .get_settlement(bearer(
                    &self.owner.session.access_token,
                    GetSettlementRequest {
                        settlement_id: id.clone(),
                    },
                ))
                .await
                .ok()?
                .into_inner()
                .settlement?;
            (settlement.state == i32::from(SettlementState::Completed)).then_some(settlement)
        })
        .await
    }

    /// Waits until the order module shows `order_id` in `state`.
    async fn order_becomes(&self, order_id: &str, state: OrderState) -> Order {
        eventually(EVENTS, &format!("order {order_id} in {state:?}"), || async {
            let order = self.try_get_order(order_id).await.ok()?;
            (order.state == i32::from(state)).then_some(order)
        })
        .await
    }
}

fn idr(amount_minor: i64) -> Money {
    Money {
        currency_code: "IDR".to_owned(),
        amount_minor,
    }
}

fn cash(order: &Order, amount: Option<i64>, tendered: Option<i64>) -> CreatePaymentRequest {
    CreatePaymentRequest {
        order_id: order.id.clone(),
        method: PaymentMethod::Cash.into(),
        amount: amount.map(idr),
        tendered: tendered.map(idr),
        payment_token: String::new(),
        request_id: Uuid::now_v7().to_string(),
    }
}

fn card(order: &Order, amount: Option<i64>, token: &str) -> CreatePaymentRequest {
    CreatePaymentRequest {
        order_id: order.id.clone(),
        method: PaymentMethod::Card.into(),
        amount: amount.map(idr),
        tendered: None,
        payment_token: token.to_owned(),
        request_id: Uuid::now_v7().to_string(),
    }
}

fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

fn assert_error(result: Result<impl std::fmt::Debug, Status>, code: Code, expected_reason: &str) {
    let status = result.expect_err("the call must fail");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(&status), expected_reason, "{status:?}");
}

fn amount(money: Option<&Money>) -> i64 {
    money.map_or(0, |money| money.amount_minor)
}

#[tokio::test]
async fn a_cash_payment_stores_the_change_and_pays_the_order() {
    let shop = Shop::open().await;
    let order = shop.order(2).await;

    let paid = shop.pay(cash(&order, None, Some(50_000))).await.unwrap();

    let payment = paid.transaction.unwrap();
    assert_eq!(payment.status, i32::from(TransactionStatus::Succeeded));
    assert_eq!(payment.kind, i32::from(TransactionKind::Payment));
    assert_eq!(amount(payment.amount.as_ref()), 2 * PRICE);
    assert_eq!(amount(payment.tendered.as_ref()), 50_000);
    assert_eq!(amount(payment.change.as_ref()), 50_000 - 2 * PRICE);
    assert_eq!(payment.cashier_id, shop.cashier.cashier_id);
    assert!(payment.complete_time.is_some());
    assert_eq!(amount(paid.balance_due.as_ref()), 0);
    let order = shop.order_becomes(&order.id, OrderState::Paid).await;
    assert_eq!(amount(order.amount_paid.as_ref()), 2 * PRICE);
    shop.platform.stop().await;
}

#[tokio::test]
async fn a_split_tender_pays_the_order_once_the_balance_is_zero() {
    let shop = Shop::open().await;
    let order = shop.order(3).await;

    let by_card = shop.pay(card(&order, Some(PRICE), "tok_visa")).await.unwrap();
    let card_payment = by_card.transaction.unwrap();
    assert_eq!(card_payment.status, i32::from(TransactionStatus::Succeeded));
    assert!(!card_payment.processor_reference.is_empty());
    assert_eq!(amount(by_card.balance_due.as_ref()), 2 * PRICE);
    let in_between = shop.get_order(&order.id).await;
    assert_eq!(in_between.state, i32::from(OrderState::Open));

    let by_cash = shop.pay(cash(&order, None, None)).await.unwrap();
    assert_eq!(amount(by_cash.transaction.unwrap().amount.as_ref()), 2 * PRICE);
    assert_eq!(amount(by_cash.balance_due.as_ref()), 0);
    let paid = shop.order_becomes(&order.id, OrderState::Paid).await;
    assert_eq!(amount(paid.amount_paid.as_ref()), 3 * PRICE);
    assert_error(
        shop.pay(cash(&order, None, None)).await,
        Code::FailedPrecondition,
        "ORDER_NOT_OPEN",
    );
    shop.platform.stop().await;
}

#[tokio::test]
async fn a_declined_card_is_recorded_failed_and_leaves_the_balance() {
    let shop = Shop::open().await;
    let order = shop.order(1).await;

    let declined = shop
        .pay(card(&order, None, "tok_insufficient_funds"))
        .await
        .unwrap();

    let attempt = declined.transaction.unwrap();
    assert_eq!(attempt.status, i32::from(TransactionStatus::Failed));
    assert_eq!(
        attempt.failure_reason,
        i32::from(PaymentFailureReason::InsufficientFunds)
    );
    assert!(!attempt.failure_message.is_empty());
    assert_eq!(amount(declined.balance_due.as_ref()), PRICE);
    let retried = shop.pay(card(&order, None, "tok_visa")).await.unwrap();
    assert_eq!(
        retried.transaction.unwrap().status,
        i32::from(TransactionStatus::Succeeded)
    );
    shop.platform.stop().await;
}

#[tokio::test]
async fn fifty_concurrent_identical_payments_record_one_transaction() {
    let shop = Shop::open().await;
    let order = shop.order(1).await;
    let request = cash(&order, None, Some(20_000));

    let channel = shop.platform.channel().await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let mut client = TransactionServiceClient::new(channel.clone());
        let request = bearer(&shop.cashier.session.access_token, request.clone());
        calls.spawn(async move { client.create_payment(request).await });
    }
    let answers = calls.join_all().await;

    let ids: std::collections::BTreeSet<String> = answers
        .into_iter()
        .map(|answer| {
            let answer = answer.unwrap_or_else(|status| panic!("{status:?}")).into_inner();
            answer.transaction.unwrap().id
        })
        .collect();
    assert_eq!(ids.len(), 1, "every caller gets the one payment back");
    assert_eq!(shop.of_order(&order.id).await.len(), 1);
    shop.platform.stop().await;
}

#[tokio::test]
async fn a_key_reused_with_other_content_is_refused() {
    let shop = Shop::open().await;
    let order = shop.order(2).await;
    let first = cash(&order, Some(PRICE), None);
    shop.pay(first.clone()).await.unwrap();

    let other = CreatePaymentRequest {
        amount: Some(idr(PRICE / 2)),
        ..first.clone()
    };
    assert_error(
        shop.pay(other).await,
        Code::AlreadyExists,
        "IDEMPOTENCY_KEY_REUSED",
    );
    let again = shop.pay(first).await.unwrap();
    assert_eq!(amount(again.balance_due.as_ref()), PRICE);
    assert_eq!(shop.of_order(&order.id).await.len(), 1);
    shop.platform.stop().await;
}

#[tokio::test]
async fn a_payment_above_the_balance_is_refused() {
    let shop = Shop::open().await;
    let order = shop.order(1).await;

    assert_error(
        shop.pay(cash(&order, Some(PRICE + 1), None)).await,
        Code::FailedPrecondition,
        "AMOUNT_EXCEEDS_BALANCE",
    );
    assert_error(
        shop.pay(cash(&order, Some(PRICE), Some(PRICE - 1))).await,
        Code::InvalidArgument,
        "TENDERED_BELOW_AMOUNT",
    );
    assert!(shop.of_order(&order.id).await.is_empty());
    shop.platform.stop().await;
}

#[tokio::test]
async fn a_suspended_merchant_cannot_take_payments() {
    let shop = Shop::open().await;
    let order = shop.order(1).await;
    MerchantServiceClient::new(shop.platform.channel().await)
        .suspend_merchant(shop.platform.as_service(SuspendMerchantRequest {
            merchant_id: shop.owner.merchant_id.clone(),
            reason: "unpaid fees".to_owned(),
        }))
        .await
        .unwrap();

    assert_error(
        shop.pay(cash(&order, None, None)).await,
        Code::FailedPrecondition,
        "MERCHANT_NOT_ACTIVE",
    );
    shop.platform.stop().await;
}

#[tokio::test]
async fn only_a_cashier_of_the_orders_merchant_takes_its_payments() {
    let shop = Shop::open().await;
    let order = shop.order(1).await;
    let other_owner = shop.platform.active_merchant().await;
    let stranger = shop.platform.cashier(&other_owner).await;

    assert_error(
        shop.pay_as(&stranger.session, cash(&order, None, None)).await,
        Code::PermissionDenied,
        "ORDER_OF_OTHER_MERCHANT",
    );
    assert_error(
        shop.pay_as(&shop.owner.session, cash(&order, None, None)).await,
        Code::PermissionDenied,
        "ORDER_OF_OTHER_MERCHANT",
    );
    shop.platform.stop().await;
}

#[tokio::test]
async fn payment_requests_are_checked_before_the_order_is_read() {
    let shop = Shop::open().await;
    let order = Order {
        id: Uuid::now_v7().to_string(),
        ..Order::default()
    };

    assert_error(
        shop.pay(card(&order, None, "")).await,
        Code::InvalidArgument,
        "PAYMENT_TOKEN_REQUIRED",
    );
    let mut with_tendered = card(&order, None, "tok_visa");
    with_tendered.tendered = Some(idr(5));
    assert_error(
        shop.pay(with_tendered).await,
        Code::InvalidArgument,
        "TENDERED_NOT_ALLOWED",
    );
    assert_error(
        shop.pay(CreatePaymentRequest {
            request_id: String::new(),
            ..cash(&order, None, None)
        })
        .await,
        Code::InvalidArgument,
        "INVALID_ARGUMENT",
    );
    shop.platform.stop().await;
}

#[tokio::test]
async fn voiding_a_partial_payment_gives_it_back_once() {
    let shop = Shop::open().await;
    let order = shop.order(2).await;
    let payment = shop
        .pay(cash(&order, Some(PRICE), None))
        .await
        .unwrap()
        .transaction
        .unwrap();
    let void = VoidPaymentRequest {
        transaction_id: payment.id.clone(),
        reason: "wrong tender".to_owned(),
    };

    let voided = shop
        .transactions()
        .await
        .void_payment(bearer(&shop.cashier.session.access_token, void.clone()))
        .await
        .unwrap()
        .into_inner();

    let refund = voided.refund.unwrap();
    assert_eq!(refund.kind, i32::from(TransactionKind::Refund));
    assert_eq!(refund.status, i32::from(TransactionStatus::Succeeded));
    assert_eq!(refund.refunded_transaction_id, payment.id);
    assert_eq!(refund.refund_id, "");
    assert_eq!(amount(refund.amount.as_ref()), PRICE);
    assert_eq!(amount(voided.balance_due.as_ref()), 2 * PRICE);
    let again = shop
        .transactions()
        .await
        .void_payment(bearer(&shop.owner.session.access_token, void))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again.refund.unwrap().id, refund.id);
    assert_eq!(shop.of_order(&order.id).await.len(), 2);
    let paid = shop.pay(cash(&order, None, None)).await.unwrap();
    assert_eq!(amount(paid.transaction.unwrap().amount.as_ref()), 2 * PRICE);
    shop.platform.stop().await;
}

#[tokio::test]
async fn a_pending_payment_is_voided_at_the_processor() {
    let shop = Shop::open().await;
    let order = shop.order(1).await;
    let pending = shop.pay(card(&order, None, "tok_pending")).await.unwrap();
    let payment = pending.transaction.unwrap();
    assert_eq!(payment.status, i32::from(TransactionStatus::Pending));
    assert_eq!(amount(pending.balance_due.as_ref()), 0);

    let voided = shop
        .transactions()
        .await
        .void_payment(bearer(
            &shop.cashier.session.access_token,
            VoidPaymentRequest {
                transaction_id: payment.id.clone(),
                reason: "customer left".to_owned(),
            },
        ))
        .await
        .unwrap()
        .into_inner();

    let voided_payment = voided.transaction.unwrap();
    assert_eq!(voided_payment.status, i32::from(TransactionStatus::Failed));
    assert_eq!(
        voided_payment.failure_reason,
        i32::from(PaymentFailureReason::Voided)
    );
    assert_eq!(voided_payment.failure_message, "customer left");
    assert!(voided.refund.is_none());
    assert_eq!(amount(voided.balance_due.as_ref()), PRICE);
    shop.platform.stop().await;
}

#[tokio::test]
async fn only_failed_attempts_are_trashed_restored_and_purged() {
    let shop = Shop::open().await;
    let order = shop.order(1).await;
    let failed = shop
        .pay(card(&order, None, "tok_decline"))
        .await
        .unwrap()
        .transaction
        .unwrap();
    let paid = shop
        .pay(cash(&order, None, None))
        .await
        .unwrap()
        .transaction
        .unwrap();
    let mut client = shop.transactions().await;
    let owner = &shop.owner.session.access_token;
    let delete = |id: &str| DeleteTransactionRequest {
        transaction_id: id.to_owned(),
    };

    assert_error(
        client.delete_transaction(bearer(owner, delete(&paid.id))).await,
        Code::FailedPrecondition,
        "TRANSACTION_NOT_FAILED",
    );
    assert_error(
        client
            .delete_transaction(bearer(&shop.cashier.session.access_token, delete(&failed.id)))
            .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    let trashed = client
        .delete_transaction(bearer(owner, delete(&failed.id)))
        .await
        .unwrap()
        .into_inner();
    assert!(trashed.transaction.unwrap().delete_time.is_some());
    assert_error(
        client.delete_transaction(bearer(owner, delete(&failed.id))).await,
        Code::FailedPrecondition,
        "ALREADY_TRASHED",
    );
    let restored = client
        .restore_transaction(bearer(
            owner,
            RestoreTransactionRequest {
                transaction_id: failed.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(restored.transaction.unwrap().delete_time.is_none());
    assert_error(
        client
            .purge_transaction(bearer(
                owner,
                PurgeTransactionRequest {
                    transaction_id: failed.id.clone(),
                },
            ))
            .await,
        Code::FailedPrecondition,
        "NOT_TRASHED",
    );
    client
        .delete_transaction(bearer(owner, delete(&failed.id)))
        .await
        .unwrap();
    client
        .purge_transaction(bearer(
            owner,
            PurgeTransactionRequest {
                transaction_id: failed.id.clone(),
            },
        ))
        .await
        .unwrap();
    assert_error(
        client
            .get_transaction(bearer(
                owner,
                GetTransactionRequest {
                    transaction_id: failed.id.clone(),
                },
            ))
            .await,
        Code::NotFound,
        "TRANSACTION_NOT_FOUND",
    );
    shop.platform.stop().await;
}

#[tokio::test]
async fn transactions_stay_within_the_callers_scope() {
    let shop = Shop::open().await;
    let order = shop.order(1).await;
    let payment = shop
        .pay(cash(&order, None, None))
        .await
        .unwrap()
        .transaction
        .unwrap();
    let other_owner = shop.platform.active_merchant().await;
    let other_cashier = shop.platform.cashier(&shop.owner).await;
    let mut client = shop.transactions().await;
    let get = GetTransactionRequest {
        transaction_id: payment.id.clone(),
    };

    assert_error(
        client
            .get_transaction(bearer(&other_owner.session.access_token, get.clone()))
            .await,
        Code::NotFound,
        "TRANSACTION_NOT_FOUND",
    );
    let seen = client
        .get_transaction(bearer(&other_cashier.session.access_token, get))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(seen.transaction.unwrap().id, payment.id);
    assert_error(
        client
            .list_transactions(bearer(
                &other_cashier.session.access_token,
                ListTransactionsRequest {
                    cashier_id: shop.cashier.cashier_id.clone(),
                    ..ListTransactionsRequest::default()
                },
            ))
            .await,
        Code::PermissionDenied,
        "TRANSACTION_SCOPE_DENIED",
    );
    let own = client
        .list_transactions(bearer(
            &other_cashier.session.access_token,
            ListTransactionsRequest::default(),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(own.total_size, 0, "a cashier lists its own transactions");
    assert_error(
        client
            .list_transactions(bearer(
                &other_owner.session.access_token,
                ListTransactionsRequest {
                    merchant_id: shop.owner.merchant_id.clone(),
                    ..ListTransactionsRequest::default()
                },
            ))
            .await,
        Code::PermissionDenied,
        "TRANSACTION_SCOPE_DENIED",
    );
    shop.platform.stop().await;
}

#[tokio::test]
async fn a_refund_is_given_back_through_the_latest_payments_first() {
    let shop = Shop::open().await;
    let order = shop.order(3).await;
    let by_card = shop
        .pay(card(&order, Some(PRICE), "tok_visa"))
        .await
        .unwrap()
        .transaction
        .unwrap();
    let by_cash = shop
        .pay(cash(&order, None, None))
        .await
        .unwrap()
        .transaction
        .unwrap();
    shop.order_becomes(&order.id, OrderState::Paid).await;

    OrderServiceClient::new(shop.platform.channel().await)
        .refund_order(bearer(
            &shop.owner.session.access_token,
            RefundOrderRequest {
                order_id: order.id.clone(),
                lines: Vec::new(),
                restock_all: true,
                reason: "customer returned everything".to_owned(),
                request_id: Uuid::now_v7().to_string(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("RefundOrder: {status:?}"));

    let refunds = eventually(EVENTS, "the refund transactions", || async {
        let refunds: Vec<Transaction> = shop
            .try_of_order(&order.id)
            .await
            .ok()?
            .into_iter()
            .filter(|t| t.kind == i32::from(TransactionKind::Refund))
            .collect();
        (refunds.len() == 2).then_some(refunds)
    })
    .await;
    let given_back = |payment: &Transaction| {
        refunds
            .iter()
            .find(|refund| refund.refunded_transaction_id == payment.id)
            .map(|refund| {
                (
                    amount(refund.amount.as_ref()),
                    refund.method,
                    refund.refund_id.is_empty(),
                )
            })
    };
    assert_eq!(
        given_back(&by_cash),
        Some((2 * PRICE, i32::from(PaymentMethod::Cash), false))
    );
    assert_eq!(
        given_back(&by_card),
        Some((PRICE, i32::from(PaymentMethod::Card), false))
    );
    shop.platform.stop().await;
}

#[tokio::test]
async fn a_settlement_stamps_each_transaction_once() {
    let shop = Shop::open().await;
    let first = shop.order(1).await;
    shop.pay(cash(&first, None, None)).await.unwrap();
    let first_settlement = shop.settled(shop.settle().await).await;
    let second_order = shop.order(2).await;
    shop.pay(cash(&second_order, None, None)).await.unwrap();
    let second_settlement = shop.settled(shop.settle().await).await;

    assert_eq!(first_settlement.payment_count, 1);
    assert_eq!(amount(first_settlement.gross.as_ref()), PRICE);
    assert_eq!(
        second_settlement.payment_count, 1,
        "the first payment is not settled twice"
    );
    assert_eq!(amount(second_settlement.gross.as_ref()), 2 * PRICE);
    let stamped = shop
        .transactions()
        .await
        .list_transactions(bearer(
            &shop.owner.session.access_token,
            ListTransactionsRequest {
                settlement_id: second_settlement.id.clone(),
                ..ListTransactionsRequest::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stamped.total_size, 1);
    assert_eq!(stamped.transactions[0].order_id, second_order.id);
    assert!(stamped.transactions[0].settle_time.is_some());
    shop.platform.stop().await;
}
