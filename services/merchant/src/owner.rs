//! The owner of a merchant as other modules know it: the user module's profile (for the events'
//! e-mail and name) and the role module's `merchant` grant bound to the merchant.

use tonic::Code;
use uuid::Uuid;

use pos_api::pos::role::v1::{
    GrantRoleRequest, ListRolesRequest, ListUserRolesRequest, RevokeRoleRequest, RoleGrant,
};
use pos_api::pos::user::v1::GetUserRequest;
use pos_platform::ModuleContext;

use crate::error::MerchantError;

/// Name of the built-in role of merchant owners.
pub(crate) const MERCHANT_ROLE: &str = "merchant";

/// What the events say about the owner.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Owner {
    /// E-mail address.
    pub(crate) email: String,
    /// First and last name.
    pub(crate) name: String,
}

/// The active user `user_id`; `None` when it does not exist or is in the trash.
pub(crate) async fn active_user(ctx: &ModuleContext, user_id: Uuid) -> Result<Option<Owner>, MerchantError> {
    let found = ctx
        .clients
        .user()?
        .get_user(GetUserRequest {
            user_id: user_id.to_string(),
        })
        .await;
    match found {
        Ok(response) => Ok(response
            .into_inner()
            .user
            .filter(|user| user.delete_time.is_none())
            .map(|user| Owner {
                email: user.email,
                name: format!("{} {}", user.first_name, user.last_name)
                    .trim()
                    .to_owned(),
            })),
        Err(status) if status.code() == Code::NotFound => Ok(None),
        Err(status) => Err(status.into()),
    }
}

/// The owner's profile for an event; empty when the user is gone.
pub(crate) async fn profile(ctx: &ModuleContext, user_id: Uuid) -> Result<Owner, MerchantError> {
    Ok(active_user(ctx, user_id).await?.unwrap_or_default())
}

/// The user's grants.
pub(crate) async fn grants(ctx: &ModuleContext, user_id: Uuid) -> Result<Vec<RoleGrant>, MerchantError> {
    Ok(ctx
        .clients
        .role()?
        .list_user_roles(ListUserRolesRequest {
            user_id: user_id.to_string(),
        })
        .await?
        .into_inner()
        .grants)
}

/// Whether `grant` is the built-in `merchant` role.
pub(crate) fn is_merchant_grant(grant: &RoleGrant) -> bool {
    grant
        .role
        .as_ref()
        .is_some_and(|role| role.built_in && role.name == MERCHANT_ROLE)
}

/// Id of the built-in `merchant` role.
async fn merchant_role_id(ctx: &ModuleContext) -> Result<String, MerchantError> {
    ctx.clients
        .role()?
        .list_roles(ListRolesRequest {
            query: MERCHANT_ROLE.to_owned(),
            page_size: 50,
            ..ListRolesRequest::default()
        })
        .await?
        .into_inner()
        .roles
        .into_iter()
        .find(|role| role.name == MERCHANT_ROLE && role.built_in)
        .map(|role| role.id)
        .ok_or_else(|| anyhow::anyhow!("the built-in merchant role is missing").into())
}

/// Grants `owner` the `merchant` role bound to `merchant_id`; a grant that exists already is fine.
pub(crate) async fn grant(ctx: &ModuleContext, owner: Uuid, merchant_id: Uuid) -> Result<(), MerchantError> {
    let role_id = merchant_role_id(ctx).await?;
    let granted = ctx
        .clients
        .role()?
        .grant_role(GrantRoleRequest {
            user_id: owner.to_string(),
            role_id,
            merchant_id: merchant_id.to_string(),
            cashier_id: String::new(),
        })
        .await;
    match granted {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::AlreadyExists => Ok(()),
        Err(status) if status.code() == Code::FailedPrecondition => Err(MerchantError::ScopeConflict),
        Err(status) => Err(status.into()),
    }
}

/// Revokes the `merchant` role of `owner` when it is bound to `merchant_id`.
pub(crate) async fn revoke(ctx: &ModuleContext, owner: Uuid, merchant_id: Uuid) -> Result<(), MerchantError> {
    let merchant = merchant_id.to_string();
    let held = grants(ctx, owner).await?;
    let Some(grant) = held
        .iter()
        .find(|grant| is_merchant_grant(grant) && grant.merchant_id == merchant)
    else {
        return Ok(());
    };
    let role_id = grant
        .role
        .as_ref()
        .map(|role| role.id.clone())
        .unwrap_or_default();
    match ctx
        .clients
        .role()?
        .revoke_role(RevokeRoleRequest {
            user_id: owner.to_string(),
            role_id,
        })
        .await
    {
        Ok(_) => Ok(()),
        Err(status) if status.code() == Code::NotFound => Ok(()),
        Err(status) => Err(status.into()),
    }
}
