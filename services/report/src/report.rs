//! `pos.report.v1.ReportService`.

use tonic::{Request, Response, Status};

use pos_api::pos::report::v1 as pb;
use pos_api::pos::report::v1::report_service_server::ReportService;
use pos_platform::ModuleContext;

use crate::error::ReportError;

/// Handlers of `pos.report.v1.ReportService`.
pub(crate) struct ReportApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #8")]
    ctx: ModuleContext,
}

impl ReportApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        ReportApi { ctx }
    }
}

#[tonic::async_trait]
impl ReportService for ReportApi {
    async fn compare_revenue(
        &self,
        _request: Request<pb::CompareRevenueRequest>,
    ) -> Result<Response<pb::CompareRevenueResponse>, Status> {
        Err(ReportError::NotBuiltYet("CompareRevenue").into())
    }

    async fn get_revenue_breakdown(
        &self,
        _request: Request<pb::GetRevenueBreakdownRequest>,
    ) -> Result<Response<pb::GetRevenueBreakdownResponse>, Status> {
        Err(ReportError::NotBuiltYet("GetRevenueBreakdown").into())
    }

    async fn get_cashier_sales(
        &self,
        _request: Request<pb::GetCashierSalesRequest>,
    ) -> Result<Response<pb::GetCashierSalesResponse>, Status> {
        Err(ReportError::NotBuiltYet("GetCashierSales").into())
    }

    async fn get_category_sales(
        &self,
        _request: Request<pb::GetCategorySalesRequest>,
    ) -> Result<Response<pb::GetCategorySalesResponse>, Status> {
        Err(ReportError::NotBuiltYet("GetCategorySales").into())
    }

    async fn compare_payment_statuses(
        &self,
        _request: Request<pb::ComparePaymentStatusesRequest>,
    ) -> Result<Response<pb::ComparePaymentStatusesResponse>, Status> {
        Err(ReportError::NotBuiltYet("ComparePaymentStatuses").into())
    }

    async fn compare_payment_methods(
        &self,
        _request: Request<pb::ComparePaymentMethodsRequest>,
    ) -> Result<Response<pb::ComparePaymentMethodsResponse>, Status> {
        Err(ReportError::NotBuiltYet("ComparePaymentMethods").into())
    }
}
