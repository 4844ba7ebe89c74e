//! GetUser and ListUsers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::user::v1 as pb;
use pos_platform::{AuthContext, ModuleContext, paging};

use crate::error::UserError;
use crate::store::{self, UserRow, parse_id};

/// Longest free-text query accepted.
const MAX_QUERY_CHARS: usize = 200;

/// Returns one user (see `UserService.GetUser`): the caller itself, or anyone with `user.read`.
pub(crate) async fn get_user(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GetUserRequest,
) -> Result<pb::GetUserResponse, UserError> {
    let id = parse_id("user_id", &request.user_id)?;
    if !(auth.is_user(id) || auth.has_platform_permission("user.read")) {
        return Err(UserError::PermissionMissing("user.read"));
    }
    let mut conn = ctx.db.acquire().await?;
    let user = store::find(&mut conn, id)
        .await?
        .ok_or_else(|| UserError::NotFound(id.to_string()))?;
    Ok(pb::GetUserResponse {
        user: Some(user.to_pb()),
    })
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters<'a> {
    lifecycle: &'static str,
    query: &'a str,
    email_verified: Option<bool>,
}

/// Where the next page starts: after this user, in (create time, id) descending order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    created_at: DateTime<Utc>,
    id: Uuid,
}

/// Lists users newest first, page by page (see `UserService.ListUsers`).
pub(crate) async fn list_users(
    ctx: &ModuleContext,
    request: &pb::ListUsersRequest,
) -> Result<pb::ListUsersResponse, UserError> {
    let page_size = paging::page_size(Module::User, request.page_size)?;
    let lifecycle = lifecycle_filter(request.lifecycle)?;
    let query = request.query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(UserError::invalid(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let filters = Filters {
        lifecycle,
        query,
        email_verified: request.email_verified,
    };
    let cursor: Option<Cursor> = ctx
        .page_tokens
        .decode(Module::User, &request.page_token, &filters)?;
    let pattern = if query.is_empty() {
        String::new()
    } else {
        format!("%{}%", escape_like(query))
    };

    let mut conn = ctx.db.acquire().await?;
    // Both statements filter alike: $1 lifecycle, $2 ILIKE pattern, $3 verification.
    let total: i64 = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM users.users
           WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL)
                  OR ($1 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($2 = '' OR email ILIKE $2 OR first_name ILIKE $2 OR last_name ILIKE $2)
             AND ($3::boolean IS NULL OR email_verified = $3)"#,
        lifecycle,
        &pattern,
        request.email_verified,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows: Vec<UserRow> = sqlx::query_as!(
        UserRow,
        r#"SELECT id, email, first_name, last_name, email_verified, created_at, updated_at, deleted_at
           FROM users.users
           WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL)
                  OR ($1 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($2 = '' OR email ILIKE $2 OR first_name ILIKE $2 OR last_name ILIKE $2)
             AND ($3::boolean IS NULL OR email_verified = $3)
             AND ($4::timestamptz IS NULL OR (created_at, id) < ($4, $5))
           ORDER BY created_at DESC, id DESC LIMIT $6"#,
        lifecycle,
        &pattern,
        request.email_verified,
        cursor.as_ref().map(|cursor| cursor.created_at),
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
                created_at: last.created_at,
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListUsersResponse {
        users: rows.iter().map(UserRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// The SQL name of a `Lifecycle` filter (unset means active).
pub(crate) fn lifecycle_filter(value: i32) -> Result<&'static str, UserError> {
    pos_platform::listing::lifecycle_filter(value)
        .ok_or_else(|| UserError::invalid("lifecycle", "is not a known lifecycle"))
}

use pos_platform::listing::escape_like;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_query_match_themselves() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn an_unset_lifecycle_lists_active_users() {
        assert_eq!(lifecycle_filter(0).unwrap(), "active");
        assert_eq!(lifecycle_filter(2).unwrap(), "trashed");
        assert_eq!(lifecycle_filter(3).unwrap(), "all");
        assert!(lifecycle_filter(9).is_err());
    }
}
