//! UpdateProduct: the fields its mask names, on the locked row, with `ProductUpdated` naming
//! what changed. Stock, slug and image are not written here.

use sqlx::PgConnection;

use pos_api::pos::product::v1 as pb;
use pos_platform::db::unique_violation;
use pos_platform::{AuthContext, ModuleContext};

use crate::access;
use crate::barcode;
use crate::error::ProductError;
use crate::events::{self, Actor, Changes};
use crate::input::{self, ProductFields};
use crate::store::{self, BARCODE_KEY, ProductRow, parse_id};
use crate::upstream;

/// How many generated barcodes are tried before giving up.
const MAX_ATTEMPTS: usize = 12;

/// Updates a product (see `ProductService.UpdateProduct`).
pub(crate) async fn update_product(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::UpdateProductRequest,
) -> Result<pb::UpdateProductResponse, ProductError> {
    let product = request
        .product
        .as_ref()
        .ok_or_else(|| ProductError::invalid("product", "is required"))?;
    let id = parse_id("product.id", &product.id)?;
    let paths = input::mask_paths(request.update_mask.as_ref())?;
    let fields = ProductFields::from_pb(product, &paths)?;

    // Checks that need other modules run before the transaction, on the current row.
    let current = {
        let mut conn = ctx.db.acquire().await?;
        store::find(&mut conn, id).await?
    }
    .ok_or_else(|| ProductError::NotFound(id.to_string()))?;
    access::check_write(auth, current.merchant_id)?;
    if current.deleted_at.is_some() {
        return Err(ProductError::Trashed(id.to_string()));
    }
    if let Some(category_id) = fields.category_id
        && category_id != current.category_id
    {
        upstream::check_category(ctx, category_id).await?;
    }
    if let Some(price) = &fields.price {
        let currency = upstream::merchant_currency(ctx, current.merchant_id).await?;
        if price.currency_code != currency {
            return Err(ProductError::CurrencyMismatch {
                expected: currency,
                given: price.currency_code.clone(),
            });
        }
    }

    let mut tx = ctx.db.begin().await?;
    let before = store::lock(&mut tx, id).await?;
    if before.deleted_at.is_some() {
        return Err(ProductError::Trashed(id.to_string()));
    }
    let mut after = before.clone();
    apply(&mut after, &fields);
    let generate_barcode = fields.barcode.as_deref() == Some("");
    let after = if generate_barcode || after != before {
        write(&mut tx, &after, generate_barcode).await?
    } else {
        before.clone()
    };
    let changes = changes(&before, &after);
    if !changes.fields.is_empty() {
        events::product_updated(&mut tx, &Actor::of(auth), after.to_pb(), changes).await?;
    }
    tx.commit().await?;
    crate::cache::invalidate(ctx, id).await;
    Ok(pb::UpdateProductResponse {
        product: Some(after.to_pb()),
    })
}

/// `row` with the new values of `fields` (an empty barcode is left for [`write`] to generate).
fn apply(row: &mut ProductRow, fields: &ProductFields) {
    if let Some(category_id) = fields.category_id {
        row.category_id = category_id;
    }
    if let Some(name) = &fields.name {
        row.name.clone_from(name);
    }
    if let Some(description) = &fields.description {
        row.description.clone_from(description);
    }
    if let Some(brand) = &fields.brand {
        row.brand.clone_from(brand);
    }
    if let Some(weight_grams) = fields.weight_grams {
        row.weight_grams = weight_grams;
    }
    if let Some(price) = &fields.price {
        row.price_minor = price.amount_minor;
        row.currency_code.clone_from(&price.currency_code);
    }
    if let Some(barcode) = fields.barcode.as_ref().filter(|code| !code.is_empty()) {
        row.barcode.clone_from(barcode);
    }
}

/// Writes the catalogue fields of `row` (locked by the caller); with `generate_barcode` a fresh
/// EAN-13, retried on collision. A barcode the caller chose that another product of the merchant
/// carries is `BARCODE_TAKEN`.
async fn write(
    conn: &mut PgConnection,
    row: &ProductRow,
    generate_barcode: bool,
) -> Result<ProductRow, ProductError> {
    for _ in 0..MAX_ATTEMPTS {
        let barcode = if generate_barcode {
            barcode::generate_ean13()
        } else {
            row.barcode.clone()
        };
        sqlx::query!("SAVEPOINT update_product")
            .execute(&mut *conn)
            .await?;
        let updated: Result<ProductRow, sqlx::Error> = sqlx::query_as!(
            ProductRow,
            "UPDATE products.products SET category_id = $2, name = $3, description = $4, brand = $5, \
             weight_grams = $6, price_minor = $7, currency_code = $8, barcode = $9, updated_at = now() \
             WHERE id = $1 \
             RETURNING id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
             currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
             image_content_type, created_at, updated_at, deleted_at",
            row.id,
            row.category_id,
            &row.name,
            &row.description,
            &row.brand,
            row.weight_grams,
            row.price_minor,
            &row.currency_code,
            &barcode,
        )
        .fetch_one(&mut *conn)
        .await;
        match updated {
            Ok(updated) => {
                sqlx::query!("RELEASE SAVEPOINT update_product")
                    .execute(&mut *conn)
                    .await?;
                return Ok(updated);
            }
            Err(error) if unique_violation(&error) == Some(BARCODE_KEY) => {
                if !generate_barcode {
                    return Err(ProductError::BarcodeTaken(barcode));
                }
                sqlx::query!("ROLLBACK TO SAVEPOINT update_product")
                    .execute(&mut *conn)
                    .await?;
            }
            Err(error) => return Err(error.into()),
        }
    }
    Err(anyhow::anyhow!("no free barcode after {MAX_ATTEMPTS} attempts").into())
}

/// What changed between `before` and `after`.
fn changes(before: &ProductRow, after: &ProductRow) -> Changes {
    let mut changes = Changes::default();
    let mut changed = |name: &str, differs: bool| {
        if differs {
            changes.fields.push(name.to_owned());
        }
    };
    changed("category_id", before.category_id != after.category_id);
    changed("name", before.name != after.name);
    changed("description", before.description != after.description);
    changed("brand", before.brand != after.brand);
    changed("weight_grams", before.weight_grams != after.weight_grams);
    changed(
        "price",
        before.price_minor != after.price_minor || before.currency_code != after.currency_code,
    );
    changed("barcode", before.barcode != after.barcode);
    if before.category_id != after.category_id {
        changes.previous_category_id = Some(before.category_id);
    }
    if changes.fields.iter().any(|field| field == "price") {
        changes.previous_price = Some(before.price());
    }
    changes
}
