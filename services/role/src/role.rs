//! `pos.role.v1.RoleService`.

use tonic::{Request, Response, Status};

use pos_api::pos::role::v1 as pb;
use pos_api::pos::role::v1::role_service_server::RoleService;
use pos_platform::ModuleContext;

use crate::error::RoleError;

/// Handlers of `pos.role.v1.RoleService`.
pub(crate) struct RoleApi {
    #[expect(dead_code, reason = "read by the handlers built in issue #5")]
    ctx: ModuleContext,
}

impl RoleApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        RoleApi { ctx }
    }
}

#[tonic::async_trait]
impl RoleService for RoleApi {
    async fn get_role(
        &self,
        _request: Request<pb::GetRoleRequest>,
    ) -> Result<Response<pb::GetRoleResponse>, Status> {
        Err(RoleError::NotBuiltYet("GetRole").into())
    }

    async fn list_roles(
        &self,
        _request: Request<pb::ListRolesRequest>,
    ) -> Result<Response<pb::ListRolesResponse>, Status> {
        Err(RoleError::NotBuiltYet("ListRoles").into())
    }

    async fn create_role(
        &self,
        _request: Request<pb::CreateRoleRequest>,
    ) -> Result<Response<pb::CreateRoleResponse>, Status> {
        Err(RoleError::NotBuiltYet("CreateRole").into())
    }

    async fn update_role(
        &self,
        _request: Request<pb::UpdateRoleRequest>,
    ) -> Result<Response<pb::UpdateRoleResponse>, Status> {
        Err(RoleError::NotBuiltYet("UpdateRole").into())
    }

    async fn delete_role(
        &self,
        _request: Request<pb::DeleteRoleRequest>,
    ) -> Result<Response<pb::DeleteRoleResponse>, Status> {
        Err(RoleError::NotBuiltYet("DeleteRole").into())
    }

    async fn restore_role(
        &self,
        _request: Request<pb::RestoreRoleRequest>,
    ) -> Result<Response<pb::RestoreRoleResponse>, Status> {
        Err(RoleError::NotBuiltYet("RestoreRole").into())
    }

    async fn purge_role(
        &self,
        _request: Request<pb::PurgeRoleRequest>,
    ) -> Result<Response<pb::PurgeRoleResponse>, Status> {
        Err(RoleError::NotBuiltYet("PurgeRole").into())
    }

    async fn restore_trashed_roles(
        &self,
        _request: Request<pb::RestoreTrashedRolesRequest>,
    ) -> Result<Response<pb::RestoreTrashedRolesResponse>, Status> {
        Err(RoleError::NotBuiltYet("RestoreTrashedRoles").into())
    }

    async fn purge_trashed_roles(
        &self,
        _request: Request<pb::PurgeTrashedRolesRequest>,
    ) -> Result<Response<pb::PurgeTrashedRolesResponse>, Status> {
        Err(RoleError::NotBuiltYet("PurgeTrashedRoles").into())
    }

    async fn list_permissions(
        &self,
        _request: Request<pb::ListPermissionsRequest>,
    ) -> Result<Response<pb::ListPermissionsResponse>, Status> {
        Err(RoleError::NotBuiltYet("ListPermissions").into())
    }

    async fn list_user_roles(
        &self,
        _request: Request<pb::ListUserRolesRequest>,
    ) -> Result<Response<pb::ListUserRolesResponse>, Status> {
        Err(RoleError::NotBuiltYet("ListUserRoles").into())
    }

    async fn grant_role(
        &self,
        _request: Request<pb::GrantRoleRequest>,
    ) -> Result<Response<pb::GrantRoleResponse>, Status> {
        Err(RoleError::NotBuiltYet("GrantRole").into())
    }

    async fn revoke_role(
        &self,
        _request: Request<pb::RevokeRoleRequest>,
    ) -> Result<Response<pb::RevokeRoleResponse>, Status> {
        Err(RoleError::NotBuiltYet("RevokeRole").into())
    }
}
