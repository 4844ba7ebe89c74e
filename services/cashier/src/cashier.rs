//! `pos.cashier.v1.CashierService`.

use tonic::{Request, Response, Status};

use pos_api::pos::cashier::v1 as pb;
use pos_api::pos::cashier::v1::cashier_service_server::CashierService;
use pos_platform::ModuleContext;

use crate::error::CashierError;

/// Handlers of `pos.cashier.v1.CashierService`.
pub(crate) struct CashierApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #6")]
    ctx: ModuleContext,
}

impl CashierApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        CashierApi { ctx }
    }
}

#[tonic::async_trait]
impl CashierService for CashierApi {
    async fn get_cashier(
        &self,
        _request: Request<pb::GetCashierRequest>,
    ) -> Result<Response<pb::GetCashierResponse>, Status> {
        Err(CashierError::NotBuiltYet("GetCashier").into())
    }

    async fn list_cashiers(
        &self,
        _request: Request<pb::ListCashiersRequest>,
    ) -> Result<Response<pb::ListCashiersResponse>, Status> {
        Err(CashierError::NotBuiltYet("ListCashiers").into())
    }

    async fn create_cashier(
        &self,
        _request: Request<pb::CreateCashierRequest>,
    ) -> Result<Response<pb::CreateCashierResponse>, Status> {
        Err(CashierError::NotBuiltYet("CreateCashier").into())
    }

    async fn update_cashier(
        &self,
        _request: Request<pb::UpdateCashierRequest>,
    ) -> Result<Response<pb::UpdateCashierResponse>, Status> {
        Err(CashierError::NotBuiltYet("UpdateCashier").into())
    }

    async fn disable_cashier(
        &self,
        _request: Request<pb::DisableCashierRequest>,
    ) -> Result<Response<pb::DisableCashierResponse>, Status> {
        Err(CashierError::NotBuiltYet("DisableCashier").into())
    }

    async fn enable_cashier(
        &self,
        _request: Request<pb::EnableCashierRequest>,
    ) -> Result<Response<pb::EnableCashierResponse>, Status> {
        Err(CashierError::NotBuiltYet("EnableCashier").into())
    }

    async fn delete_cashier(
        &self,
        _request: Request<pb::DeleteCashierRequest>,
    ) -> Result<Response<pb::DeleteCashierResponse>, Status> {
        Err(CashierError::NotBuiltYet("DeleteCashier").into())
    }

    async fn restore_cashier(
        &self,
        _request: Request<pb::RestoreCashierRequest>,
    ) -> Result<Response<pb::RestoreCashierResponse>, Status> {
        Err(CashierError::NotBuiltYet("RestoreCashier").into())
    }

    async fn purge_cashier(
        &self,
        _request: Request<pb::PurgeCashierRequest>,
    ) -> Result<Response<pb::PurgeCashierResponse>, Status> {
        Err(CashierError::NotBuiltYet("PurgeCashier").into())
    }

    async fn restore_trashed_cashiers(
        &self,
        _request: Request<pb::RestoreTrashedCashiersRequest>,
    ) -> Result<Response<pb::RestoreTrashedCashiersResponse>, Status> {
        Err(CashierError::NotBuiltYet("RestoreTrashedCashiers").into())
    }

    async fn purge_trashed_cashiers(
        &self,
        _request: Request<pb::PurgeTrashedCashiersRequest>,
    ) -> Result<Response<pb::PurgeTrashedCashiersResponse>, Status> {
        Err(CashierError::NotBuiltYet("PurgeTrashedCashiers").into())
    }
}
