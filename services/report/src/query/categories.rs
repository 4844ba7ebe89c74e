//! GetCategorySales: line figures per period, category and currency
//! (`reports.monthly_merchant_category_sales`, or `reports.monthly_category_sales` with a cashier
//! in scope; basis LINES; distinct products from the products rollups), by period ascending, revenue descending, then category id; paged
//! with a keyset cursor.

use std::collections::HashMap;

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use pos_api::pos::report::v1 as pb;

use super::{Locale, filters, money, products_table};
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
    /// The category (the nil uuid for "no category").
    category_id: Uuid,
    /// The currency.
    currency_code: String,
}

/// One aggregated row.
#[derive(sqlx::FromRow)]
struct Row {
    period: NaiveDate,
    negated_revenue: i64,
    category_id: Uuid,
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
) -> Result<(Vec<pb::CategorySales>, Option<Cursor>), ReportError> {
    let after_sql = if after.is_some() {
        "WHERE (period, negated_revenue, category_id, currency_code) > ($3, $4, $5, $6)"
    } else {
        ""
    };
    let first_scope_param = if after.is_some() { 7 } else { 3 };
    let (scope_sql, binds) = filters(scope, true, first_scope_param);
    let limit_param = first_scope_param + binds.len();
    let bucket = breakdown.granularity.bucket_sql("month");
    let table = if scope.cashier_id.is_some() {
        "monthly_category_sales"
    } else {
        "monthly_merchant_category_sales"
    };
    let sql = format!(
        "WITH totals AS ( \
             SELECT {bucket} AS period, category_id, currency_code, \
                    sum(gross_lines)::bigint AS gross, sum(refunded_lines)::bigint AS refunded, \
                    sum(order_count)::bigint AS order_count, sum(items_sold)::bigint AS items_sold, \
                    sum(items_refunded)::bigint AS items_refunded \
             FROM reports.{table} \
             WHERE month >= $1 AND month < $2{scope_sql} \
             GROUP BY 1, 2, 3 \
         ), ordered AS ( \
             SELECT *, refunded - gross AS negated_revenue FROM totals \
         ), page AS ( \
             SELECT * FROM ordered {after_sql} \
             ORDER BY period, negated_revenue, category_id, currency_code \
             LIMIT ${limit_param} \
         ) \
         SELECT p.period, p.negated_revenue, p.category_id, p.currency_code, p.gross, p.refunded, \
                p.order_count, p.items_sold, p.items_refunded, COALESCE(c.name, '') AS name \
         FROM page p LEFT JOIN reports.categories c ON c.category_id = p.category_id \
         ORDER BY p.period, p.negated_revenue, p.category_id, p.currency_code"
    );
    let (start, end) = breakdown.range();
    let mut query = sqlx::query_as::<_, Row>(sqlx::AssertSqlSafe(sql))
        .bind(start)
        .bind(end);
    if let Some(after) = after {
        query = query
            .bind(after.period)
            .bind(after.negated_revenue)
            .bind(after.category_id)
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
            category_id: row.category_id,
            currency_code: row.currency_code.clone(),
        })
    } else {
        None
    };
    let products = unique_products(db, breakdown, scope, &rows).await?;
    let rows = rows
        .into_iter()
        .map(|row| {
            let currency = row.currency_code.as_str();
            let unique_products_sold = products
                .get(&(row.period, row.category_id, row.currency_code.clone()))
                .copied()
                .unwrap_or(0);
            pb::CategorySales {
                period: Some(PeriodKey::containing(breakdown.granularity, row.period).message(locale.zone)),
                category_id: row.category_id.to_string(),
                category_name: row.name,
                gross_sales: Some(money(currency, row.gross)),
                refunded: Some(money(currency, row.refunded)),
                revenue: Some(money(currency, row.gross - row.refunded)),
                order_count: row.order_count,
                items_sold: row.items_sold,
                items_refunded: row.items_refunded,
                unique_products_sold,
            }
        })
        .collect();
    Ok((rows, next))
}

/// Distinct products sold per period, category and currency, for the categories of `rows`.
async fn unique_products(
    db: &PgPool,
    breakdown: &Breakdown,
    scope: &Scope,
    rows: &[Row],
) -> Result<HashMap<(NaiveDate, Uuid, String), i64>, ReportError> {
    if rows.is_empty() {
        return Ok(HashMap::new());
    }
    let mut categories: Vec<Uuid> = rows.iter().map(|row| row.category_id).collect();
    categories.sort_unstable();
    categories.dedup();
    let (scope_sql, binds) = filters(scope, true, 4);
    let bucket = breakdown.granularity.bucket_sql("month");
    let table = products_table(scope);
    let sql = format!(
        "SELECT {bucket} AS period, category_id, currency_code, count(DISTINCT product_id) \
         FROM reports.{table} \
         WHERE month >= $1 AND month < $2 AND items_sold > 0 AND category_id = ANY($3){scope_sql} \
         GROUP BY 1, 2, 3"
    );
    let (start, end) = breakdown.range();
    let mut query = sqlx::query_as::<_, (NaiveDate, Uuid, String, i64)>(sqlx::AssertSqlSafe(sql))
        .bind(start)
        .bind(end)
        .bind(categories);
    for id in &binds {
        query = query.bind(id);
    }
    Ok(query
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|(period, category, currency, products)| ((period, category, currency), products))
        .collect())
}
