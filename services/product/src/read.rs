//! GetProduct (through the read-through cache), LookupProductByBarcode and ListProducts.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::AssertSqlSafe;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::common::v1::Money;
use pos_api::pos::product::v1 as pb;
use pos_platform::{AuthContext, ModuleContext, paging};

use crate::access;
use crate::error::ProductError;
use crate::store::{self, ProductRow, parse_id, product_columns};
use crate::upstream::{self, CategoryMatch};

/// Longest free-text query accepted.
const MAX_QUERY_CHARS: usize = 200;

/// Returns one product (see `ProductService.GetProduct`), trashed or not; NOT_FOUND also when it
/// belongs to a merchant outside the caller's reach.
pub(crate) async fn get_product(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GetProductRequest,
) -> Result<pb::GetProductResponse, ProductError> {
    let id = parse_id("product_id", &request.product_id)?;
    let reach = access::read_reach(auth)?;
    let product = crate::cache::products(ctx)
        .get_or_load(&id.to_string(), || async {
            let mut conn = ctx.db.acquire().await?;
            Ok::<_, ProductError>(store::find(&mut conn, id).await?.map(|row| row.to_pb()))
        })
        .await?
        .filter(|product| Uuid::parse_str(&product.merchant_id).is_ok_and(|merchant| reach.covers(merchant)))
        .ok_or_else(|| ProductError::NotFound(id.to_string()))?;
    Ok(pb::GetProductResponse {
        product: Some(product),
    })
}

/// The active product of a merchant carrying a barcode (see
/// `ProductService.LookupProductByBarcode`).
pub(crate) async fn lookup_product_by_barcode(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::LookupProductByBarcodeRequest,
) -> Result<pb::LookupProductByBarcodeResponse, ProductError> {
    let merchant_id = parse_id("merchant_id", &request.merchant_id)?;
    let barcode = request.barcode.trim();
    if barcode.is_empty() {
        return Err(ProductError::invalid("barcode", "is required"));
    }
    if !access::read_reach(auth)?.covers(merchant_id) {
        return Err(ProductError::PermissionMissing(access::READ));
    }
    let mut conn = ctx.db.acquire().await?;
    let row: Option<ProductRow> = sqlx::query_as!(
        ProductRow,
        "SELECT id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
         currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
         image_content_type, created_at, updated_at, deleted_at \
         FROM products.products WHERE merchant_id = $1 AND barcode = $2 AND deleted_at IS NULL",
        merchant_id,
        barcode,
    )
    .fetch_optional(&mut *conn)
    .await?;
    let row = row.ok_or_else(|| ProductError::BarcodeNotFound(barcode.to_owned()))?;
    Ok(pb::LookupProductByBarcodeResponse {
        product: Some(row.to_pb()),
    })
}

/// A sort order of ListProducts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
enum SortField {
    Name,
    Price,
    CreateTime,
    AvailableQuantity,
}

impl SortField {
    /// The SQL expression sorted on.
    fn expression(self) -> &'static str {
        match self {
            SortField::Name => "name",
            SortField::Price => "price_minor",
            SortField::CreateTime => "created_at",
            SortField::AvailableQuantity => "(count_in_stock - reserved_quantity)",
        }
    }

    /// The SQL type of the expression.
    fn sql_type(self) -> &'static str {
        match self {
            SortField::Name => "text",
            SortField::Price | SortField::AvailableQuantity => "bigint",
            SortField::CreateTime => "timestamptz",
        }
    }

    /// The cursor key of `row`.
    fn key(self, row: &ProductRow) -> SortKey {
        match self {
            SortField::Name => SortKey::Text(row.name.clone()),
            SortField::Price => SortKey::Int(row.price_minor),
            SortField::CreateTime => SortKey::Time(row.created_at),
            SortField::AvailableQuantity => SortKey::Int(row.count_in_stock - row.reserved_quantity),
        }
    }
}

/// `order_by` parsed: the field and whether it is descending.
fn parse_order_by(order_by: &str) -> Result<(SortField, bool), ProductError> {
    let words: Vec<&str> = order_by.split_whitespace().collect();
    let (field, descending) = match words.as_slice() {
        [] => return Ok((SortField::Name, false)),
        [field] => (*field, false),
        [field, direction] if direction.eq_ignore_ascii_case("desc") => (*field, true),
        [field, direction] if direction.eq_ignore_ascii_case("asc") => (*field, false),
        _ => ("", false),
    };
    let field = match field {
        "name" => SortField::Name,
        "price" => SortField::Price,
        "create_time" | "createTime" => SortField::CreateTime,
        "available_quantity" | "availableQuantity" => SortField::AvailableQuantity,
        _ => {
            return Err(ProductError::invalid(
                "order_by",
                "must be one of name, price, create_time, available_quantity, optionally followed by ` desc`",
            ));
        }
    };
    Ok((field, descending))
}

/// The sort key of the last row of a page.
#[derive(Clone, Debug, Serialize, Deserialize)]
enum SortKey {
    Text(String),
    Int(i64),
    Time(DateTime<Utc>),
}

/// Where the next page starts: after this row in the requested order.
#[derive(Serialize, Deserialize)]
struct Cursor {
    key: SortKey,
    id: Uuid,
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters<'a> {
    lifecycle: &'static str,
    query: &'a str,
    merchant_id: Option<Uuid>,
    category_ids: Option<&'a [Uuid]>,
    min_price: Option<(&'a str, i64)>,
    max_price: Option<(&'a str, i64)>,
    sort: SortField,
    descending: bool,
}

/// The `WHERE` clause of the page query (the count filters alike): $1 lifecycle, $2 ILIKE
/// pattern, $3 merchant, $4 category ids, $5/$6 lowest price currency/amount, $7/$8 highest price
/// currency/amount.
const LIST_FILTERS: &str = " WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL) \
        OR ($1 = 'trashed' AND deleted_at IS NOT NULL)) \
    AND ($2 = '' OR name ILIKE $2 OR brand ILIKE $2 OR slug ILIKE $2 OR barcode ILIKE $2) \
    AND ($3::uuid IS NULL OR merchant_id = $3) \
    AND ($4::uuid[] IS NULL OR category_id = ANY($4)) \
    AND ($5::text IS NULL OR (currency_code = $5 AND price_minor >= $6)) \
    AND ($7::text IS NULL OR (currency_code = $7 AND price_minor <= $8))";

/// Lists products page by page (see `ProductService.ListProducts`).
pub(crate) async fn list_products(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::ListProductsRequest,
) -> Result<pb::ListProductsResponse, ProductError> {
    let page_size = paging::page_size(Module::Product, request.page_size)?;
    let lifecycle = lifecycle_filter(request.lifecycle)?;
    let query = request.query.trim();
    if query.chars().count() > MAX_QUERY_CHARS {
        return Err(ProductError::invalid(
            "query",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    let requested_merchant = optional_id("merchant_id", &request.merchant_id)?;
    let reach = access::read_reach(auth)?;
    if requested_merchant.is_none() && reach != access::Reach::Platform {
        // Owners and cashiers list their own merchant's products, named explicitly.
        return Err(ProductError::PermissionMissing(access::READ));
    }
    let merchant_id = reach.merchant_filter(requested_merchant, access::READ)?;
    if lifecycle != "active" && !access::may_see_trash(auth, merchant_id) {
        return Err(ProductError::PermissionMissing(access::WRITE));
    }
    let min_price = price_bound("min_price", request.min_price.as_ref())?;
    let max_price = price_bound("max_price", request.max_price.as_ref())?;
    let (sort, descending) = parse_order_by(&request.order_by)?;
    let category_ids = category_filter(ctx, request).await?;

    let filters = Filters {
        lifecycle,
        query,
        merchant_id,
        category_ids: category_ids.as_deref(),
        min_price: min_price
            .as_ref()
            .map(|(currency, amount)| (currency.as_str(), *amount)),
        max_price: max_price
            .as_ref()
            .map(|(currency, amount)| (currency.as_str(), *amount)),
        sort,
        descending,
    };
    let cursor: Option<Cursor> = ctx
        .page_tokens
        .decode(Module::Product, &request.page_token, &filters)?;
    let pattern = if query.is_empty() {
        String::new()
    } else {
        format!("%{}%", escape_like(query))
    };

    let mut conn = ctx.db.acquire().await?;
    // Filters alike with `LIST_FILTERS` (the page below).
    let total: i64 = sqlx::query_scalar!(
        "SELECT count(*) AS \"count!\" FROM products.products \
         WHERE ($1 = 'all' OR ($1 = 'active' AND deleted_at IS NULL) \
             OR ($1 = 'trashed' AND deleted_at IS NOT NULL)) \
         AND ($2 = '' OR name ILIKE $2 OR brand ILIKE $2 OR slug ILIKE $2 OR barcode ILIKE $2) \
         AND ($3::uuid IS NULL OR merchant_id = $3) \
         AND ($4::uuid[] IS NULL OR category_id = ANY($4)) \
         AND ($5::text IS NULL OR (currency_code = $5 AND price_minor >= $6)) \
         AND ($7::text IS NULL OR (currency_code = $7 AND price_minor <= $8))",
        lifecycle,
        &pattern,
        merchant_id,
        category_ids.as_deref(),
        min_price.as_ref().map(|(currency, _)| currency),
        min_price.as_ref().map(|(_, amount)| amount),
        max_price.as_ref().map(|(currency, _)| currency),
        max_price.as_ref().map(|(_, amount)| amount),
    )
    .fetch_one(&mut *conn)
    .await?;

    let expression = sort.expression();
    let sql_type = sort.sql_type();
    let (comparison, direction) = if descending { ("<", "DESC") } else { (">", "ASC") };
    let sql = format!(
        "SELECT {columns} FROM products.products{LIST_FILTERS} \
         AND ($9::{sql_type} IS NULL OR ({expression}, id) {comparison} ($9::{sql_type}, $10)) \
         ORDER BY {expression} {direction}, id {direction} LIMIT $11",
        columns = product_columns!(),
    );
    let select = sqlx::query_as::<_, ProductRow>(AssertSqlSafe(sql))
        .bind(lifecycle)
        .bind(&pattern)
        .bind(merchant_id)
        .bind(category_ids.as_deref())
        .bind(min_price.as_ref().map(|(currency, _)| currency))
        .bind(min_price.as_ref().map(|(_, amount)| amount))
        .bind(max_price.as_ref().map(|(currency, _)| currency))
        .bind(max_price.as_ref().map(|(_, amount)| amount));
    let select = match (sort, cursor.as_ref().map(|cursor| &cursor.key)) {
        (_, Some(SortKey::Text(text))) => select.bind(Some(text.clone())),
        (_, Some(SortKey::Int(value))) => select.bind(Some(*value)),
        (_, Some(SortKey::Time(time))) => select.bind(Some(*time)),
        (SortField::Name, None) => select.bind(None::<String>),
        (SortField::Price | SortField::AvailableQuantity, None) => select.bind(None::<i64>),
        (SortField::CreateTime, None) => select.bind(None::<DateTime<Utc>>),
    };
    let mut rows = select
        .bind(cursor.as_ref().map(|cursor| cursor.id))
        .bind(i64::from(page_size) + 1)
        .fetch_all(&mut *conn)
        .await?;

    let more = rows.len() > page_size as usize;
    rows.truncate(page_size as usize);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(
            &Cursor {
                key: sort.key(last),
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListProductsResponse {
        products: rows.iter().map(ProductRow::to_pb).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// The categories a listing is limited to (`None`: any), from `category_id`, `category_slug` and
/// `category_name` together (every one given must match).
async fn category_filter(
    ctx: &ModuleContext,
    request: &pb::ListProductsRequest,
) -> Result<Option<Vec<Uuid>>, ProductError> {
    let mut allowed: Option<Vec<Uuid>> = optional_id("category_id", &request.category_id)?.map(|id| vec![id]);
    let slug = request.category_slug.trim();
    let name = request.category_name.trim();
    for (given, wanted) in [
        (!slug.is_empty(), CategoryMatch::Slug(slug)),
        (!name.is_empty(), CategoryMatch::Name(name)),
    ] {
        if !given {
            continue;
        }
        let found = upstream::categories_matching(ctx, wanted).await?;
        allowed = Some(match allowed {
            None => found,
            Some(ids) => ids.into_iter().filter(|id| found.contains(id)).collect(),
        });
    }
    Ok(allowed)
}

/// A price bound: its currency and amount, or `None` when unset.
fn price_bound(field: &str, money: Option<&Money>) -> Result<Option<(String, i64)>, ProductError> {
    let Some(money) = money else {
        return Ok(None);
    };
    let currency = money.currency_code.trim();
    if currency.len() != 3 || !currency.bytes().all(|byte| byte.is_ascii_uppercase()) {
        return Err(ProductError::invalid(
            format!("{field}.currency_code"),
            "must be an ISO-4217 code: three upper-case letters",
        ));
    }
    Ok(Some((currency.to_owned(), money.amount_minor)))
}

/// An optional id filter: `None` when empty.
fn optional_id(field: &str, value: &str) -> Result<Option<Uuid>, ProductError> {
    if value.trim().is_empty() {
        Ok(None)
    } else {
        parse_id(field, value).map(Some)
    }
}

/// The SQL name of a `Lifecycle` filter (unset means active).
fn lifecycle_filter(value: i32) -> Result<&'static str, ProductError> {
    pos_platform::listing::lifecycle_filter(value)
        .ok_or_else(|| ProductError::invalid("lifecycle", "is not a known lifecycle"))
}

use pos_platform::listing::escape_like;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_by_names_a_field_and_maybe_desc() {
        assert_eq!(parse_order_by("").unwrap(), (SortField::Name, false));
        assert_eq!(parse_order_by("price desc").unwrap(), (SortField::Price, true));
        assert_eq!(
            parse_order_by(" available_quantity ").unwrap(),
            (SortField::AvailableQuantity, false)
        );
        assert!(parse_order_by("stock").is_err());
        assert!(parse_order_by("name sideways").is_err());
    }

    #[test]
    fn like_wildcards_in_a_query_match_themselves() {
        assert_eq!(escape_like("50%_off\\"), "50\\%\\_off\\\\");
    }

    #[test]
    fn price_bounds_need_a_currency() {
        assert!(price_bound("min_price", None).unwrap().is_none());
        let bad = Money {
            currency_code: "rp".into(),
            amount_minor: 1,
        };
        assert!(price_bound("min_price", Some(&bad)).is_err());
    }
}
