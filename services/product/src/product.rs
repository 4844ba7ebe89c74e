//! `pos.product.v1.ProductService`.

use tonic::{Request, Response, Status};

use pos_api::pos::product::v1 as pb;
use pos_api::pos::product::v1::product_service_server::ProductService;
use pos_platform::{AuthContext, ModuleContext};

use crate::stock::StockApi;
use crate::{create, image, lifecycle, read, update};

/// Handlers of `pos.product.v1.ProductService`.
/// The stock RPCs are answered by [`StockApi`] (`crate::stock`).
pub(crate) struct ProductApi {
    ctx: ModuleContext,
    stock: StockApi,
}

impl ProductApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        ProductApi {
            stock: StockApi::new(ctx.clone()),
            ctx,
        }
    }
}

#[tonic::async_trait]
impl ProductService for ProductApi {
    async fn get_product(
        &self,
        request: Request<pb::GetProductRequest>,
    ) -> Result<Response<pb::GetProductResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            read::get_product(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn lookup_product_by_barcode(
        &self,
        request: Request<pb::LookupProductByBarcodeRequest>,
    ) -> Result<Response<pb::LookupProductByBarcodeResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            read::lookup_product_by_barcode(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn list_products(
        &self,
        request: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            read::list_products(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn create_product(
        &self,
        request: Request<pb::CreateProductRequest>,
    ) -> Result<Response<pb::CreateProductResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            create::create_product(&self.ctx, &auth, request.into_inner()).await?,
        ))
    }

    async fn update_product(
        &self,
        request: Request<pb::UpdateProductRequest>,
    ) -> Result<Response<pb::UpdateProductResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            update::update_product(&self.ctx, &auth, request.into_inner()).await?,
        ))
    }

    async fn upload_product_image(
        &self,
        request: Request<pb::UploadProductImageRequest>,
    ) -> Result<Response<pb::UploadProductImageResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            image::upload_product_image(&self.ctx, &auth, request.into_inner()).await?,
        ))
    }

    async fn get_product_image(
        &self,
        request: Request<pb::GetProductImageRequest>,
    ) -> Result<Response<pos_api::google::api::HttpBody>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            image::get_product_image(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn delete_product(
        &self,
        request: Request<pb::DeleteProductRequest>,
    ) -> Result<Response<pb::DeleteProductResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::delete_product(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_product(
        &self,
        request: Request<pb::RestoreProductRequest>,
    ) -> Result<Response<pb::RestoreProductResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_product(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn purge_product(
        &self,
        request: Request<pb::PurgeProductRequest>,
    ) -> Result<Response<pb::PurgeProductResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_product(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_trashed_products(
        &self,
        request: Request<pb::RestoreTrashedProductsRequest>,
    ) -> Result<Response<pb::RestoreTrashedProductsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_trashed_products(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn purge_trashed_products(
        &self,
        request: Request<pb::PurgeTrashedProductsRequest>,
    ) -> Result<Response<pb::PurgeTrashedProductsResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_trashed_products(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn adjust_stock(
        &self,
        request: Request<pb::AdjustStockRequest>,
    ) -> Result<Response<pb::AdjustStockResponse>, Status> {
        self.stock.adjust_stock(request).await
    }

    async fn list_stock_movements(
        &self,
        request: Request<pb::ListStockMovementsRequest>,
    ) -> Result<Response<pb::ListStockMovementsResponse>, Status> {
        self.stock.list_stock_movements(request).await
    }

    async fn reserve_stock(
        &self,
        request: Request<pb::ReserveStockRequest>,
    ) -> Result<Response<pb::ReserveStockResponse>, Status> {
        self.stock.reserve_stock(request).await
    }

    async fn commit_reservation(
        &self,
        request: Request<pb::CommitReservationRequest>,
    ) -> Result<Response<pb::CommitReservationResponse>, Status> {
        self.stock.commit_reservation(request).await
    }

    async fn release_reservation(
        &self,
        request: Request<pb::ReleaseReservationRequest>,
    ) -> Result<Response<pb::ReleaseReservationResponse>, Status> {
        self.stock.release_reservation(request).await
    }

    async fn get_reservation(
        &self,
        request: Request<pb::GetReservationRequest>,
    ) -> Result<Response<pb::GetReservationResponse>, Status> {
        self.stock.get_reservation(request).await
    }
}
