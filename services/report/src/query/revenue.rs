//! CompareRevenue and GetRevenueBreakdown: revenue totals per period and currency.
//!
//! Without an order in scope the figures come from `reports.monthly_sales` (or
//! `reports.monthly_category_sales` with a category in scope) and distinct products from the
//! products rollups; with an order, from that order's facts (`reports.sales`,
//! `reports.sale_lines`, `reports.refunds`, `reports.refund_lines`, read by `order_id`).

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::NaiveDate;
use sqlx::PgPool;
use uuid::Uuid;

use pos_api::pos::report::v1 as pb;

use super::{Locale, filters, money, products_table};
use crate::error::ReportError;
use crate::period::{Breakdown, Comparison, Granularity, PeriodKey};
use crate::scope::Scope;

/// How money figures are valued.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) enum Basis {
    /// Money paid for orders minus money refunded.
    Payments,
    /// Quantity × unit price of sold lines minus refunded lines.
    Lines,
}

impl Basis {
    /// The basis a request asks for: unspecified → LINES with a category in scope, else
    /// PAYMENTS; PAYMENTS with a category is `BASIS_NOT_SUPPORTED`.
    pub(crate) fn of(requested: i32, category_in_scope: bool) -> Result<Basis, ReportError> {
        match pb::RevenueBasis::try_from(requested) {
            Ok(pb::RevenueBasis::Unspecified) if category_in_scope => Ok(Basis::Lines),
            Ok(pb::RevenueBasis::Unspecified) => Ok(Basis::Payments),
            Ok(pb::RevenueBasis::Payments) if category_in_scope => Err(ReportError::BasisNotSupported),
            Ok(pb::RevenueBasis::Payments) => Ok(Basis::Payments),
            Ok(pb::RevenueBasis::Lines) => Ok(Basis::Lines),
            Err(_) => Err(ReportError::invalid(
                "basis",
                "must be REVENUE_BASIS_PAYMENTS, REVENUE_BASIS_LINES or unspecified",
            )),
        }
    }
}

/// The figures of one period and currency.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Totals {
    /// Value of the orders sold.
    pub(crate) gross: i64,
    /// Refunds made.
    pub(crate) refunded: i64,
    /// Distinct orders sold.
    pub(crate) order_count: i64,
    /// Items sold.
    pub(crate) items_sold: i64,
    /// Items refunded.
    pub(crate) items_refunded: i64,
    /// Distinct cashiers who sold.
    pub(crate) active_cashiers: i64,
    /// Distinct products sold.
    pub(crate) unique_products: i64,
}

impl Totals {
    fn message(self, period: PeriodKey, currency: &str, locale: &Locale) -> pb::RevenueTotals {
        pb::RevenueTotals {
            period: Some(period.message(locale.zone)),
            gross_sales: Some(money(currency, self.gross)),
            refunded: Some(money(currency, self.refunded)),
            revenue: Some(money(currency, self.gross - self.refunded)),
            order_count: self.order_count,
            items_sold: self.items_sold,
            items_refunded: self.items_refunded,
            active_cashiers: self.active_cashiers,
            unique_products_sold: self.unique_products,
        }
    }
}

/// Totals keyed by period and currency code.
type ByPeriod = BTreeMap<(PeriodKey, String), Totals>;

/// The requested period and the one before it, each with at least one row; a currency seen in
/// either period appears in both, and without activity the rows use the scope's currency.
pub(crate) async fn compare(
    db: &PgPool,
    comparison: Comparison,
    scope: &Scope,
    basis: Basis,
    locale: &Locale,
) -> Result<Vec<pb::RevenueTotals>, ReportError> {
    let found = totals(db, comparison.granularity, comparison.range(), scope, basis).await?;
    let mut currencies: BTreeSet<&str> = found.keys().map(|(_, currency)| currency.as_str()).collect();
    if currencies.is_empty() {
        currencies.insert(&locale.currency);
    }
    let mut rows = Vec::with_capacity(2 * currencies.len());
    for period in comparison.periods() {
        for currency in &currencies {
            let figures = found
                .get(&(period, (*currency).to_owned()))
                .copied()
                .unwrap_or_default();
            rows.push(figures.message(period, currency, locale));
        }
    }
    Ok(rows)
}

/// One row per period with activity and currency, by period then currency code.
pub(crate) async fn breakdown(
    db: &PgPool,
    breakdown: &Breakdown,
    scope: &Scope,
    basis: Basis,
    locale: &Locale,
) -> Result<Vec<pb::RevenueTotals>, ReportError> {
    let found = totals(db, breakdown.granularity, breakdown.range(), scope, basis).await?;
    Ok(found
        .into_iter()
        .map(|((period, currency), figures)| figures.message(period, &currency, locale))
        .collect())
}

/// The figures of every period of `granularity` in `range` with activity.
async fn totals(
    db: &PgPool,
    granularity: Granularity,
    range: (NaiveDate, NaiveDate),
    scope: &Scope,
    basis: Basis,
) -> Result<ByPeriod, ReportError> {
    if let Some(order_id) = scope.order_id {
        return order_totals(db, granularity, range, order_id, scope, basis).await;
    }
    let (table, gross, refunded) = match (scope.category_id.is_some(), basis) {
        (true, _) => ("monthly_category_sales", "gross_lines", "refunded_lines"),
        (false, Basis::Lines) => ("monthly_sales", "gross_lines", "refunded_lines"),
        (false, Basis::Payments) => ("monthly_sales", "gross_paid", "refunded_paid"),
    };
    let (scope_sql, binds) = filters(scope, table == "monthly_category_sales", 3);
    let bucket = granularity.bucket_sql("month");
    let sql = format!(
        "SELECT {bucket} AS period, currency_code, \
                sum({gross})::bigint, sum({refunded})::bigint, sum(order_count)::bigint, \
                sum(items_sold)::bigint, sum(items_refunded)::bigint, \
                count(DISTINCT cashier_id) FILTER (WHERE order_count > 0) \
         FROM reports.{table} \
         WHERE month >= $1 AND month < $2{scope_sql} \
         GROUP BY 1, 2"
    );
    let mut query =
        sqlx::query_as::<_, (NaiveDate, String, i64, i64, i64, i64, i64, i64)>(sqlx::AssertSqlSafe(sql))
            .bind(range.0)
            .bind(range.1);
    for id in &binds {
        query = query.bind(id);
    }
    // Both aggregates at once, on two connections.
    let (rows, products) = futures::try_join!(
        query.fetch_all(db),
        unique_products(db, granularity, range, scope)
    )?;
    let mut found = ByPeriod::new();
    for (start, currency, gross, refunded, order_count, items_sold, items_refunded, active_cashiers) in rows {
        found.insert(
            (PeriodKey::containing(granularity, start), currency),
            Totals {
                gross,
                refunded,
                order_count,
                items_sold,
                items_refunded,
                active_cashiers,
                unique_products: 0,
            },
        );
    }
    for ((period, currency), products) in products {
        if let Some(figures) = found.get_mut(&(period, currency)) {
            figures.unique_products = products;
        }
    }
    Ok(found)
}

/// Distinct products sold per period and currency (see [`products_table`]).
async fn unique_products(
    db: &PgPool,
    granularity: Granularity,
    range: (NaiveDate, NaiveDate),
    scope: &Scope,
) -> Result<Vec<((PeriodKey, String), i64)>, sqlx::Error> {
    let (scope_sql, binds) = filters(scope, true, 3);
    let bucket = granularity.bucket_sql("month");
    let table = products_table(scope);
    let sql = format!(
        "SELECT {bucket} AS period, currency_code, count(DISTINCT product_id) \
         FROM reports.{table} \
         WHERE month >= $1 AND month < $2 AND items_sold > 0{scope_sql} \
         GROUP BY 1, 2"
    );
    let mut query = sqlx::query_as::<_, (NaiveDate, String, i64)>(sqlx::AssertSqlSafe(sql))
        .bind(range.0)
        .bind(range.1);
    for id in &binds {
        query = query.bind(id);
    }
    Ok(query
        .fetch_all(db)
        .await?
        .into_iter()
        .map(|(start, currency, products)| ((PeriodKey::containing(granularity, start), currency), products))
        .collect())
}

/// One sold order (`reports.sales`).
#[derive(sqlx::FromRow)]
struct Sale {
    merchant_id: Uuid,
    cashier_id: Uuid,
    currency_code: String,
    business_date: NaiveDate,
    amount_paid: i64,
    lines_total: i64,
    items: i64,
}

/// The figures of one order: its sale in the period it was paid, its refunds in the periods they
/// were made; nothing when it was never sold or the other filters exclude it.
async fn order_totals(
    db: &PgPool,
    granularity: Granularity,
    range: (NaiveDate, NaiveDate),
    order_id: Uuid,
    scope: &Scope,
    basis: Basis,
) -> Result<ByPeriod, ReportError> {
    let mut found = ByPeriod::new();
    let sale: Option<Sale> = sqlx::query_as(
        "SELECT merchant_id, cashier_id, currency_code, business_date, amount_paid, lines_total, items \
         FROM reports.sales WHERE order_id = $1",
    )
    .bind(order_id)
    .fetch_optional(db)
    .await?;
    let Some(sale) = sale else {
        return Ok(found);
    };
    if scope.merchant_id.is_some_and(|id| id != sale.merchant_id)
        || scope.cashier_id.is_some_and(|id| id != sale.cashier_id)
    {
        return Ok(found);
    }
    let in_range = |date: NaiveDate| range.0 <= date && date < range.1;

    if in_range(sale.business_date) {
        // (product, quantity, unit price) of the lines in scope.
        let lines: Vec<(Uuid, i64, i64)> = match scope.category_id {
            Some(category_id) => {
                sqlx::query_as(
                    "SELECT product_id, quantity, unit_price FROM reports.sale_lines \
                     WHERE order_id = $1 AND category_id = $2",
                )
                .bind(order_id)
                .bind(category_id)
                .fetch_all(db)
                .await?
            }
            None => {
                sqlx::query_as(
                    "SELECT product_id, quantity, unit_price FROM reports.sale_lines WHERE order_id = $1",
                )
                .bind(order_id)
                .fetch_all(db)
                .await?
            }
        };
        let counted = scope.category_id.is_none() || !lines.is_empty();
        if counted {
            let products: HashSet<Uuid> = lines.iter().map(|(product, _, _)| *product).collect();
            let (gross, items) = if scope.category_id.is_some() {
                (
                    lines.iter().map(|(_, quantity, price)| quantity * price).sum(),
                    lines.iter().map(|(_, quantity, _)| quantity).sum(),
                )
            } else {
                let gross = match basis {
                    Basis::Payments => sale.amount_paid,
                    Basis::Lines => sale.lines_total,
                };
                (gross, sale.items)
            };
            let figures = found
                .entry((
                    PeriodKey::containing(granularity, sale.business_date),
                    sale.currency_code.clone(),
                ))
                .or_default();
            figures.gross += gross;
            figures.order_count += 1;
            figures.items_sold += items;
            figures.active_cashiers = 1;
            figures.unique_products = i64::try_from(products.len()).unwrap_or(i64::MAX);
        }
    }

    // (business date, amount, items) of each refund in the range, limited to the category's lines.
    let refunds: Vec<(NaiveDate, i64, i64)> = match scope.category_id {
        Some(category_id) => {
            sqlx::query_as(
                "SELECT r.business_date, sum(l.quantity * l.unit_price)::bigint, sum(l.quantity)::bigint \
                 FROM reports.refunds r JOIN reports.refund_lines l ON l.refund_id = r.refund_id \
                 WHERE r.order_id = $1 AND l.category_id = $2 \
                   AND r.business_date >= $3 AND r.business_date < $4 \
                 GROUP BY r.refund_id, r.business_date",
            )
            .bind(order_id)
            .bind(category_id)
            .bind(range.0)
            .bind(range.1)
            .fetch_all(db)
            .await?
        }
        None => {
            let amount = match basis {
                Basis::Payments => "amount",
                Basis::Lines => "lines_amount",
            };
            sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT business_date, {amount}, items FROM reports.refunds \
                 WHERE order_id = $1 AND business_date >= $2 AND business_date < $3"
            )))
            .bind(order_id)
            .bind(range.0)
            .bind(range.1)
            .fetch_all(db)
            .await?
        }
    };
    for (date, amount, items) in refunds {
        let figures = found
            .entry((
                PeriodKey::containing(granularity, date),
                sale.currency_code.clone(),
            ))
            .or_default();
        figures.refunded += amount;
        figures.items_refunded += items;
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_basis_defaults_by_scope_and_payments_is_refused_with_a_category() {
        let unspecified = pb::RevenueBasis::Unspecified as i32;
        let payments = pb::RevenueBasis::Payments as i32;
        let lines = pb::RevenueBasis::Lines as i32;
        assert_eq!(Basis::of(unspecified, false).unwrap(), Basis::Payments);
        assert_eq!(Basis::of(unspecified, true).unwrap(), Basis::Lines);
        assert_eq!(Basis::of(lines, false).unwrap(), Basis::Lines);
        assert_eq!(Basis::of(lines, true).unwrap(), Basis::Lines);
        assert!(matches!(
            Basis::of(payments, true),
            Err(ReportError::BasisNotSupported)
        ));
        assert!(matches!(
            Basis::of(9, false),
            Err(ReportError::InvalidField { .. })
        ));
    }
}
