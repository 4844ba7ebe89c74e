//! `pos.cashier.v1.CashierService`: reads the caller's identity and hands each RPC to its handler.

use tonic::{Request, Response, Status};

use pos_api::pos::cashier::v1 as pb;
use pos_api::pos::cashier::v1::cashier_service_server::CashierService;
use pos_platform::{AuthContext, ModuleContext};

use crate::{create, lifecycle, read, update};

/// Handlers of `pos.cashier.v1.CashierService`.
pub(crate) struct CashierApi {
    ctx: ModuleContext,
}

impl CashierApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        CashierApi { ctx }
    }
}

/// Runs `$handler(ctx, auth, request)` and turns its result into a response.
macro_rules! handle {
    ($self:ident, $request:ident, $handler:path) => {{
        let auth = AuthContext::require(&$request)?.clone();
        let message = $request.into_inner();
        $handler(&$self.ctx, &auth, &message)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }};
    ($self:ident, $request:ident, $handler:path, owned) => {{
        let auth = AuthContext::require(&$request)?.clone();
        $handler(&$self.ctx, &auth, $request.into_inner())
            .await
            .map(Response::new)
            .map_err(Status::from)
    }};
}

#[tonic::async_trait]
impl CashierService for CashierApi {
    async fn get_cashier(
        &self,
        request: Request<pb::GetCashierRequest>,
    ) -> Result<Response<pb::GetCashierResponse>, Status> {
        handle!(self, request, read::get_cashier)
    }

    async fn list_cashiers(
        &self,
        request: Request<pb::ListCashiersRequest>,
    ) -> Result<Response<pb::ListCashiersResponse>, Status> {
        handle!(self, request, read::list_cashiers)
    }

    async fn create_cashier(
        &self,
        request: Request<pb::CreateCashierRequest>,
    ) -> Result<Response<pb::CreateCashierResponse>, Status> {
        handle!(self, request, create::create_cashier, owned)
    }

    async fn update_cashier(
        &self,
        request: Request<pb::UpdateCashierRequest>,
    ) -> Result<Response<pb::UpdateCashierResponse>, Status> {
        handle!(self, request, update::update_cashier, owned)
    }

    async fn disable_cashier(
        &self,
        request: Request<pb::DisableCashierRequest>,
    ) -> Result<Response<pb::DisableCashierResponse>, Status> {
        handle!(self, request, update::disable_cashier)
    }

    async fn enable_cashier(
        &self,
        request: Request<pb::EnableCashierRequest>,
    ) -> Result<Response<pb::EnableCashierResponse>, Status> {
        handle!(self, request, update::enable_cashier)
    }

    async fn delete_cashier(
        &self,
        request: Request<pb::DeleteCashierRequest>,
    ) -> Result<Response<pb::DeleteCashierResponse>, Status> {
        handle!(self, request, lifecycle::delete_cashier)
    }

    async fn restore_cashier(
        &self,
        request: Request<pb::RestoreCashierRequest>,
    ) -> Result<Response<pb::RestoreCashierResponse>, Status> {
        handle!(self, request, lifecycle::restore_cashier)
    }

    async fn purge_cashier(
        &self,
        request: Request<pb::PurgeCashierRequest>,
    ) -> Result<Response<pb::PurgeCashierResponse>, Status> {
        handle!(self, request, lifecycle::purge_cashier)
    }

    async fn restore_trashed_cashiers(
        &self,
        request: Request<pb::RestoreTrashedCashiersRequest>,
    ) -> Result<Response<pb::RestoreTrashedCashiersResponse>, Status> {
        handle!(self, request, lifecycle::restore_trashed_cashiers)
    }

    async fn purge_trashed_cashiers(
        &self,
        request: Request<pb::PurgeTrashedCashiersRequest>,
    ) -> Result<Response<pb::PurgeTrashedCashiersResponse>, Status> {
        handle!(self, request, lifecycle::purge_trashed_cashiers)
    }
}
