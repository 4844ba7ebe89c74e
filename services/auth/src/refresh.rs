//! RefreshSession: refresh-token rotation with reuse detection (OWASP ASVS 5.0 10.4.5).
//!
//! The presented token and its session are locked (`FOR UPDATE`) for the exchange, so of two
//! concurrent refreshes with the same token exactly one rotates it; the other then finds it
//! rotated and is treated as a reuse, which revokes the session.

use chrono::Utc;
use pos_api::pos::auth::v1 as pb;
use pos_platform::access::revocation::revoke_sessions;
use tonic::Request;

use crate::auth::AuthApi;
use crate::error::AuthError;
use crate::store::sessions::{self, RevokeReason, Which};
use crate::{grants, input, secrets, throttle};

impl AuthApi {
    pub(crate) async fn refresh_session_flow(
        &self,
        request: Request<pb::RefreshSessionRequest>,
    ) -> Result<pb::RefreshSessionResponse, AuthError> {
        let token = request.into_inner().refresh_token;
        input::token("refresh_token", &token)?;
        let hash = secrets::token_hash(&token);

        // Read first without locks, to ask the role module for the user's current grants
        // outside the transaction (a slow or failing role module must not hold row locks, nor
        // cost a rotated token).
        let peeked = {
            let mut conn = self.ctx.db.acquire().await?;
            sessions::presented(&mut conn, &hash, false).await?
        };
        let Some(peeked) = peeked else {
            return Err(AuthError::RefreshTokenInvalid);
        };
        let grants = if peeked.rotated_at.is_none() && peeked.is_live(Utc::now()) {
            Some(grants::of_user(&self.ctx.clients, peeked.user_id).await?)
        } else {
            None
        };

        let mut tx = self.ctx.db.begin().await?;
        let Some(presented) = sessions::presented(&mut tx, &hash, true).await? else {
            return Err(AuthError::RefreshTokenInvalid);
        };
        if presented.revoked_at.is_some() {
            return Err(AuthError::RefreshTokenInvalid);
        }
        if presented.rotated_at.is_some() {
            let revoked = sessions::revoke(
                &mut tx,
                presented.user_id,
                Which::One(presented.session_id),
                RevokeReason::RefreshTokenReused,
                None,
            )
            .await?;
            tx.commit().await?;
            throttle::deny_list(revoke_sessions(&self.ctx.redis, &revoked)).await;
            tracing::warn!(session_id = %presented.session_id, user_id = %presented.user_id, "a rotated refresh token was presented again; the session is revoked");
            return Err(AuthError::RefreshTokenReused);
        }
        let (true, Some(grants)) = (presented.is_live(Utc::now()), grants) else {
            return Err(AuthError::RefreshTokenInvalid);
        };
        if !sessions::rotate(&mut tx, &hash).await? {
            return Err(AuthError::RefreshTokenInvalid);
        }
        let refresh =
            sessions::issue_refresh_token(&mut tx, presented.session_id, presented.absolute_expires_at)
                .await?;
        let signing_key = self.keys.current().await?;
        tx.commit().await?;
        let tokens = grants::session_tokens(
            &signing_key,
            presented.user_id,
            presented.session_id,
            grants,
            refresh,
        )?;
        Ok(pb::RefreshSessionResponse { tokens: Some(tokens) })
    }
}
