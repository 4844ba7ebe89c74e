//! The events the category module publishes on `pos.category.v1.events` (key: category id),
//! appended to its outbox in the transaction of the change they describe.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::category::v1 as pb;
use pos_api::pos::common::v1::LifecycleChange;
use pos_platform::events::{Outbox, OutboxEvent};

use crate::store::CategoryRow;

pub(crate) use pos_platform::events::Actor;

async fn append<M: prost::Message + prost::Name>(
    conn: &mut PgConnection,
    id: Uuid,
    category_id: Uuid,
    event: &M,
) -> Result<(), sqlx::Error> {
    Outbox::of(Module::Category)
        .append(conn, &OutboxEvent::new(id, category_id.to_string(), event))
        .await
}

/// Appends `CategoryCreated`.
pub(crate) async fn category_created(
    conn: &mut PgConnection,
    actor: &Actor,
    category: &CategoryRow,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::CategoryCreated {
        meta: Some(actor.meta(id)),
        category: Some(category.to_pb()),
    };
    append(conn, id, category.id, &event).await
}

/// Appends `CategoryUpdated` with the category after the change.
pub(crate) async fn category_updated(
    conn: &mut PgConnection,
    actor: &Actor,
    category: &CategoryRow,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::CategoryUpdated {
        meta: Some(actor.meta(id)),
        category: Some(category.to_pb()),
    };
    append(conn, id, category.id, &event).await
}

/// Appends `CategoryLifecycleChanged`.
pub(crate) async fn category_lifecycle_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    category_id: Uuid,
    change: LifecycleChange,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::CategoryLifecycleChanged {
        meta: Some(actor.meta(id)),
        category_id: category_id.to_string(),
        change: change.into(),
    };
    append(conn, id, category_id, &event).await
}
