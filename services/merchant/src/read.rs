//! GetMerchant (through the Redis read-through cache) and ListMerchants.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::merchant::v1 as pb;
use pos_platform::auth::MerchantScope;
use pos_platform::{AuthContext, paging};

use crate::Shared;
use crate::access;
use crate::error::MerchantError;
use crate::store::{self, MerchantRow, parse_id};

/// Longest free-text query accepted.
const MAX_QUERY_CHARS: usize = 200;

/// The merchant `id` as the API shows it, from the cache or PostgreSQL.
pub(crate) async fn cached(shared: &Shared, id: Uuid) -> Result<Option<pb::Merchant>, MerchantError> {
    shared
        .cache
        .get_or_load(&id.to_string(), || async {
            let mut conn = shared.ctx.db.acquire().await?;
            Ok::<_, MerchantError>(store::find(&mut conn, id).await?.map(|row| row.to_pb()))
        })
        .await
}

/// Returns one merchant (see `MerchantService.GetMerchant`).
pub(crate) async fn get_merchant(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::GetMerchantRequest,
) -> Result<pb::GetMerchantResponse, MerchantError> {
    let id = parse_id("merchant_id", &request.merchant_id)?;
    let merchant = cached(shared, id).await?;
    let owner = merchant
        .as_ref()
        .and_then(|merchant| Uuid::parse_str(&merchant.owner_user_id).ok());
    access::check(auth, &["merchant.read"], id, owner)?;
    Ok(pb::GetMerchantResponse { merchant })
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters<'a> {
    lifecycle: &'static str,
    query: &'a str,
    status: &'static str,
    owner: Option<Uuid>,
    /// Who the listing is limited to (non-platform callers).
    caller: Option<Uuid>,
    merchant: Option<Uuid>,
}

/// Where the next page starts: after this merchant, in (name, id) order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    name: String,
    id: Uuid,
}

/// Lists merchants by name, page by page (see `MerchantService.ListMerchants`).
pub(crate) async fn list_merchants(
    shared: &Shared,
    auth: &AuthContext,
    request: &pb::ListMerchantsRequest,
) -> Result<pb::ListMerchantsResponse, MerchantError> {
    let ctx = &shared.ctx;
    let page_size = paging::page_size(Module::Merchant, request.page_size)?;
    let lifecycle = lifecycle_filter(request.lifecycle)?;
    let status = match pb::MerchantStatus::try_from(request.status) {
        Ok(pb::MerchantStatus::Unspecified) => "",
        Ok(status) => store::status_to_db(status),
        Err(_) => return Err(MerchantError::invalid("status", "is not a known status")),
    };
    let owner = match request.owner_user_id.trim() {
        "" => None,
        id => Some(parse_id("owner_user_id", id)?),
    };
    let query = request.query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(MerchantError::invalid(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let (caller, merchant) = reach(auth, lifecycle)?;
    let filters = Filters {
        lifecycle,
        query,
        status,
        owner,
        caller,
        merchant,
    };
    let cursor: Option<Cursor> = ctx
        .page_tokens
        .decode(Module::Merchant, &request.page_token, &filters)?;
    let pattern = if query.is_empty() {
        String::new()
    } else {
        format!("%{}%", escape_like(query))
    };

    let mut conn = ctx.db.acquire().await?;
    // Both statements filter alike: $1 lifecycle, $2 ILIKE pattern, $3 status ('' any), $4 owner,
    // $5/$6 the non-platform caller's reach (owner id / merchant id; both NULL: any).
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM merchants.merchants
           WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL)
                  OR ($1 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($2 = '' OR name ILIKE $2 OR contact_email ILIKE $2 OR contact_phone ILIKE $2)
             AND ($3 = '' OR status = $3)
             AND ($4::uuid IS NULL OR owner_user_id = $4)
             AND (($5::uuid IS NULL AND $6::uuid IS NULL) OR owner_user_id = $5 OR id = $6)"#,
        lifecycle,
        &pattern,
        status,
        owner,
        caller,
        merchant,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows = sqlx::query_as!(
        MerchantRow,
        r#"SELECT id, owner_user_id, name, description, address, contact_email, contact_phone,
                  currency_code, time_zone, receipt_footer, status, status_reason, status_updated_at,
                  created_at, updated_at, deleted_at
           FROM merchants.merchants
           WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL)
                  OR ($1 = 'trashed' AND deleted_at IS NOT NULL))
             AND ($2 = '' OR name ILIKE $2 OR contact_email ILIKE $2 OR contact_phone ILIKE $2)
             AND ($3 = '' OR status = $3)
             AND ($4::uuid IS NULL OR owner_user_id = $4)
             AND (($5::uuid IS NULL AND $6::uuid IS NULL) OR owner_user_id = $5 OR id = $6)
             AND ($7::text IS NULL OR (name, id) > ($7, $8))
           ORDER BY name, id LIMIT $9"#,
        lifecycle,
        &pattern,
        status,
        owner,
        caller,
        merchant,
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
    Ok(pb::ListMerchantsResponse {
        merchants: rows.iter().map(MerchantRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// Which merchants a caller may list: every one for platform readers (`(None, None)`), else
/// those it owns (by user id) or works at (by merchant id). Trashed rows need `merchant.write`.
fn reach(auth: &AuthContext, lifecycle: &str) -> Result<(Option<Uuid>, Option<Uuid>), MerchantError> {
    let needs_write = lifecycle != "active";
    let permission = if needs_write {
        "merchant.write"
    } else {
        "merchant.read"
    };
    if auth.has_platform_permission(permission) {
        return Ok((None, None));
    }
    let merchant = match auth.merchant_scope(permission) {
        Some(MerchantScope::Merchant(id) | MerchantScope::Cashier { merchant_id: id, .. }) => Some(id),
        Some(MerchantScope::Platform) | None => None,
    };
    let caller = auth.user_id();
    if needs_write && merchant.is_none() && auth.merchant_id.is_some() {
        // A cashier: it may read its merchant but not its trash.
        return Err(MerchantError::PermissionMissing("merchant.write"));
    }
    match (caller, merchant) {
        (None, None) => Err(MerchantError::PermissionMissing(permission)),
        // A NULL pair means "any": a caller with neither is matched on an id nobody has.
        (caller, merchant) => Ok((caller.or(Some(Uuid::nil())), merchant)),
    }
}

/// The SQL name of a `Lifecycle` filter (unset means active).
pub(crate) fn lifecycle_filter(value: i32) -> Result<&'static str, MerchantError> {
    pos_platform::listing::lifecycle_filter(value)
        .ok_or_else(|| MerchantError::invalid("lifecycle", "is not a known lifecycle"))
}

pub(crate) use pos_platform::listing::escape_like;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_in_a_query_match_themselves() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn platform_callers_list_every_merchant() {
        assert_eq!(reach(&AuthContext::service("pos"), "all").unwrap(), (None, None));
    }
}
