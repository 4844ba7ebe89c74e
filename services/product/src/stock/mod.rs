//! Stock: the append-only ledger, AdjustStock (with compare-and-swap), and reservations for
//! orders (reserve all lines or none, commit, release, expiry).

mod access;
mod adjust;
pub(crate) mod expiry;
mod input;
pub(crate) mod ledger;
mod merchant;
mod movements;
pub(crate) mod reservation;
mod reserve;
pub(crate) mod settle;

use tonic::{Request, Response, Status};

use pos_api::pos::product::v1 as pb;
use pos_platform::{AuthContext, ModuleContext};

/// Handlers of the stock RPCs of `pos.product.v1.ProductService`.
pub(crate) struct StockApi {
    ctx: ModuleContext,
}

impl StockApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        StockApi { ctx }
    }

    pub(crate) async fn adjust_stock(
        &self,
        request: Request<pb::AdjustStockRequest>,
    ) -> Result<Response<pb::AdjustStockResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let response = adjust::adjust_stock(&self.ctx, &auth, request.into_inner()).await?;
        Ok(Response::new(response))
    }

    pub(crate) async fn list_stock_movements(
        &self,
        request: Request<pb::ListStockMovementsRequest>,
    ) -> Result<Response<pb::ListStockMovementsResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let response = movements::list_stock_movements(&self.ctx, &auth, request.into_inner()).await?;
        Ok(Response::new(response))
    }

    pub(crate) async fn reserve_stock(
        &self,
        request: Request<pb::ReserveStockRequest>,
    ) -> Result<Response<pb::ReserveStockResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let response = reserve::reserve_stock(&self.ctx, &auth, request.into_inner()).await?;
        Ok(Response::new(response))
    }

    pub(crate) async fn commit_reservation(
        &self,
        request: Request<pb::CommitReservationRequest>,
    ) -> Result<Response<pb::CommitReservationResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        let response = settle::commit_reservation(&self.ctx, auth, request.get_ref()).await?;
        Ok(Response::new(response))
    }

    pub(crate) async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> Result<Response<pb::ReleaseReservationResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        let response = settle::release_reservation(&self.ctx, auth, request.get_ref()).await?;
        Ok(Response::new(response))
    }

    pub(crate) async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> Result<Response<pb::GetReservationResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        let response = settle::get_reservation(&self.ctx, auth, request.get_ref()).await?;
        Ok(Response::new(response))
    }
}
