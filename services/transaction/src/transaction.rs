//! `pos.transaction.v1.TransactionService`.

use tonic::{Request, Response, Status};

use pos_api::pos::transaction::v1 as pb;
use pos_api::pos::transaction::v1::transaction_service_server::TransactionService;
use pos_platform::ModuleContext;

use crate::error::TransactionError;

/// Handlers of `pos.transaction.v1.TransactionService`.
pub(crate) struct TransactionApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #7")]
    ctx: ModuleContext,
}

impl TransactionApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        TransactionApi { ctx }
    }
}

#[tonic::async_trait]
impl TransactionService for TransactionApi {
    async fn get_transaction(
        &self,
        _request: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        Err(TransactionError::NotBuiltYet("GetTransaction").into())
    }

    async fn list_transactions(
        &self,
        _request: Request<pb::ListTransactionsRequest>,
    ) -> Result<Response<pb::ListTransactionsResponse>, Status> {
        Err(TransactionError::NotBuiltYet("ListTransactions").into())
    }

    async fn create_payment(
        &self,
        _request: Request<pb::CreatePaymentRequest>,
    ) -> Result<Response<pb::CreatePaymentResponse>, Status> {
        Err(TransactionError::NotBuiltYet("CreatePayment").into())
    }

    async fn void_payment(
        &self,
        _request: Request<pb::VoidPaymentRequest>,
    ) -> Result<Response<pb::VoidPaymentResponse>, Status> {
        Err(TransactionError::NotBuiltYet("VoidPayment").into())
    }

    async fn delete_transaction(
        &self,
        _request: Request<pb::DeleteTransactionRequest>,
    ) -> Result<Response<pb::DeleteTransactionResponse>, Status> {
        Err(TransactionError::NotBuiltYet("DeleteTransaction").into())
    }

    async fn restore_transaction(
        &self,
        _request: Request<pb::RestoreTransactionRequest>,
    ) -> Result<Response<pb::RestoreTransactionResponse>, Status> {
        Err(TransactionError::NotBuiltYet("RestoreTransaction").into())
    }

    async fn purge_transaction(
        &self,
        _request: Request<pb::PurgeTransactionRequest>,
    ) -> Result<Response<pb::PurgeTransactionResponse>, Status> {
        Err(TransactionError::NotBuiltYet("PurgeTransaction").into())
    }

    async fn restore_trashed_transactions(
        &self,
        _request: Request<pb::RestoreTrashedTransactionsRequest>,
    ) -> Result<Response<pb::RestoreTrashedTransactionsResponse>, Status> {
        Err(TransactionError::NotBuiltYet("RestoreTrashedTransactions").into())
    }

    async fn purge_trashed_transactions(
        &self,
        _request: Request<pb::PurgeTrashedTransactionsRequest>,
    ) -> Result<Response<pb::PurgeTrashedTransactionsResponse>, Status> {
        Err(TransactionError::NotBuiltYet("PurgeTrashedTransactions").into())
    }
}
