//! UpdateCashier (rename), DisableCashier and EnableCashier.
//!
//! A cashier holds its `cashier` role grant exactly while it is enabled and not trashed: disabling
//! revokes the grant (RoleService.RevokeRole publishes UserRolesChanged, on which every process's
//! access layer drops the user's cached grants, so its access token stops working for cashier
//! RPCs at once), enabling grants it again. The row stays locked while the role module is called
//! and commits after it answered, so concurrent calls on one cashier are serialized and a failed
//! call changes nothing here. Calls that find the cashier already in the wanted state call the role
//! module again (both calls are idempotent): that repairs a grant left behind by a call whose
//! commit failed after the role module had answered.

use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::cashier::v1 as pb;
use pos_platform::{AuthContext, ModuleContext, validation};

use crate::error::CashierError;
use crate::events::{self, Actor};
use crate::input::{CashierName, mask_paths};
use crate::store::{self, CashierRow, WRITE, parse_id};
use crate::upstream;

/// Renames a cashier (see `CashierService.UpdateCashier`).
pub(crate) async fn update_cashier(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::UpdateCashierRequest,
) -> Result<pb::UpdateCashierResponse, CashierError> {
    let cashier = request.cashier.unwrap_or_default();
    let id = parse_id("cashier.id", &cashier.id)?;
    let paths = mask_paths(request.update_mask.as_ref())?;
    let name = CashierName::from_pb(&cashier);
    validation::validate(Module::Cashier, "cashier", &name)?;

    let mut tx = ctx.db.begin().await?;
    let current = locked_writable(&mut tx, auth, id).await?;
    if paths.iter().all(|path| path != "name") {
        return Ok(pb::UpdateCashierResponse {
            cashier: Some(current.to_pb()),
        });
    }
    let updated = sqlx::query_as!(
        CashierRow,
        "UPDATE cashiers.cashiers SET name = $2, updated_at = now() WHERE id = $1 \
         RETURNING id, merchant_id, user_id, name, disabled_at, created_at, updated_at, deleted_at",
        id,
        &name.name,
    )
    .fetch_one(&mut *tx)
    .await?;
    events::updated(&mut tx, &Actor::of(auth), &updated).await?;
    tx.commit().await?;
    Ok(pb::UpdateCashierResponse {
        cashier: Some(updated.to_pb()),
    })
}

/// Disables a cashier (see `CashierService.DisableCashier`).
pub(crate) async fn disable_cashier(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::DisableCashierRequest,
) -> Result<pb::DisableCashierResponse, CashierError> {
    let id = parse_id("cashier_id", &request.cashier_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = locked_writable(&mut tx, auth, id).await?;
    upstream::revoke(ctx, current.user_id).await?;
    if current.disabled_at.is_some() {
        return Ok(pb::DisableCashierResponse {
            cashier: Some(current.to_pb()),
        });
    }
    let disabled = set_disabled(&mut tx, id, true).await?;
    events::disabled(&mut tx, &Actor::of(auth), &disabled).await?;
    tx.commit().await?;
    Ok(pb::DisableCashierResponse {
        cashier: Some(disabled.to_pb()),
    })
}

/// Enables a disabled cashier (see `CashierService.EnableCashier`).
pub(crate) async fn enable_cashier(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::EnableCashierRequest,
) -> Result<pb::EnableCashierResponse, CashierError> {
    let id = parse_id("cashier_id", &request.cashier_id)?;
    let mut tx = ctx.db.begin().await?;
    let current = locked_writable(&mut tx, auth, id).await?;
    upstream::grant(ctx, &current).await?;
    if current.disabled_at.is_none() {
        return Ok(pb::EnableCashierResponse {
            cashier: Some(current.to_pb()),
        });
    }
    let enabled = set_disabled(&mut tx, id, false).await?;
    events::enabled(&mut tx, &Actor::of(auth), &enabled).await?;
    tx.commit().await?;
    Ok(pb::EnableCashierResponse {
        cashier: Some(enabled.to_pb()),
    })
}

/// The cashier `id`, locked, when `auth` may change it and it is not in the trash.
async fn locked_writable(
    conn: &mut PgConnection,
    auth: &AuthContext,
    id: Uuid,
) -> Result<CashierRow, CashierError> {
    let current = store::visible(auth, WRITE, id, store::lock(conn, id).await?)?;
    if current.deleted_at.is_some() {
        return Err(CashierError::Trashed(id.to_string()));
    }
    Ok(current)
}

async fn set_disabled(conn: &mut PgConnection, id: Uuid, disabled: bool) -> Result<CashierRow, CashierError> {
    Ok(sqlx::query_as!(
        CashierRow,
        "UPDATE cashiers.cashiers SET disabled_at = CASE WHEN $2 THEN now() END, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, merchant_id, user_id, name, disabled_at, created_at, updated_at, deleted_at",
        id,
        disabled,
    )
    .fetch_one(conn)
    .await?)
}
