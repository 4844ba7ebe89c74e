//! The append-only stock ledger (`products.stock_movements`): one row per change of a product's
//! quantity on hand, written with its `StockAdjusted` event in the transaction of the change.
//! The database refuses UPDATE, DELETE and TRUNCATE on it (trigger of the migration).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::product::v1 as pb;
use pos_platform::events::{Actor, Outbox, OutboxEvent};

use crate::store::timestamp;

/// Why stock changed, as stored in `stock_movements.reason`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Reason {
    Received,
    Sale,
    Refund,
    Damaged,
    Correction,
}

impl Reason {
    /// The reason of a request; `None` for UNSPECIFIED or an unknown number.
    pub(crate) fn from_pb(value: i32) -> Option<Self> {
        match pb::StockMovementReason::try_from(value).ok()? {
            pb::StockMovementReason::Unspecified => None,
            pb::StockMovementReason::Received => Some(Reason::Received),
            pb::StockMovementReason::Sale => Some(Reason::Sale),
            pb::StockMovementReason::Refund => Some(Reason::Refund),
            pb::StockMovementReason::Damaged => Some(Reason::Damaged),
            pb::StockMovementReason::Correction => Some(Reason::Correction),
        }
    }

    /// The stored name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Reason::Received => "received",
            Reason::Sale => "sale",
            Reason::Refund => "refund",
            Reason::Damaged => "damaged",
            Reason::Correction => "correction",
        }
    }

    fn parse(stored: &str) -> pb::StockMovementReason {
        match stored {
            "received" => pb::StockMovementReason::Received,
            "sale" => pb::StockMovementReason::Sale,
            "refund" => pb::StockMovementReason::Refund,
            "damaged" => pb::StockMovementReason::Damaged,
            "correction" => pb::StockMovementReason::Correction,
            _ => pb::StockMovementReason::Unspecified,
        }
    }

    /// Whether a change of `delta` fits the reason (RECEIVED and REFUND add, SALE and DAMAGED
    /// remove, CORRECTION either way).
    pub(crate) fn fits(self, delta: i64) -> bool {
        match self {
            Reason::Received | Reason::Refund => delta > 0,
            Reason::Sale | Reason::Damaged => delta < 0,
            Reason::Correction => delta != 0,
        }
    }
}

/// One ledger row as stored.
#[derive(Clone, Debug)]
pub(crate) struct MovementRow {
    pub(crate) id: Uuid,
    pub(crate) product_id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) delta: i64,
    pub(crate) quantity_before: i64,
    pub(crate) quantity_after: i64,
    pub(crate) reason: String,
    pub(crate) actor_user_id: Option<Uuid>,
    pub(crate) reference: String,
    pub(crate) note: String,
    pub(crate) created_at: DateTime<Utc>,
}

impl MovementRow {
    /// The row as the API returns it.
    pub(crate) fn to_pb(&self) -> pb::StockMovement {
        pb::StockMovement {
            id: self.id.to_string(),
            product_id: self.product_id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            delta: self.delta,
            quantity_before: self.quantity_before,
            quantity_after: self.quantity_after,
            reason: Reason::parse(&self.reason).into(),
            actor_user_id: self.actor_user_id.map(|id| id.to_string()).unwrap_or_default(),
            reference: self.reference.clone(),
            note: self.note.clone(),
            create_time: Some(timestamp(self.created_at)),
        }
    }
}

/// A change of one product's quantity on hand that was just applied (its row is still locked
/// by the caller's transaction).
#[derive(Debug)]
pub(crate) struct Change<'a> {
    pub(crate) product_id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) delta: i64,
    /// Quantity on hand after the change.
    pub(crate) quantity_after: i64,
    /// Quantity held by pending reservations after the change.
    pub(crate) reserved_after: i64,
    pub(crate) reason: Reason,
    pub(crate) reference: &'a str,
    pub(crate) note: &'a str,
}

/// Appends the ledger row of `change` and its `StockAdjusted` event. The id is taken now, while
/// the product row is locked, so a product's rows sort by id in the order they were applied.
pub(crate) async fn record(
    conn: &mut PgConnection,
    actor: &Actor,
    change: &Change<'_>,
) -> Result<MovementRow, sqlx::Error> {
    let row: MovementRow = sqlx::query_as!(
        MovementRow,
        "INSERT INTO products.stock_movements (id, product_id, merchant_id, delta, quantity_before, \
         quantity_after, reason, actor_user_id, reference, note) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         RETURNING id, product_id, merchant_id, delta, quantity_before, quantity_after, reason, \
         actor_user_id, reference, note, created_at",
        Uuid::now_v7(),
        change.product_id,
        change.merchant_id,
        change.delta,
        change.quantity_after - change.delta,
        change.quantity_after,
        change.reason.as_str(),
        actor.user_id,
        change.reference,
        change.note,
    )
    .fetch_one(&mut *conn)
    .await?;
    let event_id = Uuid::now_v7();
    let event = pb::StockAdjusted {
        meta: Some(actor.meta(event_id)),
        movement: Some(row.to_pb()),
        reserved_quantity: change.reserved_after,
        available_quantity: change.quantity_after - change.reserved_after,
    };
    Outbox::of(Module::Product)
        .append(
            conn,
            &OutboxEvent::new(event_id, change.product_id.to_string(), &event),
        )
        .await?;
    Ok(row)
}
