//! GetCashierSales: figures per period, cashier and currency (`reports.monthly_sales`, basis
//! PAYMENTS), by period ascending, revenue descending, then cashier id; paged with a keyset
//! cursor.

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use pos_api::pos::report::v1 as pb;

use super::{Locale, filters, money};
use crate::error::ReportError;
use crate::period::{Breakdown, PeriodKey};
use crate::scope::Scope;

/// The position after the last row of a page (the sort key of that row).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Cursor {
    /// First day of the row's period.
    period: NaiveDate,
    /// `refunded − gross` (revenue descending is this ascending).
    negated_revenue: i64,
    /// The cashier.
    cashier_id: Uuid,
    /// The cashier's merchant.
    merchant_id: Uuid,
    /// The currency.
    currency_code: String,
}

/// One aggregated row.
#[derive(sqlx::FromRow)]
struct Row {
    period: NaiveDate,
    negated_revenue: i64,
    cashier_id: Uuid,
    merchant_id: Uuid,
    currency_code: String,
    gross: i64,
    refunded: i64,
    order_count: i64,
    items_sold: i64,
    items_refunded: i64,
    name: String,
}

/// One page of rows after `after`, and the cursor of the next page when there is one.
pub(crate) async fn page(
    db: &PgPool,
    breakdown: &Breakdown,
    scope: &Scope,
    after: Option<&Cursor>,
    page_size: u32,
    locale: &Locale,
) -> Result<(Vec<pb::CashierSales>, Option<Cursor>), ReportError> {
    let after_sql = if after.is_some() {
        "WHERE (period, negated_revenue, cashier_id, merchant_id, currency_code) > ($3, $4, $5, $6, $7)"
    } else {
        ""
    };
    let first_scope_param = if after.is_some() { 8 } else { 3 };
    let (scope_sql, binds) = filters(scope, false, first_scope_param);
    let limit_param = first_scope_param + binds.len();
    let bucket = breakdown.granularity.bucket_sql("month");
    let sql = format!(
        "WITH totals AS ( \
             SELECT {bucket} AS period, cashier_id, merchant_id, currency_code, \
                    sum(gross_paid)::bigint AS gross, sum(refunded_paid)::bigint AS refunded, \
                    sum(order_count)::bigint AS order_count, sum(items_sold)::bigint AS items_sold, \
                    sum(items_refunded)::bigint AS items_refunded \
             FROM reports.monthly_sales \
             WHERE month >= $1 AND month < $2{scope_sql} \
             GROUP BY 1, 2, 3, 4 \
         ), ordered AS ( \
             SELECT *, refunded - gross AS negated_revenue FROM totals \
         ), page AS ( \
             SELECT * FROM ordered {after_sql} \
             ORDER BY period, negated_revenue, cashier_id, merchant_id, currency_code \
             LIMIT ${limit_param} \
         ) \
         SELECT p.period, p.negated_revenue, p.cashier_id, p.merchant_id, p.currency_code, p.gross, \
                p.refunded, p.order_count, p.items_sold, p.items_refunded, COALESCE(c.name, '') AS name \
         FROM page p LEFT JOIN reports.cashiers c ON c.cashier_id = p.cashier_id \
         ORDER BY p.period, p.negated_revenue, p.cashier_id, p.merchant_id, p.currency_code"
    );
    let (start, end) = breakdown.range();
    let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(start)
        .bind(end);
    if let Some(after) = after {
        query = query
            .bind(after.period)
            .bind(after.negated_revenue)
            .bind(after.cashier_id)
            .bind(after.merchant_id)
            .bind(after.currency_code.clone());
    }
    for id in &binds {
        query = query.bind(id);
    }
    let mut rows = query.bind(i64::from(page_size) + 1).fetch_all(db).await?;
    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next = if more {
        rows.last().map(|row| Cursor {
            period: row.period,
            negated_revenue: row.negated_revenue,
            cashier_id: row.cashier_id,
            merchant_id: row.merchant_id,
            currency_code: row.currency_code.clone(),
        })
    } else {
        None
    };
    let rows = rows
        .into_iter()
        .map(|row| {
            let currency = row.currency_code.as_str();
            pb::CashierSales {
                period: Some(PeriodKey::containing(breakdown.granularity, row.period).message(locale.zone)),
                cashier_id: row.cashier_id.to_string(),
                cashier_name: row.name,
                merchant_id: row.merchant_id.to_string(),
                gross_sales: Some(money(currency, row.gross)),
                refunded: Some(money(currency, row.refunded)),
                revenue: Some(money(currency, row.gross - row.refunded)),
                order_count: row.order_count,
                items_sold: row.items_sold,
                items_refunded: row.items_refunded,
            }
        })
        .collect();
    Ok((rows, next))
}
