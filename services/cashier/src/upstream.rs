//! What the cashier module asks other modules, through their contracts (`ctx.clients`, with the
//! process's service credential): the merchant's status, the cashier's user account and its
//! `cashier` role grant. Callers check what their own caller may do before calling these.

use tonic::Code;
use uuid::Uuid;

use pos_api::pos::merchant::v1::{GetMerchantRequest, MerchantStatus};
use pos_api::pos::role::v1::{GrantRoleRequest, RevokeRoleRequest};
use pos_api::pos::user::v1 as user_pb;
use pos_platform::ModuleContext;

use crate::error::{CashierError, reason_of};
use crate::store::CashierRow;

/// Id of the built-in `cashier` role (fixed by the role module's migration in every environment).
pub(crate) const CASHIER_ROLE_ID: Uuid = Uuid::from_u128(0x0000_0000_0000_7000_8000_0000_0000_0003);

/// What the cashier module needs to know of a merchant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum MerchantState {
    /// ACTIVE or SUSPENDED, not trashed: it may have cashiers.
    Approved,
    /// PENDING or REJECTED.
    NotApproved,
    /// In the trash.
    Trashed,
    /// No such merchant (never existed, or purged).
    Missing,
}

/// The state of merchant `merchant_id`.
pub(crate) async fn merchant_state(
    ctx: &ModuleContext,
    merchant_id: Uuid,
) -> Result<MerchantState, CashierError> {
    let answer = ctx
        .clients
        .merchant()?
        .get_merchant(GetMerchantRequest {
            merchant_id: merchant_id.to_string(),
        })
        .await;
    let merchant = match answer {
        Ok(response) => response.into_inner().merchant.unwrap_or_default(),
        Err(status) if status.code() == Code::NotFound => return Ok(MerchantState::Missing),
        Err(status) => return Err(status.into()),
    };
    if merchant.delete_time.is_some() {
        return Ok(MerchantState::Trashed);
    }
    Ok(match MerchantStatus::try_from(merchant.status) {
        Ok(MerchantStatus::Active | MerchantStatus::Suspended) => MerchantState::Approved,
        _ => MerchantState::NotApproved,
    })
}

/// Refuses to add a cashier to a merchant that is missing, not approved or trashed.
pub(crate) async fn require_approved_merchant(
    ctx: &ModuleContext,
    merchant_id: Uuid,
) -> Result<(), CashierError> {
    match merchant_state(ctx, merchant_id).await? {
        MerchantState::Approved => Ok(()),
        MerchantState::NotApproved => Err(CashierError::MerchantNotApproved(merchant_id.to_string())),
        MerchantState::Trashed => Err(CashierError::MerchantTrashed(merchant_id.to_string())),
        MerchantState::Missing => Err(CashierError::MerchantNotFound(merchant_id.to_string())),
    }
}

/// Creates the cashier's user account (UserService.CreateUser), idempotently under `request_id`.
pub(crate) async fn create_user(
    ctx: &ModuleContext,
    request_id: Uuid,
    email: &str,
    name: &str,
    password: &str,
) -> Result<user_pb::User, CashierError> {
    let response = ctx
        .clients
        .user()?
        .create_user(user_pb::CreateUserRequest {
            user: Some(user_pb::User {
                email: email.to_owned(),
                first_name: name.to_owned(),
                ..Default::default()
            }),
            password: password.to_owned(),
            request_id: request_id.to_string(),
        })
        .await
        .map_err(CashierError::from_upstream)?;
    response
        .into_inner()
        .user
        .ok_or_else(|| anyhow::anyhow!("CreateUser answered without a user").into())
}

/// The existing user `user_id` (UserService.GetUser).
pub(crate) async fn get_user(ctx: &ModuleContext, user_id: Uuid) -> Result<user_pb::User, CashierError> {
    let answer = ctx
        .clients
        .user()?
        .get_user(user_pb::GetUserRequest {
            user_id: user_id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => response
            .into_inner()
            .user
            .ok_or_else(|| anyhow::anyhow!("GetUser answered without a user").into()),
        Err(status) if status.code() == Code::NotFound => {
            Err(CashierError::UserNotFound(user_id.to_string()))
        }
        Err(status) => Err(CashierError::from_upstream(status)),
    }
}

/// Grants the `cashier` role to the cashier's user, bound to its merchant and to it
/// (RoleService.GrantRole, which returns an existing identical grant unchanged).
pub(crate) async fn grant(ctx: &ModuleContext, cashier: &CashierRow) -> Result<(), CashierError> {
    grant_ids(ctx, cashier.user_id, cashier.merchant_id, cashier.id).await
}

/// [`grant`] by ids.
pub(crate) async fn grant_ids(
    ctx: &ModuleContext,
    user_id: Uuid,
    merchant_id: Uuid,
    cashier_id: Uuid,
) -> Result<(), CashierError> {
    ctx.clients
        .role()?
        .grant_role(GrantRoleRequest {
            user_id: user_id.to_string(),
            role_id: CASHIER_ROLE_ID.to_string(),
            merchant_id: merchant_id.to_string(),
            cashier_id: cashier_id.to_string(),
        })
        .await
        .map_err(CashierError::from_upstream)?;
    Ok(())
}

/// Revokes the `cashier` role from the cashier's user (RoleService.RevokeRole); a grant that is
/// already gone is fine.
pub(crate) async fn revoke(ctx: &ModuleContext, user_id: Uuid) -> Result<(), CashierError> {
    let answer = ctx
        .clients
        .role()?
        .revoke_role(RevokeRoleRequest {
            user_id: user_id.to_string(),
            role_id: CASHIER_ROLE_ID.to_string(),
        })
        .await;
    match answer {
        Ok(_) => Ok(()),
        Err(status) if reason_of(&status).as_deref() == Some("ROLE_NOT_GRANTED") => Ok(()),
        Err(status) => Err(CashierError::from_upstream(status)),
    }
}

/// Removes a user this module created for a cashier whose creation then failed (trash, then
/// purge). Best effort: a failure is logged and the user stays, without any role.
pub(crate) async fn remove_user(ctx: &ModuleContext, user_id: Uuid) {
    let removal = async {
        let mut users = ctx.clients.user()?;
        users
            .delete_user(user_pb::DeleteUserRequest {
                user_id: user_id.to_string(),
            })
            .await?;
        users
            .purge_user(user_pb::PurgeUserRequest {
                user_id: user_id.to_string(),
            })
            .await?;
        Ok::<(), CashierError>(())
    };
    if let Err(error) = removal.await {
        tracing::warn!(%user_id, %error, "could not remove the user of a cashier whose creation failed");
    }
}
