//! Final payments, from `pos.transaction.v1.events`.
//!
//! `PaymentSucceeded` and `PaymentFailed` carry the payment as recorded; it is counted once (the
//! fact's key is the transaction id) on the merchant's business day it became final. Refund
//! transactions are not payments: refunds are counted from the order module's `OrderRefunded`.

use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::transaction::v1::{
    PaymentFailed, PaymentSucceeded, Transaction, TransactionKind, TransactionStatus,
};
use pos_platform::ModuleContext;
use pos_platform::events::{Event, EventHandler, HandlerError};

use super::business_day::{business_date, instant};
use super::{advance_watermark, merchants, required_id, uuid_or_nil};
use crate::rollup::{self, Facts};

/// Applies payment events to the read model.
pub(crate) struct PaymentsHandler {
    ctx: ModuleContext,
}

impl PaymentsHandler {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        PaymentsHandler { ctx }
    }
}

/// The payment a payment event carries, if it is one.
fn payment_of(event: &Event) -> Result<Option<Transaction>, HandlerError> {
    Ok(if event.event_type == PaymentSucceeded::full_name() {
        event.decode::<PaymentSucceeded>()?.transaction
    } else if event.event_type == PaymentFailed::full_name() {
        event.decode::<PaymentFailed>()?.transaction
    } else {
        None
    })
}

impl EventHandler for PaymentsHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let Some(payment) = payment_of(event)? else {
                return Ok(());
            };
            let status = TransactionStatus::try_from(payment.status).unwrap_or_default();
            let kind = TransactionKind::try_from(payment.kind).unwrap_or_default();
            if kind != TransactionKind::Payment
                || !matches!(status, TransactionStatus::Succeeded | TransactionStatus::Failed)
            {
                return Ok(());
            }
            record_payment(&self.ctx, tx, event, &payment, status).await?;
            advance_watermark(tx, event.occurred_at).await?;
            Ok(())
        })
    }
}

/// The merchant whose cached answers a payment event changes.
pub(crate) fn touched_merchant(event: &Event) -> Option<Uuid> {
    let payment = payment_of(event).ok().flatten()?;
    Uuid::parse_str(&payment.merchant_id).ok()
}

/// Records the final payment and adds it to the rollups, once per transaction.
async fn record_payment(
    ctx: &ModuleContext,
    conn: &mut PgConnection,
    event: &Event,
    payment: &Transaction,
    status: TransactionStatus,
) -> Result<(), HandlerError> {
    let transaction_id = required_id(&payment.id, "transaction.id")?;
    let merchant_id = required_id(&payment.merchant_id, "transaction.merchant_id")?;
    let amount = payment.amount.clone().unwrap_or_default();
    let final_at = instant(
        payment.complete_time.as_ref().or(payment.update_time.as_ref()),
        event.occurred_at,
    );
    let zone = merchants::time_zone(ctx, conn, merchant_id, &amount.currency_code).await?;
    let inserted = sqlx::query!(
        "INSERT INTO reports.payments (transaction_id, order_id, merchant_id, cashier_id, method, status, \
             currency_code, amount, final_at, business_date) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (transaction_id) DO NOTHING",
        transaction_id,
        uuid_or_nil(&payment.order_id),
        merchant_id,
        uuid_or_nil(&payment.cashier_id),
        i16::try_from(payment.method).unwrap_or(0),
        i16::try_from(i32::from(status)).unwrap_or(0),
        &amount.currency_code,
        amount.amount_minor,
        final_at,
        business_date(final_at, &zone),
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted > 0 {
        rollup::add_payments(conn, Facts::One(transaction_id)).await?;
    }
    Ok(())
}
