//! `pos.report.v1.ReportService`: validates the period, narrows the filters to the caller's
//! scope, then answers from the cache or the read model ([`crate::query`]).

use tonic::{Request, Response, Status};

use pos_api::Module;
use pos_api::pos::report::v1 as pb;
use pos_api::pos::report::v1::report_service_server::ReportService;
use pos_platform::{AuthContext, ModuleContext};

use crate::cache::{AnswerCache, Keys};
use crate::error::ReportError;
use crate::period;
use crate::query::revenue::Basis;
use crate::query::{self, cashiers, categories, payments, revenue};
use crate::scope::{self, Requested, Scope};

/// Handlers of `pos.report.v1.ReportService`.
pub(crate) struct ReportApi {
    ctx: ModuleContext,
    cache: AnswerCache,
}

impl ReportApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        let cache = AnswerCache::new(
            ctx.redis.clone(),
            ctx.config.report_cache_seconds,
            Keys::new(&ctx.config.kafka_namespace),
        );
        ReportApi { ctx, cache }
    }
}

/// What an answer depends on besides the read model: the cache key (with the effective scope,
/// so callers with the same view share answers) and, without the page token, the fingerprint
/// page tokens are bound to.
#[derive(Clone, Copy, Debug, serde::Serialize)]
struct Key<'a> {
    rpc: &'static str,
    granularity: i32,
    year: i32,
    /// 0 when ignored (YEAR, breakdowns).
    month: i32,
    scope: Scope,
    basis: Option<Basis>,
    status: i32,
    method: i32,
    page_size: u32,
    page_token: &'a str,
}

impl<'a> Key<'a> {
    fn new(rpc: &'static str, granularity: i32, year: i32, scope: Scope) -> Self {
        Key {
            rpc,
            granularity,
            year,
            month: 0,
            scope,
            basis: None,
            status: 0,
            method: 0,
            page_size: 0,
            page_token: "",
        }
    }

    /// The filters a page token is bound to (every field but the page size and token).
    fn page_filters(self) -> Key<'a> {
        Key {
            page_size: 0,
            page_token: "",
            ..self
        }
    }
}

/// `month` as the comparison uses it (ignored for YEAR).
fn effective_month(comparison: period::Comparison) -> i32 {
    i32::try_from(comparison.current.month).expect("months are 0-12")
}

#[tonic::async_trait]
impl ReportService for ReportApi {
    async fn compare_revenue(
        &self,
        request: Request<pb::CompareRevenueRequest>,
    ) -> Result<Response<pb::CompareRevenueResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let request = request.into_inner();
        let comparison = period::comparison(request.granularity, request.year, request.month)?;
        let scope = scope::resolve(
            &auth,
            Requested {
                merchant_id: &request.merchant_id,
                cashier_id: &request.cashier_id,
                category_id: &request.category_id,
                order_id: &request.order_id,
            },
        )?;
        let basis = Basis::of(request.basis, scope.category_id.is_some())?;
        let key = Key {
            month: effective_month(comparison),
            basis: Some(basis),
            ..Key::new("CompareRevenue", request.granularity, request.year, scope)
        };
        let (db, clients, currency) = (&self.ctx.db, &self.ctx.clients, &self.ctx.config.default_currency);
        let answer = self
            .cache
            .get_or_compute(key.rpc, scope.merchant_id, &key, || async {
                let (as_of_time, locale) = query::as_of_and_locale(db, clients, currency, &scope).await?;
                let totals = revenue::compare(db, comparison, &scope, basis, &locale).await?;
                Ok::<_, ReportError>(pb::CompareRevenueResponse {
                    totals,
                    time_zone: locale.zone_name,
                    as_of_time: Some(as_of_time),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn get_revenue_breakdown(
        &self,
        request: Request<pb::GetRevenueBreakdownRequest>,
    ) -> Result<Response<pb::GetRevenueBreakdownResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let request = request.into_inner();
        let breakdown = period::breakdown(request.granularity, request.year)?;
        let scope = scope::resolve(
            &auth,
            Requested {
                merchant_id: &request.merchant_id,
                cashier_id: &request.cashier_id,
                ..Requested::default()
            },
        )?;
        let basis = Basis::of(request.basis, false)?;
        let key = Key {
            basis: Some(basis),
            ..Key::new("GetRevenueBreakdown", request.granularity, request.year, scope)
        };
        let (db, clients, currency) = (&self.ctx.db, &self.ctx.clients, &self.ctx.config.default_currency);
        let answer = self
            .cache
            .get_or_compute(key.rpc, scope.merchant_id, &key, || async {
                let (as_of_time, locale) = query::as_of_and_locale(db, clients, currency, &scope).await?;
                let totals = revenue::breakdown(db, &breakdown, &scope, basis, &locale).await?;
                Ok::<_, ReportError>(pb::GetRevenueBreakdownResponse {
                    totals,
                    time_zone: locale.zone_name,
                    as_of_time: Some(as_of_time),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn get_cashier_sales(
        &self,
        request: Request<pb::GetCashierSalesRequest>,
    ) -> Result<Response<pb::GetCashierSalesResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let request = request.into_inner();
        let breakdown = period::breakdown(request.granularity, request.year)?;
        let scope = scope::resolve(
            &auth,
            Requested {
                merchant_id: &request.merchant_id,
                cashier_id: &request.cashier_id,
                ..Requested::default()
            },
        )?;
        let page_size = query::page_size(request.page_size)?;
        let key = Key {
            page_size,
            page_token: &request.page_token,
            ..Key::new("GetCashierSales", request.granularity, request.year, scope)
        };
        let filters = key.page_filters();
        let after: Option<cashiers::Cursor> =
            self.ctx
                .page_tokens
                .decode(Module::Report, &request.page_token, &filters)?;
        let (db, clients, currency) = (&self.ctx.db, &self.ctx.clients, &self.ctx.config.default_currency);
        let tokens = &self.ctx.page_tokens;
        let answer = self
            .cache
            .get_or_compute(key.rpc, scope.merchant_id, &key, || async {
                let (as_of_time, locale) = query::as_of_and_locale(db, clients, currency, &scope).await?;
                let (rows, next) =
                    cashiers::page(db, &breakdown, &scope, after.as_ref(), page_size, &locale).await?;
                Ok::<_, ReportError>(pb::GetCashierSalesResponse {
                    rows,
                    next_page_token: next
                        .map(|cursor| tokens.encode(&cursor, &filters))
                        .unwrap_or_default(),
                    time_zone: locale.zone_name,
                    as_of_time: Some(as_of_time),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn get_category_sales(
        &self,
        request: Request<pb::GetCategorySalesRequest>,
    ) -> Result<Response<pb::GetCategorySalesResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let request = request.into_inner();
        let breakdown = period::breakdown(request.granularity, request.year)?;
        let scope = scope::resolve(
            &auth,
            Requested {
                merchant_id: &request.merchant_id,
                cashier_id: &request.cashier_id,
                category_id: &request.category_id,
                ..Requested::default()
            },
        )?;
        let page_size = query::page_size(request.page_size)?;
        let key = Key {
            page_size,
            page_token: &request.page_token,
            ..Key::new("GetCategorySales", request.granularity, request.year, scope)
        };
        let filters = key.page_filters();
        let after: Option<categories::Cursor> =
            self.ctx
                .page_tokens
                .decode(Module::Report, &request.page_token, &filters)?;
        let (db, clients, currency) = (&self.ctx.db, &self.ctx.clients, &self.ctx.config.default_currency);
        let tokens = &self.ctx.page_tokens;
        let answer = self
            .cache
            .get_or_compute(key.rpc, scope.merchant_id, &key, || async {
                let (as_of_time, locale) = query::as_of_and_locale(db, clients, currency, &scope).await?;
                let (rows, next) =
                    categories::page(db, &breakdown, &scope, after.as_ref(), page_size, &locale).await?;
                Ok::<_, ReportError>(pb::GetCategorySalesResponse {
                    rows,
                    next_page_token: next
                        .map(|cursor| tokens.encode(&cursor, &filters))
                        .unwrap_or_default(),
                    time_zone: locale.zone_name,
                    as_of_time: Some(as_of_time),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn compare_payment_statuses(
        &self,
        request: Request<pb::ComparePaymentStatusesRequest>,
    ) -> Result<Response<pb::ComparePaymentStatusesResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let request = request.into_inner();
        let comparison = period::comparison(request.granularity, request.year, request.month)?;
        let scope = scope::resolve(
            &auth,
            Requested {
                merchant_id: &request.merchant_id,
                cashier_id: &request.cashier_id,
                ..Requested::default()
            },
        )?;
        let statuses = payments::statuses(request.status)?;
        let key = Key {
            month: effective_month(comparison),
            status: request.status,
            ..Key::new("ComparePaymentStatuses", request.granularity, request.year, scope)
        };
        let (db, clients, currency) = (&self.ctx.db, &self.ctx.clients, &self.ctx.config.default_currency);
        let answer = self
            .cache
            .get_or_compute(key.rpc, scope.merchant_id, &key, || async {
                let (as_of_time, locale) = query::as_of_and_locale(db, clients, currency, &scope).await?;
                let totals = payments::compare_statuses(db, comparison, &scope, &statuses, &locale).await?;
                Ok::<_, ReportError>(pb::ComparePaymentStatusesResponse {
                    totals,
                    time_zone: locale.zone_name,
                    as_of_time: Some(as_of_time),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }

    async fn compare_payment_methods(
        &self,
        request: Request<pb::ComparePaymentMethodsRequest>,
    ) -> Result<Response<pb::ComparePaymentMethodsResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        let request = request.into_inner();
        let comparison = period::comparison(request.granularity, request.year, request.month)?;
        let scope = scope::resolve(
            &auth,
            Requested {
                merchant_id: &request.merchant_id,
                cashier_id: &request.cashier_id,
                ..Requested::default()
            },
        )?;
        let statuses = payments::statuses(request.status)?;
        let methods = payments::methods(request.method)?;
        let key = Key {
            month: effective_month(comparison),
            status: request.status,
            method: request.method,
            ..Key::new("ComparePaymentMethods", request.granularity, request.year, scope)
        };
        let (db, clients, currency) = (&self.ctx.db, &self.ctx.clients, &self.ctx.config.default_currency);
        let answer = self
            .cache
            .get_or_compute(key.rpc, scope.merchant_id, &key, || async {
                let (as_of_time, locale) = query::as_of_and_locale(db, clients, currency, &scope).await?;
                let totals =
                    payments::compare_methods(db, comparison, &scope, &statuses, &methods, &locale).await?;
                Ok::<_, ReportError>(pb::ComparePaymentMethodsResponse {
                    totals,
                    time_zone: locale.zone_name,
                    as_of_time: Some(as_of_time),
                })
            })
            .await?;
        Ok(Response::new(answer))
    }
}
