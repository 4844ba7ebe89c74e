//! CreateProduct: validated fields, an existing merchant in a state that may prepare or sell its
//! catalogue, an untrashed category, a slug and a barcode made unique by the database, the
//! initial stock as a RECEIVED ledger row, and `ProductCreated`, all in one transaction.

use prost::Message as _;
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::product::v1 as pb;
use pos_platform::auth::Principal;
use pos_platform::db::unique_violation;
use pos_platform::idempotency::{Claim, IdempotencyKey};
use pos_platform::{AuthContext, ModuleContext};

use crate::access;
use crate::barcode;
use crate::error::ProductError;
use crate::events::{self, Actor};
use crate::input::{self, ProductFields};
use crate::slug;
use crate::stock::ledger;
use crate::store::{BARCODE_KEY, ProductRow, SLUG_KEY, parse_id};
use crate::upstream;

/// How many times an insert is retried after a slug or generated-barcode collision.
const MAX_ATTEMPTS: usize = 12;

/// Creates a product (see `ProductService.CreateProduct`).
pub(crate) async fn create_product(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::CreateProductRequest,
) -> Result<pb::CreateProductResponse, ProductError> {
    let product = request
        .product
        .as_ref()
        .ok_or_else(|| ProductError::invalid("product", "is required"))?;
    let merchant_id = parse_id("product.merchant_id", &product.merchant_id)?;
    access::check_write(auth, merchant_id)?;
    let fields = ProductFields::from_pb(product, &input::mask_paths(None)?)?;
    if request.initial_stock < 0 {
        return Err(ProductError::invalid("initial_stock", "must not be negative"));
    }
    let key = IdempotencyKey::new(
        Module::Product,
        "CreateProduct",
        principal(auth),
        &request.request_id,
        &canonical_content(merchant_id, &request),
    )?;
    let actor = Actor::of(auth).with_request_id(&request.request_id);

    let merchant = upstream::selling_merchant(ctx, merchant_id).await?;
    let new = NewProduct::from_fields(merchant_id, fields)?;
    if new.currency_code != merchant.currency_code {
        return Err(ProductError::CurrencyMismatch {
            expected: merchant.currency_code,
            given: new.currency_code,
        });
    }
    upstream::check_category(ctx, new.category_id).await?;

    let mut tx = ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        return pb::CreateProductResponse::decode(response.as_slice())
            .map_err(|error| anyhow::anyhow!("stored CreateProduct response: {error}").into());
    }
    let row = insert(&mut tx, &new, request.initial_stock).await?;
    // ProductCreated first: consumers learn of the product before its first ledger row.
    events::product_created(&mut tx, &actor, row.to_pb()).await?;
    if request.initial_stock > 0 {
        ledger::record(
            &mut tx,
            &actor,
            &ledger::Change {
                product_id: row.id,
                merchant_id,
                delta: request.initial_stock,
                quantity_after: request.initial_stock,
                reserved_after: 0,
                reason: ledger::Reason::Received,
                reference: "",
                note: "initial stock",
            },
        )
        .await?;
    }
    let response = pb::CreateProductResponse {
        product: Some(row.to_pb()),
    };
    if let Some(key) = &key {
        key.complete(&mut tx, &response).await?;
    }
    tx.commit().await?;
    Ok(response)
}

/// A product ready to insert.
#[derive(Debug)]
struct NewProduct {
    merchant_id: Uuid,
    category_id: Uuid,
    name: String,
    description: String,
    brand: String,
    weight_grams: i64,
    price_minor: i64,
    currency_code: String,
    /// `None`: generate an EAN-13.
    barcode: Option<String>,
}

impl NewProduct {
    fn from_fields(merchant_id: Uuid, fields: ProductFields) -> Result<Self, ProductError> {
        let missing = |field: &str| ProductError::invalid(format!("product.{field}"), "is required");
        let price = fields.price.ok_or_else(|| missing("price"))?;
        Ok(NewProduct {
            merchant_id,
            category_id: fields.category_id.ok_or_else(|| missing("category_id"))?,
            name: fields.name.ok_or_else(|| missing("name"))?,
            description: fields.description.unwrap_or_default(),
            brand: fields.brand.unwrap_or_default(),
            weight_grams: fields.weight_grams.unwrap_or_default(),
            price_minor: price.amount_minor,
            currency_code: price.currency_code,
            barcode: fields.barcode.filter(|code| !code.is_empty()),
        })
    }
}

/// Inserts the product. A slug collision retries with a suffixed slug, a generated barcode that
/// collides retries with a new one (each attempt in a savepoint); a barcode the caller chose that
/// collides is `BARCODE_TAKEN`.
async fn insert(
    conn: &mut PgConnection,
    new: &NewProduct,
    initial_stock: i64,
) -> Result<ProductRow, ProductError> {
    let base = slug::slugify(&new.name);
    let mut slug = base.clone();
    let mut barcode = new.barcode.clone().unwrap_or_else(barcode::generate_ean13);
    for _ in 0..MAX_ATTEMPTS {
        sqlx::query!("SAVEPOINT create_product")
            .execute(&mut *conn)
            .await?;
        let inserted: Result<ProductRow, sqlx::Error> = sqlx::query_as!(
            ProductRow,
            "INSERT INTO products.products (id, merchant_id, category_id, name, description, brand, \
             weight_grams, price_minor, currency_code, count_in_stock, barcode, slug) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) \
             RETURNING id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
             currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
             image_content_type, created_at, updated_at, deleted_at",
            Uuid::now_v7(),
            new.merchant_id,
            new.category_id,
            &new.name,
            &new.description,
            &new.brand,
            new.weight_grams,
            new.price_minor,
            &new.currency_code,
            initial_stock,
            &barcode,
            &slug,
        )
        .fetch_one(&mut *conn)
        .await;
        match inserted {
            Ok(row) => {
                sqlx::query!("RELEASE SAVEPOINT create_product")
                    .execute(&mut *conn)
                    .await?;
                return Ok(row);
            }
            Err(error) => {
                let constraint = unique_violation(&error).map(str::to_owned);
                match constraint.as_deref() {
                    Some(SLUG_KEY) => slug = slug::with_suffix(&base),
                    Some(BARCODE_KEY) if new.barcode.is_none() => barcode = barcode::generate_ean13(),
                    Some(BARCODE_KEY) => return Err(ProductError::BarcodeTaken(barcode)),
                    _ => return Err(error.into()),
                }
                sqlx::query!("ROLLBACK TO SAVEPOINT create_product")
                    .execute(&mut *conn)
                    .await?;
            }
        }
    }
    Err(anyhow::anyhow!("no free slug or barcode after {MAX_ATTEMPTS} attempts").into())
}

/// Who a `request_id` belongs to.
fn principal(auth: &AuthContext) -> String {
    match &auth.principal {
        Principal::User { user_id, .. } => user_id.to_string(),
        Principal::Service { name } => format!("service:{name}"),
    }
}

/// The bytes a retry must repeat for its `request_id` to replay: the request without its key.
fn canonical_content(merchant_id: Uuid, request: &pb::CreateProductRequest) -> Vec<u8> {
    let mut content = request.clone();
    content.request_id.clear();
    let mut bytes = merchant_id.as_bytes().to_vec();
    bytes.extend(content.encode_to_vec());
    bytes
}
