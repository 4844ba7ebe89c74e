//! `pos.merchant.v1.MerchantDocumentService`.

use tonic::{Request, Response, Status};

use pos_api::pos::merchant::v1 as pb;
use pos_api::pos::merchant::v1::merchant_document_service_server::MerchantDocumentService;
use pos_platform::AuthContext;

use crate::{Shared, document, document_lifecycle};

/// Handlers of `pos.merchant.v1.MerchantDocumentService`.
pub(crate) struct MerchantDocumentApi {
    shared: Shared,
}

impl MerchantDocumentApi {
    pub(crate) fn new(shared: Shared) -> Self {
        MerchantDocumentApi { shared }
    }
}

#[tonic::async_trait]
impl MerchantDocumentService for MerchantDocumentApi {
    async fn get_merchant_document(
        &self,
        request: Request<pb::GetMerchantDocumentRequest>,
    ) -> Result<Response<pb::GetMerchantDocumentResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document::get_document(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn list_merchant_documents(
        &self,
        request: Request<pb::ListMerchantDocumentsRequest>,
    ) -> Result<Response<pb::ListMerchantDocumentsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document::list_documents(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn upload_merchant_document(
        &self,
        request: Request<pb::UploadMerchantDocumentRequest>,
    ) -> Result<Response<pb::UploadMerchantDocumentResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            document::upload_document(&self.shared, &auth, request.into_inner()).await?,
        ))
    }

    async fn replace_merchant_document_file(
        &self,
        request: Request<pb::ReplaceMerchantDocumentFileRequest>,
    ) -> Result<Response<pb::ReplaceMerchantDocumentFileResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            document::replace_file(&self.shared, &auth, request.into_inner()).await?,
        ))
    }

    async fn review_merchant_document(
        &self,
        request: Request<pb::ReviewMerchantDocumentRequest>,
    ) -> Result<Response<pb::ReviewMerchantDocumentResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document::review_document(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn download_merchant_document(
        &self,
        request: Request<pb::DownloadMerchantDocumentRequest>,
    ) -> Result<Response<pos_api::google::api::HttpBody>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document::download_document(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn delete_merchant_document(
        &self,
        request: Request<pb::DeleteMerchantDocumentRequest>,
    ) -> Result<Response<pb::DeleteMerchantDocumentResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document_lifecycle::delete_document(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_merchant_document(
        &self,
        request: Request<pb::RestoreMerchantDocumentRequest>,
    ) -> Result<Response<pb::RestoreMerchantDocumentResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document_lifecycle::restore_document(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn purge_merchant_document(
        &self,
        request: Request<pb::PurgeMerchantDocumentRequest>,
    ) -> Result<Response<pb::PurgeMerchantDocumentResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document_lifecycle::purge_document(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_trashed_merchant_documents(
        &self,
        request: Request<pb::RestoreTrashedMerchantDocumentsRequest>,
    ) -> Result<Response<pb::RestoreTrashedMerchantDocumentsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document_lifecycle::restore_trashed_documents(&self.shared, auth, request.get_ref()).await?,
        ))
    }

    async fn purge_trashed_merchant_documents(
        &self,
        request: Request<pb::PurgeTrashedMerchantDocumentsRequest>,
    ) -> Result<Response<pb::PurgeTrashedMerchantDocumentsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            document_lifecycle::purge_trashed_documents(&self.shared, auth, request.get_ref()).await?,
        ))
    }
}
