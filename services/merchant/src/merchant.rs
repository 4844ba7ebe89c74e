//! `pos.merchant.v1.MerchantService`: each handler reads the caller's [`AuthContext`] (the access
//! layer already enforced the RPC's rule) and hands over to the module's operations.

use tonic::{Request, Response, Status};

use pos_api::pos::merchant::v1 as pb;
use pos_api::pos::merchant::v1::merchant_service_server::MerchantService;
use pos_platform::AuthContext;

use crate::transition::{self, APPROVE, REACTIVATE, REJECT, SUSPEND};
use crate::{Shared, create, lifecycle, read, settlement, update};

/// Handlers of `pos.merchant.v1.MerchantService`.
pub(crate) struct MerchantApi {
    shared: Shared,
}

impl MerchantApi {
    pub(crate) fn new(shared: Shared) -> Self {
        MerchantApi { shared }
    }
}

#[tonic::async_trait]
impl MerchantService for MerchantApi {
    async fn get_merchant(
        &self,
        request: Request<pb::GetMerchantRequest>,
    ) -> Result<Response<pb::GetMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            read::get_merchant(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn list_merchants(
        &self,
        request: Request<pb::ListMerchantsRequest>,
    ) -> Result<Response<pb::ListMerchantsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            read::list_merchants(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn create_merchant(
        &self,
        request: Request<pb::CreateMerchantRequest>,
    ) -> Result<Response<pb::CreateMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            create::create_merchant(&self.shared, &auth, request.into_inner()).await?,
        ))
    }

    async fn update_merchant(
        &self,
        request: Request<pb::UpdateMerchantRequest>,
    ) -> Result<Response<pb::UpdateMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            update::update_merchant(&self.shared, &auth, request.into_inner()).await?,
        ))
    }

    async fn approve_merchant(
        &self,
        request: Request<pb::ApproveMerchantRequest>,
    ) -> Result<Response<pb::ApproveMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        let merchant =
            transition::apply(&self.shared, auth, APPROVE, &request.get_ref().merchant_id, "").await?;
        Ok(Response::new(pb::ApproveMerchantResponse {
            merchant: Some(merchant),
        }))
    }

    async fn reject_merchant(
        &self,
        request: Request<pb::RejectMerchantRequest>,
    ) -> Result<Response<pb::RejectMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        let body = request.get_ref();
        let merchant = transition::apply(&self.shared, auth, REJECT, &body.merchant_id, &body.reason).await?;
        Ok(Response::new(pb::RejectMerchantResponse {
            merchant: Some(merchant),
        }))
    }

    async fn suspend_merchant(
        &self,
        request: Request<pb::SuspendMerchantRequest>,
    ) -> Result<Response<pb::SuspendMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        let body = request.get_ref();
        let merchant =
            transition::apply(&self.shared, auth, SUSPEND, &body.merchant_id, &body.reason).await?;
        Ok(Response::new(pb::SuspendMerchantResponse {
            merchant: Some(merchant),
        }))
    }

    async fn reactivate_merchant(
        &self,
        request: Request<pb::ReactivateMerchantRequest>,
    ) -> Result<Response<pb::ReactivateMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        let merchant =
            transition::apply(&self.shared, auth, REACTIVATE, &request.get_ref().merchant_id, "").await?;
        Ok(Response::new(pb::ReactivateMerchantResponse {
            merchant: Some(merchant),
        }))
    }

    async fn delete_merchant(
        &self,
        request: Request<pb::DeleteMerchantRequest>,
    ) -> Result<Response<pb::DeleteMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::delete_merchant(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_merchant(
        &self,
        request: Request<pb::RestoreMerchantRequest>,
    ) -> Result<Response<pb::RestoreMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_merchant(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn purge_merchant(
        &self,
        request: Request<pb::PurgeMerchantRequest>,
    ) -> Result<Response<pb::PurgeMerchantResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_merchant(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_trashed_merchants(
        &self,
        request: Request<pb::RestoreTrashedMerchantsRequest>,
    ) -> Result<Response<pb::RestoreTrashedMerchantsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_trashed_merchants(&self.shared, auth).await?,
        ))
    }

    async fn purge_trashed_merchants(
        &self,
        request: Request<pb::PurgeTrashedMerchantsRequest>,
    ) -> Result<Response<pb::PurgeTrashedMerchantsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_trashed_merchants(&self.shared, auth).await?,
        ))
    }

    async fn request_settlement(
        &self,
        request: Request<pb::RequestSettlementRequest>,
    ) -> Result<Response<pb::RequestSettlementResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            settlement::request_settlement(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn get_settlement(
        &self,
        request: Request<pb::GetSettlementRequest>,
    ) -> Result<Response<pb::GetSettlementResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            settlement::get_settlement(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn list_settlements(
        &self,
        request: Request<pb::ListSettlementsRequest>,
    ) -> Result<Response<pb::ListSettlementsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            settlement::list_settlements(&self.shared, auth, request.get_ref()).await?,
        ))
    }
}
