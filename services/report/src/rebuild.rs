//! Recomputing the read model from the event history (`cargo xtask reports rebuild`).
//!
//! The facts (`reports.sales`, `sale_lines`, `refunds`, `refund_lines`, `payments`) are the
//! module's journal of every event it applied. A rebuild empties the rollups and sums the facts
//! again with the statements the ingest uses (see [`crate::rollup`]), in one transaction that
//! holds the facts still (SHARE lock): consumers wait for it, then carry on adding to the
//! rebuilt rows, so nothing is counted twice or missed.

use sqlx::PgPool;

use crate::rollup::{self, Facts};

/// What a rebuild summed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rebuilt {
    /// Orders sold.
    pub sales: i64,
    /// Refunds of sold orders.
    pub refunds: i64,
    /// Payments that reached a final status.
    pub payments: i64,
}

/// Empties the rollups and recomputes them from the facts, in one transaction.
pub async fn rebuild(db: &PgPool) -> Result<Rebuilt, sqlx::Error> {
    let mut tx = db.begin().await?;
    sqlx::query!(
        "LOCK TABLE reports.sales, reports.sale_lines, reports.refunds, reports.refund_lines, reports.payments \
         IN SHARE MODE",
    )
    .execute(&mut *tx)
    .await?;
    let truncate = format!("TRUNCATE {}", rollup::TABLES.join(", "));
    sqlx::query(sqlx::AssertSqlSafe(truncate))
        .execute(&mut *tx)
        .await?;
    rollup::add_sales(&mut tx, Facts::All).await?;
    rollup::add_refunds(&mut tx, Facts::All).await?;
    rollup::add_payments(&mut tx, Facts::All).await?;
    let counted = sqlx::query!(
        r#"SELECT (SELECT count(*) FROM reports.sales) AS "sales!",
                  (SELECT count(*) FROM reports.refunds) AS "refunds!",
                  (SELECT count(*) FROM reports.payments) AS "payments!""#,
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Rebuilt {
        sales: counted.sales,
        refunds: counted.refunds,
        payments: counted.payments,
    })
}
