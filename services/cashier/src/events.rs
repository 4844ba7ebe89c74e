//! The events the cashier module publishes on `pos.cashier.v1.events` (key: the cashier id),
//! appended to its outbox in the transaction of the change they describe.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::cashier::v1 as pb;
use pos_api::pos::common::v1::LifecycleChange;
use pos_platform::events::{Outbox, OutboxEvent};

use crate::store::CashierRow;

pub(crate) use pos_platform::events::Actor;

async fn append<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    id: Uuid,
    cashier_id: Uuid,
    event: &M,
) -> Result<(), sqlx::Error> {
    Outbox::of(Module::Cashier)
        .append(conn, &OutboxEvent::new(id, cashier_id.to_string(), event))
        .await
}

/// Appends `CashierCreated`.
pub(crate) async fn created(
    conn: &mut PgConnection,
    actor: &Actor,
    cashier: &CashierRow,
    email: String,
    invited: bool,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::CashierCreated {
        meta: Some(actor.meta(id)),
        cashier: Some(cashier.to_pb()),
        email,
        invited,
    };
    append(conn, id, cashier.id, &event).await
}

/// Appends `CashierUpdated`.
pub(crate) async fn updated(
    conn: &mut PgConnection,
    actor: &Actor,
    cashier: &CashierRow,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::CashierUpdated {
        meta: Some(actor.meta(id)),
        cashier: Some(cashier.to_pb()),
    };
    append(conn, id, cashier.id, &event).await
}

/// Appends `CashierDisabled`.
pub(crate) async fn disabled(
    conn: &mut PgConnection,
    actor: &Actor,
    cashier: &CashierRow,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::CashierDisabled {
        meta: Some(actor.meta(id)),
        cashier_id: cashier.id.to_string(),
        merchant_id: cashier.merchant_id.to_string(),
        user_id: cashier.user_id.to_string(),
    };
    append(conn, id, cashier.id, &event).await
}

/// Appends `CashierEnabled`.
pub(crate) async fn enabled(
    conn: &mut PgConnection,
    actor: &Actor,
    cashier: &CashierRow,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::CashierEnabled {
        meta: Some(actor.meta(id)),
        cashier_id: cashier.id.to_string(),
        merchant_id: cashier.merchant_id.to_string(),
        user_id: cashier.user_id.to_string(),
    };
    append(conn, id, cashier.id, &event).await
}

/// Appends `CashierLifecycleChanged`.
pub(crate) async fn lifecycle_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    cashier: &CashierRow,
    change: LifecycleChange,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::CashierLifecycleChanged {
        meta: Some(actor.meta(id)),
        cashier_id: cashier.id.to_string(),
        merchant_id: cashier.merchant_id.to_string(),
        user_id: cashier.user_id.to_string(),
        change: change.into(),
    };
    append(conn, id, cashier.id, &event).await
}
