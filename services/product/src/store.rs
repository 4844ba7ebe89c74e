//! The `products.products` table: the row type, its wire form and the queries more than one
//! handler uses (the stock handlers included: `ProductRow::to_pb`, `find`, `lock`).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

use pos_api::pos::common::v1::Money;
use pos_api::pos::product::v1 as pb;

use crate::error::ProductError;

/// Columns of `products.products`, in [`ProductRow`] order, for the listing whose SQL is built at
/// run time (the checked statements spell them out).
macro_rules! product_columns {
    () => {
        "id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
         currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
         image_content_type, created_at, updated_at, deleted_at"
    };
}
pub(crate) use product_columns;

/// Name of the unique constraint on (merchant, barcode).
pub(crate) const BARCODE_KEY: &str = "products_merchant_id_barcode_key";
/// Name of the unique constraint on slugs.
pub(crate) const SLUG_KEY: &str = "products_slug_key";

/// One product as stored.
#[derive(Clone, Debug, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct ProductRow {
    pub(crate) id: Uuid,
    pub(crate) merchant_id: Uuid,
    pub(crate) category_id: Uuid,
    pub(crate) name: String,
    pub(crate) description: String,
    pub(crate) brand: String,
    pub(crate) weight_grams: i64,
    pub(crate) price_minor: i64,
    pub(crate) currency_code: String,
    pub(crate) count_in_stock: i64,
    pub(crate) reserved_quantity: i64,
    pub(crate) barcode: String,
    pub(crate) slug: String,
    pub(crate) image_key: Option<String>,
    pub(crate) image_content_type: Option<String>,
    pub(crate) created_at: DateTime<Utc>,
    pub(crate) updated_at: DateTime<Utc>,
    pub(crate) deleted_at: Option<DateTime<Utc>>,
}

impl ProductRow {
    /// The product as the API shows it.
    pub(crate) fn to_pb(&self) -> pb::Product {
        pb::Product {
            id: self.id.to_string(),
            merchant_id: self.merchant_id.to_string(),
            category_id: self.category_id.to_string(),
            name: self.name.clone(),
            description: self.description.clone(),
            brand: self.brand.clone(),
            weight_grams: self.weight_grams,
            price: Some(self.price()),
            count_in_stock: self.count_in_stock,
            reserved_quantity: self.reserved_quantity,
            available_quantity: (self.count_in_stock - self.reserved_quantity).max(0),
            barcode: self.barcode.clone(),
            slug: self.slug.clone(),
            image_url: self.image_url(),
            create_time: Some(timestamp(self.created_at)),
            update_time: Some(timestamp(self.updated_at)),
            delete_time: self.deleted_at.map(timestamp),
        }
    }

    /// The REST path of GetProductImage, with the stored object's name (`<uuid>.<ext>`) as
    /// `version`; empty without an image.
    pub(crate) fn image_url(&self) -> String {
        self.image_key
            .as_deref()
            .map(|key| {
                let version = key.rsplit('/').next().unwrap_or(key);
                format!("/api/v1/products/{}/image?version={version}", self.id)
            })
            .unwrap_or_default()
    }

    /// The unit price.
    pub(crate) fn price(&self) -> Money {
        Money {
            currency_code: self.currency_code.clone(),
            amount_minor: self.price_minor,
        }
    }
}

/// A protobuf timestamp of `time`.
pub(crate) fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).unwrap_or(0),
    }
}

/// Parses the id in request field `field`.
pub(crate) fn parse_id(field: &str, value: &str) -> Result<Uuid, ProductError> {
    let value = value.trim();
    if value.is_empty() {
        return Err(ProductError::invalid(field, "is required"));
    }
    Uuid::parse_str(value).map_err(|_| ProductError::invalid(field, "must be a UUID"))
}

/// The product with `id`, trashed or not.
pub(crate) async fn find(conn: &mut PgConnection, id: Uuid) -> Result<Option<ProductRow>, sqlx::Error> {
    sqlx::query_as!(
        ProductRow,
        "SELECT id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
         currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
         image_content_type, created_at, updated_at, deleted_at \
         FROM products.products WHERE id = $1",
        id,
    )
    .fetch_optional(conn)
    .await
}

/// The product with `id`, locked until the transaction ends; `NOT_FOUND` when there is none.
pub(crate) async fn lock(conn: &mut PgConnection, id: Uuid) -> Result<ProductRow, ProductError> {
    sqlx::query_as!(
        ProductRow,
        "SELECT id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
         currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
         image_content_type, created_at, updated_at, deleted_at \
         FROM products.products WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(conn)
    .await?
    .ok_or_else(|| ProductError::NotFound(id.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ProductRow {
        let now = Utc::now();
        ProductRow {
            id: Uuid::now_v7(),
            merchant_id: Uuid::now_v7(),
            category_id: Uuid::now_v7(),
            name: "Kopi".into(),
            description: String::new(),
            brand: String::new(),
            weight_grams: 250,
            price_minor: 15_000,
            currency_code: "IDR".into(),
            count_in_stock: 10,
            reserved_quantity: 3,
            barcode: "2000000000008".into(),
            slug: "kopi".into(),
            image_key: None,
            image_content_type: None,
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }

    #[test]
    fn available_quantity_is_stock_on_hand_minus_reservations() {
        let product = row().to_pb();
        assert_eq!(product.available_quantity, 7);
        assert_eq!(product.image_url, "");
        assert_eq!(product.delete_time, None);
    }

    #[test]
    fn the_image_url_names_the_stored_object() {
        let mut row = row();
        row.image_key = Some("product/images/x/y.png".into());
        assert_eq!(
            row.to_pb().image_url,
            format!("/api/v1/products/{}/image?version=y.png", row.id)
        );
    }
}
