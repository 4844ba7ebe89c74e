//! The trash of cancelled orders: DeleteOrder, RestoreOrder, PurgeOrder, RestoreTrashedOrders,
//! PurgeTrashedOrders. Orders that were ever paid are financial records and never trashed; OPEN
//! orders hold stock and must be cancelled first. Cashiers are refused (owners and admins only).

use uuid::Uuid;

use pos_api::pos::common::v1::LifecycleChange;
use pos_api::pos::order::v1 as pb;
use pos_platform::auth::MerchantScope;
use pos_platform::{AuthContext, ModuleContext};

use crate::access::{self, WRITE};
use crate::error::OrderError;
use crate::events::{self, Cause};
use crate::store::{self, OrderRow, parse_id, parse_optional_id};

fn cause(auth: &AuthContext) -> Cause {
    Cause {
        actor_user_id: auth.user_id(),
        request_id: String::new(),
    }
}

/// Moves a cancelled order to the trash (see `OrderService.DeleteOrder`).
pub(crate) async fn delete_order(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::DeleteOrderRequest,
) -> Result<pb::DeleteOrderResponse, OrderError> {
    let id = parse_id("order_id", &request.order_id)?;
    let mut tx = ctx.db.begin().await?;
    let row = access::writable(auth, WRITE, true, id, store::lock(&mut tx, id).await?)?;
    if row.deleted_at.is_some() {
        return Err(OrderError::Trashed(id.to_string()));
    }
    if !row.is("cancelled") {
        return Err(OrderError::NotCancelled(id.to_string()));
    }
    sqlx::query!(
        "UPDATE orders.orders SET deleted_at = now(), updated_at = now() WHERE id = $1",
        row.id,
    )
    .execute(&mut *tx)
    .await?;
    events::lifecycle(
        &mut tx,
        row.id,
        row.merchant_id,
        LifecycleChange::Trashed,
        &cause(auth),
    )
    .await?;
    let order = store::reload(&mut tx, id).await?;
    tx.commit().await?;
    Ok(pb::DeleteOrderResponse { order: Some(order) })
}

/// Takes an order out of the trash (see `OrderService.RestoreOrder`).
pub(crate) async fn restore_order(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreOrderRequest,
) -> Result<pb::RestoreOrderResponse, OrderError> {
    let id = parse_id("order_id", &request.order_id)?;
    let mut tx = ctx.db.begin().await?;
    let row = trashed(auth, id, store::lock(&mut tx, id).await?)?;
    sqlx::query!(
        "UPDATE orders.orders SET deleted_at = NULL, updated_at = now() WHERE id = $1",
        row.id,
    )
    .execute(&mut *tx)
    .await?;
    events::lifecycle(
        &mut tx,
        row.id,
        row.merchant_id,
        LifecycleChange::Restored,
        &cause(auth),
    )
    .await?;
    let order = store::reload(&mut tx, id).await?;
    tx.commit().await?;
    Ok(pb::RestoreOrderResponse { order: Some(order) })
}

/// Deletes a trashed order for good (see `OrderService.PurgeOrder`).
pub(crate) async fn purge_order(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeOrderRequest,
) -> Result<pb::PurgeOrderResponse, OrderError> {
    let id = parse_id("order_id", &request.order_id)?;
    let mut tx = ctx.db.begin().await?;
    let row = trashed(auth, id, store::lock(&mut tx, id).await?)?;
    sqlx::query!(
        "DELETE FROM orders.orders WHERE id = $1 AND deleted_at IS NOT NULL AND state = 'cancelled'",
        row.id,
    )
    .execute(&mut *tx)
    .await?;
    events::lifecycle(
        &mut tx,
        row.id,
        row.merchant_id,
        LifecycleChange::Purged,
        &cause(auth),
    )
    .await?;
    tx.commit().await?;
    Ok(pb::PurgeOrderResponse {})
}

/// The locked order if the caller may manage its trash and it is in the trash.
fn trashed(auth: &AuthContext, id: Uuid, row: Option<OrderRow>) -> Result<OrderRow, OrderError> {
    let row = access::writable(auth, WRITE, true, id, row)?;
    if row.deleted_at.is_none() {
        return Err(OrderError::NotTrashed(id.to_string()));
    }
    Ok(row)
}

/// The merchant a bulk request is limited to: owners must name their own, admins may name none.
fn bulk_merchant(auth: &AuthContext, requested: &str) -> Result<Option<Uuid>, OrderError> {
    let scope = access::scope(auth, WRITE)?;
    if matches!(scope, MerchantScope::Cashier { .. }) {
        return Err(OrderError::PermissionMissing(WRITE));
    }
    let requested = parse_optional_id("merchant_id", requested)?;
    access::requested_merchant(scope, WRITE, requested)
}

/// Restores every trashed order of a merchant or of all (see `OrderService.RestoreTrashedOrders`).
pub(crate) async fn restore_trashed_orders(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::RestoreTrashedOrdersRequest,
) -> Result<pb::RestoreTrashedOrdersResponse, OrderError> {
    let merchant_id = bulk_merchant(auth, &request.merchant_id)?;
    let mut tx = ctx.db.begin().await?;
    let restored: Vec<(Uuid, Uuid)> = sqlx::query!(
        "UPDATE orders.orders SET deleted_at = NULL, updated_at = now() \
         WHERE deleted_at IS NOT NULL AND ($1::uuid IS NULL OR merchant_id = $1) RETURNING id, merchant_id",
        merchant_id,
    )
    .map(|row| (row.id, row.merchant_id))
    .fetch_all(&mut *tx)
    .await?;
    for (id, merchant) in &restored {
        events::lifecycle(&mut tx, *id, *merchant, LifecycleChange::Restored, &cause(auth)).await?;
    }
    tx.commit().await?;
    Ok(pb::RestoreTrashedOrdersResponse {
        affected_count: i64::try_from(restored.len()).unwrap_or(i64::MAX),
    })
}

/// Purges every trashed order of a merchant or of all (see `OrderService.PurgeTrashedOrders`).
pub(crate) async fn purge_trashed_orders(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::PurgeTrashedOrdersRequest,
) -> Result<pb::PurgeTrashedOrdersResponse, OrderError> {
    let merchant_id = bulk_merchant(auth, &request.merchant_id)?;
    let mut tx = ctx.db.begin().await?;
    let purged: Vec<(Uuid, Uuid)> = sqlx::query!(
        "DELETE FROM orders.orders WHERE deleted_at IS NOT NULL AND state = 'cancelled' \
           AND ($1::uuid IS NULL OR merchant_id = $1) RETURNING id, merchant_id",
        merchant_id,
    )
    .map(|row| (row.id, row.merchant_id))
    .fetch_all(&mut *tx)
    .await?;
    for (id, merchant) in &purged {
        events::lifecycle(&mut tx, *id, *merchant, LifecycleChange::Purged, &cause(auth)).await?;
    }
    tx.commit().await?;
    Ok(pb::PurgeTrashedOrdersResponse {
        affected_count: i64::try_from(purged.len()).unwrap_or(i64::MAX),
    })
}
