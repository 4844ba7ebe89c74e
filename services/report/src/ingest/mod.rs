//! The consumers that maintain the read model.
//!
//! - `pos.order.v1.events`: `OrderPaid` records a sale, `OrderRefunded` a refund ([`sales`]);
//! - `pos.transaction.v1.events`: `PaymentSucceeded` / `PaymentFailed` record a final payment
//!   ([`payments`]);
//! - `pos.merchant.v1.events`: the merchant's time zone and currency ([`merchants`]);
//! - `pos.cashier.v1.events`, `pos.category.v1.events`: current names ([`names`]).
//!
//! Each event is applied in the transaction that records it in the module's inbox: the fact row
//! (whose primary key is the sale's order id, the refund id or the transaction id, so a second
//! copy changes nothing), its additions to the rollups and the watermark commit together. After
//! the commit the answers cached for the touched merchant are invalidated.

mod business_day;
mod merchants;
mod names;
mod payments;
mod sales;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::FutureExt as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::events::topics::events_topic;
use pos_platform::events::{AfterApply, Event, HandlerError};
use pos_platform::module::Subscription;

use crate::cache::Keys;

/// Every subscription of the report module.
pub(crate) fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    let mut order = Subscription::new(
        events_topic(Module::Order),
        Arc::new(sales::SalesHandler::new(ctx.clone())),
    );
    order.after_apply = Some(invalidate_hook(ctx, sales::touched_merchant));
    let mut transaction = Subscription::new(
        events_topic(Module::Transaction),
        Arc::new(payments::PaymentsHandler::new(ctx.clone())),
    );
    transaction.after_apply = Some(invalidate_hook(ctx, payments::touched_merchant));
    let mut cashier = Subscription::new(events_topic(Module::Cashier), Arc::new(names::CashierNames));
    cashier.after_apply = Some(invalidate_hook(ctx, names::touched_merchant));
    let mut category = Subscription::new(events_topic(Module::Category), Arc::new(names::CategoryNames));
    category.after_apply = Some(invalidate_labels_hook(ctx));
    let mut merchant = Subscription::new(events_topic(Module::Merchant), Arc::new(merchants::MerchantZones));
    merchant.after_apply = Some(invalidate_hook(ctx, merchants::touched_merchant));
    vec![order, transaction, cashier, category, merchant]
}

/// After an event committed: drops the cached answers it may change (the merchant's, and every
/// platform-wide one). `merchant_of` answers `None` for events that change no figure.
fn invalidate_hook(ctx: &ModuleContext, merchant_of: fn(&Event) -> Option<Uuid>) -> AfterApply {
    let redis = ctx.redis.clone();
    let keys = Keys::new(&ctx.config.kafka_namespace);
    Arc::new(move |event: &Event| {
        let (redis, keys) = (redis.clone(), keys.clone());
        // Events that change no figure (an order created, a document uploaded…) change no answer.
        let merchant = merchant_of(event);
        async move {
            let Some(merchant) = merchant else { return };
            if let Err(error) = crate::cache::invalidate(&redis, &keys, &[merchant]).await {
                tracing::warn!(%error, "invalidating cached reports failed; they expire with their TTL");
            }
        }
        .boxed()
    })
}

/// After a category event committed: drops every cached answer that shows names.
fn invalidate_labels_hook(ctx: &ModuleContext) -> AfterApply {
    let redis = ctx.redis.clone();
    let keys = Keys::new(&ctx.config.kafka_namespace);
    Arc::new(move |_: &Event| {
        let (redis, keys) = (redis.clone(), keys.clone());
        async move {
            if let Err(error) = crate::cache::invalidate_labels(&redis, &keys).await {
                tracing::warn!(%error, "invalidating cached reports failed; they expire with their TTL");
            }
        }
        .boxed()
    })
}

/// `value` as a uuid; the nil uuid when empty or malformed (e.g. a line without category).
pub(crate) fn uuid_or_nil(value: &str) -> Uuid {
    Uuid::parse_str(value).unwrap_or(Uuid::nil())
}

/// A required id of an event; a malformed one makes the event unusable.
pub(crate) fn required_id(value: &str, field: &str) -> Result<Uuid, HandlerError> {
    Uuid::parse_str(value)
        .map_err(|_| HandlerError::Failed(anyhow::anyhow!("event field `{field}` is not a uuid: {value:?}")))
}

/// Moves the watermark (as_of_time of the answers) to `applied`, never backwards.
pub(crate) async fn advance_watermark(
    conn: &mut PgConnection,
    applied: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO reports.watermark (singleton, applied_at) VALUES (true, $1) \
         ON CONFLICT (singleton) DO UPDATE SET applied_at = greatest(reports.watermark.applied_at, EXCLUDED.applied_at)",
        applied,
    )
    .execute(conn)
    .await?;
    Ok(())
}
