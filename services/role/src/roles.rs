//! GetRole, ListRoles, CreateRole, UpdateRole and ListPermissions.

use prost::Message as _;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::role::v1 as pb;
use pos_platform::auth::Principal;
use pos_platform::{AuthContext, ModuleContext, paging};

use crate::catalogue::{self, ADMIN_ROLE_ID};
use crate::error::RoleError;
use crate::events::{self, Actor};
use crate::input::{NewRole, RoleChanges};
use crate::store::{self, RoleRow, parse_id};
use pos_platform::idempotency::{Claim, IdempotencyKey};

/// Longest free-text query accepted.
const MAX_QUERY_CHARS: usize = 200;

/// Returns one role (see `RoleService.GetRole`).
pub(crate) async fn get_role(
    ctx: &ModuleContext,
    request: &pb::GetRoleRequest,
) -> Result<pb::GetRoleResponse, RoleError> {
    let id = parse_id("role_id", &request.role_id)?;
    let mut conn = ctx.db.acquire().await?;
    let role = store::find(&mut conn, id)
        .await?
        .ok_or_else(|| RoleError::RoleNotFound(id.to_string()))?;
    Ok(pb::GetRoleResponse {
        role: Some(role.to_pb()),
    })
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters<'a> {
    lifecycle: &'static str,
    query: &'a str,
    permission: &'a str,
}

/// Where the next page starts: after this role, in (name, id) order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    name: String,
    id: Uuid,
}

/// Lists roles by name, page by page (see `RoleService.ListRoles`).
pub(crate) async fn list_roles(
    ctx: &ModuleContext,
    request: &pb::ListRolesRequest,
) -> Result<pb::ListRolesResponse, RoleError> {
    let page_size = paging::page_size(Module::Role, request.page_size)?;
    let lifecycle = lifecycle_filter(request.lifecycle)?;
    let query = request.query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(RoleError::invalid(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let permission = request.permission.trim();
    if !permission.is_empty() && !catalogue::is_known(permission) {
        return Err(RoleError::UnknownPermission(permission.to_owned()));
    }
    let filters = Filters {
        lifecycle,
        query,
        permission,
    };
    let cursor: Option<Cursor> = ctx
        .page_tokens
        .decode(Module::Role, &request.page_token, &filters)?;
    let pattern = if query.is_empty() {
        String::new()
    } else {
        format!("%{}%", escape_like(query))
    };

    let mut conn = ctx.db.acquire().await?;
    // The count and the page filter alike: $1 lifecycle, $2 ILIKE pattern, $3 permission, $4 the
    // id of `admin` (which holds every permission of the catalogue).
    let total: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "total!" FROM roles.roles
           WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL)
                  OR ($1 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($2 = '' OR name ILIKE $2 OR description ILIKE $2)
             AND ($3 = '' OR $3 = ANY (permissions) OR id = $4)"#,
        lifecycle,
        &pattern,
        permission,
        ADMIN_ROLE_ID,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows: Vec<RoleRow> = sqlx::query_as!(
        RoleRow,
        r#"SELECT id, name, description, permissions, built_in, created_at, updated_at, deleted_at
           FROM roles.roles
           WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL)
                  OR ($1 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($2 = '' OR name ILIKE $2 OR description ILIKE $2)
             AND ($3 = '' OR $3 = ANY (permissions) OR id = $4)
             AND ($5::text IS NULL OR (name, id) > ($5, $6))
           ORDER BY name, id LIMIT $7"#,
        lifecycle,
        &pattern,
        permission,
        ADMIN_ROLE_ID,
        cursor.as_ref().map(|cursor| cursor.name.clone()),
        cursor.as_ref().map(|cursor| cursor.id),
        i64::from(page_size) + 1,
    )
    .fetch_all(&mut *conn)
    .await?;

    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(
            &Cursor {
                name: last.name.clone(),
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListRolesResponse {
        roles: rows.iter().map(RoleRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// Creates a custom role (see `RoleService.CreateRole`).
pub(crate) async fn create_role(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::CreateRoleRequest,
) -> Result<pb::CreateRoleResponse, RoleError> {
    let new = NewRole::from_pb(&request.role.clone().unwrap_or_default())?;
    let canonical = pb::Role {
        name: new.name.clone(),
        description: new.description.clone(),
        permissions: new.permissions.clone(),
        ..Default::default()
    }
    .encode_to_vec();
    let key = IdempotencyKey::new(
        Module::Role,
        "CreateRole",
        principal(auth),
        &request.request_id,
        &canonical,
    )?;
    let actor = Actor::of(auth).with_request_id(&request.request_id);

    let mut tx = ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::CreateRoleResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored CreateRole response: {error}").into());
    }
    if store::name_taken(&mut tx, &new.name, None).await? {
        return Err(RoleError::NameTaken(new.name));
    }
    let role: RoleRow = sqlx::query_as!(
        RoleRow,
        "INSERT INTO roles.roles (id, name, description, permissions) VALUES ($1, $2, $3, $4) \
         RETURNING id, name, description, permissions, built_in, created_at, updated_at, deleted_at",
        Uuid::now_v7(),
        &new.name,
        &new.description,
        &new.permissions,
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|error| store::write_error(error, &new.name))?;
    events::role_changed(&mut tx, &actor, &role, true, Vec::new()).await?;
    let response = pb::CreateRoleResponse {
        role: Some(role.to_pb()),
    };
    if let Some(key) = &key {
        key.complete(&mut tx, &response).await?;
    }
    tx.commit().await?;
    Ok(response)
}

/// Changes a role's name, description or permissions (see `RoleService.UpdateRole`).
pub(crate) async fn update_role(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::UpdateRoleRequest,
) -> Result<pb::UpdateRoleResponse, RoleError> {
    let role = request.role.clone().unwrap_or_default();
    let id = parse_id("role.id", &role.id)?;
    let changes = RoleChanges::from_pb(&role, request.update_mask.as_ref())?;

    let mut tx = ctx.db.begin().await?;
    let current = store::lock(&mut tx, id).await?;
    if current.deleted_at.is_some() {
        return Err(RoleError::RoleTrashed(id.to_string()));
    }
    let name = changes.name.filter(|name| *name != current.name);
    let description = changes.description.filter(|text| *text != current.description);
    let permissions = changes
        .permissions
        .filter(|permissions| *permissions != current.effective_permissions());
    if current.built_in && name.is_some() {
        return Err(RoleError::BuiltInRole {
            name: current.name,
            why: "built-in roles cannot be renamed",
        });
    }
    if id == ADMIN_ROLE_ID && permissions.is_some() {
        return Err(RoleError::BuiltInRole {
            name: current.name,
            why: "admin holds every permission; its permissions cannot be changed",
        });
    }
    if let Some(name) = &name
        && store::name_taken(&mut tx, name, Some(id)).await?
    {
        return Err(RoleError::NameTaken(name.clone()));
    }
    if name.is_none() && description.is_none() && permissions.is_none() {
        return Ok(pb::UpdateRoleResponse {
            role: Some(current.to_pb()),
        });
    }
    let new_name = name.clone().unwrap_or_default();
    let updated: RoleRow = sqlx::query_as!(
        RoleRow,
        "UPDATE roles.roles SET name = COALESCE($2, name), description = COALESCE($3, description), \
         permissions = COALESCE($4, permissions), updated_at = now() WHERE id = $1 \
         RETURNING id, name, description, permissions, built_in, created_at, updated_at, deleted_at",
        id,
        name.as_deref(),
        description.as_deref(),
        permissions.as_deref(),
    )
    .fetch_one(&mut *tx)
    .await
    .map_err(|error| store::write_error(error, &new_name))?;
    events::role_changed(
        &mut tx,
        &Actor::of(auth),
        &updated,
        false,
        current.effective_permissions(),
    )
    .await?;
    tx.commit().await?;
    Ok(pb::UpdateRoleResponse {
        role: Some(updated.to_pb()),
    })
}

/// Lists the permission catalogue, optionally of one module (see `RoleService.ListPermissions`).
pub(crate) fn list_permissions(request: &pb::ListPermissionsRequest) -> pb::ListPermissionsResponse {
    let module = request.module.trim();
    let mut permissions: Vec<pb::Permission> = pos_api::policy::PERMISSIONS
        .iter()
        .map(|(name, description)| pb::Permission {
            name: (*name).to_owned(),
            module: name
                .split_once('.')
                .map_or(*name, |(module, _)| module)
                .to_owned(),
            description: (*description).to_owned(),
        })
        .filter(|permission| module.is_empty() || permission.module == module)
        .collect();
    permissions.sort_by(|a, b| a.name.cmp(&b.name));
    pb::ListPermissionsResponse { permissions }
}

/// Who sent the request, for idempotency keys: the user id, or `service:<name>`.
fn principal(auth: &AuthContext) -> String {
    match &auth.principal {
        Principal::User { user_id, .. } => user_id.to_string(),
        Principal::Service { name } => format!("service:{name}"),
    }
}

/// The SQL name of a `Lifecycle` filter (unset means active).
fn lifecycle_filter(value: i32) -> Result<&'static str, RoleError> {
    pos_platform::listing::lifecycle_filter(value)
        .ok_or_else(|| RoleError::invalid("lifecycle", "is not a known lifecycle"))
}

use pos_platform::listing::escape_like;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_listed_by_name_and_filtered_by_module() {
        let all = list_permissions(&pb::ListPermissionsRequest::default()).permissions;
        assert_eq!(all.len(), pos_api::policy::PERMISSIONS.len());
        assert!(all.windows(2).all(|pair| pair[0].name < pair[1].name));
        let orders = list_permissions(&pb::ListPermissionsRequest {
            module: "order".into(),
        })
        .permissions;
        let names: Vec<_> = orders.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["order.read", "order.refund", "order.write"]);
        assert!(
            orders
                .iter()
                .all(|p| p.module == "order" && !p.description.is_empty())
        );
    }

    #[test]
    fn like_wildcards_in_a_query_match_themselves() {
        assert_eq!(escape_like("a_b%"), "a\\_b\\%");
    }
}
