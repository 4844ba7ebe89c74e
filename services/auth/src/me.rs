//! GetMe: the signed-in user, with the roles and permissions the access layer resolved for this
//! request (current grants, not the token's possibly older claims).

use pos_api::Module;
use pos_api::pos::auth::v1 as pb;
use pos_api::pos::user::v1::GetUserRequest;
use pos_platform::AuthContext;
use tonic::Request;

use crate::auth::AuthApi;
use crate::error::AuthError;
use crate::signout::signed_in_user;
use crate::store::sessions;

impl AuthApi {
    pub(crate) async fn get_me_flow(
        &self,
        request: Request<pb::GetMeRequest>,
    ) -> Result<pb::GetMeResponse, AuthError> {
        let (user_id, session_id) = signed_in_user(&request, "GetMe")?;
        let context = AuthContext::require(&request).map_err(|_| AuthError::TokenMissing)?;
        // The deny-list may have been unreachable when the access layer checked the token: the
        // session table has the last word.
        {
            let mut conn = self.ctx.db.acquire().await?;
            if !sessions::is_live(&mut conn, session_id).await? {
                return Err(AuthError::SessionRevoked);
            }
        }
        let user = match self
            .ctx
            .clients
            .user()?
            .get_user(GetUserRequest {
                user_id: user_id.to_string(),
            })
            .await
        {
            Ok(response) => response.into_inner().user,
            Err(status) if status.code() == tonic::Code::NotFound => None,
            Err(status) => return Err(AuthError::dependency(Module::User, &status)),
        };
        let Some(user) = user.filter(|user| user.delete_time.is_none()) else {
            return Err(AuthError::SessionRevoked);
        };
        Ok(pb::GetMeResponse {
            user: Some(user),
            roles: context.roles.iter().cloned().collect(),
            permissions: context.permissions.iter().cloned().collect(),
            merchant_id: context.merchant_id.map(|id| id.to_string()).unwrap_or_default(),
            cashier_id: context.cashier_id.map(|id| id.to_string()).unwrap_or_default(),
            session_id: session_id.to_string(),
        })
    }
}
