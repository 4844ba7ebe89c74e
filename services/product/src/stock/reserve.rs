//! ReserveStock: sets the stock held for an order, every line or none, idempotently (the call sets
//! the held quantities, so a retry never holds twice).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::product::v1 as pb;
use pos_platform::events::{Actor, Outbox, OutboxEvent};
use pos_platform::{AuthContext, ModuleContext};

use super::access::{STOCK, stock_reach};
use super::input::Violations;
use super::reservation::{self, Read, Reservation, State};
use crate::access::Reach;
use crate::error::ProductError;
use crate::store::ProductRow;

/// How long a reservation stays PENDING when the request gives no TTL.
pub(crate) const DEFAULT_TTL: Duration = Duration::from_secs(30 * 60);
/// The longest TTL a request may ask for.
pub(crate) const MAX_TTL: Duration = Duration::from_secs(24 * 3600);
/// Most lines of one reservation.
const MAX_LINES: usize = 200;
/// Most units of one line.
const MAX_QUANTITY: i64 = 9999;

/// A checked ReserveStock request.
struct Request {
    order_id: Uuid,
    merchant_id: Uuid,
    /// Product and quantity, in the request's order.
    lines: Vec<(Uuid, i64)>,
    ttl: Duration,
}

fn check(request: &pb::ReserveStockRequest) -> Result<Request, ProductError> {
    let mut violations = Violations::default();
    let order_id = violations.id("order_id", &request.order_id);
    let merchant_id = violations.id("merchant_id", &request.merchant_id);
    if request.lines.is_empty() || request.lines.len() > MAX_LINES {
        violations.add("lines", format!("must hold 1–{MAX_LINES} lines"));
    }
    let mut lines = Vec::with_capacity(request.lines.len());
    let mut seen = BTreeSet::new();
    for (index, line) in request.lines.iter().enumerate() {
        let product_id = violations.id(&format!("lines[{index}].product_id"), &line.product_id);
        if !(1..=MAX_QUANTITY).contains(&line.quantity) {
            violations.add(
                format!("lines[{index}].quantity"),
                format!("must be 1–{MAX_QUANTITY}"),
            );
        }
        if let Some(product_id) = product_id {
            if !seen.insert(product_id) {
                violations.add(format!("lines[{index}].product_id"), "appears on another line");
            }
            lines.push((product_id, line.quantity));
        }
    }
    let ttl = match &request.ttl {
        None => DEFAULT_TTL,
        Some(ttl) => match (u64::try_from(ttl.seconds), u32::try_from(ttl.nanos)) {
            (Ok(0), Ok(0)) => DEFAULT_TTL,
            (Ok(seconds), Ok(nanos)) if nanos < 1_000_000_000 => Duration::new(seconds, nanos),
            _ => {
                violations.add("ttl", "must not be negative");
                DEFAULT_TTL
            }
        },
    };
    if ttl > MAX_TTL {
        violations.add("ttl", "must be at most 24 hours");
    }
    violations.finish()?;
    match (order_id, merchant_id) {
        (Some(order_id), Some(merchant_id)) => Ok(Request {
            order_id,
            merchant_id,
            lines,
            ttl,
        }),
        _ => Err(anyhow::anyhow!("checked ReserveStock fields missing").into()),
    }
}

/// Holds stock for an order (see `ProductService.ReserveStock`).
pub(crate) async fn reserve_stock(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::ReserveStockRequest,
) -> Result<pb::ReserveStockResponse, ProductError> {
    if stock_reach(auth)? != Reach::Platform {
        return Err(ProductError::PermissionMissing(STOCK));
    }
    let request = check(&request)?;
    super::merchant::check_selling(ctx, request.merchant_id).await?;
    let actor = Actor::of(auth);

    let mut tx = ctx.db.begin().await?;
    // The insert claims the order id; a concurrent first call waits here until this one ends.
    let created = sqlx::query!(
        "INSERT INTO products.stock_reservations (order_id, merchant_id, state, expires_at) \
         VALUES ($1, $2, 'pending', now() + make_interval(secs => $3)) ON CONFLICT (order_id) DO NOTHING",
        request.order_id,
        request.merchant_id,
        request.ttl.as_secs_f64(),
    )
    .execute(&mut *tx)
    .await?
    .rows_affected()
        == 1;
    let current = reservation::load(&mut tx, request.order_id, Read::ForUpdate)
        .await?
        .ok_or_else(|| anyhow::anyhow!("reservation {} vanished", request.order_id))?;
    if current.merchant_id != request.merchant_id {
        let mut violations = Violations::default();
        violations.add(
            "merchant_id",
            "differs from the merchant the order's stock is reserved for",
        );
        violations.finish()?;
    }
    if current.lapsed {
        let expired = reservation::close(&mut tx, &Actor::default(), &current, State::Expired).await?;
        tx.commit().await?;
        reservation::invalidate(ctx, expired.quantities().into_keys()).await;
        return Err(closed(&expired));
    }
    if current.state != State::Pending {
        return Err(closed(&current));
    }
    let wanted: BTreeMap<Uuid, i64> = request.lines.iter().copied().collect();
    let held = if created {
        BTreeMap::new()
    } else {
        current.quantities()
    };
    let unchanged = !created && wanted == held;
    let changed_products = if unchanged {
        BTreeSet::new()
    } else {
        hold(&mut tx, &request, &held).await?
    };
    sqlx::query!(
        "UPDATE products.stock_reservations \
         SET expires_at = now() + make_interval(secs => $2), updated_at = now() WHERE order_id = $1",
        request.order_id,
        request.ttl.as_secs_f64(),
    )
    .execute(&mut *tx)
    .await?;
    let reservation = reservation::reload(&mut tx, request.order_id).await?;
    if !unchanged {
        let event_id = Uuid::now_v7();
        let event = pb::StockReserved {
            meta: Some(actor.meta(event_id)),
            reservation: Some(reservation.to_pb()),
        };
        Outbox::of(Module::Product)
            .append(
                &mut tx,
                &OutboxEvent::new(event_id, request.order_id.to_string(), &event),
            )
            .await?;
    }
    tx.commit().await?;
    reservation::invalidate(ctx, changed_products).await;
    Ok(pb::ReserveStockResponse {
        reservation: Some(reservation.to_pb()),
    })
}

/// The refusal of a reservation that is no longer PENDING.
fn closed(reservation: &Reservation) -> ProductError {
    ProductError::ReservationClosed {
        order_id: reservation.order_id.to_string(),
        state: reservation.state.as_str(),
    }
}

/// Replaces the held lines `held` by the request's, all or none: locks every product involved in
/// id order, checks each line, then moves the held quantities and stores the lines with the
/// products' current name, category and price. Returns the products whose quantities changed.
async fn hold(
    conn: &mut PgConnection,
    request: &Request,
    held: &BTreeMap<Uuid, i64>,
) -> Result<BTreeSet<Uuid>, ProductError> {
    let involved: Vec<Uuid> = held
        .keys()
        .chain(request.lines.iter().map(|(product_id, _)| product_id))
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let products: HashMap<Uuid, ProductRow> = sqlx::query_as!(
        ProductRow,
        "SELECT id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
         currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
         image_content_type, created_at, updated_at, deleted_at \
         FROM products.products WHERE id = ANY($1) ORDER BY id FOR UPDATE",
        &involved[..],
    )
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .map(|product| (product.id, product))
    .collect();

    let mut deltas: BTreeMap<Uuid, i64> = held
        .iter()
        .map(|(product_id, quantity)| (*product_id, -quantity))
        .collect();
    for (product_id, quantity) in &request.lines {
        let product = products
            .get(product_id)
            .filter(|product| product.merchant_id == request.merchant_id)
            .ok_or_else(|| ProductError::NotFound(product_id.to_string()))?;
        let already = held.get(product_id).copied().unwrap_or(0);
        let more = quantity - already;
        if more > 0 {
            if product.deleted_at.is_some() {
                return Err(ProductError::ProductNotAvailable(product_id.to_string()));
            }
            let available = product.count_in_stock - product.reserved_quantity;
            if available < more {
                return Err(ProductError::InsufficientStock {
                    product_id: product_id.to_string(),
                    available: available + already,
                    requested: *quantity,
                });
            }
        }
        *deltas.entry(*product_id).or_default() += quantity;
    }
    reservation::shift_reserved(conn, &deltas).await?;

    sqlx::query!(
        "DELETE FROM products.stock_reservation_lines WHERE order_id = $1",
        request.order_id,
    )
    .execute(&mut *conn)
    .await?;
    for (position, (product_id, quantity)) in request.lines.iter().enumerate() {
        let product = &products[product_id];
        sqlx::query!(
            "INSERT INTO products.stock_reservation_lines (order_id, product_id, position, quantity, \
             product_name, category_id, unit_price_minor, currency_code) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            request.order_id,
            product_id,
            i32::try_from(position).unwrap_or(i32::MAX),
            quantity,
            &product.name,
            product.category_id,
            product.price_minor,
            &product.currency_code,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(deltas
        .into_iter()
        .filter(|(_, delta)| *delta != 0)
        .map(|(product_id, _)| product_id)
        .collect())
}
