//! `pos.user.v1.UserService`: each handler reads the caller's [`AuthContext`] (the access layer
//! already enforced the RPC's rule) and hands over to the module's operations.

use tonic::{Request, Response, Status};

use pos_api::pos::user::v1 as pb;
use pos_api::pos::user::v1::user_service_server::UserService;
use pos_platform::{AuthContext, ModuleContext};

use crate::{create, lifecycle, read, update};

/// Handlers of `pos.user.v1.UserService`.
pub(crate) struct UserApi {
    ctx: ModuleContext,
}

impl UserApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        UserApi { ctx }
    }
}

#[tonic::async_trait]
impl UserService for UserApi {
    async fn get_user(
        &self,
        request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            read::get_user(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn list_users(
        &self,
        request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        AuthContext::require(&request)?;
        Ok(Response::new(
            read::list_users(&self.ctx, request.get_ref()).await?,
        ))
    }

    async fn create_user(
        &self,
        request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::CreateUserResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            create::create_user(&self.ctx, &auth, request.into_inner()).await?,
        ))
    }

    async fn update_user(
        &self,
        request: Request<pb::UpdateUserRequest>,
    ) -> Result<Response<pb::UpdateUserResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            update::update_user(&self.ctx, &auth, request.into_inner()).await?,
        ))
    }

    async fn update_my_profile(
        &self,
        request: Request<pb::UpdateMyProfileRequest>,
    ) -> Result<Response<pb::UpdateMyProfileResponse>, Status> {
        let auth = AuthContext::require(&request)?.clone();
        Ok(Response::new(
            update::update_my_profile(&self.ctx, &auth, request.into_inner()).await?,
        ))
    }

    async fn delete_user(
        &self,
        request: Request<pb::DeleteUserRequest>,
    ) -> Result<Response<pb::DeleteUserResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::delete_user(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_user(
        &self,
        request: Request<pb::RestoreUserRequest>,
    ) -> Result<Response<pb::RestoreUserResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_user(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn purge_user(
        &self,
        request: Request<pb::PurgeUserRequest>,
    ) -> Result<Response<pb::PurgeUserResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_user(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_trashed_users(
        &self,
        request: Request<pb::RestoreTrashedUsersRequest>,
    ) -> Result<Response<pb::RestoreTrashedUsersResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_trashed_users(&self.ctx, auth).await?,
        ))
    }

    async fn purge_trashed_users(
        &self,
        request: Request<pb::PurgeTrashedUsersRequest>,
    ) -> Result<Response<pb::PurgeTrashedUsersResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_trashed_users(&self.ctx, auth).await?,
        ))
    }
}
