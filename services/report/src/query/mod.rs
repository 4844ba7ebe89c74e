//! The report queries, one file per family, and what they share: the scope's time zone and
//! currency, the watermark, filter clauses and money.
//!
//! Queries read only the monthly rollups of schema `reports` (and, for one order, that order's
//! facts by key), over ranges of business months, so the `(month)`, `(cashier_id, month)` and
//! `(category_id, month)` indexes serve them; questions without a cashier read the per-merchant
//! rollups, which have no cashier rows to add up. Filters are appended to the SQL only when
//! set (values always bound), so every plan uses the index of the filters present.

pub(crate) mod cashiers;
pub(crate) mod categories;
pub(crate) mod payments;
pub(crate) mod revenue;

/// The rollup distinct products are counted from: per merchant when no cashier is in scope
/// (fewer rows), else per cashier.
pub(crate) fn products_table(scope: &crate::scope::Scope) -> &'static str {
    if scope.cashier_id.is_some() {
        "monthly_products"
    } else {
        "monthly_merchant_products"
    }
}

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use sqlx::PgPool;
use uuid::Uuid;

use pos_api::Clients;
use pos_api::pos::cashier::v1 as cashier_pb;
use pos_api::pos::common::v1::Money;
use pos_api::pos::merchant::v1 as merchant_pb;

use crate::error::ReportError;
use crate::scope::Scope;

/// Largest page size GetCashierSales / GetCategorySales serve.
const MAX_PAGE_SIZE: u32 = 10_000;
/// Page size of a request that asks for 0.
const DEFAULT_PAGE_SIZE: u32 = 1_000;

/// The time zone period bounds are reported in, and the currency of zero rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Locale {
    /// The zone.
    pub(crate) zone: Tz,
    /// Its IANA name (the response's `time_zone`).
    pub(crate) zone_name: String,
    /// The scope's currency.
    pub(crate) currency: String,
}

impl Locale {
    /// UTC and the platform's default currency (`POS_DEFAULT_CURRENCY`): scopes covering
    /// several merchants.
    fn platform(default_currency: &str) -> Self {
        Locale {
            zone: Tz::UTC,
            zone_name: "UTC".to_owned(),
            currency: default_currency.to_owned(),
        }
    }
}

/// The locale of `scope`: its merchant's time zone and currency when it is one merchant (named by
/// `merchant_id`, else the merchant of `cashier_id`, else of `order_id`'s sale), else UTC and the
/// platform's default currency.
///
/// A merchant (or cashier) the read model does not know yet — its creation event is not applied
/// yet — is asked to the merchant (cashier) module; the caller's scope was checked before, and
/// nothing is written. When that fails too (unknown id, module unreachable) the answer is in UTC
/// and the default currency.
pub(crate) async fn locale(
    db: &PgPool,
    clients: &Clients,
    default_currency: &str,
    scope: &Scope,
) -> Result<Locale, ReportError> {
    let found: Option<(String, String)> = if let Some(merchant_id) = scope.merchant_id {
        match known_merchant(db, merchant_id).await? {
            Some(found) => Some(found),
            None => upstream_merchant(clients, merchant_id).await,
        }
    } else if let Some(cashier_id) = scope.cashier_id {
        let merchant_id: Option<Uuid> = sqlx::query_scalar!(
            "SELECT merchant_id FROM reports.cashiers WHERE cashier_id = $1",
            cashier_id,
        )
        .fetch_optional(db)
        .await?;
        let merchant_id = match merchant_id {
            Some(merchant_id) => Some(merchant_id),
            None => upstream_cashier_merchant(clients, cashier_id).await,
        };
        match merchant_id {
            Some(merchant_id) => match known_merchant(db, merchant_id).await? {
                Some(found) => Some(found),
                None => upstream_merchant(clients, merchant_id).await,
            },
            None => None,
        }
    } else if let Some(order_id) = scope.order_id {
        sqlx::query!(
            "SELECT m.time_zone, m.currency_code FROM reports.sales s \
             JOIN reports.merchants m ON m.merchant_id = s.merchant_id WHERE s.order_id = $1",
            order_id,
        )
        .fetch_optional(db)
        .await?
        .map(|row| (row.time_zone, row.currency_code))
    } else {
        None
    };
    Ok(match found {
        Some((zone_name, currency)) => match zone_name.parse::<Tz>() {
            Ok(zone) => Locale {
                zone,
                zone_name,
                currency,
            },
            Err(_) => Locale {
                currency,
                ..Locale::platform(default_currency)
            },
        },
        None => Locale::platform(default_currency),
    })
}

/// The time zone and currency the read model knows of `merchant_id`.
async fn known_merchant(db: &PgPool, merchant_id: Uuid) -> Result<Option<(String, String)>, sqlx::Error> {
    Ok(sqlx::query!(
        "SELECT time_zone, currency_code FROM reports.merchants WHERE merchant_id = $1",
        merchant_id,
    )
    .fetch_optional(db)
    .await?
    .map(|row| (row.time_zone, row.currency_code)))
}

/// The time zone and currency of `merchant_id` according to the merchant module.
async fn upstream_merchant(clients: &Clients, merchant_id: Uuid) -> Option<(String, String)> {
    let mut client = clients.merchant().ok()?;
    let answer = client
        .get_merchant(merchant_pb::GetMerchantRequest {
            merchant_id: merchant_id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => response
            .into_inner()
            .merchant
            .map(|merchant| (merchant.time_zone, merchant.currency_code)),
        Err(status) => {
            tracing::debug!(%merchant_id, %status, "merchant unknown to reports and to GetMerchant");
            None
        }
    }
}

/// The merchant of `cashier_id` according to the cashier module.
async fn upstream_cashier_merchant(clients: &Clients, cashier_id: Uuid) -> Option<Uuid> {
    let mut client = clients.cashier().ok()?;
    let answer = client
        .get_cashier(cashier_pb::GetCashierRequest {
            cashier_id: cashier_id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => response
            .into_inner()
            .cashier
            .and_then(|cashier| Uuid::parse_str(&cashier.merchant_id).ok()),
        Err(status) => {
            tracing::debug!(%cashier_id, %status, "cashier unknown to reports and to GetCashier");
            None
        }
    }
}

/// Up to when events are included: the commit time of the latest applied event, or now when no
/// event was ever applied (the read model is empty, so nothing committed is missing from it).
pub(crate) async fn as_of(db: &PgPool) -> Result<prost_types::Timestamp, ReportError> {
    let applied: Option<DateTime<Utc>> = sqlx::query_scalar!("SELECT applied_at FROM reports.watermark",)
        .fetch_optional(db)
        .await?;
    let at = applied.unwrap_or_else(Utc::now);
    Ok(prost_types::Timestamp {
        seconds: at.timestamp(),
        nanos: i32::try_from(at.timestamp_subsec_nanos()).unwrap_or(0),
    })
}

/// [`as_of`] and [`locale`], read at once.
pub(crate) async fn as_of_and_locale(
    db: &PgPool,
    clients: &Clients,
    default_currency: &str,
    scope: &Scope,
) -> Result<(prost_types::Timestamp, Locale), ReportError> {
    futures::try_join!(as_of(db), locale(db, clients, default_currency, scope))
}

/// An amount in `currency`.
pub(crate) fn money(currency: &str, amount_minor: i64) -> Money {
    Money {
        currency_code: currency.to_owned(),
        amount_minor,
    }
}

/// The scope filters of a rollup query: ` AND <column> = $n` for each filter set, numbered from
/// `first_param`, and the ids to bind in that order. `with_category` says whether the table has
/// a `category_id` column (the order filter is never part of a rollup query).
pub(crate) fn filters(scope: &Scope, with_category: bool, first_param: usize) -> (String, Vec<Uuid>) {
    let mut sql = String::new();
    let mut binds = Vec::new();
    let category = if with_category { scope.category_id } else { None };
    for (column, value) in [
        ("merchant_id", scope.merchant_id),
        ("cashier_id", scope.cashier_id),
        ("category_id", category),
    ] {
        if let Some(value) = value {
            binds.push(value);
            let _ = write!(sql, " AND {column} = ${}", first_param + binds.len() - 1);
        }
    }
    (sql, binds)
}

/// A requested page size: 0 → 1000, above 10000 → 10000, negative → `INVALID_ARGUMENT`.
pub(crate) fn page_size(requested: i32) -> Result<u32, ReportError> {
    match u32::try_from(requested) {
        Ok(0) => Ok(DEFAULT_PAGE_SIZE),
        Ok(size) => Ok(size.min(MAX_PAGE_SIZE)),
        Err(_) => Err(ReportError::invalid("page_size", "must not be negative")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_are_numbered_after_the_fixed_parameters_and_skip_unset_ones() {
        let merchant = Uuid::now_v7();
        let category = Uuid::now_v7();
        let scope = Scope {
            merchant_id: Some(merchant),
            category_id: Some(category),
            ..Scope::default()
        };
        assert_eq!(
            filters(&scope, true, 3),
            (
                " AND merchant_id = $3 AND category_id = $4".to_owned(),
                vec![merchant, category]
            )
        );
        assert_eq!(
            filters(&scope, false, 3),
            (" AND merchant_id = $3".to_owned(), vec![merchant])
        );
        assert_eq!(filters(&Scope::default(), true, 1), (String::new(), vec![]));
    }

    #[test]
    fn page_sizes_default_to_1000_and_cap_at_10000() {
        assert_eq!(page_size(0).unwrap(), 1000);
        assert_eq!(page_size(7).unwrap(), 7);
        assert_eq!(page_size(50_000).unwrap(), 10_000);
        assert!(matches!(page_size(-1), Err(ReportError::InvalidField { .. })));
    }
}
