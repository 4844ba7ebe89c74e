//! What the product module asks other modules, through their gRPC APIs: merchants (existence,
//! status, currency) and categories (existence, trash, slug and name look-ups).

use tonic::Code;
use uuid::Uuid;

use pos_api::pos::category::v1 as category_pb;
use pos_api::pos::common::v1::Lifecycle;
use pos_api::pos::merchant::v1 as merchant_pb;
use pos_platform::ModuleContext;

use crate::error::ProductError;

/// Most categories a slug or name filter may resolve to.
const MAX_CATEGORY_MATCHES: usize = 500;

/// A merchant that may have products created for it (not trashed, PENDING or ACTIVE).
#[derive(Clone, Debug)]
pub(crate) struct SellingMerchant {
    /// The merchant's currency: product prices must be in it.
    pub(crate) currency_code: String,
}

/// The merchant `id`, if products may be created or changed for it.
pub(crate) async fn selling_merchant(ctx: &ModuleContext, id: Uuid) -> Result<SellingMerchant, ProductError> {
    let merchant = merchant(ctx, id).await?;
    let status = merchant_pb::MerchantStatus::try_from(merchant.status).unwrap_or_default();
    let usable = matches!(
        status,
        merchant_pb::MerchantStatus::Pending | merchant_pb::MerchantStatus::Active
    );
    if merchant.delete_time.is_some() || !usable {
        return Err(ProductError::MerchantNotActive(id.to_string()));
    }
    Ok(SellingMerchant {
        currency_code: merchant.currency_code,
    })
}

/// The currency of merchant `id`, whatever its state (prices must stay in it).
pub(crate) async fn merchant_currency(ctx: &ModuleContext, id: Uuid) -> Result<String, ProductError> {
    Ok(merchant(ctx, id).await?.currency_code)
}

/// Merchant `id` as the merchant module serves it (from its cache), or MERCHANT_NOT_FOUND.
pub(crate) async fn merchant(ctx: &ModuleContext, id: Uuid) -> Result<merchant_pb::Merchant, ProductError> {
    let answer = ctx
        .clients
        .merchant()?
        .get_merchant(merchant_pb::GetMerchantRequest {
            merchant_id: id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => Ok(response.into_inner().merchant.unwrap_or_default()),
        Err(status) if status.code() == Code::NotFound => Err(ProductError::MerchantNotFound(id.to_string())),
        Err(status) => Err(status.into()),
    }
}

/// Refuses a category that does not exist or is in the trash.
pub(crate) async fn check_category(ctx: &ModuleContext, id: Uuid) -> Result<(), ProductError> {
    let answer = ctx
        .clients
        .category()?
        .get_category(category_pb::GetCategoryRequest {
            category_id: id.to_string(),
        })
        .await;
    match answer {
        Ok(response) => {
            let category = response.into_inner().category.unwrap_or_default();
            if category.delete_time.is_some() {
                Err(ProductError::CategoryTrashed(id.to_string()))
            } else {
                Ok(())
            }
        }
        Err(status) if status.code() == Code::NotFound => Err(ProductError::CategoryNotFound(id.to_string())),
        Err(status) => Err(status.into()),
    }
}

/// Which categories a listing's `category_slug` / `category_name` filter means.
#[derive(Clone, Copy, Debug)]
pub(crate) enum CategoryMatch<'a> {
    /// The category with exactly this slug.
    Slug(&'a str),
    /// Every category whose name equals this, case-insensitively.
    Name(&'a str),
}

/// The ids of the categories (trashed ones included) matching `wanted`.
pub(crate) async fn categories_matching(
    ctx: &ModuleContext,
    wanted: CategoryMatch<'_>,
) -> Result<Vec<Uuid>, ProductError> {
    let query = match wanted {
        CategoryMatch::Slug(text) | CategoryMatch::Name(text) => text,
    };
    let mut client = ctx.clients.category()?;
    let mut ids = Vec::new();
    let mut page_token = String::new();
    loop {
        let page = client
            .list_categories(category_pb::ListCategoriesRequest {
                page_size: 500,
                page_token: page_token.clone(),
                lifecycle: Lifecycle::All.into(),
                query: query.to_owned(),
            })
            .await?
            .into_inner();
        for category in page.categories {
            let matches = match wanted {
                CategoryMatch::Slug(slug) => category.slug == slug,
                CategoryMatch::Name(name) => category.name.to_lowercase() == name.to_lowercase(),
            };
            if matches && let Ok(id) = Uuid::parse_str(&category.id) {
                ids.push(id);
            }
        }
        if page.next_page_token.is_empty() || ids.len() >= MAX_CATEGORY_MATCHES {
            return Ok(ids);
        }
        page_token = page.next_page_token;
    }
}
