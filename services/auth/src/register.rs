//! Signing up: Register, VerifyEmail, ResendVerificationCode.
//!
//! Register answers the same (empty) way whether the email is new, unverified or verified, and
//! hashes the password in every case so the answer takes about the same time.

use pos_api::pos::auth::v1 as pb;
use tonic::Request;
use uuid::Uuid;

use crate::auth::AuthApi;
use crate::client::ClientInfo;
use crate::email::email_key;
use crate::error::AuthError;
use crate::events::{publish, timestamp};
use crate::hashing;
use crate::input;
use crate::store::codes::{self, CodeCheck};
use crate::store::credentials::{self, Credential, NewCredential};
use crate::throttle::{self, Mail};

impl AuthApi {
    pub(crate) async fn register_flow(
        &self,
        request: Request<pb::RegisterRequest>,
    ) -> Result<pb::RegisterResponse, AuthError> {
        let client = ClientInfo::of(&request);
        let request = request.into_inner();
        let registration = input::registration(&request)?;
        let key = email_key(&registration.email);
        let password_hash = hashing::hash(request.password).await?;

        let mut tx = self.ctx.db.begin().await?;
        let existing = credentials::by_email_key(&mut tx, &key, true).await?;
        match existing {
            None => {
                let user_id = Uuid::now_v7();
                let inserted = credentials::insert(
                    &mut tx,
                    &NewCredential {
                        user_id,
                        email: &registration.email,
                        email_key: &key,
                        first_name: &registration.names.first_name,
                        last_name: &registration.names.last_name,
                        password_hash: Some(&password_hash),
                        verified: false,
                    },
                )
                .await?;
                if !inserted {
                    // A concurrent Register of the same email won; this one is a duplicate and
                    // answers the same way.
                    tx.rollback().await?;
                    return Ok(pb::RegisterResponse {});
                }
                let code = codes::issue(&mut tx, user_id).await?;
                publish(&mut tx, user_id.to_string(), None, |meta| pb::UserRegistered {
                    meta,
                    user_id: user_id.to_string(),
                    email: registration.email.clone(),
                    first_name: registration.names.first_name.clone(),
                    last_name: registration.names.last_name.clone(),
                    verification_code: code.code,
                    verification_code_expire_time: Some(timestamp(code.expires_at)),
                    merchant: registration.merchant.clone(),
                })
                .await?;
            }
            Some(account) if !account.is_active() => {
                // A trashed user's email stays taken; nothing is sent.
            }
            Some(account) if !account.is_verified() => {
                // The latest registration of an unverified email wins: only whoever reads the
                // mailbox can verify it, so an earlier sign-up by someone else cannot keep its
                // password on the account.
                credentials::replace_registration(
                    &mut tx,
                    account.user_id,
                    &password_hash,
                    &registration.names.first_name,
                    &registration.names.last_name,
                )
                .await?;
                issue_code(&mut tx, &account, &registration.names.first_name).await?;
            }
            Some(account) => {
                if credentials::claim_duplicate_alert(&mut tx, account.user_id).await? {
                    publish(&mut tx, account.user_id.to_string(), None, |meta| {
                        pb::DuplicateRegistrationAttempted {
                            meta,
                            user_id: account.user_id.to_string(),
                            email: account.email.clone(),
                            first_name: account.first_name.clone(),
                            client_ip: client.ip.clone(),
                        }
                    })
                    .await?;
                }
            }
        }
        tx.commit().await?;
        Ok(pb::RegisterResponse {})
    }

    pub(crate) async fn verify_email_flow(
        &self,
        request: Request<pb::VerifyEmailRequest>,
    ) -> Result<pb::VerifyEmailResponse, AuthError> {
        let (email, code) = input::verify_email(request.get_ref())?;
        let mut tx = self.ctx.db.begin().await?;
        let account = credentials::by_email_key(&mut tx, &email_key(&email), true)
            .await?
            .filter(Credential::is_active)
            .ok_or(AuthError::VerificationCodeInvalid)?;
        if codes::check(&mut tx, account.user_id, &code).await? == CodeCheck::Rejected {
            // The counted attempt must stay.
            tx.commit().await?;
            return Err(AuthError::VerificationCodeInvalid);
        }
        if credentials::mark_verified(&mut tx, account.user_id).await? {
            publish(&mut tx, account.user_id.to_string(), None, |meta| {
                pb::EmailVerified {
                    meta,
                    user_id: account.user_id.to_string(),
                    email: account.email.clone(),
                    first_name: account.first_name.clone(),
                }
            })
            .await?;
        }
        tx.commit().await?;
        Ok(pb::VerifyEmailResponse {})
    }

    pub(crate) async fn resend_verification_code_flow(
        &self,
        request: Request<pb::ResendVerificationCodeRequest>,
    ) -> Result<pb::ResendVerificationCodeResponse, AuthError> {
        let email = input::email_only(&request.get_ref().email)?;
        let key = email_key(&email);
        if !throttle::first_this_minute(&self.ctx.redis, Mail::VerificationCode, &key).await {
            return Ok(pb::ResendVerificationCodeResponse {});
        }
        let mut tx = self.ctx.db.begin().await?;
        if let Some(account) = credentials::by_email_key(&mut tx, &key, true)
            .await?
            .filter(|account| account.is_active() && !account.is_verified())
        {
            issue_code(&mut tx, &account, &account.first_name).await?;
        }
        tx.commit().await?;
        Ok(pb::ResendVerificationCodeResponse {})
    }
}

/// Issues a new verification code for `account` and publishes VerificationCodeIssued.
async fn issue_code(
    tx: &mut sqlx::PgConnection,
    account: &Credential,
    first_name: &str,
) -> Result<(), sqlx::Error> {
    issue_code_to(tx, account.user_id, &account.email, first_name).await
}

/// Issues a new verification code for `user_id` (the previous one stops working) and publishes
/// VerificationCodeIssued for the mailer.
pub(crate) async fn issue_code_to(
    tx: &mut sqlx::PgConnection,
    user_id: Uuid,
    email: &str,
    first_name: &str,
) -> Result<(), sqlx::Error> {
    let code = codes::issue(tx, user_id).await?;
    publish(tx, user_id.to_string(), None, |meta| pb::VerificationCodeIssued {
        meta,
        user_id: user_id.to_string(),
        email: email.to_owned(),
        first_name: first_name.to_owned(),
        verification_code: code.code,
        verification_code_expire_time: Some(timestamp(code.expires_at)),
    })
    .await
}
