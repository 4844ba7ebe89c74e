//! `pos.order.v1.OrderItemService`.

use tonic::{Request, Response, Status};

use pos_api::pos::order::v1 as pb;
use pos_api::pos::order::v1::order_item_service_server::OrderItemService;
use pos_platform::ModuleContext;

use crate::error::OrderError;

/// Handlers of `pos.order.v1.OrderItemService`.
pub(crate) struct OrderItemApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #7")]
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
        _request: Request<pb::ListOrderItemsRequest>,
    ) -> Result<Response<pb::ListOrderItemsResponse>, Status> {
        Err(OrderError::NotBuiltYet("ListOrderItems").into())
    }
}
