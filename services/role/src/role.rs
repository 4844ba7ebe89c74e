//! `pos.role.v1.RoleService`: each handler reads the caller's [`AuthContext`] (the access layer
//! already enforced the RPC's rule) and hands over to the module's operations.

use tonic::{Request, Response, Status};

use pos_api::pos::role::v1 as pb;
use pos_api::pos::role::v1::role_service_server::RoleService;
use pos_platform::{AuthContext, ModuleContext};

use crate::{grants, lifecycle, roles};

/// Handlers of `pos.role.v1.RoleService`.
pub(crate) struct RoleApi {
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
        request: Request<pb::GetRoleRequest>,
    ) -> Result<Response<pb::GetRoleResponse>, Status> {
        AuthContext::require(&request)?;
        Ok(Response::new(
            roles::get_role(&self.ctx, request.get_ref()).await?,
        ))
    }

    async fn list_roles(
        &self,
        request: Request<pb::ListRolesRequest>,
    ) -> Result<Response<pb::ListRolesResponse>, Status> {
        AuthContext::require(&request)?;
        Ok(Response::new(
            roles::list_roles(&self.ctx, request.get_ref()).await?,
        ))
    }

    async fn create_role(
        &self,
        request: Request<pb::CreateRoleRequest>,
    ) -> Result<Response<pb::CreateRoleResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            roles::create_role(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn update_role(
        &self,
        request: Request<pb::UpdateRoleRequest>,
    ) -> Result<Response<pb::UpdateRoleResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            roles::update_role(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn delete_role(
        &self,
        request: Request<pb::DeleteRoleRequest>,
    ) -> Result<Response<pb::DeleteRoleResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::delete_role(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_role(
        &self,
        request: Request<pb::RestoreRoleRequest>,
    ) -> Result<Response<pb::RestoreRoleResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_role(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn purge_role(
        &self,
        request: Request<pb::PurgeRoleRequest>,
    ) -> Result<Response<pb::PurgeRoleResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_role(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn restore_trashed_roles(
        &self,
        request: Request<pb::RestoreTrashedRolesRequest>,
    ) -> Result<Response<pb::RestoreTrashedRolesResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::restore_trashed_roles(&self.ctx, auth).await?,
        ))
    }

    async fn purge_trashed_roles(
        &self,
        request: Request<pb::PurgeTrashedRolesRequest>,
    ) -> Result<Response<pb::PurgeTrashedRolesResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            lifecycle::purge_trashed_roles(&self.ctx, auth).await?,
        ))
    }

    async fn list_permissions(
        &self,
        request: Request<pb::ListPermissionsRequest>,
    ) -> Result<Response<pb::ListPermissionsResponse>, Status> {
        AuthContext::require(&request)?;
        Ok(Response::new(roles::list_permissions(request.get_ref())))
    }

    async fn list_user_roles(
        &self,
        request: Request<pb::ListUserRolesRequest>,
    ) -> Result<Response<pb::ListUserRolesResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            grants::list_user_roles(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn grant_role(
        &self,
        request: Request<pb::GrantRoleRequest>,
    ) -> Result<Response<pb::GrantRoleResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            grants::grant_role(&self.ctx, auth, request.get_ref()).await?,
        ))
    }

    async fn revoke_role(
        &self,
        request: Request<pb::RevokeRoleRequest>,
    ) -> Result<Response<pb::RevokeRoleResponse>, Status> {
        let auth = AuthContext::require(&request)?;
        Ok(Response::new(
            grants::revoke_role(&self.ctx, auth, request.get_ref()).await?,
        ))
    }
}
