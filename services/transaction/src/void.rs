//! VoidPayment: cancels a PENDING payment at the processor, or gives a SUCCEEDED payment of an
//! order that is not paid yet back with a REFUND transaction (once: a repeat returns the same one).

use std::sync::Arc;

use uuid::Uuid;

use pos_api::pos::transaction::v1 as pb;
use pos_platform::{AuthContext, ModuleContext};

use crate::access::Reach;
use crate::error::TransactionError;
use crate::events::{self, Actor};
use crate::payment::{apply_outcome, balance_due};
use crate::processor::{ChargeOutcome, PaymentProcessor};
use crate::store::{self, Amounts, TransactionRow, WRITE, money, parse_id};
use crate::upstream;

/// Longest `reason` accepted.
const MAX_REASON_CHARS: usize = 500;

/// Voids a payment (see `TransactionService.VoidPayment`).
pub(crate) async fn void_payment(
    ctx: &ModuleContext,
    processor: &Arc<dyn PaymentProcessor>,
    auth: &AuthContext,
    request: &pb::VoidPaymentRequest,
) -> Result<pb::VoidPaymentResponse, TransactionError> {
    let id = parse_id("transaction_id", &request.transaction_id)?;
    if request.reason.chars().count() > MAX_REASON_CHARS {
        return Err(TransactionError::invalid(
            "reason",
            "must be at most 500 characters",
        ));
    }
    let reach = Reach::of(auth, WRITE)?;
    let mut payment = reach.visible(id, store::find(&mut *ctx.db.acquire().await?, id).await?)?;
    if !payment.is_payment() {
        return Err(TransactionError::NotVoidable(id.to_string(), "it is a refund"));
    }
    let actor = Actor::of(auth);

    if payment.status == store::PENDING {
        let outcome = match processor.cancel(payment.id, &payment.payment_token).await {
            ChargeOutcome::Declined { .. } => ChargeOutcome::Declined {
                reason: pb::PaymentFailureReason::Voided,
                message: request.reason.clone(),
            },
            other => other,
        };
        payment = apply_outcome(ctx, &actor, payment.id, outcome, true).await?;
    }
    if payment.status != store::SUCCEEDED {
        return respond(ctx, payment, None).await;
    }
    let refund = void_refund(&mut *ctx.db.acquire().await?, payment.id).await?;
    if let Some(refund) = refund {
        return respond(ctx, payment, Some(refund)).await;
    }

    let order = upstream::order(ctx, payment.order_id).await?;
    if !order.is_open(chrono::Utc::now()) {
        return Err(TransactionError::NotVoidable(
            id.to_string(),
            "its order is no longer open",
        ));
    }
    let mut tx = ctx.db.begin().await?;
    let lock = store::lock_existing_order(&mut tx, payment.order_id)
        .await?
        .ok_or_else(|| anyhow::anyhow!("payment {id} has no order lock row"))?;
    if let Some(refund) = void_refund(&mut tx, payment.id).await? {
        drop(tx);
        return respond(ctx, payment, Some(refund)).await;
    }
    if lock.fully_paid_at.is_some() {
        return Err(TransactionError::NotVoidable(id.to_string(), "its order is paid"));
    }
    let cashier_id = match reach {
        Reach::Cashier { cashier_id, .. } => cashier_id,
        Reach::Platform | Reach::Owner(_) => payment.cashier_id,
    };
    let refund = sqlx::query_as!(
        TransactionRow,
        "INSERT INTO transactions.transactions (id, order_id, merchant_id, cashier_id, kind, method, status, \
            currency_code, amount_minor, refunded_transaction_id, failure_message, completed_at) \
         VALUES ($1, $2, $3, $4, 'REFUND', $5, 'SUCCEEDED', $6, $7, $8, '', now()) \
         RETURNING id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at",
        Uuid::now_v7(),
        payment.order_id,
        payment.merchant_id,
        cashier_id,
        &payment.method,
        &payment.currency_code,
        payment.amount_minor,
        payment.id,
    )
    .fetch_one(&mut *tx)
    .await?;
    let amounts = Amounts::of(&store::of_order(&mut tx, payment.order_id).await?);
    events::refund_recorded(&mut tx, &actor, &refund, amounts).await?;
    tx.commit().await?;
    respond(ctx, payment, Some(refund)).await
}

/// The REFUND transaction that gave `payment_id` back through VoidPayment, if any.
async fn void_refund(
    conn: &mut sqlx::PgConnection,
    payment_id: Uuid,
) -> Result<Option<TransactionRow>, TransactionError> {
    Ok(sqlx::query_as!(
        TransactionRow,
        "SELECT id, order_id, merchant_id, cashier_id, kind, method, status, currency_code, amount_minor, \
         tendered_minor, change_minor, failure_reason, failure_message, processor_reference, payment_token, \
         refund_id, refunded_transaction_id, request_id, request_hash, charging_since, settlement_id, \
         settled_at, created_at, updated_at, completed_at, deleted_at \
         FROM transactions.transactions \
         WHERE refunded_transaction_id = $1 AND kind = 'REFUND' AND refund_id IS NULL",
        payment_id,
    )
    .fetch_optional(conn)
    .await?)
}

async fn respond(
    ctx: &ModuleContext,
    payment: TransactionRow,
    refund: Option<TransactionRow>,
) -> Result<pb::VoidPaymentResponse, TransactionError> {
    let balance = balance_due(&mut *ctx.db.acquire().await?, payment.order_id).await?;
    Ok(pb::VoidPaymentResponse {
        balance_due: Some(money(&payment.currency_code, balance)),
        transaction: Some(payment.to_pb()),
        refund: refund.as_ref().map(TransactionRow::to_pb),
    })
}
