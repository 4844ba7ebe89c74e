//! What an access token says about its holder's roles, from the role module
//! (`RoleService.ListUserRoles`, called with this process's service credential).

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use pos_api::pos::auth::v1 as pb;
use pos_api::pos::role::v1::{ListUserRolesRequest, RoleGrant};
use pos_api::{Clients, Module};
use pos_platform::access_token::{AccessClaims, MAX_LIFETIME, SigningKey};
use uuid::Uuid;

use crate::error::AuthError;
use crate::events::timestamp;
use crate::store::sessions::IssuedRefreshToken;

/// The roles of a user and where it acts.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Grants {
    /// Names of the user's active roles.
    pub(crate) roles: BTreeSet<String>,
    /// The merchant the user acts for.
    pub(crate) merchant_id: Option<Uuid>,
    /// The cashier the user is.
    pub(crate) cashier_id: Option<Uuid>,
}

impl Grants {
    /// The grants of active roles (a trashed role confers nothing).
    pub(crate) fn from_role_grants(grants: &[RoleGrant]) -> Self {
        let mut result = Grants::default();
        for grant in grants {
            let Some(role) = grant.role.as_ref() else { continue };
            if role.delete_time.is_some() {
                continue;
            }
            result.roles.insert(role.name.clone());
            if result.merchant_id.is_none() {
                result.merchant_id = Uuid::parse_str(&grant.merchant_id).ok();
            }
            if result.cashier_id.is_none() {
                result.cashier_id = Uuid::parse_str(&grant.cashier_id).ok();
            }
        }
        result
    }
}

/// The current grants of `user_id`. A user the role module does not know yet has none; the role
/// module being unreachable is UNAVAILABLE.
pub(crate) async fn of_user(clients: &Clients, user_id: Uuid) -> Result<Grants, AuthError> {
    let mut roles = clients.role()?;
    match roles
        .list_user_roles(ListUserRolesRequest {
            user_id: user_id.to_string(),
        })
        .await
    {
        Ok(response) => Ok(Grants::from_role_grants(&response.into_inner().grants)),
        Err(status) if status.code() == tonic::Code::NotFound => Ok(Grants::default()),
        Err(status) => Err(AuthError::dependency(Module::Role, &status)),
    }
}

/// The credentials of a session: a new access token for `grants` and the refresh token just issued.
pub(crate) fn session_tokens(
    key: &SigningKey,
    user_id: Uuid,
    session_id: Uuid,
    grants: Grants,
    refresh: IssuedRefreshToken,
) -> Result<pb::SessionTokens, AuthError> {
    let issued_at = whole_seconds(Utc::now());
    let expires_at = issued_at + MAX_LIFETIME;
    let access_token = key
        .issue(&AccessClaims {
            user_id,
            token_id: Uuid::new_v4(),
            session_id,
            roles: grants.roles,
            merchant_id: grants.merchant_id,
            cashier_id: grants.cashier_id,
            issued_at,
            expires_at,
        })
        .map_err(|error| AuthError::Internal(error.into()))?;
    Ok(pb::SessionTokens {
        access_token,
        access_token_expire_time: Some(timestamp(expires_at)),
        refresh_token: refresh.token,
        refresh_token_expire_time: Some(timestamp(refresh.expires_at)),
        session_id: session_id.to_string(),
    })
}

/// `time` without its fraction of a second (tokens carry whole seconds).
fn whole_seconds(time: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp(time.timestamp(), 0).unwrap_or(time)
}

#[cfg(test)]
mod tests {
    use pos_api::pos::role::v1::Role;

    use super::*;

    fn grant(name: &str, merchant: Option<Uuid>, cashier: Option<Uuid>, trashed: bool) -> RoleGrant {
        RoleGrant {
            role: Some(Role {
                name: name.to_owned(),
                delete_time: trashed.then(prost_types::Timestamp::default),
                ..Default::default()
            }),
            merchant_id: merchant.map(|id| id.to_string()).unwrap_or_default(),
            cashier_id: cashier.map(|id| id.to_string()).unwrap_or_default(),
            ..Default::default()
        }
    }

    #[test]
    fn active_roles_and_their_scope_make_the_claims() {
        let merchant = Uuid::now_v7();
        let cashier = Uuid::now_v7();
        let grants = Grants::from_role_grants(&[
            grant("cashier", Some(merchant), Some(cashier), false),
            grant("store-manager", None, None, true),
        ]);
        assert_eq!(
            grants,
            Grants {
                roles: BTreeSet::from(["cashier".to_owned()]),
                merchant_id: Some(merchant),
                cashier_id: Some(cashier),
            }
        );
    }

    #[test]
    fn a_trashed_role_confers_no_scope() {
        let grants = Grants::from_role_grants(&[grant("merchant", Some(Uuid::now_v7()), None, true)]);
        assert_eq!(grants, Grants::default());
    }

    #[test]
    fn issued_tokens_verify_with_the_published_key_and_last_fifteen_minutes() {
        let key = SigningKey::generate().unwrap();
        let user = Uuid::now_v7();
        let session = Uuid::now_v7();
        let refresh = IssuedRefreshToken {
            token: "refresh".to_owned(),
            expires_at: Utc::now(),
        };
        let tokens = session_tokens(&key, user, session, Grants::default(), refresh).unwrap();
        let verifier = pos_platform::access_token::TokenVerifier::new([key.verifying_key()]);
        let claims = verifier.verify(&tokens.access_token).unwrap();
        assert_eq!(claims.user_id, user);
        assert_eq!(claims.session_id, session);
        assert_eq!(claims.expires_at - claims.issued_at, MAX_LIFETIME);
        assert_eq!(tokens.session_id, session.to_string());
    }
}
