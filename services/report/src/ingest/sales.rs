//! Sales and refunds, from `pos.order.v1.events`.
//!
//! `OrderPaid` records the sale on the merchant's business day of `paid_time`; `OrderRefunded`
//! records the refund on the business day of `refund_time`, against the sale (selling cashier,
//! currency). A refund of an order that was never sold (money given back for an order cancelled
//! while its payment ran) is no sales figure and is not recorded. Order events are keyed by order
//! id, so an order's refunds always come after its sale.

use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::order::v1::{OrderPaid, OrderRefunded};
use pos_platform::ModuleContext;
use pos_platform::events::{Event, EventHandler, HandlerError};

use super::business_day::{business_date, instant};
use super::{advance_watermark, merchants, required_id, uuid_or_nil};
use crate::rollup::{self, Facts};

/// Applies order events to the read model.
pub(crate) struct SalesHandler {
    ctx: ModuleContext,
}

impl SalesHandler {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        SalesHandler { ctx }
    }
}

impl EventHandler for SalesHandler {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if event.event_type == OrderPaid::full_name() {
                let paid = event.decode::<OrderPaid>()?;
                record_sale(&self.ctx, tx, event, &paid).await?;
            } else if event.event_type == OrderRefunded::full_name() {
                let refunded = event.decode::<OrderRefunded>()?;
                record_refund(tx, event, &refunded).await?;
            } else {
                return Ok(());
            }
            advance_watermark(tx, event.occurred_at).await?;
            Ok(())
        })
    }
}

/// The merchant whose cached answers an order event changes.
pub(crate) fn touched_merchant(event: &Event) -> Option<Uuid> {
    let merchant_id = if event.event_type == OrderPaid::full_name() {
        event.decode::<OrderPaid>().ok()?.merchant_id
    } else if event.event_type == OrderRefunded::full_name() {
        event.decode::<OrderRefunded>().ok()?.merchant_id
    } else {
        return None;
    };
    Uuid::parse_str(&merchant_id).ok()
}

/// Minor units of an optional money field.
fn minor(money: Option<&pos_api::pos::common::v1::Money>) -> i64 {
    money.map_or(0, |money| money.amount_minor)
}

/// Records the sale and adds it to the rollups, once per order.
async fn record_sale(
    ctx: &ModuleContext,
    conn: &mut PgConnection,
    event: &Event,
    paid: &OrderPaid,
) -> Result<(), HandlerError> {
    let order_id = required_id(&paid.order_id, "order_id")?;
    let merchant_id = required_id(&paid.merchant_id, "merchant_id")?;
    let cashier_id = uuid_or_nil(&paid.cashier_id);
    let paid_at = instant(paid.paid_time.as_ref(), event.occurred_at);
    let zone = merchants::time_zone(ctx, conn, merchant_id, &paid.currency_code).await?;
    let date = business_date(paid_at, &zone);

    let lines = Lines::collect(paid.lines.iter().map(|line| {
        (
            line.order_item_id.as_str(),
            line.product_id.as_str(),
            line.category_id.as_str(),
            line.quantity,
            minor(line.unit_price.as_ref()),
        )
    }))?;

    let inserted = sqlx::query!(
        "INSERT INTO reports.sales \
             (order_id, merchant_id, cashier_id, currency_code, paid_at, business_date, amount_paid, lines_total, items) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (order_id) DO NOTHING",
        order_id,
        merchant_id,
        cashier_id,
        &paid.currency_code,
        paid_at,
        date,
        minor(paid.total.as_ref()),
        lines.value(),
        lines.units(),
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(());
    }
    lines.insert(conn, "sale_lines", "order_id", order_id).await?;
    rollup::add_sales(conn, Facts::One(order_id)).await?;
    Ok(())
}

/// Records the refund of a sold order and adds it to the rollups, once per refund.
async fn record_refund(
    conn: &mut PgConnection,
    event: &Event,
    refunded: &OrderRefunded,
) -> Result<(), HandlerError> {
    let order_id = required_id(&refunded.order_id, "order_id")?;
    let refund_id = required_id(&refunded.refund_id, "refund_id")?;
    let sale: Option<String> = sqlx::query_scalar!(
        "SELECT m.time_zone FROM reports.sales s \
         LEFT JOIN reports.merchants m ON m.merchant_id = s.merchant_id WHERE s.order_id = $1",
        order_id,
    )
    .fetch_optional(&mut *conn)
    .await?
    .map(|zone: Option<String>| zone.unwrap_or_else(|| "UTC".to_owned()));
    let Some(zone) = sale else {
        tracing::info!(%order_id, %refund_id, "a refund of an order never sold; not a sales figure");
        return Ok(());
    };
    let refunded_at = instant(refunded.refund_time.as_ref(), event.occurred_at);
    let date = business_date(refunded_at, &zone);

    let lines = Lines::collect(refunded.lines.iter().map(|line| {
        (
            line.order_item_id.as_str(),
            line.product_id.as_str(),
            line.category_id.as_str(),
            line.quantity,
            minor(line.unit_price.as_ref()),
        )
    }))?;

    let inserted = sqlx::query!(
        "INSERT INTO reports.refunds (refund_id, order_id, refunded_at, business_date, amount, lines_amount, items) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (refund_id) DO NOTHING",
        refund_id,
        order_id,
        refunded_at,
        date,
        minor(refunded.amount.as_ref()),
        lines.value(),
        lines.units(),
    )
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(());
    }
    lines.insert(conn, "refund_lines", "refund_id", refund_id).await?;
    rollup::add_refunds(conn, Facts::One(refund_id)).await?;
    Ok(())
}

/// The lines of a sale or a refund, as columns.
#[derive(Debug, Default)]
struct Lines {
    items: Vec<Uuid>,
    products: Vec<Uuid>,
    categories: Vec<Uuid>,
    quantities: Vec<i64>,
    prices: Vec<i64>,
}

impl Lines {
    /// Lines from (order item id, product id, category id, quantity, unit price).
    fn collect<'a>(
        lines: impl Iterator<Item = (&'a str, &'a str, &'a str, i64, i64)>,
    ) -> Result<Self, HandlerError> {
        let mut columns = Lines::default();
        for (item, product, category, quantity, price) in lines {
            columns.items.push(required_id(item, "lines.order_item_id")?);
            columns.products.push(required_id(product, "lines.product_id")?);
            columns.categories.push(uuid_or_nil(category));
            columns.quantities.push(quantity);
            columns.prices.push(price);
        }
        Ok(columns)
    }

    /// Σ quantity × unit price.
    fn value(&self) -> i64 {
        self.quantities.iter().zip(&self.prices).map(|(q, p)| q * p).sum()
    }

    /// Σ quantity.
    fn units(&self) -> i64 {
        self.quantities.iter().sum()
    }

    /// Inserts the lines into `reports.<table>` under `owner_column` = `owner`.
    async fn insert(
        &self,
        conn: &mut PgConnection,
        table: &str,
        owner_column: &str,
        owner: Uuid,
    ) -> Result<(), sqlx::Error> {
        let sql = format!(
            "INSERT INTO reports.{table} ({owner_column}, order_item_id, product_id, category_id, quantity, unit_price) \
             SELECT $1, * FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::bigint[], $6::bigint[])"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(owner)
            .bind(&self.items)
            .bind(&self.products)
            .bind(&self.categories)
            .bind(&self.quantities)
            .bind(&self.prices)
            .execute(conn)
            .await?;
        Ok(())
    }
}
