//! Current names of cashiers and categories, for labelling report rows (renames relabel the
//! whole history, as the contract says: "Names are the current names").

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::cashier::v1 as cashier_pb;
use pos_api::pos::category::v1 as category_pb;
use pos_platform::events::{Event, EventHandler, HandlerError};

/// Applies `CashierCreated` / `CashierUpdated` to `reports.cashiers`.
pub(crate) struct CashierNames;

impl EventHandler for CashierNames {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let Some(cashier) = cashier_of(event)? else {
                return Ok(());
            };
            let id = super::required_id(&cashier.id, "cashier.id")?;
            let merchant_id = super::uuid_or_nil(&cashier.merchant_id);
            sqlx::query!(
                "INSERT INTO reports.cashiers (cashier_id, merchant_id, name, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (cashier_id) DO UPDATE SET merchant_id = EXCLUDED.merchant_id, name = EXCLUDED.name, \
                     updated_at = EXCLUDED.updated_at \
                 WHERE reports.cashiers.updated_at <= EXCLUDED.updated_at",
                id,
                merchant_id,
                &cashier.name,
                event.occurred_at,
            )
            .execute(&mut *tx)
            .await?;
            Ok(())
        })
    }
}

/// The cashier carried by a naming event, if it is one.
fn cashier_of(event: &Event) -> Result<Option<cashier_pb::Cashier>, HandlerError> {
    Ok(if event.event_type == cashier_pb::CashierCreated::full_name() {
        event.decode::<cashier_pb::CashierCreated>()?.cashier
    } else if event.event_type == cashier_pb::CashierUpdated::full_name() {
        event.decode::<cashier_pb::CashierUpdated>()?.cashier
    } else {
        None
    })
}

/// The merchant whose cached answers a cashier event changes (its rows' labels).
pub(crate) fn touched_merchant(event: &Event) -> Option<Uuid> {
    cashier_of(event)
        .ok()
        .flatten()
        .and_then(|cashier| Uuid::parse_str(&cashier.merchant_id).ok())
}

/// Applies `CategoryCreated` / `CategoryUpdated` to `reports.categories`.
pub(crate) struct CategoryNames;

impl EventHandler for CategoryNames {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let category = if event.event_type == category_pb::CategoryCreated::full_name() {
                event.decode::<category_pb::CategoryCreated>()?.category
            } else if event.event_type == category_pb::CategoryUpdated::full_name() {
                event.decode::<category_pb::CategoryUpdated>()?.category
            } else {
                return Ok(());
            };
            let Some(category) = category else {
                return Ok(());
            };
            let id = super::required_id(&category.id, "category.id")?;
            rename_category(tx, id, &category.name, event.occurred_at).await?;
            Ok(())
        })
    }
}

/// Records the name of category `id` as of `at` (newer knowledge wins).
async fn rename_category(
    conn: &mut PgConnection,
    id: Uuid,
    name: &str,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query!(
        "INSERT INTO reports.categories (category_id, name, updated_at) VALUES ($1, $2, $3) \
         ON CONFLICT (category_id) DO UPDATE SET name = EXCLUDED.name, updated_at = EXCLUDED.updated_at \
         WHERE reports.categories.updated_at <= EXCLUDED.updated_at",
        id,
        name,
        at,
    )
    .execute(conn)
    .await?;
    Ok(())
}
