//! The catalogue events the product module publishes on `pos.product.v1.events` (key: product
//! id), appended to its outbox in the transaction of the change they describe.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::{LifecycleChange, Money};
use pos_api::pos::product::v1 as pb;
use pos_platform::events::{Outbox, OutboxEvent};

pub(crate) use pos_platform::events::Actor;

/// Appends `ProductCreated`.
pub(crate) async fn product_created(
    conn: &mut PgConnection,
    actor: &Actor,
    product: pb::Product,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let key = product.id.clone();
    let event = pb::ProductCreated {
        meta: Some(actor.meta(id)),
        product: Some(product),
    };
    Outbox::of(Module::Product)
        .append(conn, &OutboxEvent::new(id, key, &event))
        .await
}

/// What an update changed, besides the product after it.
#[derive(Debug, Default)]
pub(crate) struct Changes {
    /// Names of the fields that changed.
    pub(crate) fields: Vec<String>,
    /// The category before, when it changed.
    pub(crate) previous_category_id: Option<Uuid>,
    /// The price before, when it changed.
    pub(crate) previous_price: Option<Money>,
}

/// Appends `ProductUpdated`.
pub(crate) async fn product_updated(
    conn: &mut PgConnection,
    actor: &Actor,
    product: pb::Product,
    changes: Changes,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let key = product.id.clone();
    let event = pb::ProductUpdated {
        meta: Some(actor.meta(id)),
        product: Some(product),
        changed_fields: changes.fields,
        previous_category_id: changes
            .previous_category_id
            .map(|id| id.to_string())
            .unwrap_or_default(),
        previous_price: changes.previous_price,
    };
    Outbox::of(Module::Product)
        .append(conn, &OutboxEvent::new(id, key, &event))
        .await
}

/// Appends `ProductLifecycleChanged`.
pub(crate) async fn lifecycle_changed(
    conn: &mut PgConnection,
    actor: &Actor,
    product_id: Uuid,
    merchant_id: Uuid,
    change: LifecycleChange,
) -> Result<(), sqlx::Error> {
    let id = Uuid::now_v7();
    let event = pb::ProductLifecycleChanged {
        meta: Some(actor.meta(id)),
        product_id: product_id.to_string(),
        merchant_id: merchant_id.to_string(),
        change: change.into(),
    };
    Outbox::of(Module::Product)
        .append(conn, &OutboxEvent::new(id, product_id.to_string(), &event))
        .await
}
