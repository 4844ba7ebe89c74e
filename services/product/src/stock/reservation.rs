//! Stock reservations as stored (`products.stock_reservations` and their lines), their wire form,
//! and closing one (released or expired): its held quantities leave `reserved_quantity`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::Money;
use pos_api::pos::product::v1 as pb;
use pos_platform::events::{Actor, Outbox, OutboxEvent};

use crate::error::ProductError;
use crate::store::timestamp;

/// The state of a reservation, as stored in `stock_reservations.state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum State {
    Pending,
    Committed,
    Released,
    Expired,
}

impl State {
    /// The stored name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            State::Pending => "pending",
            State::Committed => "committed",
            State::Released => "released",
            State::Expired => "expired",
        }
    }

    fn parse(stored: &str) -> Result<Self, ProductError> {
        match stored {
            "pending" => Ok(State::Pending),
            "committed" => Ok(State::Committed),
            "released" => Ok(State::Released),
            "expired" => Ok(State::Expired),
            other => Err(anyhow::anyhow!("unknown reservation state `{other}`").into()),
        }
    }

    fn to_pb(self) -> pb::StockReservationState {
        match self {
            State::Pending => pb::StockReservationState::Pending,
            State::Committed => pb::StockReservationState::Committed,
            State::Released => pb::StockReservationState::Released,
            State::Expired => pb::StockReservationState::Expired,
        }
    }
}

#[derive(Debug)]
struct HeaderRow {
    order_id: Uuid,
    merchant_id: Uuid,
    state: String,
    lapsed: bool,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
}

/// One held line, with the product's data when it was reserved.
#[derive(Clone, Debug)]
pub(crate) struct Line {
    pub(crate) product_id: Uuid,
    pub(crate) quantity: i64,
    pub(crate) product_name: String,
    pub(crate) category_id: Uuid,
    pub(crate) unit_price_minor: i64,
    pub(crate) currency_code: String,
}

/// A reservation and its lines (in the order the request gave them).
#[derive(Debug)]
pub(crate) struct Reservation {
    pub(crate) order_id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) state: State,
    /// PENDING with its expiry passed: it is due to expire (the expiry task had no turn yet).
    pub(crate) lapsed: bool,
    expires_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    closed_at: Option<DateTime<Utc>>,
    pub(crate) lines: Vec<Line>,
}

impl Reservation {
    /// The held quantity of each product.
    pub(crate) fn quantities(&self) -> BTreeMap<Uuid, i64> {
        self.lines
            .iter()
            .map(|line| (line.product_id, line.quantity))
            .collect()
    }

    /// The reservation as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::StockReservation {
        pb::StockReservation {
            order_id: self.order_id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            lines: self
                .lines
                .iter()
                .map(|line| pb::ReservationLine {
                    product_id: line.product_id.to_string(),
                    quantity: line.quantity,
                    product_name: line.product_name.clone(),
                    category_id: line.category_id.to_string(),
                    unit_price: Some(Money {
                        currency_code: line.currency_code.clone(),
                        amount_minor: line.unit_price_minor,
                    }),
                })
                .collect(),
            state: self.state.to_pb().into(),
            expire_time: Some(timestamp(self.expires_at)),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            close_time: self.closed_at.map(timestamp),
        }
    }
}

/// How a row is read: plain, or locked until the transaction ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Read {
    Plain,
    ForUpdate,
}

/// The reservation of `order_id`.
pub(crate) async fn load(
    conn: &mut PgConnection,
    order_id: Uuid,
    read: Read,
) -> Result<Option<Reservation>, ProductError> {
    // `lapsed` compares two NOT NULL columns, so it is never NULL.
    let header: Option<HeaderRow> = match read {
        Read::Plain => {
            sqlx::query_as!(
                HeaderRow,
                "SELECT order_id, merchant_id, state, \
                 (state = 'pending' AND expires_at <= now()) AS \"lapsed!\", \
                 expires_at, created_at, updated_at, closed_at \
                 FROM products.stock_reservations WHERE order_id = $1",
                order_id,
            )
            .fetch_optional(&mut *conn)
            .await?
        }
        Read::ForUpdate => {
            sqlx::query_as!(
                HeaderRow,
                "SELECT order_id, merchant_id, state, \
                 (state = 'pending' AND expires_at <= now()) AS \"lapsed!\", \
                 expires_at, created_at, updated_at, closed_at \
                 FROM products.stock_reservations WHERE order_id = $1 FOR UPDATE",
                order_id,
            )
            .fetch_optional(&mut *conn)
            .await?
        }
    };
    let Some(header) = header else {
        return Ok(None);
    };
    let lines: Vec<Line> = sqlx::query_as!(
        Line,
        "SELECT product_id, quantity, product_name, category_id, unit_price_minor, currency_code \
         FROM products.stock_reservation_lines WHERE order_id = $1 ORDER BY position",
        order_id,
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(Some(Reservation {
        order_id: header.order_id,
        merchant_id: header.merchant_id,
        state: State::parse(&header.state)?,
        lapsed: header.lapsed,
        expires_at: header.expires_at,
        created_at: header.created_at,
        updated_at: header.updated_at,
        closed_at: header.closed_at,
        lines,
    }))
}

/// The reservation of `order_id`, which the caller's transaction locked or wrote.
pub(crate) async fn reload(conn: &mut PgConnection, order_id: Uuid) -> Result<Reservation, ProductError> {
    load(conn, order_id, Read::Plain)
        .await?
        .ok_or_else(|| anyhow::anyhow!("reservation {order_id} vanished in its own transaction").into())
}

/// Changes the quantity held of each product by its delta (products in id order, so concurrent
/// reservations lock rows in the same order). The callers checked availability under lock; the
/// table's CHECK is the last guard.
pub(crate) async fn shift_reserved(
    conn: &mut PgConnection,
    deltas: &BTreeMap<Uuid, i64>,
) -> Result<(), ProductError> {
    for (product_id, delta) in deltas.iter().filter(|(_, delta)| **delta != 0) {
        sqlx::query!(
            "UPDATE products.products SET reserved_quantity = reserved_quantity + $2, updated_at = now() \
             WHERE id = $1",
            product_id,
            delta,
        )
        .execute(&mut *conn)
        .await?;
    }
    Ok(())
}

/// Closes a locked PENDING reservation as RELEASED or EXPIRED: its held stock becomes available
/// again (no ledger row: the quantity on hand did not change) and `ReservationReleased` is
/// published. Returns the closed reservation.
pub(crate) async fn close(
    conn: &mut PgConnection,
    actor: &Actor,
    reservation: &Reservation,
    state: State,
) -> Result<Reservation, ProductError> {
    let deltas = reservation
        .quantities()
        .into_iter()
        .map(|(product_id, quantity)| (product_id, -quantity))
        .collect();
    shift_reserved(conn, &deltas).await?;
    sqlx::query!(
        "UPDATE products.stock_reservations SET state = $2, closed_at = now() \
         WHERE order_id = $1 AND state = 'pending'",
        reservation.order_id,
        state.as_str(),
    )
    .execute(&mut *conn)
    .await?;
    let closed = reload(conn, reservation.order_id).await?;
    let event_id = Uuid::now_v7();
    let event = pb::ReservationReleased {
        meta: Some(actor.meta(event_id)),
        reservation: Some(closed.to_pb()),
    };
    Outbox::of(Module::Product)
        .append(
            conn,
            &OutboxEvent::new(event_id, closed.order_id.to_string(), &event),
        )
        .await?;
    Ok(closed)
}

/// Drops the cached products whose quantities `reservation` changed.
pub(crate) async fn invalidate(
    ctx: &pos_platform::ModuleContext,
    product_ids: impl IntoIterator<Item = Uuid>,
) {
    for product_id in product_ids {
        crate::cache::invalidate(ctx, product_id).await;
    }
}
