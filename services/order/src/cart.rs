//! `pos.order.v1.CartService`.

use tonic::{Request, Response, Status};

use pos_api::pos::order::v1 as pb;
use pos_api::pos::order::v1::cart_service_server::CartService;
use pos_platform::ModuleContext;

use crate::error::OrderError;

/// Handlers of `pos.order.v1.CartService`.
pub(crate) struct CartApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #7")]
    ctx: ModuleContext,
}

impl CartApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        CartApi { ctx }
    }
}

#[tonic::async_trait]
impl CartService for CartApi {
    async fn create_cart(
        &self,
        _request: Request<pb::CreateCartRequest>,
    ) -> Result<Response<pb::CreateCartResponse>, Status> {
        Err(OrderError::NotBuiltYet("CreateCart").into())
    }

    async fn get_cart(
        &self,
        _request: Request<pb::GetCartRequest>,
    ) -> Result<Response<pb::GetCartResponse>, Status> {
        Err(OrderError::NotBuiltYet("GetCart").into())
    }

    async fn add_cart_line(
        &self,
        _request: Request<pb::AddCartLineRequest>,
    ) -> Result<Response<pb::AddCartLineResponse>, Status> {
        Err(OrderError::NotBuiltYet("AddCartLine").into())
    }

    async fn update_cart_line(
        &self,
        _request: Request<pb::UpdateCartLineRequest>,
    ) -> Result<Response<pb::UpdateCartLineResponse>, Status> {
        Err(OrderError::NotBuiltYet("UpdateCartLine").into())
    }

    async fn remove_cart_line(
        &self,
        _request: Request<pb::RemoveCartLineRequest>,
    ) -> Result<Response<pb::RemoveCartLineResponse>, Status> {
        Err(OrderError::NotBuiltYet("RemoveCartLine").into())
    }

    async fn delete_cart(
        &self,
        _request: Request<pb::DeleteCartRequest>,
    ) -> Result<Response<pb::DeleteCartResponse>, Status> {
        Err(OrderError::NotBuiltYet("DeleteCart").into())
    }

    async fn checkout_cart(
        &self,
        _request: Request<pb::CheckoutCartRequest>,
    ) -> Result<Response<pb::CheckoutCartResponse>, Status> {
        Err(OrderError::NotBuiltYet("CheckoutCart").into())
    }
}
