//! ProvisionCredential: the sign-in of a user that UserService.CreateUser creates on someone
//! else's behalf — with a password (verified at once) or by invitation (a set-password link).

use pos_api::pos::auth::v1 as pb;
use pos_platform::AuthContext;
use tonic::Request;

use crate::auth::AuthApi;
use crate::email::email_key;
use crate::error::AuthError;
use crate::events::{publish, timestamp};
use crate::store::credentials::{self, NewCredential};
use crate::store::reset_tokens::{self, Purpose};
use crate::{hashing, input};

impl AuthApi {
    pub(crate) async fn provision_credential_flow(
        &self,
        request: Request<pb::ProvisionCredentialRequest>,
    ) -> Result<pb::ProvisionCredentialResponse, AuthError> {
        // The access layer already required `user.write` platform-wide.
        let actor = AuthContext::require(&request)
            .map_err(|_| AuthError::TokenMissing)?
            .user_id();
        let provision = input::provision(request.get_ref())?;
        let key = email_key(&provision.email);
        let password_hash = match provision.password {
            Some(password) => Some(hashing::hash(password).await?),
            None => None,
        };

        let mut tx = self.ctx.db.begin().await?;
        if let Some(existing) = credentials::by_user_id(&mut tx, provision.user_id, false).await? {
            // A retry of the same call changes nothing.
            return if existing.email_key == key {
                Ok(pb::ProvisionCredentialResponse {
                    email_verified: existing.is_verified(),
                })
            } else {
                Err(AuthError::CredentialConflict)
            };
        }
        if credentials::by_email_key(&mut tx, &key, false).await?.is_some() {
            return Err(AuthError::EmailAlreadyRegistered);
        }
        let verified = password_hash.is_some();
        let inserted = credentials::insert(
            &mut tx,
            &NewCredential {
                user_id: provision.user_id,
                email: &provision.email,
                email_key: &key,
                first_name: &provision.names.first_name,
                last_name: &provision.names.last_name,
                password_hash: password_hash.as_deref(),
                verified,
            },
        )
        .await?;
        if !inserted {
            // A concurrent call took the user id or the email first.
            tx.rollback().await?;
            let mut conn = self.ctx.db.acquire().await?;
            return match credentials::by_user_id(&mut conn, provision.user_id, false).await? {
                Some(existing) if existing.email_key == key => Ok(pb::ProvisionCredentialResponse {
                    email_verified: existing.is_verified(),
                }),
                Some(_) => Err(AuthError::CredentialConflict),
                None => Err(AuthError::EmailAlreadyRegistered),
            };
        }
        if !verified {
            let issued = reset_tokens::issue(&mut tx, provision.user_id, Purpose::Invitation).await?;
            publish(&mut tx, provision.user_id.to_string(), actor, |meta| {
                pb::PasswordResetRequested {
                    meta,
                    user_id: provision.user_id.to_string(),
                    email: provision.email.clone(),
                    first_name: provision.names.first_name.clone(),
                    reset_token: issued.token,
                    reset_token_expire_time: Some(timestamp(issued.expires_at)),
                    client_ip: String::new(),
                    purpose: Purpose::Invitation.to_pb().into(),
                    inviter_name: provision.inviter_name.clone(),
                    merchant_name: provision.merchant_name.clone(),
                }
            })
            .await?;
        }
        tx.commit().await?;
        Ok(pb::ProvisionCredentialResponse {
            email_verified: verified,
        })
    }
}
