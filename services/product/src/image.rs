//! UploadProductImage: the file is checked by content (JPEG, PNG or WebP, at most 5 MiB), stored
//! in the object store under `product/images/<product id>/<uuid>.<ext>` before the row points at
//! it, and the previous image is deleted once the change committed.
//!
//! GetProductImage returns the stored bytes; `image_url` names its REST path, with the stored
//! object's name as `version` so that a new upload changes the URL.

use bytes::Bytes;
use uuid::Uuid;

use pos_api::pos::product::v1 as pb;
use pos_platform::files::{CheckedFile, FileError, FileKind};
use pos_platform::{AuthContext, ModuleContext};

use crate::access;
use crate::error::ProductError;
use crate::events::{self, Actor, Changes};
use crate::store::{self, ProductRow, parse_id};

/// Largest product image accepted: 5 MiB.
pub(crate) const MAX_IMAGE_BYTES: usize = 5 * 1024 * 1024;

/// Stores a new product image (see `ProductService.UploadProductImage`).
pub(crate) async fn upload_product_image(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: pb::UploadProductImageRequest,
) -> Result<pb::UploadProductImageResponse, ProductError> {
    let id = parse_id("product_id", &request.product_id)?;
    let data = request.image.map(|image| image.data).unwrap_or_default();
    let file = check_image(data)?;

    let current = {
        let mut conn = ctx.db.acquire().await?;
        store::find(&mut conn, id).await?
    }
    .ok_or_else(|| ProductError::NotFound(id.to_string()))?;
    access::check_write(auth, current.merchant_id)?;
    if current.deleted_at.is_some() {
        return Err(ProductError::Trashed(id.to_string()));
    }

    let key = format!("product/images/{id}/{}.{}", Uuid::now_v7(), file.kind.extension());
    ctx.files.put(&key, &file).await.map_err(ProductError::Files)?;
    match point_at(ctx, auth, id, &key, file.kind).await {
        Ok((previous, updated)) => {
            crate::cache::invalidate(ctx, id).await;
            if let Some(previous) = previous
                && let Err(error) = ctx.files.delete(&previous).await
            {
                tracing::warn!(product_id = %id, key = previous, %error, "the replaced product image could not be deleted");
            }
            Ok(pb::UploadProductImageResponse {
                product: Some(updated.to_pb()),
            })
        }
        Err(failure) => {
            if let Err(error) = ctx.files.delete(&key).await {
                tracing::warn!(product_id = %id, key, %error, "an image of a failed upload could not be deleted");
            }
            Err(failure)
        }
    }
}

/// The product's current image (see `ProductService.GetProductImage`): readable by whoever may
/// read the product, trashed products included.
pub(crate) async fn get_product_image(
    ctx: &ModuleContext,
    auth: &AuthContext,
    request: &pb::GetProductImageRequest,
) -> Result<pos_api::google::api::HttpBody, ProductError> {
    let id = parse_id("product_id", &request.product_id)?;
    let reach = access::read_reach(auth)?;
    let row = {
        let mut conn = ctx.db.acquire().await?;
        store::find(&mut conn, id).await?
    }
    .filter(|row| reach.covers(row.merchant_id))
    .ok_or_else(|| ProductError::NotFound(id.to_string()))?;
    let (Some(key), Some(content_type)) = (row.image_key, row.image_content_type) else {
        return Err(ProductError::ImageNotFound(id.to_string()));
    };
    let data = ctx.files.get(&key).await.map_err(|error| match error {
        FileError::NotFound(_) => ProductError::ImageNotFound(id.to_string()),
        other => ProductError::Files(other),
    })?;
    Ok(pos_api::google::api::HttpBody {
        content_type,
        data: data.to_vec(),
        extensions: Vec::new(),
    })
}

/// Points the product at the stored object `key`, in one transaction with `ProductUpdated`;
/// answers the key of the image it replaced and the product after the change.
async fn point_at(
    ctx: &ModuleContext,
    auth: &AuthContext,
    id: Uuid,
    key: &str,
    kind: FileKind,
) -> Result<(Option<String>, ProductRow), ProductError> {
    let mut tx = ctx.db.begin().await?;
    let before = store::lock(&mut tx, id).await?;
    if before.deleted_at.is_some() {
        return Err(ProductError::Trashed(id.to_string()));
    }
    let updated: ProductRow = sqlx::query_as!(
        ProductRow,
        "UPDATE products.products SET image_key = $2, image_content_type = $3, updated_at = now() \
         WHERE id = $1 \
         RETURNING id, merchant_id, category_id, name, description, brand, weight_grams, price_minor, \
         currency_code, count_in_stock, reserved_quantity, barcode, slug, image_key, \
         image_content_type, created_at, updated_at, deleted_at",
        id,
        key,
        kind.media_type(),
    )
    .fetch_one(&mut *tx)
    .await?;
    let changes = Changes {
        fields: vec!["image_url".to_owned()],
        ..Changes::default()
    };
    events::product_updated(&mut tx, &Actor::of(auth), updated.to_pb(), changes).await?;
    tx.commit().await?;
    Ok((before.image_key, updated))
}

/// Checks an uploaded image: at most [`MAX_IMAGE_BYTES`], and a JPEG, PNG or WebP by content.
fn check_image(data: Vec<u8>) -> Result<CheckedFile, ProductError> {
    if data.len() > MAX_IMAGE_BYTES {
        return Err(ProductError::ImageTooLarge {
            size: data.len(),
            limit: MAX_IMAGE_BYTES,
        });
    }
    CheckedFile::check(Bytes::from(data), FileKind::IMAGES).map_err(|error| match error {
        FileError::TooLarge { size } => ProductError::ImageTooLarge {
            size,
            limit: MAX_IMAGE_BYTES,
        },
        FileError::Empty | FileError::UnsupportedType { .. } => ProductError::UnsupportedImageType,
        other => ProductError::Files(other),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_over_five_mebibytes_are_refused() {
        let mut png = vec![0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];
        png.resize(MAX_IMAGE_BYTES + 1, 0);
        assert!(matches!(
            check_image(png),
            Err(ProductError::ImageTooLarge { .. })
        ));
    }

    #[test]
    fn documents_and_empty_files_are_not_images() {
        assert!(matches!(
            check_image(b"%PDF-1.7\n".to_vec()),
            Err(ProductError::UnsupportedImageType)
        ));
        assert!(matches!(
            check_image(Vec::new()),
            Err(ProductError::UnsupportedImageType)
        ));
    }
}
