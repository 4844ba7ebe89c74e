//! `pos.order.v1.OrderService`.

use tonic::{Request, Response, Status};

use pos_api::pos::order::v1 as pb;
use pos_api::pos::order::v1::order_service_server::OrderService;
use pos_platform::ModuleContext;

use crate::error::OrderError;

/// Handlers of `pos.order.v1.OrderService`.
pub(crate) struct OrderApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #7")]
    ctx: ModuleContext,
}

impl OrderApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        OrderApi { ctx }
    }
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn get_order(
        &self,
        _request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        Err(OrderError::NotBuiltYet("GetOrder").into())
    }

    async fn list_orders(
        &self,
        _request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        Err(OrderError::NotBuiltYet("ListOrders").into())
    }

    async fn create_order(
        &self,
        _request: Request<pb::CreateOrderRequest>,
    ) -> Result<Response<pb::CreateOrderResponse>, Status> {
        Err(OrderError::NotBuiltYet("CreateOrder").into())
    }

    async fn update_order_lines(
        &self,
        _request: Request<pb::UpdateOrderLinesRequest>,
    ) -> Result<Response<pb::UpdateOrderLinesResponse>, Status> {
        Err(OrderError::NotBuiltYet("UpdateOrderLines").into())
    }

    async fn cancel_order(
        &self,
        _request: Request<pb::CancelOrderRequest>,
    ) -> Result<Response<pb::CancelOrderResponse>, Status> {
        Err(OrderError::NotBuiltYet("CancelOrder").into())
    }

    async fn refund_order(
        &self,
        _request: Request<pb::RefundOrderRequest>,
    ) -> Result<Response<pb::RefundOrderResponse>, Status> {
        Err(OrderError::NotBuiltYet("RefundOrder").into())
    }

    async fn get_receipt(
        &self,
        _request: Request<pb::GetReceiptRequest>,
    ) -> Result<Response<pb::GetReceiptResponse>, Status> {
        Err(OrderError::NotBuiltYet("GetReceipt").into())
    }

    async fn delete_order(
        &self,
        _request: Request<pb::DeleteOrderRequest>,
    ) -> Result<Response<pb::DeleteOrderResponse>, Status> {
        Err(OrderError::NotBuiltYet("DeleteOrder").into())
    }

    async fn restore_order(
        &self,
        _request: Request<pb::RestoreOrderRequest>,
    ) -> Result<Response<pb::RestoreOrderResponse>, Status> {
        Err(OrderError::NotBuiltYet("RestoreOrder").into())
    }

    async fn purge_order(
        &self,
        _request: Request<pb::PurgeOrderRequest>,
    ) -> Result<Response<pb::PurgeOrderResponse>, Status> {
        Err(OrderError::NotBuiltYet("PurgeOrder").into())
    }

    async fn restore_trashed_orders(
        &self,
        _request: Request<pb::RestoreTrashedOrdersRequest>,
    ) -> Result<Response<pb::RestoreTrashedOrdersResponse>, Status> {
        Err(OrderError::NotBuiltYet("RestoreTrashedOrders").into())
    }

    async fn purge_trashed_orders(
        &self,
        _request: Request<pb::PurgeTrashedOrdersRequest>,
    ) -> Result<Response<pb::PurgeTrashedOrdersResponse>, Status> {
        Err(OrderError::NotBuiltYet("PurgeTrashedOrders").into())
    }
}
