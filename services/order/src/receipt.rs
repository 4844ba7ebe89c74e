//! GetReceipt: the order with the merchant's header, the cashier's name and the successful
//! payments (read from the merchant, cashier and transaction modules).

use chrono::Utc;
use uuid::Uuid;

use pos_api::pos::order::v1 as pb;
use pos_api::pos::transaction::v1::PaymentMethod;
use pos_platform::{AuthContext, ModuleContext};

use crate::access;
use crate::error::OrderError;
use crate::store::{self, money, parse_id, timestamp};
use crate::upstream;

/// Returns the printable data of an order (see `OrderService.GetReceipt`).
pub(crate) async fn get_receipt(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GetReceiptRequest,
) -> Result<pb::GetReceiptResponse, OrderError> {
    let id = parse_id("order_id", &request.order_id)?;
    let (row, order) = {
        let mut conn = ctx.db.acquire().await?;
        let row = access::readable(auth, id, store::find(&mut conn, id).await?)?;
        let order = store::full(&mut conn, &row).await?;
        (row, order)
    };
    let merchant = upstream::merchant(ctx, row.merchant_id)
        .await?
        .unwrap_or_default();
    let cashier = upstream::cashier(ctx, row.cashier_id).await?.unwrap_or_default();
    let payments = upstream::payments(ctx, id).await;
    Ok(pb::GetReceiptResponse {
        receipt: Some(assemble(
            id,
            &row.currency_code,
            order,
            &merchant,
            &cashier.name,
            &payments,
        )),
    })
}

fn assemble(
    id: Uuid,
    currency: &str,
    order: pb::Order,
    merchant: &pos_api::pos::merchant::v1::Merchant,
    cashier_name: &str,
    payments: &[pos_api::pos::transaction::v1::Transaction],
) -> pb::Receipt {
    let amount =
        |value: Option<&pos_api::pos::common::v1::Money>| value.map_or(0, |money| money.amount_minor);
    let printed: Vec<pb::ReceiptPayment> = payments
        .iter()
        .map(|payment| {
            let paid = amount(payment.amount.as_ref());
            let tendered = payment
                .tendered
                .as_ref()
                .map_or(paid, |money| money.amount_minor)
                .max(paid);
            pb::ReceiptPayment {
                method: PaymentMethod::try_from(payment.method)
                    .unwrap_or(PaymentMethod::Unspecified)
                    .as_str_name()
                    .to_owned(),
                amount: Some(money(currency, paid)),
                tendered: Some(money(currency, tendered)),
                change: Some(money(currency, tendered - paid)),
                create_time: payment.complete_time.or(payment.create_time),
            }
        })
        .collect();
    let change = printed
        .iter()
        .map(|payment| amount(payment.change.as_ref()))
        .sum::<i64>();
    pb::Receipt {
        order_id: id.to_string(),
        order_state: order.state,
        merchant_name: merchant.name.clone(),
        merchant_address: merchant.address.clone(),
        merchant_phone: merchant.contact_phone.clone(),
        footer: merchant.receipt_footer.clone(),
        time_zone: merchant.time_zone.clone(),
        cashier_name: cashier_name.to_owned(),
        lines: order
            .items
            .iter()
            .map(|item| pb::ReceiptLine {
                product_name: item.product_name.clone(),
                quantity: item.quantity,
                unit_price: item.unit_price.clone(),
                line_total: item.line_total.clone(),
                refunded_quantity: item.refunded_quantity,
            })
            .collect(),
        currency_code: currency.to_owned(),
        subtotal: order.subtotal,
        tax_rate_basis_points: order.tax_rate_basis_points,
        tax: order.tax,
        total: order.total,
        payments: printed,
        amount_paid: order.amount_paid,
        change: Some(money(currency, change)),
        refunds: order.refunds,
        amount_refunded: order.amount_refunded,
        order_time: order.create_time,
        paid_time: order.paid_time,
        issue_time: Some(timestamp(Utc::now())),
    }
}
