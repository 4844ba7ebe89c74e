//! `pos.user.v1.UserService`.

use tonic::{Request, Response, Status};

use pos_api::pos::user::v1 as pb;
use pos_api::pos::user::v1::user_service_server::UserService;
use pos_platform::ModuleContext;

use crate::error::UserError;

/// Handlers of `pos.user.v1.UserService`.
pub(crate) struct UserApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #5")]
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
        _request: Request<pb::GetUserRequest>,
    ) -> Result<Response<pb::GetUserResponse>, Status> {
        Err(UserError::NotBuiltYet("GetUser").into())
    }

    async fn list_users(
        &self,
        _request: Request<pb::ListUsersRequest>,
    ) -> Result<Response<pb::ListUsersResponse>, Status> {
        Err(UserError::NotBuiltYet("ListUsers").into())
    }

    async fn create_user(
        &self,
        _request: Request<pb::CreateUserRequest>,
    ) -> Result<Response<pb::CreateUserResponse>, Status> {
        Err(UserError::NotBuiltYet("CreateUser").into())
    }

    async fn update_user(
        &self,
        _request: Request<pb::UpdateUserRequest>,
    ) -> Result<Response<pb::UpdateUserResponse>, Status> {
        Err(UserError::NotBuiltYet("UpdateUser").into())
    }

    async fn update_my_profile(
        &self,
        _request: Request<pb::UpdateMyProfileRequest>,
    ) -> Result<Response<pb::UpdateMyProfileResponse>, Status> {
        Err(UserError::NotBuiltYet("UpdateMyProfile").into())
    }

    async fn delete_user(
        &self,
        _request: Request<pb::DeleteUserRequest>,
    ) -> Result<Response<pb::DeleteUserResponse>, Status> {
        Err(UserError::NotBuiltYet("DeleteUser").into())
    }

    async fn restore_user(
        &self,
        _request: Request<pb::RestoreUserRequest>,
    ) -> Result<Response<pb::RestoreUserResponse>, Status> {
        Err(UserError::NotBuiltYet("RestoreUser").into())
    }

    async fn purge_user(
        &self,
        _request: Request<pb::PurgeUserRequest>,
    ) -> Result<Response<pb::PurgeUserResponse>, Status> {
        Err(UserError::NotBuiltYet("PurgeUser").into())
    }

    async fn restore_trashed_users(
        &self,
        _request: Request<pb::RestoreTrashedUsersRequest>,
    ) -> Result<Response<pb::RestoreTrashedUsersResponse>, Status> {
        Err(UserError::NotBuiltYet("RestoreTrashedUsers").into())
    }

    async fn purge_trashed_users(
        &self,
        _request: Request<pb::PurgeTrashedUsersRequest>,
    ) -> Result<Response<pb::PurgeTrashedUsersResponse>, Status> {
        Err(UserError::NotBuiltYet("PurgeTrashedUsers").into())
    }
}
