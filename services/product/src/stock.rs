//! Stock: the append-only ledger, AdjustStock (with compare-and-swap), and reservations for
//! orders (reserve all lines or none, commit, release, expiry).

use tonic::{Request, Response, Status};

use pos_api::pos::product::v1 as pb;
use pos_platform::ModuleContext;

use crate::error::ProductError;

/// Handlers of the stock RPCs of `pos.product.v1.ProductService`.
pub(crate) struct StockApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #6")]
    ctx: ModuleContext,
}

impl StockApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        StockApi { ctx }
    }

    pub(crate) async fn adjust_stock(
        &self,
        _request: Request<pb::AdjustStockRequest>,
    ) -> Result<Response<pb::AdjustStockResponse>, Status> {
        Err(ProductError::NotBuiltYet("AdjustStock").into())
    }

    pub(crate) async fn list_stock_movements(
        &self,
        _request: Request<pb::ListStockMovementsRequest>,
    ) -> Result<Response<pb::ListStockMovementsResponse>, Status> {
        Err(ProductError::NotBuiltYet("ListStockMovements").into())
    }

    pub(crate) async fn reserve_stock(
        &self,
        _request: Request<pb::ReserveStockRequest>,
    ) -> Result<Response<pb::ReserveStockResponse>, Status> {
        Err(ProductError::NotBuiltYet("ReserveStock").into())
    }

    pub(crate) async fn commit_reservation(
        &self,
        _request: Request<pb::CommitReservationRequest>,
    ) -> Result<Response<pb::CommitReservationResponse>, Status> {
        Err(ProductError::NotBuiltYet("CommitReservation").into())
    }

    pub(crate) async fn release_reservation(
        &self,
        _request: Request<pb::ReleaseReservationRequest>,
    ) -> Result<Response<pb::ReleaseReservationResponse>, Status> {
        Err(ProductError::NotBuiltYet("ReleaseReservation").into())
    }

    pub(crate) async fn get_reservation(
        &self,
        _request: Request<pb::GetReservationRequest>,
    ) -> Result<Response<pb::GetReservationResponse>, Status> {
        Err(ProductError::NotBuiltYet("GetReservation").into())
    }
}
