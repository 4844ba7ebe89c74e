//! `pos.order.v1.CartService`: carts in Redis ([`store`]), priced now through the product module
//! ([`pricing`]), turned into orders by [`checkout`].

mod access;
mod checkout;
mod input;
mod pricing;
mod store;
mod upstream;

use tonic::{Request, Response, Status};
use uuid::Uuid;

use pos_api::pos::order::v1 as pb;
use pos_api::pos::order::v1::add_cart_line_request::Product as ProductRef;
use pos_api::pos::order::v1::cart_service_server::CartService;
use pos_platform::{AuthContext, ModuleContext};

use crate::error::OrderError;
use store::{CartStore, Refusal, StoredCart};

/// Handlers of `pos.order.v1.CartService`.
pub(crate) struct CartApi {
    ctx: ModuleContext,
    store: CartStore,
}

impl CartApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        let store = CartStore::new(ctx.redis.clone());
        CartApi { ctx, store }
    }

    /// Cart `cart_id` if the caller may use `permission` on it, else CART_NOT_FOUND or
    /// PERMISSION_DENIED.
    async fn cart_for(
        &self,
        auth: &AuthContext,
        permission: &'static str,
        cart_id: Uuid,
    ) -> Result<StoredCart, OrderError> {
        let cart = self
            .store
            .get(cart_id)
            .await?
            .ok_or_else(|| OrderError::CartNotFound(cart_id.to_string()))?;
        access::require_merchant(auth, permission, cart.merchant_id)?;
        Ok(cart)
    }

    async fn create(
        &self,
        auth: &AuthContext,
        request: pb::CreateCartRequest,
    ) -> Result<pb::Cart, OrderError> {
        let cart = request
            .cart
            .ok_or_else(|| OrderError::invalid("cart", "is required"))?;
        let merchant_id = input::id("cart.merchant_id", &cart.merchant_id)?;
        let cashier_id = input::id("cart.cashier_id", &cart.cashier_id)?;
        let cart_id = input::new_cart_id(&request.cart_id)?;
        access::require_opener(auth, merchant_id, cashier_id)?;
        let merchant = crate::upstream::active_merchant(&self.ctx, merchant_id).await?;
        crate::upstream::require_active_cashier(&self.ctx, merchant_id, cashier_id).await?;
        let cart = self
            .store
            .create(cart_id, merchant_id, cashier_id)
            .await?
            .map_err(|refusal| refused(cart_id, refusal, None))?;
        pricing::priced(&self.ctx, &cart, &merchant.currency_code).await
    }

    async fn add(&self, auth: &AuthContext, request: pb::AddCartLineRequest) -> Result<pb::Cart, OrderError> {
        let cart_id = input::id("cart_id", &request.cart_id)?;
        let units = input::units_to_add(request.quantity)?;
        let expected = input::expected_version(request.expected_version)?;
        let wanted = match request.product {
            Some(ProductRef::ProductId(id)) => Wanted::Id(input::id("product_id", &id)?),
            Some(ProductRef::Barcode(barcode)) if !barcode.trim().is_empty() => {
                Wanted::Barcode(barcode.trim().to_owned())
            }
            Some(ProductRef::Barcode(_)) => return Err(OrderError::invalid("barcode", "must not be empty")),
            None => {
                return Err(OrderError::invalid(
                    "product_id",
                    "exactly one of product_id and barcode must be set",
                ));
            }
        };
        let cart = self.cart_for(auth, access::WRITE, cart_id).await?;
        let merchant = crate::upstream::active_merchant(&self.ctx, cart.merchant_id).await?;
        let product = match wanted {
            Wanted::Id(id) => upstream::sellable_product(&self.ctx, cart.merchant_id, id).await?,
            Wanted::Barcode(barcode) => {
                upstream::product_by_barcode(&self.ctx, cart.merchant_id, &barcode).await?
            }
        };
        let product_id = Uuid::parse_str(&product.id).map_err(|_| {
            OrderError::Internal(anyhow::anyhow!(
                "the product module answered a product id that is not a UUID"
            ))
        })?;
        let available = product.available_quantity;
        let cart = self
            .store
            .add(cart_id, cart.merchant_id, expected, product_id, units, available)
            .await?
            .map_err(|refusal| refused(cart_id, refusal, Some((product_id, available))))?;
        pricing::priced(&self.ctx, &cart, &merchant.currency_code).await
    }

    async fn update(
        &self,
        auth: &AuthContext,
        request: pb::UpdateCartLineRequest,
    ) -> Result<pb::Cart, OrderError> {
        let cart_id = input::id("cart_id", &request.cart_id)?;
        let product_id = input::id("product_id", &request.product_id)?;
        let units = input::line_units(request.quantity)?;
        let expected = input::expected_version(request.expected_version)?;
        let cart = self.cart_for(auth, access::WRITE, cart_id).await?;
        // A product gone, trashed or of another merchant has nothing available: its line can only
        // be lowered or removed.
        let available = upstream::product(&self.ctx, product_id)
            .await?
            .filter(|product| {
                product.merchant_id == cart.merchant_id.to_string() && product.delete_time.is_none()
            })
            .map_or(0, |product| product.available_quantity);
        let cart = self
            .store
            .set(cart_id, cart.merchant_id, expected, product_id, units, available)
            .await?
            .map_err(|refusal| refused(cart_id, refusal, Some((product_id, available))))?;
        pricing::priced_cart(&self.ctx, &cart).await
    }

    async fn remove(
        &self,
        auth: &AuthContext,
        request: pb::RemoveCartLineRequest,
    ) -> Result<pb::Cart, OrderError> {
        let cart_id = input::id("cart_id", &request.cart_id)?;
        let product_id = input::id("product_id", &request.product_id)?;
        let expected = input::expected_version(request.expected_version)?;
        let cart = self.cart_for(auth, access::WRITE, cart_id).await?;
        let cart = self
            .store
            .remove(cart_id, cart.merchant_id, expected, product_id)
            .await?
            .map_err(|refusal| refused(cart_id, refusal, None))?;
        pricing::priced_cart(&self.ctx, &cart).await
    }

    async fn delete(&self, auth: &AuthContext, request: pb::DeleteCartRequest) -> Result<(), OrderError> {
        let cart_id = input::id("cart_id", &request.cart_id)?;
        let expected = input::expected_version(request.expected_version)?;
        let cart = self.cart_for(auth, access::WRITE, cart_id).await?;
        self.store
            .delete(cart_id, cart.merchant_id, expected)
            .await?
            .map_err(|refusal| refused(cart_id, refusal, None))
    }
}

/// The product AddCartLine adds.
enum Wanted {
    /// By id.
    Id(Uuid),
    /// By barcode, as scanned (trimmed).
    Barcode(String),
}

/// The error of a change Redis refused; `product` is the line's product and the units available.
fn refused(cart_id: Uuid, refusal: Refusal, product: Option<(Uuid, i64)>) -> OrderError {
    let cart = cart_id.to_string();
    match refusal {
        Refusal::NotFound => OrderError::CartNotFound(cart),
        Refusal::VersionMismatch(actual) => OrderError::CartVersionMismatch {
            cart_id: cart,
            actual,
        },
        Refusal::Full => OrderError::CartFull(cart),
        Refusal::LineNotFound => OrderError::CartLineNotFound {
            cart_id: cart,
            product_id: product.map(|(id, _)| id.to_string()).unwrap_or_default(),
        },
        Refusal::Short(requested) => {
            let (product_id, available) = product.unwrap_or_default();
            OrderError::InsufficientStock {
                product_id: product_id.to_string(),
                available: available.to_string(),
                requested: requested.to_string(),
            }
        }
        Refusal::TooMany(quantity) => input::too_many(quantity),
        Refusal::Exists => OrderError::CartExists(cart),
        Refusal::CheckoutRunning => OrderError::CartCheckoutRunning(cart),
    }
}

#[tonic::async_trait]
impl CartService for CartApi {
    async fn create_cart(
        &self,
        request: Request<pb::CreateCartRequest>,
    ) -> Result<Response<pb::CreateCartResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let cart = self.create(&auth, request.into_inner()).await?;
        Ok(Response::new(pb::CreateCartResponse { cart: Some(cart) }))
    }

    async fn get_cart(
        &self,
        request: Request<pb::GetCartRequest>,
    ) -> Result<Response<pb::GetCartResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        let cart_id = input::id("cart_id", &request.get_ref().cart_id)?;
        let cart = self.cart_for(auth, access::READ, cart_id).await?;
        let cart = pricing::priced_cart(&self.ctx, &cart).await?;
        Ok(Response::new(pb::GetCartResponse { cart: Some(cart) }))
    }

    async fn add_cart_line(
        &self,
        request: Request<pb::AddCartLineRequest>,
    ) -> Result<Response<pb::AddCartLineResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let cart = self.add(&auth, request.into_inner()).await?;
        Ok(Response::new(pb::AddCartLineResponse { cart: Some(cart) }))
    }

    async fn update_cart_line(
        &self,
        request: Request<pb::UpdateCartLineRequest>,
    ) -> Result<Response<pb::UpdateCartLineResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let cart = self.update(&auth, request.into_inner()).await?;
        Ok(Response::new(pb::UpdateCartLineResponse { cart: Some(cart) }))
    }

    async fn remove_cart_line(
        &self,
        request: Request<pb::RemoveCartLineRequest>,
    ) -> Result<Response<pb::RemoveCartLineResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let cart = self.remove(&auth, request.into_inner()).await?;
        Ok(Response::new(pb::RemoveCartLineResponse { cart: Some(cart) }))
    }

    async fn delete_cart(
        &self,
        request: Request<pb::DeleteCartRequest>,
    ) -> Result<Response<pb::DeleteCartResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        self.delete(&auth, request.into_inner()).await?;
        Ok(Response::new(pb::DeleteCartResponse {}))
    }

    async fn checkout_cart(
        &self,
        request: Request<pb::CheckoutCartRequest>,
    ) -> Result<Response<pb::CheckoutCartResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let message = request.into_inner();
        let cart_id = input::id("cart_id", &message.cart_id)?;
        let request_id = input::id("request_id", &message.request_id)?;
        let expected = input::expected_version(message.expected_version)?;
        let order = checkout::checkout(&self.ctx, &self.store, &auth, cart_id, request_id, expected).await?;
        Ok(Response::new(pb::CheckoutCartResponse { order: Some(order) }))
    }
}

#[cfg(test)]
mod tests {
    use tonic::Code;

    use super::*;
    use crate::error::reason_of;

    #[test]
    fn cart_refusals_carry_the_reasons_of_the_contract() {
        let cart = Uuid::now_v7();
        let product = Some((Uuid::now_v7(), 3));
        let cases = [
            (Refusal::NotFound, Code::NotFound, "CART_NOT_FOUND"),
            (
                Refusal::VersionMismatch(4),
                Code::Aborted,
                "CART_VERSION_MISMATCH",
            ),
            (Refusal::Full, Code::FailedPrecondition, "CART_FULL"),
            (Refusal::LineNotFound, Code::NotFound, "CART_LINE_NOT_FOUND"),
            (Refusal::Short(4), Code::FailedPrecondition, "INSUFFICIENT_STOCK"),
            (
                Refusal::TooMany(10_000),
                Code::InvalidArgument,
                "INVALID_ARGUMENT",
            ),
            (Refusal::Exists, Code::AlreadyExists, "CART_EXISTS"),
            (Refusal::CheckoutRunning, Code::Aborted, "REQUEST_IN_PROGRESS"),
        ];
        for (refusal, code, expected) in cases {
            let status = Status::from(refused(cart, refusal, product));
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason_of(&status).as_deref(), Some(expected));
        }
        let empty = Status::from(OrderError::CartEmpty(cart.to_string()));
        assert_eq!(reason_of(&empty).as_deref(), Some("CART_EMPTY"));
        let barcode = Status::from(OrderError::BarcodeNotFound("123".to_owned()));
        assert_eq!(reason_of(&barcode).as_deref(), Some("BARCODE_NOT_FOUND"));
        let redis = Status::from(OrderError::CartStoreUnavailable("connection refused".to_owned()));
        assert_eq!(redis.code(), Code::Unavailable);
    }
}
