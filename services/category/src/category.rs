//! `pos.category.v1.CategoryService`.

use tonic::{Request, Response, Status};

use pos_api::pos::category::v1 as pb;
use pos_api::pos::category::v1::category_service_server::CategoryService;
use pos_platform::ModuleContext;

use crate::error::CategoryError;

/// Handlers of `pos.category.v1.CategoryService`.
pub(crate) struct CategoryApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #6")]
    ctx: ModuleContext,
}

impl CategoryApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        CategoryApi { ctx }
    }
}

#[tonic::async_trait]
impl CategoryService for CategoryApi {
    async fn get_category(
        &self,
        _request: Request<pb::GetCategoryRequest>,
    ) -> Result<Response<pb::GetCategoryResponse>, Status> {
        Err(CategoryError::NotBuiltYet("GetCategory").into())
    }

    async fn list_categories(
        &self,
        _request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        Err(CategoryError::NotBuiltYet("ListCategories").into())
    }

    async fn create_category(
        &self,
        _request: Request<pb::CreateCategoryRequest>,
    ) -> Result<Response<pb::CreateCategoryResponse>, Status> {
        Err(CategoryError::NotBuiltYet("CreateCategory").into())
    }

    async fn update_category(
        &self,
        _request: Request<pb::UpdateCategoryRequest>,
    ) -> Result<Response<pb::UpdateCategoryResponse>, Status> {
        Err(CategoryError::NotBuiltYet("UpdateCategory").into())
    }

    async fn delete_category(
        &self,
        _request: Request<pb::DeleteCategoryRequest>,
    ) -> Result<Response<pb::DeleteCategoryResponse>, Status> {
        Err(CategoryError::NotBuiltYet("DeleteCategory").into())
    }

    async fn restore_category(
        &self,
        _request: Request<pb::RestoreCategoryRequest>,
    ) -> Result<Response<pb::RestoreCategoryResponse>, Status> {
        Err(CategoryError::NotBuiltYet("RestoreCategory").into())
    }

    async fn purge_category(
        &self,
        _request: Request<pb::PurgeCategoryRequest>,
    ) -> Result<Response<pb::PurgeCategoryResponse>, Status> {
        Err(CategoryError::NotBuiltYet("PurgeCategory").into())
    }

    async fn restore_trashed_categories(
        &self,
        _request: Request<pb::RestoreTrashedCategoriesRequest>,
    ) -> Result<Response<pb::RestoreTrashedCategoriesResponse>, Status> {
        Err(CategoryError::NotBuiltYet("RestoreTrashedCategories").into())
    }

    async fn purge_trashed_categories(
        &self,
        _request: Request<pb::PurgeTrashedCategoriesRequest>,
    ) -> Result<Response<pb::PurgeTrashedCategoriesResponse>, Status> {
        Err(CategoryError::NotBuiltYet("PurgeTrashedCategories").into())
    }
}
