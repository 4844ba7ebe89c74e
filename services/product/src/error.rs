//! The one error type of the product module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::files::FileError;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::FieldViolation;

/// Everything that can go wrong in the product module.
#[derive(Debug, thiserror::Error)]
pub enum ProductError {
    /// The RPC's behaviour is not built yet (issue #6 builds it).
    #[error("{0} is not built yet in the product module")]
    NotBuiltYet(&'static str),
    /// A request field is malformed (e.g. an id that is not a UUID).
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// No product has this id (or it belongs to a merchant outside the caller's scope).
    #[error("product `{0}` not found")]
    NotFound(String),
    /// The product has no image.
    #[error("product `{0}` has no image")]
    ImageNotFound(String),
    /// No active product of the merchant carries the barcode.
    #[error("no active product carries barcode `{0}`")]
    BarcodeNotFound(String),
    /// The merchant does not exist.
    #[error("merchant `{0}` not found")]
    MerchantNotFound(String),
    /// The merchant is trashed, suspended or rejected.
    #[error("merchant `{0}` is not active")]
    MerchantNotActive(String),
    /// The category does not exist.
    #[error("category `{0}` not found")]
    CategoryNotFound(String),
    /// The category is in the trash.
    #[error("category `{0}` is in the trash")]
    CategoryTrashed(String),
    /// The price is not in the merchant's currency.
    #[error("the price must be in {expected}, the merchant's currency, not {given}")]
    CurrencyMismatch {
        /// The merchant's currency.
        expected: String,
        /// The currency of the price given.
        given: String,
    },
    /// Another product of the merchant, trashed ones included, carries the barcode.
    #[error("barcode `{0}` is already used by another product of the merchant")]
    BarcodeTaken(String),
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// The product is in the trash.
    #[error("product `{0}` is in the trash")]
    Trashed(String),
    /// The product is not in the trash.
    #[error("product `{0}` is not in the trash")]
    NotTrashed(String),
    /// Pending reservations of open orders hold some of the product's stock.
    #[error("product `{0}` has pending stock reservations")]
    HasPendingReservations(String),
    /// The uploaded image is over the limit.
    #[error("the image has {size} bytes; at most {limit} are accepted")]
    ImageTooLarge {
        /// The image's size in bytes.
        size: usize,
        /// The limit in bytes.
        limit: usize,
    },
    /// The uploaded file is not a JPEG, PNG or WebP image (or is empty).
    #[error("the image must be a JPEG, PNG or WebP file")]
    UnsupportedImageType,
    /// The caller may not do this (to these rows).
    #[error("permission `{0}` is required")]
    PermissionMissing(&'static str),
    /// The object store failed.
    #[error(transparent)]
    Files(FileError),
    /// PostgreSQL failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// An error already expressed as a status (bad input found by `validator`, or another
    /// module's answer); it is returned unchanged.
    #[error("{}", .0.message())]
    Status(Status),
    /// A bug or an impossible state.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    // Stock
    /// Stock request fields are malformed (every bad field at once).
    #[error("invalid stock request")]
    InvalidStockRequest(Vec<FieldViolation>),
    /// The change would take the product's available quantity below zero.
    #[error("product `{product_id}` has {available} available, {requested} requested")]
    InsufficientStock {
        /// The product.
        product_id: String,
        /// `count_in_stock - reserved_quantity` now.
        available: i64,
        /// Units the request needed.
        requested: i64,
    },
    /// AdjustStock's `expected_quantity` is stale.
    #[error("product `{product_id}` has {current} in stock, not the expected quantity")]
    StockQuantityMismatch {
        /// The product.
        product_id: String,
        /// Its quantity on hand now.
        current: i64,
    },
    /// A trashed product cannot be reserved.
    #[error("product `{0}` is not available")]
    ProductNotAvailable(String),
    /// No reservation is keyed by this order id.
    #[error("no stock reservation for order `{0}`")]
    ReservationNotFound(String),
    /// ReserveStock on a reservation that is committed, released or expired.
    #[error("the stock reservation of order `{order_id}` is {state}")]
    ReservationClosed {
        /// The order.
        order_id: String,
        /// Its state (`committed`, `released`, `expired`).
        state: &'static str,
    },
    /// CommitReservation of a released reservation.
    #[error("the stock reservation of order `{0}` was released")]
    ReservationReleased(String),
    /// CommitReservation of an expired reservation.
    #[error("the stock reservation of order `{0}` expired")]
    ReservationExpired(String),
    /// ReleaseReservation of a committed reservation.
    #[error("the stock reservation of order `{0}` is committed")]
    ReservationCommitted(String),
}

impl ProductError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        ProductError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }
}

impl From<Status> for ProductError {
    fn from(status: Status) -> Self {
        ProductError::Status(status)
    }
}

impl From<pos_api::ClientsError> for ProductError {
    fn from(error: pos_api::ClientsError) -> Self {
        ProductError::Status(error.into())
    }
}

impl From<pos_platform::idempotency::IdempotencyError> for ProductError {
    fn from(error: pos_platform::idempotency::IdempotencyError) -> Self {
        use pos_platform::idempotency::IdempotencyError;
        match error {
            IdempotencyError::TooLong => ProductError::invalid("request_id", error.to_string()),
            IdempotencyError::Reused(request_id) => ProductError::IdempotencyKeyReused(request_id),
            IdempotencyError::Database(error) => error.into(),
            IdempotencyError::Corrupt => ProductError::Internal(anyhow::anyhow!(error)),
        }
    }
}

/// An error with one `ErrorInfo` of the product domain.
fn error(code: Code, reason: &str, message: String, metadata: &[(&str, &str)]) -> Status {
    status::error(
        code,
        Module::Product,
        reason,
        message,
        metadata
            .iter()
            .map(|(key, value)| ((*key).to_owned(), (*value).to_owned())),
    )
}

impl From<ProductError> for Status {
    fn from(failure: ProductError) -> Self {
        use Code::{AlreadyExists, FailedPrecondition, InvalidArgument, NotFound, PermissionDenied};
        let message = failure.to_string();
        match failure {
            ProductError::NotBuiltYet(rpc) => status::not_built_yet(Module::Product, rpc),
            ProductError::InvalidField { field, description } => {
                status::invalid_argument(Module::Product, vec![FieldViolation::new(field, description)])
            }
            ProductError::NotFound(id) => status::not_found(Module::Product, "product", &id),
            ProductError::ImageNotFound(id) => {
                error(NotFound, "IMAGE_NOT_FOUND", message, &[("productId", &id)])
            }
            ProductError::BarcodeNotFound(barcode) => {
                error(NotFound, "BARCODE_NOT_FOUND", message, &[("barcode", &barcode)])
            }
            ProductError::MerchantNotFound(id) => status::not_found(Module::Product, "merchant", &id),
            ProductError::CategoryNotFound(id) => status::not_found(Module::Product, "category", &id),
            ProductError::MerchantNotActive(id) => error(
                FailedPrecondition,
                "MERCHANT_NOT_ACTIVE",
                message,
                &[("merchantId", &id)],
            ),
            ProductError::CategoryTrashed(id) => error(
                FailedPrecondition,
                "CATEGORY_TRASHED",
                message,
                &[("categoryId", &id)],
            ),
            ProductError::CurrencyMismatch { expected, given } => error(
                FailedPrecondition,
                "CURRENCY_MISMATCH",
                message,
                &[("expectedCurrency", &expected), ("currency", &given)],
            ),
            ProductError::BarcodeTaken(barcode) => {
                error(AlreadyExists, "BARCODE_TAKEN", message, &[("barcode", &barcode)])
            }
            ProductError::IdempotencyKeyReused(request_id) => error(
                AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                &[("requestId", &request_id)],
            ),
            ProductError::Trashed(id) => error(
                FailedPrecondition,
                "PRODUCT_TRASHED",
                message,
                &[("productId", &id)],
            ),
            ProductError::NotTrashed(id) => error(
                FailedPrecondition,
                "PRODUCT_NOT_TRASHED",
                message,
                &[("productId", &id)],
            ),
            ProductError::HasPendingReservations(id) => error(
                FailedPrecondition,
                "PRODUCT_HAS_PENDING_RESERVATIONS",
                message,
                &[("productId", &id)],
            ),
            ProductError::ImageTooLarge { size, limit } => error(
                InvalidArgument,
                "IMAGE_TOO_LARGE",
                message,
                &[("size", &size.to_string()), ("limit", &limit.to_string())],
            ),
            ProductError::UnsupportedImageType => {
                error(InvalidArgument, "UNSUPPORTED_IMAGE_TYPE", message, &[])
            }
            ProductError::PermissionMissing(permission) => error(
                PermissionDenied,
                "PERMISSION_MISSING",
                message,
                &[("permission", permission)],
            ),
            ProductError::Files(error) => status::unavailable(Module::Product, "object store", &error),
            ProductError::Database(error) => status::database(Module::Product, error),
            ProductError::Status(status) => status,
            ProductError::Internal(error) => status::internal(Module::Product, &error),
            // Stock
            ProductError::InvalidStockRequest(violations) => {
                status::invalid_argument(Module::Product, violations)
            }
            ProductError::InsufficientStock {
                product_id,
                available,
                requested,
            } => error(
                FailedPrecondition,
                "INSUFFICIENT_STOCK",
                message,
                &[
                    ("productId", &product_id),
                    ("availableQuantity", &available.to_string()),
                    ("requestedQuantity", &requested.to_string()),
                ],
            ),
            ProductError::StockQuantityMismatch { product_id, current } => error(
                Code::Aborted,
                "STOCK_QUANTITY_MISMATCH",
                message,
                &[
                    ("productId", &product_id),
                    ("currentQuantity", &current.to_string()),
                ],
            ),
            ProductError::ProductNotAvailable(id) => error(
                FailedPrecondition,
                "PRODUCT_NOT_AVAILABLE",
                message,
                &[("productId", &id)],
            ),
            ProductError::ReservationNotFound(order_id) => error(
                NotFound,
                "RESERVATION_NOT_FOUND",
                message,
                &[("orderId", &order_id)],
            ),
            ProductError::ReservationClosed { order_id, state } => error(
                FailedPrecondition,
                "RESERVATION_CLOSED",
                message,
                &[("orderId", &order_id), ("state", state)],
            ),
            ProductError::ReservationReleased(order_id) => error(
                FailedPrecondition,
                "RESERVATION_RELEASED",
                message,
                &[("orderId", &order_id)],
            ),
            ProductError::ReservationExpired(order_id) => error(
                FailedPrecondition,
                "RESERVATION_EXPIRED",
                message,
                &[("orderId", &order_id)],
            ),
            ProductError::ReservationCommitted(order_id) => error(
                FailedPrecondition,
                "RESERVATION_COMMITTED",
                message,
                &[("orderId", &order_id)],
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use tonic_types::StatusExt as _;

    use super::*;

    fn reason(status: &Status) -> String {
        status
            .get_error_details()
            .error_info()
            .map(|info| info.reason.clone())
            .unwrap_or_default()
    }

    #[test]
    fn catalogue_errors_carry_the_reasons_of_the_contract() {
        let cases = [
            (
                ProductError::NotFound("x".into()),
                Code::NotFound,
                "PRODUCT_NOT_FOUND",
            ),
            (
                ProductError::BarcodeNotFound("1".into()),
                Code::NotFound,
                "BARCODE_NOT_FOUND",
            ),
            (
                ProductError::MerchantNotFound("m".into()),
                Code::NotFound,
                "MERCHANT_NOT_FOUND",
            ),
            (
                ProductError::CategoryNotFound("c".into()),
                Code::NotFound,
                "CATEGORY_NOT_FOUND",
            ),
            (
                ProductError::MerchantNotActive("m".into()),
                Code::FailedPrecondition,
                "MERCHANT_NOT_ACTIVE",
            ),
            (
                ProductError::CategoryTrashed("c".into()),
                Code::FailedPrecondition,
                "CATEGORY_TRASHED",
            ),
            (
                ProductError::CurrencyMismatch {
                    expected: "IDR".into(),
                    given: "USD".into(),
                },
                Code::FailedPrecondition,
                "CURRENCY_MISMATCH",
            ),
            (
                ProductError::BarcodeTaken("1".into()),
                Code::AlreadyExists,
                "BARCODE_TAKEN",
            ),
            (
                ProductError::IdempotencyKeyReused("k".into()),
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
            ),
            (
                ProductError::Trashed("x".into()),
                Code::FailedPrecondition,
                "PRODUCT_TRASHED",
            ),
            (
                ProductError::NotTrashed("x".into()),
                Code::FailedPrecondition,
                "PRODUCT_NOT_TRASHED",
            ),
            (
                ProductError::HasPendingReservations("x".into()),
                Code::FailedPrecondition,
                "PRODUCT_HAS_PENDING_RESERVATIONS",
            ),
            (
                ProductError::ImageTooLarge { size: 2, limit: 1 },
                Code::InvalidArgument,
                "IMAGE_TOO_LARGE",
            ),
            (
                ProductError::UnsupportedImageType,
                Code::InvalidArgument,
                "UNSUPPORTED_IMAGE_TYPE",
            ),
            (
                ProductError::PermissionMissing("product.write"),
                Code::PermissionDenied,
                "PERMISSION_MISSING",
            ),
        ];
        for (failure, code, expected) in cases {
            let status = Status::from(failure);
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason(&status), expected);
        }
    }

    #[test]
    fn stock_errors_carry_the_reasons_of_the_contract() {
        let cases = [
            (
                ProductError::InsufficientStock {
                    product_id: "p".into(),
                    available: 1,
                    requested: 2,
                },
                Code::FailedPrecondition,
                "INSUFFICIENT_STOCK",
            ),
            (
                ProductError::StockQuantityMismatch {
                    product_id: "p".into(),
                    current: 3,
                },
                Code::Aborted,
                "STOCK_QUANTITY_MISMATCH",
            ),
            (
                ProductError::ProductNotAvailable("p".into()),
                Code::FailedPrecondition,
                "PRODUCT_NOT_AVAILABLE",
            ),
            (
                ProductError::ReservationNotFound("o".into()),
                Code::NotFound,
                "RESERVATION_NOT_FOUND",
            ),
            (
                ProductError::ReservationClosed {
                    order_id: "o".into(),
                    state: "committed",
                },
                Code::FailedPrecondition,
                "RESERVATION_CLOSED",
            ),
            (
                ProductError::ReservationReleased("o".into()),
                Code::FailedPrecondition,
                "RESERVATION_RELEASED",
            ),
            (
                ProductError::ReservationExpired("o".into()),
                Code::FailedPrecondition,
                "RESERVATION_EXPIRED",
            ),
            (
                ProductError::ReservationCommitted("o".into()),
                Code::FailedPrecondition,
                "RESERVATION_COMMITTED",
            ),
        ];
        for (failure, code, expected) in cases {
            let status = Status::from(failure);
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason(&status), expected);
        }
    }

    #[test]
    fn a_database_that_cannot_be_reached_is_unavailable() {
        let status = Status::from(ProductError::Database(sqlx::Error::PoolTimedOut));
        assert_eq!(status.code(), Code::Unavailable);
    }
}
