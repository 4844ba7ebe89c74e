//! `pos.merchant.v1.MerchantDocumentService`.

use tonic::{Request, Response, Status};

use pos_api::pos::merchant::v1 as pb;
use pos_api::pos::merchant::v1::merchant_document_service_server::MerchantDocumentService;
use pos_platform::ModuleContext;

use crate::error::MerchantError;

/// Handlers of `pos.merchant.v1.MerchantDocumentService`.
pub(crate) struct MerchantDocumentApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #6")]
    ctx: ModuleContext,
}

impl MerchantDocumentApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        MerchantDocumentApi { ctx }
    }
}

#[tonic::async_trait]
impl MerchantDocumentService for MerchantDocumentApi {
    async fn get_merchant_document(
        &self,
        _request: Request<pb::GetMerchantDocumentRequest>,
    ) -> Result<Response<pb::GetMerchantDocumentResponse>, Status> {
        Err(MerchantError::NotBuiltYet("GetMerchantDocument").into())
    }

    async fn list_merchant_documents(
        &self,
        _request: Request<pb::ListMerchantDocumentsRequest>,
    ) -> Result<Response<pb::ListMerchantDocumentsResponse>, Status> {
        Err(MerchantError::NotBuiltYet("ListMerchantDocuments").into())
    }

    async fn upload_merchant_document(
        &self,
        _request: Request<pb::UploadMerchantDocumentRequest>,
    ) -> Result<Response<pb::UploadMerchantDocumentResponse>, Status> {
        Err(MerchantError::NotBuiltYet("UploadMerchantDocument").into())
    }

    async fn replace_merchant_document_file(
        &self,
        _request: Request<pb::ReplaceMerchantDocumentFileRequest>,
    ) -> Result<Response<pb::ReplaceMerchantDocumentFileResponse>, Status> {
        Err(MerchantError::NotBuiltYet("ReplaceMerchantDocumentFile").into())
    }

    async fn review_merchant_document(
        &self,
        _request: Request<pb::ReviewMerchantDocumentRequest>,
    ) -> Result<Response<pb::ReviewMerchantDocumentResponse>, Status> {
        Err(MerchantError::NotBuiltYet("ReviewMerchantDocument").into())
    }

    async fn download_merchant_document(
        &self,
        _request: Request<pb::DownloadMerchantDocumentRequest>,
    ) -> Result<Response<pos_api::google::api::HttpBody>, Status> {
        Err(MerchantError::NotBuiltYet("DownloadMerchantDocument").into())
    }

    async fn delete_merchant_document(
        &self,
        _request: Request<pb::DeleteMerchantDocumentRequest>,
    ) -> Result<Response<pb::DeleteMerchantDocumentResponse>, Status> {
        Err(MerchantError::NotBuiltYet("DeleteMerchantDocument").into())
    }

    async fn restore_merchant_document(
        &self,
        _request: Request<pb::RestoreMerchantDocumentRequest>,
    ) -> Result<Response<pb::RestoreMerchantDocumentResponse>, Status> {
        Err(MerchantError::NotBuiltYet("RestoreMerchantDocument").into())
    }

    async fn purge_merchant_document(
        &self,
        _request: Request<pb::PurgeMerchantDocumentRequest>,
    ) -> Result<Response<pb::PurgeMerchantDocumentResponse>, Status> {
        Err(MerchantError::NotBuiltYet("PurgeMerchantDocument").into())
    }

    async fn restore_trashed_merchant_documents(
        &self,
        _request: Request<pb::RestoreTrashedMerchantDocumentsRequest>,
    ) -> Result<Response<pb::RestoreTrashedMerchantDocumentsResponse>, Status> {
        Err(MerchantError::NotBuiltYet("RestoreTrashedMerchantDocuments").into())
    }

    async fn purge_trashed_merchant_documents(
        &self,
        _request: Request<pb::PurgeTrashedMerchantDocumentsRequest>,
    ) -> Result<Response<pb::PurgeTrashedMerchantDocumentsResponse>, Status> {
        Err(MerchantError::NotBuiltYet("PurgeTrashedMerchantDocuments").into())
    }
}
