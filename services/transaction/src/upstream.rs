//! What the transaction module asks other modules, through their contracts (`ctx.clients`, with
//! the process's service credential): the order being paid and whether its merchant is active.
//! Handlers check what their own caller may do with what these return.

use chrono::{DateTime, Utc};
use tonic::Code;
use uuid::Uuid;

use pos_api::pos::merchant::v1::{GetMerchantRequest, MerchantStatus};
use pos_api::pos::order::v1::{GetOrderRequest, OrderState};
use pos_platform::ModuleContext;

use crate::error::TransactionError;
use crate::store::from_timestamp;

/// What a payment needs to know of its order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct OrderFacts {
    pub(crate) id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) state: OrderState,
    pub(crate) currency_code: String,
    pub(crate) total_minor: i64,
    pub(crate) expire_time: Option<DateTime<Utc>>,
    pub(crate) trashed: bool,
}

impl OrderFacts {
    /// Whether payments may be taken now: OPEN, not trashed, not past its expiry.
    pub(crate) fn is_open(&self, now: DateTime<Utc>) -> bool {
        self.state == OrderState::Open && !self.trashed && self.expire_time.is_none_or(|expiry| expiry > now)
    }
}

/// The order `order_id` (OrderService.GetOrder); ORDER_NOT_FOUND when it does not exist.
pub(crate) async fn order(ctx: &ModuleContext, order_id: Uuid) -> Result<OrderFacts, TransactionError> {
    let answer = ctx
        .clients
        .order()?
        .get_order(GetOrderRequest {
            order_id: order_id.to_string(),
        })
        .await;
    let order = match answer {
        Ok(response) => response
            .into_inner()
            .order
            .ok_or_else(|| anyhow::anyhow!("GetOrder answered without an order"))?,
        Err(status) if status.code() == Code::NotFound => {
            return Err(TransactionError::OrderNotFound(order_id.to_string()));
        }
        Err(status) => return Err(status.into()),
    };
    let total = order.total.unwrap_or_default();
    Ok(OrderFacts {
        id: order_id,
        merchant_id: Uuid::parse_str(&order.merchant_id)
            .map_err(|_| anyhow::anyhow!("GetOrder answered a merchant id that is not a UUID"))?,
        state: OrderState::try_from(order.state).unwrap_or(OrderState::Unspecified),
        currency_code: if total.currency_code.is_empty() {
            order.currency_code
        } else {
            total.currency_code
        },
        total_minor: total.amount_minor,
        expire_time: order.expire_time.as_ref().and_then(from_timestamp),
        trashed: order.delete_time.is_some(),
    })
}

/// Refuses a merchant that is not ACTIVE (suspended, pending, rejected, trashed or gone).
pub(crate) async fn require_active_merchant(
    ctx: &ModuleContext,
    merchant_id: Uuid,
) -> Result<(), TransactionError> {
    let answer = ctx
        .clients
        .merchant()?
        .get_merchant(GetMerchantRequest {
            merchant_id: merchant_id.to_string(),
        })
        .await;
    let merchant = match answer {
        Ok(response) => response.into_inner().merchant.unwrap_or_default(),
        Err(status) if status.code() == Code::NotFound => {
            return Err(TransactionError::MerchantNotActive(merchant_id.to_string()));
        }
        Err(status) => return Err(status.into()),
    };
    if merchant.delete_time.is_none() && merchant.status == i32::from(MerchantStatus::Active) {
        Ok(())
    } else {
        Err(TransactionError::MerchantNotActive(merchant_id.to_string()))
    }
}
