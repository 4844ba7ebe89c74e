//! `pos.product.v1.ProductService`.

use tonic::{Request, Response, Status};

use pos_api::pos::product::v1 as pb;
use pos_api::pos::product::v1::product_service_server::ProductService;
use pos_platform::ModuleContext;

use crate::error::ProductError;
use crate::stock::StockApi;

/// Handlers of `pos.product.v1.ProductService`.
/// The stock RPCs are answered by [`StockApi`] (`crate::stock`).
pub(crate) struct ProductApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #6")]
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
        _request: Request<pb::GetProductRequest>,
    ) -> Result<Response<pb::GetProductResponse>, Status> {
        Err(ProductError::NotBuiltYet("GetProduct").into())
    }

    async fn lookup_product_by_barcode(
        &self,
        _request: Request<pb::LookupProductByBarcodeRequest>,
    ) -> Result<Response<pb::LookupProductByBarcodeResponse>, Status> {
        Err(ProductError::NotBuiltYet("LookupProductByBarcode").into())
    }

    async fn list_products(
        &self,
        _request: Request<pb::ListProductsRequest>,
    ) -> Result<Response<pb::ListProductsResponse>, Status> {
        Err(ProductError::NotBuiltYet("ListProducts").into())
    }

    async fn create_product(
        &self,
        _request: Request<pb::CreateProductRequest>,
    ) -> Result<Response<pb::CreateProductResponse>, Status> {
        Err(ProductError::NotBuiltYet("CreateProduct").into())
    }

    async fn update_product(
        &self,
        _request: Request<pb::UpdateProductRequest>,
    ) -> Result<Response<pb::UpdateProductResponse>, Status> {
        Err(ProductError::NotBuiltYet("UpdateProduct").into())
    }

    async fn upload_product_image(
        &self,
        _request: Request<pb::UploadProductImageRequest>,
    ) -> Result<Response<pb::UploadProductImageResponse>, Status> {
        Err(ProductError::NotBuiltYet("UploadProductImage").into())
    }

    async fn delete_product(
        &self,
        _request: Request<pb::DeleteProductRequest>,
    ) -> Result<Response<pb::DeleteProductResponse>, Status> {
        Err(ProductError::NotBuiltYet("DeleteProduct").into())
    }

    async fn restore_product(
        &self,
        _request: Request<pb::RestoreProductRequest>,
    ) -> Result<Response<pb::RestoreProductResponse>, Status> {
        Err(ProductError::NotBuiltYet("RestoreProduct").into())
    }

    async fn purge_product(
        &self,
        _request: Request<pb::PurgeProductRequest>,
    ) -> Result<Response<pb::PurgeProductResponse>, Status> {
        Err(ProductError::NotBuiltYet("PurgeProduct").into())
    }

    async fn restore_trashed_products(
        &self,
        _request: Request<pb::RestoreTrashedProductsRequest>,
    ) -> Result<Response<pb::RestoreTrashedProductsResponse>, Status> {
        Err(ProductError::NotBuiltYet("RestoreTrashedProducts").into())
    }

    async fn purge_trashed_products(
        &self,
        _request: Request<pb::PurgeTrashedProductsRequest>,
    ) -> Result<Response<pb::PurgeTrashedProductsResponse>, Status> {
        Err(ProductError::NotBuiltYet("PurgeTrashedProducts").into())
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
