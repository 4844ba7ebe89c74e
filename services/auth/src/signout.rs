//! Ending sessions: Logout (by refresh token) and LogoutAllSessions (the signed-in user's).
//!
//! A revoked session's id goes to the access layer's deny-list right after the commit, so its
//! access tokens are refused at once by every process, not only when they expire.

use pos_api::pos::auth::v1 as pb;
use pos_platform::AuthContext;
use pos_platform::access::revocation::revoke_sessions;
use tonic::Request;
use uuid::Uuid;

use crate::auth::AuthApi;
use crate::error::AuthError;
use crate::store::sessions::{self, RevokeReason, Which};
use crate::{input, secrets, throttle};

impl AuthApi {
    pub(crate) async fn logout_flow(
        &self,
        request: Request<pb::LogoutRequest>,
    ) -> Result<pb::LogoutResponse, AuthError> {
        let token = request.into_inner().refresh_token;
        input::token("refresh_token", &token)?;
        let hash = secrets::token_hash(&token);
        let mut tx = self.ctx.db.begin().await?;
        // Any token of the session ends it, rotated or expired ones too: ending a session is
        // never a risk, and it works when the client holds only an old token.
        let revoked = match sessions::presented(&mut tx, &hash, true).await? {
            Some(presented) if presented.revoked_at.is_none() => {
                sessions::revoke(
                    &mut tx,
                    presented.user_id,
                    Which::One(presented.session_id),
                    RevokeReason::Logout,
                    Some(presented.user_id),
                )
                .await?
            }
            _ => Vec::new(),
        };
        tx.commit().await?;
        throttle::deny_list(revoke_sessions(&self.ctx.redis, &revoked)).await;
        Ok(pb::LogoutResponse {})
    }

    pub(crate) async fn logout_all_sessions_flow(
        &self,
        request: Request<pb::LogoutAllSessionsRequest>,
    ) -> Result<pb::LogoutAllSessionsResponse, AuthError> {
        let (user_id, session_id) = signed_in_user(&request, "LogoutAllSessions")?;
        let keep = request.get_ref().keep_current_session.then_some(session_id);
        let mut tx = self.ctx.db.begin().await?;
        let revoked = sessions::revoke(
            &mut tx,
            user_id,
            Which::AllBut(keep),
            RevokeReason::LogoutAll,
            Some(user_id),
        )
        .await?;
        tx.commit().await?;
        throttle::deny_list(revoke_sessions(&self.ctx.redis, &revoked)).await;
        Ok(pb::LogoutAllSessionsResponse {
            revoked_count: i64::try_from(revoked.len()).unwrap_or(i64::MAX),
        })
    }
}

/// The signed-in user and session behind `request`; services are refused (these RPCs act on
/// the caller's own account).
pub(crate) fn signed_in_user<T>(request: &Request<T>, rpc: &'static str) -> Result<(Uuid, Uuid), AuthError> {
    let context = AuthContext::require(request).map_err(|_| AuthError::TokenMissing)?;
    match (context.user_id(), context.session_id()) {
        (Some(user_id), Some(session_id)) => Ok((user_id, session_id)),
        _ => Err(AuthError::NotAUser(rpc)),
    }
}
