//! What the order module asks other modules, through their contracts (`ctx.clients`, with the
//! process's service credential): the merchant (ACTIVE, currency, receipt header), the cashier,
//! the stock reservation of an order and the payments of an order. Callers check what their own
//! caller may do before calling these.

use std::time::Duration;

use tonic::Code;
use uuid::Uuid;

use pos_api::pos::cashier::v1 as cashier_pb;
use pos_api::pos::merchant::v1 as merchant_pb;
use pos_api::pos::product::v1 as product_pb;
use pos_api::pos::transaction::v1 as transaction_pb;
use pos_platform::ModuleContext;

use crate::error::{OrderError, reason_of};

/// How much longer than the order hold the stock reservation lasts, so the order module cancels
/// an unpaid order (and releases its stock) before the product module expires the reservation.
const RESERVATION_MARGIN: Duration = Duration::from_secs(5 * 60);

/// How long an unpaid order holds its stock.
pub(crate) fn order_hold(ctx: &ModuleContext) -> Duration {
    Duration::from_secs(ctx.config.order_hold_seconds)
}

/// The merchant `merchant_id` if it exists, is not trashed and is ACTIVE; MERCHANT_NOT_ACTIVE
/// otherwise.
pub(crate) async fn active_merchant(
    ctx: &ModuleContext,
    merchant_id: Uuid,
) -> Result<merchant_pb::Merchant, OrderError> {
    let merchant = merchant(ctx, merchant_id)
        .await?
        .ok_or_else(|| OrderError::MerchantNotActive(merchant_id.to_string()))?;
    let active = merchant.delete_time.is_none()
        && merchant_pb::MerchantStatus::try_from(merchant.status) == Ok(merchant_pb::MerchantStatus::Active);
    if active {
        Ok(merchant)
    } else {
        Err(OrderError::MerchantNotActive(merchant_id.to_string()))
    }
}

/// The merchant `merchant_id`, `None` when there is none.
pub(crate) async fn merchant(
    ctx: &ModuleContext,
    merchant_id: Uuid,
) -> Result<Option<merchant_pb::Merchant>, OrderError> {
    let answer = ctx
        .clients
        .merchant()?
        .get_merchant(merchant_pb::GetMerchantRequest {
            merchant_id: merchant_id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => Ok(response.into_inner().merchant),
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// The cashier `cashier_id`, `None` when there is none.
pub(crate) async fn cashier(
    ctx: &ModuleContext,
    cashier_id: Uuid,
) -> Result<Option<cashier_pb::Cashier>, OrderError> {
    let answer = ctx
        .clients
        .cashier()?
        .get_cashier(cashier_pb::GetCashierRequest {
            cashier_id: cashier_id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => Ok(response.into_inner().cashier),
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// Checks that cashier `cashier_id` exists, is enabled, not trashed and of `merchant_id`.
pub(crate) async fn require_active_cashier(
    ctx: &ModuleContext,
    merchant_id: Uuid,
    cashier_id: Uuid,
) -> Result<(), OrderError> {
    let ok = cashier(ctx, cashier_id).await?.is_some_and(|cashier| {
        !cashier.disabled && cashier.delete_time.is_none() && cashier.merchant_id == merchant_id.to_string()
    });
    if ok {
        Ok(())
    } else {
        Err(OrderError::CashierNotActive(cashier_id.to_string()))
    }
}

/// Sets the stock held for `order_id` to `lines` (all or none) for the order hold plus a margin;
/// the answer carries each product's snapshot (name, category, unit price).
pub(crate) async fn reserve(
    ctx: &ModuleContext,
    order_id: Uuid,
    merchant_id: Uuid,
    lines: &[(Uuid, i64)],
) -> Result<product_pb::StockReservation, OrderError> {
    let ttl = order_hold(ctx) + RESERVATION_MARGIN;
    let response = ctx
        .clients
        .product()?
        .reserve_stock(product_pb::ReserveStockRequest {
            order_id: order_id.to_string(),
            merchant_id: merchant_id.to_string(),
            lines: lines
                .iter()
                .map(|(product_id, quantity)| product_pb::ReservationLine {
                    product_id: product_id.to_string(),
                    quantity: *quantity,
                    ..Default::default()
                })
                .collect(),
            ttl: Some(prost_types::Duration {
                seconds: i64::try_from(ttl.as_secs()).unwrap_or(i64::MAX),
                nanos: 0,
            }),
        })
        .await
        .map_err(OrderError::from_reservation)?;
    response
        .into_inner()
        .reservation
        .ok_or_else(|| anyhow::anyhow!("ReserveStock answered without a reservation").into())
}

/// Releases the stock held for `order_id`; a reservation that does not exist is fine.
pub(crate) async fn release(ctx: &ModuleContext, order_id: Uuid) -> Result<(), OrderError> {
    let answer = ctx
        .clients
        .product()?
        .release_reservation(product_pb::ReleaseReservationRequest {
            order_id: order_id.to_string(),
        })
        .await;
    match answer {
        Ok(_) => Ok(()),
        Err(status) if reason_of(&status).as_deref() == Some("RESERVATION_NOT_FOUND") => Ok(()),
        Err(status) => Err(status.into()),
    }
}

/// [`release`], logging a failure (used to undo a reservation whose order was not written; the
/// reservation then expires on its own).
pub(crate) async fn release_quietly(ctx: &ModuleContext, order_id: Uuid) {
    if let Err(error) = release(ctx, order_id).await {
        tracing::warn!(%order_id, %error, "could not release the reservation of an order that was not written; it will expire");
    }
}

/// The successful payments of `order_id`, oldest first; none when the transaction module does not
/// answer (the receipt is still printed).
pub(crate) async fn payments(ctx: &ModuleContext, order_id: Uuid) -> Vec<transaction_pb::Transaction> {
    let request = transaction_pb::ListTransactionsRequest {
        page_size: 500,
        order_id: order_id.to_string(),
        kind: transaction_pb::TransactionKind::Payment.into(),
        status: transaction_pb::TransactionStatus::Succeeded.into(),
        ..Default::default()
    };
    let answer = match ctx.clients.transaction() {
        Ok(mut client) => client.list_transactions(request).await,
        Err(error) => {
            tracing::warn!(%order_id, %error, "no transaction module to read the payments of a receipt");
            return Vec::new();
        }
    };
    match answer {
        Ok(response) => {
            let mut payments = response.into_inner().transactions;
            payments.sort_by_key(|payment| {
                payment
                    .create_time
                    .as_ref()
                    .map(|time| (time.seconds, time.nanos))
            });
            payments
        }
        Err(status) => {
            tracing::warn!(%order_id, code = ?status.code(), message = status.message(), "could not read the payments of a receipt");
            Vec::new()
        }
    }
}
