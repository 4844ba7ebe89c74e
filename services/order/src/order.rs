//! `pos.order.v1.OrderService`.

use tonic::{Request, Response, Status};
use uuid::Uuid;

use pos_api::pos::order::v1 as pb;
use pos_api::pos::order::v1::order_service_server::OrderService;
use pos_platform::{AuthContext, ModuleContext};

use crate::create::{self, OrderDraft};
use crate::error::OrderError;
use crate::store::parse_id;
use crate::update::lines_of;
use crate::{cancel, lifecycle, read, receipt, refund, update};

/// Handlers of `pos.order.v1.OrderService`.
pub(crate) struct OrderApi {
    ctx: ModuleContext,
}

impl OrderApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        OrderApi { ctx }
    }
}

/// Runs `handler` with the request's caller and message, mapping its error to a status.
macro_rules! serve {
    ($self:ident, $request:ident, $handler:path) => {{
        let auth = AuthContext::require(&$request)?.clone();
        $handler(&$self.ctx, &auth, $request.get_ref())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }};
}

/// The request id of a creating request: required, a UUID.
fn request_id_of(value: &str) -> Result<Uuid, OrderError> {
    if value.is_empty() {
        return Err(OrderError::invalid("request_id", "is required"));
    }
    Uuid::parse_str(value).map_err(|_| OrderError::invalid("request_id", "must be a UUID"))
}

async fn create_order(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::CreateOrderRequest,
) -> Result<pb::CreateOrderResponse, OrderError> {
    let order = request
        .order
        .as_ref()
        .ok_or_else(|| OrderError::invalid("order", "is required"))?;
    let merchant_id = parse_id("order.merchant_id", &order.merchant_id)?;
    let cashier_id = parse_id("order.cashier_id", &order.cashier_id)?;
    let request_id = request_id_of(&request.request_id)?;
    let lines = lines_of("order.items", &order.items)?;
    let merged = create::merge_lines("order.items", &lines)?;
    let fingerprint = create::fingerprint(merchant_id, cashier_id, &merged);
    let draft = OrderDraft {
        merchant_id,
        cashier_id,
        lines,
    };
    let order = create::create_order(ctx, auth, draft, request_id, &fingerprint).await?;
    Ok(pb::CreateOrderResponse { order: Some(order) })
}

#[tonic::async_trait]
impl OrderService for OrderApi {
    async fn get_order(
        &self,
        request: Request<pb::GetOrderRequest>,
    ) -> Result<Response<pb::GetOrderResponse>, Status> {
        serve!(self, request, read::get_order)
    }

    async fn list_orders(
        &self,
        request: Request<pb::ListOrdersRequest>,
    ) -> Result<Response<pb::ListOrdersResponse>, Status> {
        serve!(self, request, read::list_orders)
    }

    async fn create_order(
        &self,
        request: Request<pb::CreateOrderRequest>,
    ) -> Result<Response<pb::CreateOrderResponse>, Status> {
        serve!(self, request, create_order)
    }

    async fn update_order_lines(
        &self,
        request: Request<pb::UpdateOrderLinesRequest>,
    ) -> Result<Response<pb::UpdateOrderLinesResponse>, Status> {
        serve!(self, request, update::update_order_lines)
    }

    async fn cancel_order(
        &self,
        request: Request<pb::CancelOrderRequest>,
    ) -> Result<Response<pb::CancelOrderResponse>, Status> {
        serve!(self, request, cancel::cancel_order)
    }

    async fn refund_order(
        &self,
        request: Request<pb::RefundOrderRequest>,
    ) -> Result<Response<pb::RefundOrderResponse>, Status> {
        serve!(self, request, refund::refund_order)
    }

    async fn get_receipt(
        &self,
        request: Request<pb::GetReceiptRequest>,
    ) -> Result<Response<pb::GetReceiptResponse>, Status> {
        serve!(self, request, receipt::get_receipt)
    }

    async fn delete_order(
        &self,
        request: Request<pb::DeleteOrderRequest>,
    ) -> Result<Response<pb::DeleteOrderResponse>, Status> {
        serve!(self, request, lifecycle::delete_order)
    }

    async fn restore_order(
        &self,
        request: Request<pb::RestoreOrderRequest>,
    ) -> Result<Response<pb::RestoreOrderResponse>, Status> {
        serve!(self, request, lifecycle::restore_order)
    }

    async fn purge_order(
        &self,
        request: Request<pb::PurgeOrderRequest>,
    ) -> Result<Response<pb::PurgeOrderResponse>, Status> {
        serve!(self, request, lifecycle::purge_order)
    }

    async fn restore_trashed_orders(
        &self,
        request: Request<pb::RestoreTrashedOrdersRequest>,
    ) -> Result<Response<pb::RestoreTrashedOrdersResponse>, Status> {
        serve!(self, request, lifecycle::restore_trashed_orders)
    }

    async fn purge_trashed_orders(
        &self,
        request: Request<pb::PurgeTrashedOrdersRequest>,
    ) -> Result<Response<pb::PurgeTrashedOrdersResponse>, Status> {
        serve!(self, request, lifecycle::purge_trashed_orders)
    }
}
