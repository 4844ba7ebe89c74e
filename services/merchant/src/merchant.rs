//! `pos.merchant.v1.MerchantService`.

use tonic::{Request, Response, Status};

use pos_api::pos::merchant::v1 as pb;
use pos_api::pos::merchant::v1::merchant_service_server::MerchantService;
use pos_platform::ModuleContext;

use crate::error::MerchantError;

/// Handlers of `pos.merchant.v1.MerchantService`.
pub(crate) struct MerchantApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #6")]
    ctx: ModuleContext,
}

impl MerchantApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        MerchantApi { ctx }
    }
}

#[tonic::async_trait]
impl MerchantService for MerchantApi {
    async fn get_merchant(
        &self,
        _request: Request<pb::GetMerchantRequest>,
    ) -> Result<Response<pb::GetMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("GetMerchant").into())
    }

    async fn list_merchants(
        &self,
        _request: Request<pb::ListMerchantsRequest>,
    ) -> Result<Response<pb::ListMerchantsResponse>, Status> {
        Err(MerchantError::NotBuiltYet("ListMerchants").into())
    }

    async fn create_merchant(
        &self,
        _request: Request<pb::CreateMerchantRequest>,
    ) -> Result<Response<pb::CreateMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("CreateMerchant").into())
    }

    async fn update_merchant(
        &self,
        _request: Request<pb::UpdateMerchantRequest>,
    ) -> Result<Response<pb::UpdateMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("UpdateMerchant").into())
    }

    async fn approve_merchant(
        &self,
        _request: Request<pb::ApproveMerchantRequest>,
    ) -> Result<Response<pb::ApproveMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("ApproveMerchant").into())
    }

    async fn reject_merchant(
        &self,
        _request: Request<pb::RejectMerchantRequest>,
    ) -> Result<Response<pb::RejectMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("RejectMerchant").into())
    }

    async fn suspend_merchant(
        &self,
        _request: Request<pb::SuspendMerchantRequest>,
    ) -> Result<Response<pb::SuspendMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("SuspendMerchant").into())
    }

    async fn reactivate_merchant(
        &self,
        _request: Request<pb::ReactivateMerchantRequest>,
    ) -> Result<Response<pb::ReactivateMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("ReactivateMerchant").into())
    }

    async fn delete_merchant(
        &self,
        _request: Request<pb::DeleteMerchantRequest>,
    ) -> Result<Response<pb::DeleteMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("DeleteMerchant").into())
    }

    async fn restore_merchant(
        &self,
        _request: Request<pb::RestoreMerchantRequest>,
    ) -> Result<Response<pb::RestoreMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("RestoreMerchant").into())
    }

    async fn purge_merchant(
        &self,
        _request: Request<pb::PurgeMerchantRequest>,
    ) -> Result<Response<pb::PurgeMerchantResponse>, Status> {
        Err(MerchantError::NotBuiltYet("PurgeMerchant").into())
    }

    async fn restore_trashed_merchants(
        &self,
        _request: Request<pb::RestoreTrashedMerchantsRequest>,
    ) -> Result<Response<pb::RestoreTrashedMerchantsResponse>, Status> {
        Err(MerchantError::NotBuiltYet("RestoreTrashedMerchants").into())
    }

    async fn purge_trashed_merchants(
        &self,
        _request: Request<pb::PurgeTrashedMerchantsRequest>,
    ) -> Result<Response<pb::PurgeTrashedMerchantsResponse>, Status> {
        Err(MerchantError::NotBuiltYet("PurgeTrashedMerchants").into())
    }

    async fn request_settlement(
        &self,
        _request: Request<pb::RequestSettlementRequest>,
    ) -> Result<Response<pb::RequestSettlementResponse>, Status> {
        Err(MerchantError::NotBuiltYet("RequestSettlement").into())
    }

    async fn get_settlement(
        &self,
        _request: Request<pb::GetSettlementRequest>,
    ) -> Result<Response<pb::GetSettlementResponse>, Status> {
        Err(MerchantError::NotBuiltYet("GetSettlement").into())
    }

    async fn list_settlements(
        &self,
        _request: Request<pb::ListSettlementsRequest>,
    ) -> Result<Response<pb::ListSettlementsResponse>, Status> {
        Err(MerchantError::NotBuiltYet("ListSettlements").into())
    }
}
