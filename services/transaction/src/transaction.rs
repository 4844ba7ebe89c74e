//! `pos.transaction.v1.TransactionService`: reads the caller's identity and hands each RPC to its handler.

use std::sync::Arc;

use tonic::{Request, Response, Status};

use pos_api::pos::transaction::v1 as pb;
use pos_api::pos::transaction::v1::transaction_service_server::TransactionService;
use pos_platform::{AuthContext, ModuleContext};

use crate::processor::PaymentProcessor;
use crate::{lifecycle, payment, read, void};

/// Handlers of `pos.transaction.v1.TransactionService`.
pub(crate) struct TransactionApi {
    ctx: ModuleContext,
    processor: Arc<dyn PaymentProcessor>,
    gate: payment::KeyGate,
}

impl TransactionApi {
    pub(crate) fn new(ctx: ModuleContext, processor: Arc<dyn PaymentProcessor>) -> Self {
        TransactionApi {
            ctx,
            processor,
            gate: payment::KeyGate::default(),
        }
    }
}

/// Runs `$handler(ctx, [processor,] auth, request)` and turns its result into a response.
macro_rules! handle {
    ($self:ident, $request:ident, $handler:path) => {{
        let auth = AuthContext::require(&$request)?.clone();
        let message = $request.into_inner();
        $handler(&$self.ctx, &auth, &message)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }};
    ($self:ident, $request:ident, $handler:path, processor) => {{
        let auth = AuthContext::require(&$request)?.clone();
        let message = $request.into_inner();
        $handler(&$self.ctx, &$self.processor, &auth, &message)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }};
}

#[tonic::async_trait]
impl TransactionService for TransactionApi {
    async fn get_transaction(
        &self,
        request: Request<pb::GetTransactionRequest>,
    ) -> Result<Response<pb::GetTransactionResponse>, Status> {
        handle!(self, request, read::get_transaction)
    }

    async fn list_transactions(
        &self,
        request: Request<pb::ListTransactionsRequest>,
    ) -> Result<Response<pb::ListTransactionsResponse>, Status> {
        handle!(self, request, read::list_transactions)
    }

    async fn create_payment(
        &self,
        request: Request<pb::CreatePaymentRequest>,
    ) -> Result<Response<pb::CreatePaymentResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let message = request.into_inner();
        payment::create_payment(&self.ctx, &self.processor, &self.gate, &auth, &message)
            .await
            .map(Response::new)
            .map_err(Status::from)
    }

    async fn void_payment(
        &self,
        request: Request<pb::VoidPaymentRequest>,
    ) -> Result<Response<pb::VoidPaymentResponse>, Status> {
        handle!(self, request, void::void_payment, processor)
    }

    async fn delete_transaction(
        &self,
        request: Request<pb::DeleteTransactionRequest>,
    ) -> Result<Response<pb::DeleteTransactionResponse>, Status> {
        handle!(self, request, lifecycle::delete_transaction)
    }

    async fn restore_transaction(
        &self,
        request: Request<pb::RestoreTransactionRequest>,
    ) -> Result<Response<pb::RestoreTransactionResponse>, Status> {
        handle!(self, request, lifecycle::restore_transaction)
    }

    async fn purge_transaction(
        &self,
        request: Request<pb::PurgeTransactionRequest>,
    ) -> Result<Response<pb::PurgeTransactionResponse>, Status> {
        handle!(self, request, lifecycle::purge_transaction)
    }

    async fn restore_trashed_transactions(
        &self,
        request: Request<pb::RestoreTrashedTransactionsRequest>,
    ) -> Result<Response<pb::RestoreTrashedTransactionsResponse>, Status> {
        handle!(self, request, lifecycle::restore_trashed_transactions)
    }

    async fn purge_trashed_transactions(
        &self,
        request: Request<pb::PurgeTrashedTransactionsRequest>,
    ) -> Result<Response<pb::PurgeTrashedTransactionsResponse>, Status> {
        handle!(self, request, lifecycle::purge_trashed_transactions)
    }
}
