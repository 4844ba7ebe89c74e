//! ComparePaymentStatuses and ComparePaymentMethods: final payments per period, method, status
//! and currency (`reports.monthly_payments`), zero-filled.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use sqlx::PgPool;

use pos_api::pos::report::v1 as pb;
use pos_api::pos::transaction::v1::{PaymentMethod, TransactionStatus};

use super::{Locale, filters, money};
use crate::error::ReportError;
use crate::period::{Comparison, PeriodKey};
use crate::scope::Scope;

/// Every payment method, in enum order.
const METHODS: [PaymentMethod; 4] = [
    PaymentMethod::Cash,
    PaymentMethod::Card,
    PaymentMethod::EWallet,
    PaymentMethod::BankTransfer,
];

/// The final statuses a request asks for, SUCCEEDED before FAILED: unspecified → both, PENDING →
/// `INVALID_STATUS`.
pub(crate) fn statuses(requested: i32) -> Result<Vec<TransactionStatus>, ReportError> {
    match TransactionStatus::try_from(requested) {
        Ok(TransactionStatus::Unspecified) => {
            Ok(vec![TransactionStatus::Succeeded, TransactionStatus::Failed])
        }
        Ok(status @ (TransactionStatus::Succeeded | TransactionStatus::Failed)) => Ok(vec![status]),
        Ok(TransactionStatus::Pending) => Err(ReportError::InvalidStatus),
        Err(_) => Err(ReportError::invalid(
            "status",
            "must be TRANSACTION_STATUS_SUCCEEDED, TRANSACTION_STATUS_FAILED or unspecified",
        )),
    }
}

/// The methods a request asks for, in enum order: unspecified → every method.
pub(crate) fn methods(requested: i32) -> Result<Vec<PaymentMethod>, ReportError> {
    match PaymentMethod::try_from(requested) {
        Ok(PaymentMethod::Unspecified) => Ok(METHODS.to_vec()),
        Ok(method) => Ok(vec![method]),
        Err(_) => Err(ReportError::invalid(
            "method",
            "must be a pos.transaction.v1.PaymentMethod or unspecified",
        )),
    }
}

/// Count and amount of payments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Count {
    transactions: i64,
    amount: i64,
}

/// Counts keyed by period, method, status and currency code.
type Counts = BTreeMap<(PeriodKey, i32, i32, String), Count>;

/// Payments of the comparison's range with one of `statuses` (and one of `method_codes`, when
/// given).
async fn counts(
    db: &PgPool,
    comparison: Comparison,
    scope: &Scope,
    statuses: &[TransactionStatus],
    method_codes: Option<Vec<i16>>,
) -> Result<Counts, ReportError> {
    let method_sql = if method_codes.is_some() {
        " AND method = ANY($4)"
    } else {
        ""
    };
    let first_scope_param = if method_codes.is_some() { 5 } else { 4 };
    let (scope_sql, binds) = filters(scope, false, first_scope_param);
    let bucket = comparison.granularity.bucket_sql("month");
    let sql = format!(
        "SELECT {bucket} AS period, method, status, currency_code, \
                sum(transaction_count)::bigint, sum(amount)::bigint \
         FROM reports.monthly_payments \
         WHERE month >= $1 AND month < $2 AND status = ANY($3){method_sql}{scope_sql} \
         GROUP BY 1, 2, 3, 4"
    );
    let (start, end) = comparison.range();
    let status_codes: Vec<i16> = statuses.iter().map(|status| code(*status as i32)).collect();
    let mut query = sqlx::query_as::<_, (NaiveDate, i16, i16, String, i64, i64)>(sqlx::AssertSqlSafe(sql))
        .bind(start)
        .bind(end)
        .bind(status_codes);
    if let Some(method_codes) = method_codes {
        query = query.bind(method_codes);
    }
    for id in &binds {
        query = query.bind(id);
    }
    let mut found = Counts::new();
    for (period, method, status, currency, transactions, amount) in query.fetch_all(db).await? {
        found.insert(
            (
                PeriodKey::containing(comparison.granularity, period),
                i32::from(method),
                i32::from(status),
                currency,
            ),
            Count { transactions, amount },
        );
    }
    Ok(found)
}

/// An enum value as the `smallint` the read model stores.
fn code(value: i32) -> i16 {
    i16::try_from(value).expect("payment enums are small")
}

/// The currencies of `found`, or the scope's currency when there are none.
fn currencies<'a>(found: &'a Counts, locale: &'a Locale) -> BTreeSet<&'a str> {
    let mut currencies: BTreeSet<&str> = found
        .keys()
        .map(|(_, _, _, currency)| currency.as_str())
        .collect();
    if currencies.is_empty() {
        currencies.insert(&locale.currency);
    }
    currencies
}

/// Per period (requested first), status (SUCCEEDED before FAILED) and currency, zero-filled.
pub(crate) async fn compare_statuses(
    db: &PgPool,
    comparison: Comparison,
    scope: &Scope,
    statuses: &[TransactionStatus],
    locale: &Locale,
) -> Result<Vec<pb::PaymentStatusTotal>, ReportError> {
    let found = counts(db, comparison, scope, statuses, None).await?;
    let mut by_status: BTreeMap<(PeriodKey, i32, &str), Count> = BTreeMap::new();
    for ((period, _, status, currency), count) in &found {
        let total = by_status
            .entry((*period, *status, currency.as_str()))
            .or_default();
        total.transactions += count.transactions;
        total.amount += count.amount;
    }
    let currencies = currencies(&found, locale);
    let mut rows = Vec::new();
    for period in comparison.periods() {
        for status in statuses {
            for currency in &currencies {
                let count = by_status
                    .get(&(period, *status as i32, currency))
                    .copied()
                    .unwrap_or_default();
                rows.push(pb::PaymentStatusTotal {
                    period: Some(period.message(locale.zone)),
                    status: *status as i32,
                    transaction_count: count.transactions,
                    amount: Some(money(currency, count.amount)),
                });
            }
        }
    }
    Ok(rows)
}

/// Per period (requested first), method (enum order), status (SUCCEEDED before FAILED) and
/// currency, zero-filled over the requested methods.
pub(crate) async fn compare_methods(
    db: &PgPool,
    comparison: Comparison,
    scope: &Scope,
    statuses: &[TransactionStatus],
    methods: &[PaymentMethod],
    locale: &Locale,
) -> Result<Vec<pb::PaymentMethodTotal>, ReportError> {
    let method_codes = methods.iter().map(|method| code(*method as i32)).collect();
    let found = counts(db, comparison, scope, statuses, Some(method_codes)).await?;
    let currencies = currencies(&found, locale);
    let mut rows = Vec::new();
    for period in comparison.periods() {
        for method in methods {
            for status in statuses {
                for currency in &currencies {
                    let count = found
                        .get(&(period, *method as i32, *status as i32, (*currency).to_owned()))
                        .copied()
                        .unwrap_or_default();
                    rows.push(pb::PaymentMethodTotal {
                        period: Some(period.message(locale.zone)),
                        method: *method as i32,
                        status: *status as i32,
                        transaction_count: count.transactions,
                        amount: Some(money(currency, count.amount)),
                    });
                }
            }
        }
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_is_refused_and_unspecified_means_both_final_statuses() {
        assert_eq!(
            statuses(0).unwrap(),
            [TransactionStatus::Succeeded, TransactionStatus::Failed]
        );
        assert_eq!(statuses(3).unwrap(), [TransactionStatus::Failed]);
        assert!(matches!(statuses(1), Err(ReportError::InvalidStatus)));
        assert!(matches!(statuses(42), Err(ReportError::InvalidField { .. })));
    }

    #[test]
    fn unspecified_method_means_every_method_in_enum_order() {
        assert_eq!(methods(0).unwrap(), METHODS);
        assert_eq!(methods(2).unwrap(), [PaymentMethod::Card]);
        assert!(matches!(methods(42), Err(ReportError::InvalidField { .. })));
    }
}
