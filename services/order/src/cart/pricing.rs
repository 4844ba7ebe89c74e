//! Pricing a cart now: each line at its product's current price and availability (ProductService,
//! served from the product module's cache), the subtotal, the tax and the total.

use chrono::{DateTime, Utc};
use futures::future::try_join_all;

use pos_api::pos::common::v1::Money;
use pos_api::pos::order::v1 as pb;
use pos_api::pos::product::v1 as product_pb;
use pos_platform::ModuleContext;

use super::store::StoredCart;
use super::upstream;
use crate::error::OrderError;

/// The merchants' tax rate in basis points: merchants have no tax rate yet.
const TAX_RATE_BASIS_POINTS: i64 = 0;

/// Tax on `subtotal` at `rate_basis_points` (1/100 of a percent), rounded half up.
pub(crate) fn tax_of(subtotal: i64, rate_basis_points: i64) -> Option<i64> {
    let scaled = i128::from(subtotal) * i128::from(rate_basis_points);
    i64::try_from((scaled + 5_000).div_euclid(10_000)).ok()
}

fn money(currency_code: &str, amount_minor: i64) -> Option<Money> {
    Some(Money {
        currency_code: currency_code.to_owned(),
        amount_minor,
    })
}

fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or_default(),
    }
}

fn overflow() -> OrderError {
    OrderError::Internal(anyhow::anyhow!("a cart amount overflows i64"))
}

/// One line priced with `product` (`None`: the product no longer exists, nothing is available).
fn line(
    currency_code: &str,
    product_id: uuid::Uuid,
    quantity: i64,
    product: Option<&product_pb::Product>,
) -> Result<pb::CartLine, OrderError> {
    let unit_price = product
        .and_then(|product| product.price.as_ref())
        .map_or(0, |price| price.amount_minor);
    // A trashed product cannot be sold, whatever its stock.
    let available_quantity = product
        .filter(|product| product.delete_time.is_none())
        .map_or(0, |product| product.available_quantity);
    let line_total = unit_price.checked_mul(quantity).ok_or_else(overflow)?;
    Ok(pb::CartLine {
        product_id: product_id.to_string(),
        product_name: product.map(|product| product.name.clone()).unwrap_or_default(),
        barcode: product.map(|product| product.barcode.clone()).unwrap_or_default(),
        quantity,
        unit_price: money(currency_code, unit_price),
        line_total: money(currency_code, line_total),
        available_quantity,
    })
}

/// `cart` priced now, in `currency_code` (the merchant's currency).
pub(crate) async fn priced(
    ctx: &ModuleContext,
    cart: &StoredCart,
    currency_code: &str,
) -> Result<pb::Cart, OrderError> {
    let products = try_join_all(
        cart.lines
            .iter()
            .map(|(product_id, _)| upstream::product(ctx, *product_id)),
    )
    .await?;
    let lines = cart
        .lines
        .iter()
        .zip(&products)
        .map(|((product_id, quantity), product)| {
            line(currency_code, *product_id, *quantity, product.as_ref())
        })
        .collect::<Result<Vec<_>, _>>()?;
    let subtotal = lines.iter().try_fold(0_i64, |sum, line| {
        sum.checked_add(line.line_total.as_ref().map_or(0, |total| total.amount_minor))
    });
    let subtotal = subtotal.ok_or_else(overflow)?;
    let tax = tax_of(subtotal, TAX_RATE_BASIS_POINTS).ok_or_else(overflow)?;
    let total = subtotal.checked_add(tax).ok_or_else(overflow)?;
    Ok(pb::Cart {
        id: cart.id.to_string(),
        merchant_id: cart.merchant_id.to_string(),
        cashier_id: cart.cashier_id.to_string(),
        lines,
        currency_code: currency_code.to_owned(),
        subtotal: money(currency_code, subtotal),
        tax: money(currency_code, tax),
        total: money(currency_code, total),
        version: cart.version,
        expire_time: Some(timestamp(cart.expire_time())),
        create_time: Some(timestamp(cart.create_time)),
        update_time: Some(timestamp(cart.update_time)),
    })
}

/// `cart` priced now, in its merchant's currency.
pub(crate) async fn priced_cart(ctx: &ModuleContext, cart: &StoredCart) -> Result<pb::Cart, OrderError> {
    let merchant = crate::upstream::merchant(ctx, cart.merchant_id)
        .await?
        .ok_or_else(|| OrderError::MerchantNotActive(cart.merchant_id.to_string()))?;
    priced(ctx, cart, &merchant.currency_code).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tax_is_rounded_half_up() {
        assert_eq!(tax_of(10_000, 0), Some(0));
        assert_eq!(tax_of(10_000, 1_100), Some(1_100));
        assert_eq!(tax_of(5, 1_000), Some(1));
        assert_eq!(tax_of(4, 1_000), Some(0));
    }
}
