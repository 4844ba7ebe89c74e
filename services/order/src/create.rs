//! Creating an order (CreateOrder, and CartService.CheckoutCart through [`create_order`]).
//!
//! Order of work, so an order never exists without its reservation: claim the `request_id`
//! (committed, so no transaction stays open during the calls), check the merchant and the
//! cashier, reserve the stock under the new order's id (ProductService.ReserveStock, all lines or
//! none, race-free in the product module), then write the order, its items, the OrderCreated
//! event and the stored response in one transaction. When that write fails the reservation is
//! released (and would expire anyway); when anything fails the key is given back.

use std::collections::HashMap;

use chrono::Utc;
use prost::Message as _;
use uuid::Uuid;

use pos_api::pos::order::v1 as pb;
use pos_api::pos::product::v1::StockReservation;
use pos_platform::{AuthContext, ModuleContext};

use crate::access;
use crate::error::OrderError;
use crate::events::{self, Cause};
use crate::idem::{self, Started};
use crate::money;
use crate::store;
use crate::upstream;

/// The idempotency operation shared by CreateOrder and CheckoutCart (one key space: the same
/// `request_id` with another content is refused).
pub(crate) const OPERATION: &str = "CreateOrder";
/// Most lines of an order.
pub(crate) const MAX_LINES: usize = 200;
/// Most units of one line.
pub(crate) const MAX_QUANTITY: i64 = 9999;

/// What an order is created from: the merchant, the cashier and the lines (product, quantity).
pub(crate) struct OrderDraft {
    /// Merchant that sells.
    pub(crate) merchant_id: Uuid,
    /// Cashier who rings up the sale.
    pub(crate) cashier_id: Uuid,
    /// Product and quantity of each line (lines of one product are merged).
    pub(crate) lines: Vec<(Uuid, i64)>,
}

/// `lines` with the lines of one product merged (in the order of first appearance), checked:
/// 1–200 lines of 1–9999 units. `field` names the repeated field in violations.
pub(crate) fn merge_lines(field: &str, lines: &[(Uuid, i64)]) -> Result<Vec<(Uuid, i64)>, OrderError> {
    let mut violations = Vec::new();
    let mut merged: Vec<(Uuid, i64)> = Vec::with_capacity(lines.len());
    let mut index_of: HashMap<Uuid, usize> = HashMap::new();
    for (index, (product_id, quantity)) in lines.iter().enumerate() {
        if !(1..=MAX_QUANTITY).contains(quantity) {
            violations.push(tonic_types::FieldViolation::new(
                format!("{field}[{index}].quantity"),
                format!("must be 1–{MAX_QUANTITY}"),
            ));
            continue;
        }
        match index_of.get(product_id) {
            Some(&at) => merged[at].1 += quantity,
            None => {
                index_of.insert(*product_id, merged.len());
                merged.push((*product_id, *quantity));
            }
        }
    }
    if lines.is_empty() || merged.len() > MAX_LINES {
        violations.push(tonic_types::FieldViolation::new(
            field,
            format!("must hold 1–{MAX_LINES} products"),
        ));
    }
    for (product_id, quantity) in &merged {
        if *quantity > MAX_QUANTITY {
            violations.push(tonic_types::FieldViolation::new(
                field,
                format!("product {product_id}: at most {MAX_QUANTITY} units in all"),
            ));
        }
    }
    if violations.is_empty() {
        Ok(merged)
    } else {
        Err(OrderError::InvalidFields(violations))
    }
}

/// The fingerprint of a CreateOrder request: merchant, cashier and merged lines.
pub(crate) fn fingerprint(merchant_id: Uuid, cashier_id: Uuid, lines: &[(Uuid, i64)]) -> Vec<u8> {
    let mut sorted = lines.to_vec();
    sorted.sort_unstable();
    let mut text = format!("order:{merchant_id}:{cashier_id}");
    for (product_id, quantity) in sorted {
        text.push_str(&format!(";{product_id}x{quantity}"));
    }
    text.into_bytes()
}

/// Creates an OPEN order from `draft` for `auth`, idempotently under `request_id`: `fingerprint`
/// identifies the request's content (the same key with another fingerprint is refused).
pub(crate) async fn create_order(
    ctx: &ModuleContext,
    auth: &AuthContext,
    draft: OrderDraft,
    request_id: Uuid,
    fingerprint: &[u8],
) -> Result<pb::Order, OrderError> {
    let lines = merge_lines("order.items", &draft.lines)?;
    access::may_create(auth, draft.merchant_id, draft.cashier_id)?;
    let principal = access::principal(auth);
    let request_id = request_id.to_string();
    let key = idem::key(OPERATION, principal.clone(), &request_id, fingerprint)?;
    if let Started::Replay(response) = idem::start(ctx, &key, OPERATION, &principal, &request_id).await? {
        let response = pb::CreateOrderResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored CreateOrder response: {error}"))?;
        return response
            .order
            .ok_or_else(|| anyhow::anyhow!("stored CreateOrder response without order").into());
    }
    let created = create_claimed(ctx, auth, &draft, &lines, &request_id, &key).await;
    if created.is_err() {
        idem::abandon(ctx, OPERATION, &principal, &request_id).await;
    }
    created
}

async fn create_claimed(
    ctx: &ModuleContext,
    auth: &AuthContext,
    draft: &OrderDraft,
    lines: &[(Uuid, i64)],
    request_id: &str,
    key: &pos_platform::idempotency::IdempotencyKey,
) -> Result<pb::Order, OrderError> {
    let merchant = upstream::active_merchant(ctx, draft.merchant_id).await?;
    upstream::require_active_cashier(ctx, draft.merchant_id, draft.cashier_id).await?;
    let order_id = Uuid::now_v7();
    let reservation = upstream::reserve(ctx, order_id, draft.merchant_id, lines).await?;
    let written = write(
        ctx,
        auth,
        draft,
        lines,
        request_id,
        key,
        order_id,
        &merchant.currency_code,
        &reservation,
    )
    .await;
    if written.is_err() {
        upstream::release_quietly(ctx, order_id).await;
    }
    written
}

/// A product's data at reservation time: name, category, unit price.
pub(crate) struct Snapshot {
    pub(crate) name: String,
    pub(crate) category_id: String,
    pub(crate) unit_price_minor: i64,
}

/// The snapshots of a reservation's lines, by product.
pub(crate) fn snapshots(reservation: &StockReservation) -> Result<HashMap<Uuid, Snapshot>, OrderError> {
    reservation
        .lines
        .iter()
        .map(|line| {
            let product_id = Uuid::parse_str(&line.product_id)
                .map_err(|_| anyhow::anyhow!("reservation line with product id {:?}", line.product_id))?;
            Ok((
                product_id,
                Snapshot {
                    name: line.product_name.clone(),
                    category_id: line.category_id.clone(),
                    unit_price_minor: line.unit_price.as_ref().map_or(0, |price| price.amount_minor),
                },
            ))
        })
        .collect()
}

#[expect(clippy::too_many_arguments, reason = "one write of everything checked before")]
async fn write(
    ctx: &ModuleContext,
    auth: &AuthContext,
    draft: &OrderDraft,
    lines: &[(Uuid, i64)],
    request_id: &str,
    key: &pos_platform::idempotency::IdempotencyKey,
    order_id: Uuid,
    currency: &str,
    reservation: &StockReservation,
) -> Result<pb::Order, OrderError> {
    let snapshots = snapshots(reservation)?;
    let priced: Vec<(Uuid, i64, &Snapshot)> = lines
        .iter()
        .map(|(product_id, quantity)| {
            snapshots
                .get(product_id)
                .map(|snapshot| (*product_id, *quantity, snapshot))
                .ok_or_else(|| anyhow::anyhow!("reservation without product {product_id}").into())
        })
        .collect::<Result<_, OrderError>>()?;
    let rate = money::tax_rate_basis_points();
    let (subtotal, tax, total) = money::totals(
        priced
            .iter()
            .map(|(_, quantity, snapshot)| (*quantity, snapshot.unit_price_minor)),
        rate,
    );
    let now = Utc::now();
    let expires_at =
        now + chrono::Duration::from_std(upstream::order_hold(ctx)).map_err(anyhow::Error::from)?;

    let mut tx = ctx.db.begin().await?;
    sqlx::query!(
        "INSERT INTO orders.orders (id, merchant_id, cashier_id, state, currency_code, subtotal_minor, \
           tax_rate_basis_points, tax_minor, total_minor, request_id, created_at, updated_at, expires_at) \
         VALUES ($1, $2, $3, 'open', $4, $5, $6, $7, $8, $9, $10, $10, $11)",
        order_id,
        draft.merchant_id,
        draft.cashier_id,
        currency,
        subtotal,
        rate,
        tax,
        total,
        request_id,
        now,
        expires_at,
    )
    .execute(&mut *tx)
    .await?;
    for (position, (product_id, quantity, snapshot)) in priced.iter().enumerate() {
        insert_item(
            &mut tx,
            order_id,
            draft.merchant_id,
            position,
            *product_id,
            *quantity,
            snapshot,
            now,
        )
        .await?;
    }
    let order = store::reload(&mut tx, order_id).await?;
    let cause = Cause {
        actor_user_id: auth.user_id(),
        request_id: request_id.to_owned(),
    };
    events::created(&mut tx, &order, order_id, &cause).await?;
    key.complete(
        &mut tx,
        &pb::CreateOrderResponse {
            order: Some(order.clone()),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(order)
}

/// Inserts one item of an order.
#[expect(clippy::too_many_arguments, reason = "the columns of one row")]
pub(crate) async fn insert_item(
    conn: &mut sqlx::PgConnection,
    order_id: Uuid,
    merchant_id: Uuid,
    position: usize,
    product_id: Uuid,
    quantity: i64,
    snapshot: &Snapshot,
    now: chrono::DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO orders.order_items (id, order_id, merchant_id, position, product_id, product_name, \
           category_id, quantity, unit_price_minor, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        Uuid::now_v7(),
        order_id,
        merchant_id,
        i32::try_from(position).unwrap_or(i32::MAX),
        product_id,
        &snapshot.name,
        &snapshot.category_id,
        quantity,
        snapshot.unit_price_minor,
        now,
    )
    .execute(conn)
    .await?;
    Ok(())
}
