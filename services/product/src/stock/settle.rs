//! CommitReservation, ReleaseReservation and GetReservation: what happens to the stock held for
//! an order once the order is paid or cancelled. Commit and release are idempotent.

use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::product::v1 as pb;
use pos_platform::events::{Actor, Outbox, OutboxEvent};
use pos_platform::{AuthContext, ModuleContext};

use super::access::{STOCK, ledger_reach, stock_reach};
use super::input::Violations;
use super::ledger::{self, Change, Reason};
use super::reservation::{self, Read, Reservation, State};
use crate::access::{READ, Reach};
use crate::error::ProductError;

fn order_id(value: &str) -> Result<Uuid, ProductError> {
    let mut violations = Violations::default();
    let order_id = violations.id("order_id", value);
    violations.finish()?;
    order_id.ok_or_else(|| anyhow::anyhow!("checked order_id missing").into())
}

fn platform_only(auth: &AuthContext) -> Result<(), ProductError> {
    if stock_reach(auth)? == Reach::Platform {
        Ok(())
    } else {
        Err(ProductError::PermissionMissing(STOCK))
    }
}

/// Turns a pending reservation into a sale (see `ProductService.CommitReservation`).
pub(crate) async fn commit_reservation(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::CommitReservationRequest,
) -> Result<pb::CommitReservationResponse, ProductError> {
    platform_only(auth)?;
    let order_id = order_id(&request.order_id)?;
    let actor = Actor::of(auth);
    let mut tx = ctx.db.begin().await?;
    let current = reservation::load(&mut tx, order_id, Read::ForUpdate)
        .await?
        .ok_or_else(|| ProductError::ReservationNotFound(order_id.to_string()))?;
    if current.lapsed {
        let expired = reservation::close(&mut tx, &Actor::default(), &current, State::Expired).await?;
        tx.commit().await?;
        reservation::invalidate(ctx, expired.quantities().into_keys()).await;
        return Err(ProductError::ReservationExpired(order_id.to_string()));
    }
    match current.state {
        State::Committed => {
            return Ok(pb::CommitReservationResponse {
                reservation: Some(current.to_pb()),
            });
        }
        State::Released => return Err(ProductError::ReservationReleased(order_id.to_string())),
        State::Expired => return Err(ProductError::ReservationExpired(order_id.to_string())),
        State::Pending => {}
    }
    let committed = commit_pending(&mut tx, &actor, &current).await?;
    tx.commit().await?;
    reservation::invalidate(ctx, committed.quantities().into_keys()).await;
    Ok(pb::CommitReservationResponse {
        reservation: Some(committed.to_pb()),
    })
}

/// Commits a locked PENDING reservation on the caller's connection: it becomes COMMITTED,
/// `ReservationCommitted` is published and each line is sold (SALE ledger rows). Returns the
/// committed reservation; the caller invalidates the cached products after its commit.
pub(crate) async fn commit_pending(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    current: &Reservation,
) -> Result<Reservation, ProductError> {
    let order_id = current.order_id;
    sqlx::query!(
        "UPDATE products.stock_reservations SET state = 'committed', closed_at = now() \
         WHERE order_id = $1 AND state = 'pending'",
        order_id,
    )
    .execute(&mut *conn)
    .await?;
    let committed = reservation::reload(conn, order_id).await?;
    let event_id = Uuid::now_v7();
    let event = pb::ReservationCommitted {
        meta: Some(actor.meta(event_id)),
        reservation: Some(committed.to_pb()),
    };
    Outbox::of(Module::Product)
        .append(conn, &OutboxEvent::new(event_id, order_id.to_string(), &event))
        .await?;
    sell(conn, actor, &committed).await?;
    Ok(committed)
}

/// Takes each line's quantity out of the stock on hand and out of the held quantity (products in
/// id order), with one SALE ledger row per line referring to the order.
async fn sell(
    conn: &mut sqlx::PgConnection,
    actor: &Actor,
    reservation: &Reservation,
) -> Result<(), ProductError> {
    let reference = reservation.order_id.to_string();
    for (product_id, quantity) in reservation.quantities() {
        let after: Option<(Uuid, i64, i64)> = sqlx::query!(
            "UPDATE products.products \
             SET count_in_stock = count_in_stock - $2, reserved_quantity = reserved_quantity - $2, \
                 updated_at = now() \
             WHERE id = $1 RETURNING merchant_id, count_in_stock, reserved_quantity",
            product_id,
            quantity,
        )
        .fetch_optional(&mut *conn)
        .await?
        .map(|row| (row.merchant_id, row.count_in_stock, row.reserved_quantity));
        let (merchant_id, quantity_after, reserved_after) =
            after.ok_or_else(|| anyhow::anyhow!("product {product_id} of a pending reservation is gone"))?;
        ledger::record(
            conn,
            actor,
            &Change {
                product_id,
                merchant_id,
                delta: -quantity,
                quantity_after,
                reserved_after,
                reason: Reason::Sale,
                reference: &reference,
                note: "",
            },
        )
        .await?;
    }
    Ok(())
}

/// Gives the held stock back (see `ProductService.ReleaseReservation`).
pub(crate) async fn release_reservation(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::ReleaseReservationRequest,
) -> Result<pb::ReleaseReservationResponse, ProductError> {
    platform_only(auth)?;
    let order_id = order_id(&request.order_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = reservation::load(&mut tx, order_id, Read::ForUpdate)
        .await?
        .ok_or_else(|| ProductError::ReservationNotFound(order_id.to_string()))?;
    let closed = match current.state {
        State::Committed => return Err(ProductError::ReservationCommitted(order_id.to_string())),
        State::Released | State::Expired => current,
        State::Pending => {
            let (actor, state) = if current.lapsed {
                (Actor::default(), State::Expired)
            } else {
                (Actor::of(auth), State::Released)
            };
            let closed = reservation::close(&mut tx, &actor, &current, state).await?;
            tx.commit().await?;
            reservation::invalidate(ctx, closed.quantities().into_keys()).await;
            return Ok(pb::ReleaseReservationResponse {
                reservation: Some(closed.to_pb()),
            });
        }
    };
    Ok(pb::ReleaseReservationResponse {
        reservation: Some(closed.to_pb()),
    })
}

/// Returns the reservation of an order (see `ProductService.GetReservation`).
pub(crate) async fn get_reservation(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GetReservationRequest,
) -> Result<pb::GetReservationResponse, ProductError> {
    let reach = ledger_reach(auth)?;
    let order_id = order_id(&request.order_id)?;
    let mut conn = ctx.db.acquire().await?;
    let found = reservation::load(&mut conn, order_id, Read::Plain)
        .await?
        .ok_or_else(|| ProductError::ReservationNotFound(order_id.to_string()))?;
    if !reach.covers(found.merchant_id) {
        return Err(ProductError::PermissionMissing(READ));
    }
    Ok(pb::GetReservationResponse {
        reservation: Some(found.to_pb()),
    })
}
