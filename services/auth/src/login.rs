//! Signing in: Login, with the per-email lockout, and the failure bookkeeping ChangePassword
//! shares.

use chrono::{Duration, Utc};
use pos_api::pos::auth::v1 as pb;
use tonic::Request;
use uuid::Uuid;

use crate::auth::AuthApi;
use crate::client::ClientInfo;
use crate::email::email_key;
use crate::error::AuthError;
use crate::events::{publish, timestamp};
use crate::store::credentials::{self, Credential};
use crate::store::sessions;
use crate::throttle::{self, MAX_FAILURES, WINDOW_SECONDS};
use crate::{grants, hashing, input};

impl AuthApi {
    pub(crate) async fn login_flow(
        &self,
        request: Request<pb::LoginRequest>,
    ) -> Result<pb::LoginResponse, AuthError> {
        let client = ClientInfo::of(&request);
        let request = request.into_inner();
        let email = input::login(&request)?;
        let key = email_key(&email);

        if let Some(retry_after_seconds) = throttle::locked_for(&self.ctx.redis, &key).await {
            let account = self.active_account(&key).await?;
            self.refuse_locked(account.as_ref(), &key, &client).await?;
            return Err(AuthError::AccountLocked { retry_after_seconds });
        }

        let account = self.active_account(&key).await?;
        let stored = account.as_ref().and_then(|account| account.password_hash.clone());
        let matches = hashing::verify(request.password, stored).await;
        let account = match account {
            Some(account) if matches => account,
            other => {
                let reason = if other.is_some() {
                    pb::LoginFailureReason::WrongPassword
                } else {
                    pb::LoginFailureReason::UnknownEmail
                };
                self.record_failed_login(other.as_ref(), &key, reason, &client)
                    .await?;
                return Err(AuthError::InvalidCredentials);
            }
        };
        if !account.is_verified() {
            // The password was right: not a guess, so the lockout does not count it.
            let failed_attempts = throttle::failures(&self.ctx.redis, &key).await;
            let mut tx = self.ctx.db.begin().await?;
            publish_login_failed(
                &mut tx,
                Some(&account),
                &key,
                pb::LoginFailureReason::EmailNotVerified,
                failed_attempts,
                &client,
            )
            .await?;
            tx.commit().await?;
            return Err(AuthError::EmailNotVerified);
        }

        throttle::clear_failures(&self.ctx.redis, &key).await;
        let grants = grants::of_user(&self.ctx.clients, account.user_id).await?;
        let signing_key = self.keys.current().await?;
        let mut tx = self.ctx.db.begin().await?;
        let session = sessions::create(&mut tx, account.user_id, &client).await?;
        let refresh = sessions::issue_refresh_token(&mut tx, session.id, session.absolute_expires_at).await?;
        tx.commit().await?;
        let tokens = grants::session_tokens(&signing_key, account.user_id, session.id, grants, refresh)?;
        Ok(pb::LoginResponse { tokens: Some(tokens) })
    }

    /// The active (not trashed) account with comparison key `key`.
    pub(crate) async fn active_account(&self, key: &str) -> Result<Option<Credential>, AuthError> {
        let mut conn = self.ctx.db.acquire().await?;
        Ok(credentials::by_email_key(&mut conn, key, false)
            .await?
            .filter(Credential::is_active))
    }

    /// Publishes LoginFailed for an attempt refused by the lockout (the password was not checked).
    pub(crate) async fn refuse_locked(
        &self,
        account: Option<&Credential>,
        key: &str,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let failed_attempts = throttle::failures(&self.ctx.redis, key).await;
        let mut tx = self.ctx.db.begin().await?;
        publish_login_failed(
            &mut tx,
            account,
            key,
            pb::LoginFailureReason::Locked,
            failed_attempts,
            client,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Counts a failed attempt on `key` and publishes LoginFailed; the attempt that reaches the
    /// limit on an existing account also publishes AccountLocked.
    pub(crate) async fn record_failed_login(
        &self,
        account: Option<&Credential>,
        key: &str,
        reason: pb::LoginFailureReason,
        client: &ClientInfo,
    ) -> Result<(), AuthError> {
        let counted = throttle::record_failure(&self.ctx.redis, key).await;
        let failed_attempts = counted.unwrap_or(0);
        let mut tx = self.ctx.db.begin().await?;
        publish_login_failed(&mut tx, account, key, reason, failed_attempts, client).await?;
        if let Some(account) = account
            && counted == Some(MAX_FAILURES)
        {
            let lock_expire_time =
                Utc::now() + Duration::seconds(i64::try_from(WINDOW_SECONDS).unwrap_or(900));
            publish(&mut tx, account.user_id.to_string(), None, |meta| {
                pb::AccountLocked {
                    meta,
                    user_id: account.user_id.to_string(),
                    email: account.email.clone(),
                    first_name: account.first_name.clone(),
                    failed_attempts: i32::try_from(failed_attempts).unwrap_or(i32::MAX),
                    lock_expire_time: Some(timestamp(lock_expire_time)),
                    client_ip: client.ip.clone(),
                }
            })
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

/// Publishes LoginFailed, keyed by the user id, or by the email when no account has it.
async fn publish_login_failed(
    tx: &mut sqlx::PgConnection,
    account: Option<&Credential>,
    key: &str,
    reason: pb::LoginFailureReason,
    failed_attempts: u32,
    client: &ClientInfo,
) -> Result<(), sqlx::Error> {
    let user_id = account.map(|account| account.user_id);
    let aggregate = user_id.map_or_else(|| key.to_owned(), |id: Uuid| id.to_string());
    publish(tx, aggregate, None, |meta| pb::LoginFailed {
        meta,
        user_id: user_id.map(|id| id.to_string()).unwrap_or_default(),
        email: key.to_owned(),
        reason: reason.into(),
        failed_attempts: i32::try_from(failed_attempts).unwrap_or(i32::MAX),
        client_ip: client.ip.clone(),
        user_agent: client.user_agent.clone(),
    })
    .await
}
