//! `pos.category.v1.CategoryService`: each handler reads the caller's [`AuthContext`] (the access
//! layer already enforced the RPC's rule: signed in for reads, platform `category.write` for
//! writes) and hands over to the module's operations.

use tonic::{Request, Response, Status};

use pos_api::pos::category::v1 as pb;
use pos_api::pos::category::v1::category_service_server::CategoryService;
use pos_platform::{AuthContext, ModuleContext};

use crate::{lifecycle, read, write};

/// Handlers of `pos.category.v1.CategoryService`.
pub(crate) struct CategoryApi {
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
        request: Request<pb::GetCategoryRequest>,
    ) -> Result<Response<pb::GetCategoryResponse>, Status> {
        AuthContext::require(&request)?;
        Ok(Response::new(
            read::get_category(&self.ctx, request.get_ref()).await?,
        ))
    }

    async fn list_categories(
        &self,
        request: Request<pb::ListCategoriesRequest>,
    ) -> Result<Response<pb::ListCategoriesResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            read::list_categories(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn create_category(
        &self,
        request: Request<pb::CreateCategoryRequest>,
    ) -> Result<Response<pb::CreateCategoryResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            write::create_category(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn update_category(
        &self,
        request: Request<pb::UpdateCategoryRequest>,
    ) -> Result<Response<pb::UpdateCategoryResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            write::update_category(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn delete_category(
        &self,
        request: Request<pb::DeleteCategoryRequest>,
    ) -> Result<Response<pb::DeleteCategoryResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::delete_category(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_category(
        &self,
        request: Request<pb::RestoreCategoryRequest>,
    ) -> Result<Response<pb::RestoreCategoryResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_category(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn purge_category(
        &self,
        request: Request<pb::PurgeCategoryRequest>,
    ) -> Result<Response<pb::PurgeCategoryResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_category(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_trashed_categories(
        &self,
        request: Request<pb::RestoreTrashedCategoriesRequest>,
    ) -> Result<Response<pb::RestoreTrashedCategoriesResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_trashed_categories(&self.ctx, auth).await?,
        ))
    }

    async fn purge_trashed_categories(
        &self,
        request: Request<pb::PurgeTrashedCategoriesRequest>,
    ) -> Result<Response<pb::PurgeTrashedCategoriesResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_trashed_categories(&self.ctx, auth).await?,
        ))
    }
}
