//! Passwords: ForgotPassword, ResetPassword (also the answer to an invitation), ChangePassword.

use pos_api::pos::auth::v1 as pb;
use pos_platform::access::revocation::revoke_sessions;
use tonic::Request;

use crate::auth::AuthApi;
use crate::client::ClientInfo;
use crate::email::email_key;
use crate::error::AuthError;
use crate::events::{publish, timestamp};
use crate::signout::signed_in_user;
use crate::store::codes;
use crate::store::credentials::{self, Credential};
use crate::store::reset_tokens::{self, Purpose};
use crate::store::sessions::{self, RevokeReason, Which};
use crate::throttle::{self, Mail};
use crate::{hashing, input};

impl AuthApi {
    pub(crate) async fn forgot_password_flow(
        &self,
        request: Request<pb::ForgotPasswordRequest>,
    ) -> Result<pb::ForgotPasswordResponse, AuthError> {
        let client = ClientInfo::of(&request);
        let email = input::email_only(&request.get_ref().email)?;
        let key = email_key(&email);
        if !throttle::first_this_minute(&self.ctx.redis, Mail::PasswordReset, &key).await {
            return Ok(pb::ForgotPasswordResponse {});
        }
        let mut tx = self.ctx.db.begin().await?;
        if let Some(account) = credentials::by_email_key(&mut tx, &key, true)
            .await?
            .filter(Credential::is_active)
        {
            let issued = reset_tokens::issue(&mut tx, account.user_id, Purpose::ForgotPassword).await?;
            publish(&mut tx, account.user_id.to_string(), None, |meta| {
                pb::PasswordResetRequested {
                    meta,
                    user_id: account.user_id.to_string(),
                    email: account.email.clone(),
                    first_name: account.first_name.clone(),
                    reset_token: issued.token,
                    reset_token_expire_time: Some(timestamp(issued.expires_at)),
                    client_ip: client.ip.clone(),
                    purpose: Purpose::ForgotPassword.to_pb().into(),
                    inviter_name: String::new(),
                    merchant_name: String::new(),
                }
            })
            .await?;
        }
        tx.commit().await?;
        Ok(pb::ForgotPasswordResponse {})
    }

    pub(crate) async fn reset_password_flow(
        &self,
        request: Request<pb::ResetPasswordRequest>,
    ) -> Result<pb::ResetPasswordResponse, AuthError> {
        let client = ClientInfo::of(&request);
        let request = request.into_inner();
        input::reset_password(&request)?;
        let password_hash = hashing::hash(request.new_password).await?;

        let mut tx = self.ctx.db.begin().await?;
        let user_id = reset_tokens::consume(&mut tx, &request.reset_token)
            .await?
            .ok_or(AuthError::ResetTokenInvalid)?;
        let Some(account) = credentials::by_user_id(&mut tx, user_id, true)
            .await?
            .filter(Credential::is_active)
        else {
            return Err(AuthError::ResetTokenInvalid);
        };
        credentials::set_password(&mut tx, user_id, account.password_hash.as_deref(), &password_hash).await?;
        reset_tokens::discard_unused(&mut tx, user_id).await?;
        if credentials::mark_verified(&mut tx, user_id).await? {
            // The link reached the mailbox: that proves the email as a code would.
            codes::discard(&mut tx, user_id).await?;
            publish(&mut tx, user_id.to_string(), None, |meta| pb::EmailVerified {
                meta,
                user_id: user_id.to_string(),
                email: account.email.clone(),
                first_name: account.first_name.clone(),
            })
            .await?;
        }
        publish_password_changed(&mut tx, &account, pb::PasswordChangeMethod::Reset, &client).await?;
        let revoked = sessions::revoke(
            &mut tx,
            user_id,
            Which::AllBut(None),
            RevokeReason::PasswordReset,
            None,
        )
        .await?;
        tx.commit().await?;
        throttle::deny_list(revoke_sessions(&self.ctx.redis, &revoked)).await;
        throttle::clear_failures(&self.ctx.redis, &account.email_key).await;
        Ok(pb::ResetPasswordResponse {})
    }

    pub(crate) async fn change_password_flow(
        &self,
        request: Request<pb::ChangePasswordRequest>,
    ) -> Result<pb::ChangePasswordResponse, AuthError> {
        let client = ClientInfo::of(&request);
        let (user_id, session_id) = signed_in_user(&request, "ChangePassword")?;
        let request = request.into_inner();
        input::change_password(&request)?;

        let account = {
            let mut conn = self.ctx.db.acquire().await?;
            credentials::by_user_id(&mut conn, user_id, false)
                .await?
                .filter(Credential::is_active)
                .ok_or(AuthError::SessionRevoked)?
        };
        if let Some(retry_after_seconds) = throttle::locked_for(&self.ctx.redis, &account.email_key).await {
            self.refuse_locked(Some(&account), &account.email_key, &client)
                .await?;
            return Err(AuthError::AccountLocked { retry_after_seconds });
        }
        if !hashing::verify(request.current_password.clone(), account.password_hash.clone()).await {
            self.record_failed_login(
                Some(&account),
                &account.email_key,
                pb::LoginFailureReason::WrongPassword,
                &client,
            )
            .await?;
            return Err(AuthError::CurrentPasswordWrong);
        }
        if request.new_password == request.current_password {
            return Err(AuthError::PasswordUnchanged);
        }
        let password_hash = hashing::hash(request.new_password).await?;

        let mut tx = self.ctx.db.begin().await?;
        // Only if the password is still the one just checked: a concurrent change wins alone.
        if !credentials::set_password(&mut tx, user_id, account.password_hash.as_deref(), &password_hash)
            .await?
        {
            return Err(AuthError::CurrentPasswordWrong);
        }
        publish_password_changed(&mut tx, &account, pb::PasswordChangeMethod::Change, &client).await?;
        let revoked = sessions::revoke(
            &mut tx,
            user_id,
            Which::AllBut(Some(session_id)),
            RevokeReason::PasswordChanged,
            Some(user_id),
        )
        .await?;
        tx.commit().await?;
        throttle::deny_list(revoke_sessions(&self.ctx.redis, &revoked)).await;
        Ok(pb::ChangePasswordResponse {
            revoked_count: i64::try_from(revoked.len()).unwrap_or(i64::MAX),
        })
    }
}

async fn publish_password_changed(
    tx: &mut sqlx::PgConnection,
    account: &Credential,
    method: pb::PasswordChangeMethod,
    client: &ClientInfo,
) -> Result<(), sqlx::Error> {
    publish(tx, account.user_id.to_string(), None, |meta| {
        pb::PasswordChanged {
            meta,
            user_id: account.user_id.to_string(),
            email: account.email.clone(),
            first_name: account.first_name.clone(),
            method: method.into(),
            client_ip: client.ip.clone(),
        }
    })
    .await
}
