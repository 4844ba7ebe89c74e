//! CheckoutCart: a cart becomes an OPEN order through [`create_order`], then the cart is deleted
//! if it did not change meanwhile. The checkout is remembered for
//! [`CHECKOUT_MEMORY`](super::store::CHECKOUT_MEMORY), so a retry with the same `request_id`
//! after the cart is gone returns the same order (the order module's idempotency answers it).

use uuid::Uuid;

use pos_api::pos::order::v1 as pb;
use pos_platform::{AuthContext, ModuleContext};

use super::access;
use super::store::{CartStore, Refusal, StoredCart};
use crate::create::{OrderDraft, create_order};
use crate::error::OrderError;

/// The idempotency fingerprint of checking out cart `cart_id`: the same `request_id` with another
/// cart (or with CreateOrder) is refused as reused.
fn fingerprint(cart_id: Uuid) -> Vec<u8> {
    let mut bytes = b"cart:".to_vec();
    bytes.extend_from_slice(cart_id.as_bytes());
    bytes
}

/// Checks out cart `cart_id` for `auth` under `request_id`.
pub(crate) async fn checkout(
    ctx: &ModuleContext,
    store: &CartStore,
    auth: &AuthContext,
    cart_id: Uuid,
    request_id: Uuid,
    expected_version: Option<i64>,
) -> Result<pb::Order, OrderError> {
    let Some(cart) = store.get(cart_id).await? else {
        return replay(ctx, store, auth, cart_id, request_id).await;
    };
    access::require_merchant(auth, access::WRITE, cart.merchant_id)?;
    if let Some(expected) = expected_version
        && expected != cart.version
    {
        return Err(OrderError::CartVersionMismatch {
            cart_id: cart_id.to_string(),
            actual: cart.version,
        });
    }
    if cart.lines.is_empty() {
        return Err(OrderError::CartEmpty(cart_id.to_string()));
    }
    if let Err(Refusal::CheckoutRunning) = store.lock_checkout(cart_id, request_id).await? {
        return Err(OrderError::CartCheckoutRunning(cart_id.to_string()));
    }
    let created = create_order(ctx, auth, draft(&cart), request_id, &fingerprint(cart_id)).await;
    let checked_out: Option<&StoredCart> = created.as_ref().ok().map(|_| &cart);
    if let Err(error) = store.finish_checkout(cart_id, request_id, checked_out).await {
        // The order exists; a retry finds the cart and gets the same order from the order
        // module's idempotency, then deletes the cart. The lock expires by itself.
        tracing::warn!(%cart_id, %error, "a checked-out cart could not be deleted");
    }
    created
}

/// A checkout of a cart that is gone: the order of the same `request_id`, if that request
/// checked the cart out, else CART_NOT_FOUND.
async fn replay(
    ctx: &ModuleContext,
    store: &CartStore,
    auth: &AuthContext,
    cart_id: Uuid,
    request_id: Uuid,
) -> Result<pb::Order, OrderError> {
    let remembered = store
        .checkout_of(cart_id)
        .await?
        .filter(|checkout| checkout.request_id == request_id)
        .ok_or_else(|| OrderError::CartNotFound(cart_id.to_string()))?;
    access::require_merchant(auth, access::WRITE, remembered.merchant_id)?;
    let draft = OrderDraft {
        merchant_id: remembered.merchant_id,
        cashier_id: remembered.cashier_id,
        lines: remembered.lines,
    };
    create_order(ctx, auth, draft, request_id, &fingerprint(cart_id)).await
}

fn draft(cart: &StoredCart) -> OrderDraft {
    OrderDraft {
        merchant_id: cart.merchant_id,
        cashier_id: cart.cashier_id,
        lines: cart.lines.clone(),
    }
}
