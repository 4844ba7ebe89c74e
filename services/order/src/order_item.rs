//! `pos.order.v1.OrderItemService`.

use tonic::{Request, Response, Status};

use pos_api::pos::order::v1 as pb;
use pos_api::pos::order::v1::order_item_service_server::OrderItemService;
use pos_platform::{AuthContext, ModuleContext};

use crate::read;

/// Handlers of `pos.order.v1.OrderItemService`.
pub(crate) struct OrderItemApi {
    ctx: ModuleContext,
}

impl OrderItemApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        OrderItemApi { ctx }
    }
}

#[tonic::async_trait]
impl OrderItemService for OrderItemApi {
    async fn list_order_items(
        &self,
        request: Request<pb::ListOrderItemsRequest>,
    ) -> Result<Response<pb::ListOrderItemsResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        read::list_order_items(&self.ctx, &auth, request.get_ref())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }
}
