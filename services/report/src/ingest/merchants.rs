//! What reports know of a merchant: its time zone (to cut business days) and currency.
//!
//! Learnt from `MerchantCreated` / `MerchantUpdated`; a sale of a merchant not known yet (its
//! events travel on another topic and may come later) asks `MerchantService.GetMerchant`. A newer
//! event always wins over an older one or a lookup.

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use tonic::Code;
use uuid::Uuid;

use pos_api::pos::merchant::v1 as merchant_pb;
use pos_platform::ModuleContext;
use pos_platform::events::{Event, EventHandler, HandlerError};

/// Applies merchant events to `reports.merchants`.
pub(crate) struct MerchantZones;

/// The merchant carried by a merchant event that tells its zone or currency.
fn merchant_of(event: &Event) -> Result<Option<merchant_pb::Merchant>, HandlerError> {
    Ok(if event.event_type == merchant_pb::MerchantCreated::full_name() {
        event.decode::<merchant_pb::MerchantCreated>()?.merchant
    } else if event.event_type == merchant_pb::MerchantUpdated::full_name() {
        event.decode::<merchant_pb::MerchantUpdated>()?.merchant
    } else {
        None
    })
}

/// The merchant whose cached answers (period bounds, zero rows' currency) a merchant event changes.
pub(crate) fn touched_merchant(event: &Event) -> Option<Uuid> {
    let merchant = merchant_of(event).ok().flatten()?;
    Uuid::parse_str(&merchant.id).ok()
}

impl EventHandler for MerchantZones {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let Some(merchant) = merchant_of(event)? else {
                return Ok(());
            };
            let id = super::required_id(&merchant.id, "merchant.id")?;
            remember(tx, id, &merchant, event.occurred_at).await?;
            Ok(())
        })
    }
}

/// The merchant's time zone and currency as of `at` (newer knowledge wins).
async fn remember(
    conn: &mut PgConnection,
    id: Uuid,
    merchant: &merchant_pb::Merchant,
    at: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let zone = if merchant.time_zone.is_empty() {
        "UTC"
    } else {
        merchant.time_zone.as_str()
    };
    sqlx::query!(
        "INSERT INTO reports.merchants (merchant_id, time_zone, currency_code, updated_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (merchant_id) DO UPDATE SET time_zone = EXCLUDED.time_zone, \
             currency_code = EXCLUDED.currency_code, updated_at = EXCLUDED.updated_at \
         WHERE reports.merchants.updated_at <= EXCLUDED.updated_at",
        id,
        zone,
        &merchant.currency_code,
        at,
    )
    .execute(conn)
    .await?;
    Ok(())
}

/// The time zone of merchant `id`: known from its events, else asked to the merchant module
/// (and remembered as of 1970, older than any event, so the next event replaces it). A merchant the
/// merchant module does not know (purged) is taken in UTC.
pub(crate) async fn time_zone(
    ctx: &ModuleContext,
    conn: &mut PgConnection,
    id: Uuid,
    currency_code: &str,
) -> Result<String, HandlerError> {
    let known: Option<String> = sqlx::query_scalar!(
        "SELECT time_zone FROM reports.merchants WHERE merchant_id = $1",
        id,
    )
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(zone) = known {
        return Ok(zone);
    }
    let mut client = ctx
        .clients
        .merchant()
        .map_err(|error| HandlerError::Failed(anyhow::anyhow!("no merchant client: {error}")))?;
    let answer = client
        .get_merchant(merchant_pb::GetMerchantRequest {
            merchant_id: id.to_string(),
        })
        .await;
    let merchant = match answer {
        Ok(response) => response.into_inner().merchant.unwrap_or_default(),
        Err(status) if status.code() == Code::NotFound => {
            tracing::warn!(merchant_id = %id, "a sale of an unknown merchant; its business days are taken in UTC");
            merchant_pb::Merchant {
                time_zone: "UTC".to_owned(),
                currency_code: currency_code.to_owned(),
                ..Default::default()
            }
        }
        Err(status) => {
            return Err(HandlerError::Failed(anyhow::anyhow!(
                "GetMerchant {id} failed: {status}"
            )));
        }
    };
    remember(conn, id, &merchant, DateTime::<Utc>::UNIX_EPOCH).await?;
    let zone: String = sqlx::query_scalar!(
        "SELECT time_zone FROM reports.merchants WHERE merchant_id = $1",
        id,
    )
    .fetch_one(&mut *conn)
    .await?;
    Ok(zone)
}
