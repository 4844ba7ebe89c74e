//! The background task of every process serving the module: reservations still PENDING after
//! their `expire_time` become EXPIRED and their held stock available again. Each reservation is
//! expired in its own transaction, claimed with `FOR UPDATE SKIP LOCKED`, so several processes
//! share the work and never expire one twice.

use std::time::Duration;

use futures::FutureExt as _;
use tokio::sync::watch;
use uuid::Uuid;

use pos_platform::ModuleContext;
use pos_platform::background::BackgroundTask;
use pos_platform::events::Actor;

use super::reservation::{self, Read, State};
use crate::error::ProductError;

/// How often the task looks for expired reservations. A reservation is also expired on the spot
/// when it is next reserved, committed or released after its expiry, so this only bounds how long
/// expired stock stays held when nobody touches the order.
pub(crate) const SWEEP_INTERVAL: Duration = Duration::from_secs(1);

/// The reservation-expiry task.
pub(crate) fn task(ctx: &ModuleContext) -> BackgroundTask {
    let ctx = ctx.clone();
    BackgroundTask::new("product.reservation-expiry", move |stop| run(ctx, stop).boxed())
}

async fn run(ctx: ModuleContext, mut stop: watch::Receiver<bool>) {
    let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = ticks.tick() => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        loop {
            match expire_one(&ctx).await {
                Ok(Some(_)) => {
                    if *stop.borrow() {
                        return;
                    }
                }
                Ok(None) => break,
                Err(error) => {
                    tracing::warn!(error = %error, "expiring stock reservations failed; retrying at the next tick");
                    break;
                }
            }
        }
    }
}

/// Expires one due reservation that no other transaction holds; `None` when there is none.
pub(crate) async fn expire_one(ctx: &ModuleContext) -> Result<Option<Uuid>, ProductError> {
    let mut tx = ctx.db.begin().await?;
    let due: Option<Uuid> = sqlx::query_scalar!(
        "SELECT order_id FROM products.stock_reservations \
         WHERE state = 'pending' AND expires_at <= now() \
         ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED",
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(order_id) = due else {
        return Ok(None);
    };
    // Locked above; read it with its lines.
    let current = reservation::load(&mut tx, order_id, Read::Plain)
        .await?
        .ok_or_else(|| anyhow::anyhow!("reservation {order_id} vanished"))?;
    let expired = reservation::close(&mut tx, &Actor::default(), &current, State::Expired).await?;
    tx.commit().await?;
    reservation::invalidate(ctx, expired.quantities().into_keys()).await;
    tracing::info!(%order_id, "stock reservation expired");
    Ok(Some(order_id))
}
