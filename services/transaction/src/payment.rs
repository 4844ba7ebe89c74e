//! CreatePayment: takes a payment for an order, serialised with the order's other payments by the
//! order's lock row, idempotent under `request_id` (scoped to the merchant, kept with the payment).
//!
//! Cash succeeds in the one transaction that records it. Other methods are recorded PENDING and
//! committed, charged through the processor with no database transaction open, and the outcome is
//! applied in a second transaction ([`apply_outcome`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use prost::Message as _;
use sha2::{Digest as _, Sha256};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::transaction::v1 as pb;
use pos_platform::auth::MerchantScope;
use pos_platform::idempotency::MAX_REQUEST_ID_CHARS;
use pos_platform::{AuthContext, ModuleContext};

use crate::error::TransactionError;
use crate::events::{self, Actor};
use crate::processor::{CHARGE_DEADLINE, ChargeOutcome, PaymentProcessor};
use crate::store::{self, Amounts, TransactionRow, WRITE, money};
use crate::upstream;

/// Longest `payment_token` accepted.
const MAX_TOKEN_CHARS: usize = 200;
/// How long a retry waits for the first call with its key to finish charging.
const REPLAY_WAIT: Duration = Duration::from_secs(15);

/// A CreatePayment request, checked field by field.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PaymentInput {
    pub(crate) order_id: Uuid,
    pub(crate) method: &'static str,
    pub(crate) amount: Option<(String, i64)>,
    pub(crate) tendered: Option<(String, i64)>,
    pub(crate) token: String,
    pub(crate) request_id: String,
}

impl PaymentInput {
    /// Checks the fields that need no order: every malformed field at once, then the rules
    /// between them (TENDERED_NOT_ALLOWED, PAYMENT_TOKEN_REQUIRED).
    pub(crate) fn parse(request: &pb::CreatePaymentRequest) -> Result<Self, TransactionError> {
        let mut violations = Vec::new();
        let mut bad = |field: &str, description: &str| {
            violations.push(tonic_types::FieldViolation::new(field, description));
        };
        let order_id = match Uuid::parse_str(&request.order_id) {
            Ok(id) => Some(id),
            Err(_) if request.order_id.is_empty() => {
                bad("order_id", "is required");
                None
            }
            Err(_) => {
                bad("order_id", "must be a UUID");
                None
            }
        };
        let method = store::method_from_pb(request.method);
        if method.is_none() {
            bad("method", "must be CASH, CARD, E_WALLET or BANK_TRANSFER");
        }
        if request.request_id.is_empty() {
            bad("request_id", "is required");
        } else if request.request_id.chars().count() > MAX_REQUEST_ID_CHARS {
            bad("request_id", "must be at most 36 characters");
        }
        let mut money_field = |field: &str, value: Option<&pos_api::pos::common::v1::Money>| {
            let value = value?;
            if value.amount_minor <= 0 {
                bad(&format!("{field}.amount_minor"), "must be positive");
            }
            if !(value.currency_code.len() == 3
                && value.currency_code.chars().all(|c| c.is_ascii_uppercase()))
            {
                bad(&format!("{field}.currency_code"), "must be an ISO-4217 code");
            }
            Some((value.currency_code.clone(), value.amount_minor))
        };
        let amount = money_field("amount", request.amount.as_ref());
        let tendered = money_field("tendered", request.tendered.as_ref());
        if request.payment_token.chars().count() > MAX_TOKEN_CHARS {
            bad("payment_token", "must be at most 200 characters");
        }
        if method == Some("CASH") && !request.payment_token.is_empty() {
            bad("payment_token", "must be empty for cash");
        }
        if !violations.is_empty() {
            return Err(TransactionError::Invalid(violations));
        }
        let (Some(order_id), Some(method)) = (order_id, method) else {
            return Err(anyhow::anyhow!("checked fields are missing").into());
        };
        if method != "CASH" {
            if tendered.is_some() {
                return Err(TransactionError::TenderedNotAllowed);
            }
            if request.payment_token.trim().is_empty() {
                return Err(TransactionError::PaymentToken(
                    "payment_token is required for CARD, E_WALLET and BANK_TRANSFER",
                ));
            }
        }
        Ok(PaymentInput {
            order_id,
            method,
            amount,
            tendered,
            token: request.payment_token.clone(),
            request_id: request.request_id.clone(),
        })
    }

    /// Whether this is a cash payment.
    fn is_cash(&self) -> bool {
        self.method == "CASH"
    }
}

/// What makes two CreatePayment requests with one key the same: everything but the key.
pub(crate) fn request_hash(request: &pb::CreatePaymentRequest) -> Vec<u8> {
    let content = pb::CreatePaymentRequest {
        request_id: String::new(),
        ..request.clone()
    }
    .encode_to_vec();
    Sha256::digest(content).to_vec()
}

/// A merchant and one of its `request_id`s.
type GateKey = (Uuid, String);

/// Queues the calls of one process that carry the same (merchant, `request_id`), so that late
/// callers wait for the first one without holding database connections (the order's lock row
/// still serialises calls across processes).
#[derive(Default)]
pub(crate) struct KeyGate {
    keys: std::sync::Mutex<HashMap<GateKey, Arc<tokio::sync::Mutex<()>>>>,
}

impl KeyGate {
    /// Waits for the calls with the same key before this one; the guard lets the next one in.
    async fn enter(&self, merchant_id: Uuid, request_id: &str) -> KeyGuard<'_> {
        let key = (merchant_id, request_id.to_owned());
        let lock = {
            let mut keys = self
                .keys
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(keys.entry(key.clone()).or_default())
        };
        let guard = Arc::clone(&lock).lock_owned().await;
        KeyGuard {
            gate: self,
            key,
            lock,
            _guard: guard,
        }
    }
}

/// A call's turn for its key; dropping it forgets the key once nobody else waits for it.
struct KeyGuard<'a> {
    gate: &'a KeyGate,
    key: GateKey,
    lock: Arc<tokio::sync::Mutex<()>>,
    _guard: tokio::sync::OwnedMutexGuard<()>,
}

impl Drop for KeyGuard<'_> {
    fn drop(&mut self) {
        let mut keys = self
            .gate
            .keys
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        // The map, this guard and the held mutex's owner: nobody else holds or awaits it.
        if Arc::strong_count(&self.lock) <= 3 {
            keys.remove(&self.key);
        }
    }
}

/// Takes a payment (see `TransactionService.CreatePayment`).
pub(crate) async fn create_payment(
    ctx: &ModuleContext,
    processor: &Arc<dyn PaymentProcessor>,
    gate: &KeyGate,
    auth: &AuthContext,
    request: &pb::CreatePaymentRequest,
) -> Result<pb::CreatePaymentResponse, TransactionError> {
    let input = PaymentInput::parse(request)?;
    let order_key = input.order_id.to_string();
    let Some(MerchantScope::Cashier {
        merchant_id,
        cashier_id,
    }) = auth.merchant_scope(WRITE)
    else {
        return Err(TransactionError::OrderOfOtherMerchant(order_key));
    };
    let hash = request_hash(request);
    let _turn = gate.enter(merchant_id, &input.request_id).await;

    let existing =
        store::by_request_id(&mut *ctx.db.acquire().await?, merchant_id, &input.request_id).await?;
    if let Some(existing) = existing {
        return replay(ctx, existing, &hash).await;
    }

    let order = upstream::order(ctx, input.order_id).await?;
    if order.merchant_id != merchant_id {
        return Err(TransactionError::OrderOfOtherMerchant(order_key));
    }
    upstream::require_active_merchant(ctx, merchant_id).await?;
    if !order.is_open(Utc::now()) {
        return Err(TransactionError::OrderNotOpen(order_key));
    }
    for (field, value) in [("amount", &input.amount), ("tendered", &input.tendered)] {
        if let Some((currency, _)) = value
            && *currency != order.currency_code
        {
            return Err(TransactionError::CurrencyMismatch {
                field,
                expected: order.currency_code.clone(),
            });
        }
    }

    let actor = Actor::of(auth).with_request_id(&input.request_id);
    let mut tx = ctx.db.begin().await?;
    let lock = store::lock_order(
        &mut tx,
        order.id,
        merchant_id,
        &order.currency_code,
        order.total_minor,
    )
    .await?;
    if let Some(existing) = store::by_request_id(&mut tx, merchant_id, &input.request_id).await? {
        drop(tx);
        return replay(ctx, existing, &hash).await;
    }
    let before = Amounts::of(&store::of_order(&mut tx, order.id).await?);
    let balance = before.balance(lock.total_minor);
    if lock.fully_paid_at.is_some() || before.paid() >= lock.total_minor {
        return Err(TransactionError::OrderNotOpen(order_key));
    }
    let amount = input.amount.as_ref().map_or(balance, |(_, amount)| *amount);
    if amount > balance || amount <= 0 {
        return Err(TransactionError::AmountExceedsBalance { amount, balance });
    }
    let tendered = if input.is_cash() {
        let tendered = input.tendered.as_ref().map_or(amount, |(_, tendered)| *tendered);
        if tendered < amount {
            return Err(TransactionError::TenderedBelowAmount);
        }
        Some(tendered)
    } else {
        None
    };

    let status = if input.is_cash() {
        store::SUCCEEDED
    } else {
        store::PENDING
    };
    let payment = sqlx::query_as!(
        TransactionRow,
        "INSERT INTO transactions.transactions (id, order_id, merchant_id, cashier_id, kind, method, status, \
            currency_code, amount_minor, tendered_minor, change_minor, payment_token, request_id, request_hash, \
            completed_at, charging_since) \
         VALUES ($1, $2, $3, $4, 'PAYMENT', $5, $6, $7, $8, $9, $9::bigint - $8::bigint, $10, $11, $12, \
            CASE WHEN $6 = 'SUCCEEDED' THEN now() END, CASE WHEN $6 = 'PENDING' THEN now() END) \
         RETURNING id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at",
        Uuid::now_v7(),
        order.id,
        merchant_id,
        cashier_id,
        input.method,
        status,
        &order.currency_code,
        amount,
        tendered,
        &input.token,
        &input.request_id,
        &hash,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|error| match &error {
        // The key is taken by a payment of another order of the merchant: other content.
        sqlx::Error::Database(db) if db.is_unique_violation() => {
            TransactionError::IdempotencyKeyReused(input.request_id.clone())
        }
        _ => error.into(),
    })?;

    if payment.status == store::SUCCEEDED {
        succeeded(&mut tx, &actor, &payment, lock.total_minor).await?;
        tx.commit().await?;
        return respond(ctx, payment).await;
    }
    tx.commit().await?;

    let outcome = tokio::time::timeout(
        CHARGE_DEADLINE,
        processor.charge(
            payment.id,
            &input.token,
            &payment.currency_code,
            payment.amount_minor,
        ),
    )
    .await
    .unwrap_or(ChargeOutcome::Pending);
    let payment = apply_outcome(ctx, &actor, payment.id, outcome, false).await?;
    respond(ctx, payment).await
}

/// After `payment` became SUCCEEDED in `tx` (the order's lock held): publishes PaymentSucceeded
/// and, when it completed the order, marks the order paid and publishes OrderFullyPaid.
async fn succeeded(
    tx: &mut PgConnection,
    actor: &Actor,
    payment: &TransactionRow,
    total: i64,
) -> Result<(), TransactionError> {
    let all = store::of_order(&mut *tx, payment.order_id).await?;
    let amounts = Amounts::of(&all);
    events::payment_succeeded(&mut *tx, actor, payment, total, amounts).await?;
    if amounts.paid() >= total {
        let marked = sqlx::query!(
            "UPDATE transactions.order_balances SET fully_paid_at = $2, updated_at = now() \
             WHERE order_id = $1 AND fully_paid_at IS NULL",
            payment.order_id,
            payment.completed_at.unwrap_or_else(Utc::now),
        )
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if marked == 1 {
            events::order_fully_paid(&mut *tx, actor, payment, total, &all).await?;
        }
    }
    Ok(())
}

/// Applies the processor's answer to the PENDING payment `payment_id` (no-op once it is final),
/// under the order's lock. With `voiding`, a decline is recorded as VOIDED (VoidPayment).
pub(crate) async fn apply_outcome(
    ctx: &ModuleContext,
    actor: &Actor,
    payment_id: Uuid,
    outcome: ChargeOutcome,
    voiding: bool,
) -> Result<TransactionRow, TransactionError> {
    let mut tx = ctx.db.begin().await?;
    let order_id = store::find(&mut tx, payment_id)
        .await?
        .ok_or_else(|| TransactionError::NotFound(payment_id.to_string()))?
        .order_id;
    let lock = store::lock_existing_order(&mut tx, order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("payment {payment_id} has no order lock row"))?;
    let current = store::lock(&mut tx, payment_id)
        .await?
        .ok_or_else(|| TransactionError::NotFound(payment_id.to_string()))?;
    if current.status != store::PENDING {
        return Ok(current);
    }
    let updated: TransactionRow = match outcome {
        ChargeOutcome::Approved { reference } => {
            let updated = sqlx::query_as!(
                TransactionRow,
                "UPDATE transactions.transactions SET status = 'SUCCEEDED', processor_reference = $2, \
                    completed_at = now(), updated_at = now(), charging_since = NULL WHERE id = $1 \
                 RETURNING id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
                 tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
                 refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
                 settled_at, created_at, updated_at, completed_at, deleted_at",
                payment_id,
                &reference,
            )
            .fetch_one(&mut *tx)
            .await?;
            succeeded(&mut tx, actor, &updated, lock.total_minor).await?;
            updated
        }
        ChargeOutcome::Declined { reason, message } => {
            let (reason, message) = if voiding {
                (pb::PaymentFailureReason::Voided, message)
            } else {
                (reason, message)
            };
            let updated = sqlx::query_as!(
                TransactionRow,
                "UPDATE transactions.transactions SET status = 'FAILED', failure_reason = $2, \
                    failure_message = left($3, 500), completed_at = now(), updated_at = now(), charging_since = NULL \
                 WHERE id = $1 \
                 RETURNING id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
                 tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
                 refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
                 settled_at, created_at, updated_at, completed_at, deleted_at",
                payment_id,
                store::reason_name(reason),
                &message,
            )
            .fetch_one(&mut *tx)
            .await?;
            events::payment_failed(&mut tx, actor, &updated).await?;
            updated
        }
        ChargeOutcome::Pending => {
            sqlx::query_as!(
                TransactionRow,
                "UPDATE transactions.transactions SET charging_since = NULL, updated_at = now() WHERE id = $1 \
                 RETURNING id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
                 tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
                 refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
                 settled_at, created_at, updated_at, completed_at, deleted_at",
                payment_id,
            )
            .fetch_one(&mut *tx)
            .await?
        }
    };
    tx.commit().await?;
    Ok(updated)
}

/// The answer to a retry with the key of `existing`: the same payment, once its first call
/// finished charging (ABORTED / REQUEST_IN_PROGRESS if it does not finish in time).
async fn replay(
    ctx: &ModuleContext,
    existing: TransactionRow,
    hash: &[u8],
) -> Result<pb::CreatePaymentResponse, TransactionError> {
    if existing.request_hash.as_deref() != Some(hash) {
        return Err(TransactionError::IdempotencyKeyReused(
            existing.request_id.unwrap_or_default(),
        ));
    }
    let deadline = tokio::time::Instant::now() + REPLAY_WAIT;
    let mut current = existing;
    while charging(&current) {
        if tokio::time::Instant::now() >= deadline {
            return Err(TransactionError::RequestInProgress(
                current.request_id.unwrap_or_default(),
            ));
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
        current = store::find(&mut *ctx.db.acquire().await?, current.id)
            .await?
            .ok_or_else(|| TransactionError::NotFound(current.id.to_string()))?;
    }
    respond(ctx, current).await
}

/// Whether the first call of `payment` is still charging it (a call that died long ago is not).
fn charging(payment: &TransactionRow) -> bool {
    let stale = chrono::Duration::from_std(CHARGE_DEADLINE + REPLAY_WAIT).unwrap_or_default();
    payment
        .charging_since
        .is_some_and(|since| Utc::now() - since < stale)
}

/// The response for `payment`, with the order's balance now.
async fn respond(
    ctx: &ModuleContext,
    payment: TransactionRow,
) -> Result<pb::CreatePaymentResponse, TransactionError> {
    let balance = balance_due(&mut *ctx.db.acquire().await?, payment.order_id).await?;
    Ok(pb::CreatePaymentResponse {
        balance_due: Some(money(&payment.currency_code, balance)),
        transaction: Some(payment.to_pb()),
    })
}

/// What is still to be paid on `order_id` by what this module knows (zero once fully paid).
pub(crate) async fn balance_due(conn: &mut PgConnection, order_id: Uuid) -> Result<i64, TransactionError> {
    let total = sqlx::query_scalar!(
        "SELECT total_minor FROM transactions.order_balances WHERE order_id = $1",
        order_id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let Some(total) = total else {
        return Ok(0);
    };
    Ok(Amounts::of(&store::of_order(conn, order_id).await?).balance(total))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pos_api::pos::common::v1::Money;

    fn request(method: pb::PaymentMethod) -> pb::CreatePaymentRequest {
        pb::CreatePaymentRequest {
            order_id: Uuid::now_v7().to_string(),
            method: method.into(),
            request_id: Uuid::now_v7().to_string(),
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn calls_with_one_key_take_turns_and_the_key_is_forgotten_after() {
        let gate = Arc::new(KeyGate::default());
        let merchant = Uuid::now_v7();
        let first = gate.enter(merchant, "k").await;
        let waiting = {
            let gate = Arc::clone(&gate);
            tokio::spawn(async move {
                let _turn = gate.enter(merchant, "k").await;
            })
        };
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the second call waits for the first");
        let other_key = gate.enter(merchant, "other").await;
        drop(first);
        waiting.await.unwrap();
        drop(other_key);
        assert!(gate.keys.lock().unwrap().is_empty());
    }

    #[test]
    fn a_card_payment_needs_a_token_and_no_tendered() {
        let mut card = request(pb::PaymentMethod::Card);
        assert!(matches!(
            PaymentInput::parse(&card),
            Err(TransactionError::PaymentToken(_))
        ));
        card.payment_token = "tok_visa".into();
        card.tendered = Some(Money {
            currency_code: "IDR".into(),
            amount_minor: 10,
        });
        assert!(matches!(
            PaymentInput::parse(&card),
            Err(TransactionError::TenderedNotAllowed)
        ));
        card.tendered = None;
        assert!(PaymentInput::parse(&card).is_ok());
    }

    #[test]
    fn malformed_fields_are_reported_together() {
        let mut bad = request(pb::PaymentMethod::Unspecified);
        bad.order_id = "x".into();
        bad.request_id = String::new();
        bad.amount = Some(Money {
            currency_code: "idr".into(),
            amount_minor: 0,
        });
        let Err(TransactionError::Invalid(violations)) = PaymentInput::parse(&bad) else {
            panic!("accepted");
        };
        let fields: Vec<&str> = violations.iter().map(|v| v.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "order_id",
                "method",
                "request_id",
                "amount.amount_minor",
                "amount.currency_code"
            ]
        );
    }

    #[test]
    fn the_key_covers_everything_but_itself() {
        let one = request(pb::PaymentMethod::Cash);
        let mut again = one.clone();
        again.request_id = "other".into();
        assert_eq!(request_hash(&one), request_hash(&again));
        again.tendered = Some(Money {
            currency_code: "IDR".into(),
            amount_minor: 5,
        });
        assert_ne!(request_hash(&one), request_hash(&again));
    }
}
