//! The one error type of the order module, and its mapping to `google.rpc.Status`.

use pos_api::Module;
use pos_platform::status;
use tonic::{Code, Status};
use tonic_types::{FieldViolation, StatusExt as _};

/// Everything that can go wrong in the order module.
#[derive(Debug, thiserror::Error)]
pub enum OrderError {
    /// The RPC's behaviour is not built yet (issue #7 builds it).
    #[error("{0} is not built yet in the order module")]
    NotBuiltYet(&'static str),
    /// A request field is malformed.
    #[error("invalid `{field}`: {description}")]
    InvalidField {
        /// Proto path of the field.
        field: String,
        /// What is wrong with it.
        description: String,
    },
    /// Several request fields are malformed.
    #[error("invalid request")]
    InvalidFields(Vec<FieldViolation>),
    /// No order has this id (or it is outside the caller's scope).
    #[error("order `{0}` not found")]
    NotFound(String),
    /// The order has no item with this id.
    #[error("order item `{0}` not found")]
    ItemNotFound(String),
    /// No product of the merchant has this id.
    #[error("product `{0}` not found")]
    ProductNotFound(String),
    /// The product is in the trash.
    #[error("product `{0}` is not available")]
    ProductNotAvailable(String),
    /// A line asks for more units than are available.
    #[error("insufficient stock for product `{product_id}`: {available} available, {requested} requested")]
    InsufficientStock {
        /// The short product.
        product_id: String,
        /// Units available.
        available: String,
        /// Units requested.
        requested: String,
    },
    /// The caller may not touch this merchant's, cashier's or order's rows.
    #[error("permission `{0}` is required for this merchant")]
    PermissionMissing(&'static str),
    /// The merchant is not ACTIVE (or does not exist, or is trashed).
    #[error("merchant `{0}` is not active")]
    MerchantNotActive(String),
    /// The cashier is disabled, trashed, missing or of another merchant.
    #[error("cashier `{0}` is not active for this merchant")]
    CashierNotActive(String),
    /// The same `request_id` came with different content.
    #[error("request_id `{0}` was already used for another request")]
    IdempotencyKeyReused(String),
    /// The same `request_id` is still being processed.
    #[error("request_id `{0}` is still being processed")]
    RequestInProgress(String),
    /// The order is not OPEN.
    #[error("order `{0}` is not open")]
    NotOpen(String),
    /// The order has a payment recorded.
    #[error("order `{0}` has payments")]
    HasPayments(String),
    /// The order is not paid (OPEN or CANCELLED).
    #[error("order `{0}` is not paid")]
    NotPaid(String),
    /// A refund line asks for more units than are left to refund.
    #[error("order item `{order_item_id}` has only {refundable} units left to refund")]
    RefundExceedsPaid {
        /// The item.
        order_item_id: String,
        /// Units still refundable.
        refundable: i64,
    },
    /// The order is not CANCELLED (only cancelled orders can be trashed).
    #[error("order `{0}` is not cancelled")]
    NotCancelled(String),
    /// The order is in the trash already.
    #[error("order `{0}` is in the trash")]
    Trashed(String),
    /// The order is not in the trash.
    #[error("order `{0}` is not in the trash")]
    NotTrashed(String),
    // Cart
    /// No cart has this id (never opened, expired, deleted or checked out).
    #[error("cart `{0}` not found")]
    CartNotFound(String),
    /// A cart with this id exists for another merchant or cashier, or was checked out.
    #[error("cart `{0}` exists already for another merchant or cashier")]
    CartExists(String),
    /// `expected_version` differs from the cart's version.
    #[error("cart `{cart_id}` is at version {actual}; read it again, then retry")]
    CartVersionMismatch {
        /// The cart.
        cart_id: String,
        /// Its current version.
        actual: i64,
    },
    /// The cart holds the most lines it may.
    #[error("cart `{0}` already has 200 lines")]
    CartFull(String),
    /// The cart has no line to check out.
    #[error("cart `{0}` is empty")]
    CartEmpty(String),
    /// The cart has no line for the product.
    #[error("cart `{cart_id}` has no line for product `{product_id}`")]
    CartLineNotFound {
        /// The cart.
        cart_id: String,
        /// The product.
        product_id: String,
    },
    /// No active product of the cart's merchant carries the barcode.
    #[error("no product carries barcode `{0}`")]
    BarcodeNotFound(String),
    /// Another checkout of the cart is running.
    #[error("another checkout of cart `{0}` is in progress")]
    CartCheckoutRunning(String),
    /// Redis, which holds the carts, failed or did not answer.
    #[error("the cart store failed: {0}")]
    CartStoreUnavailable(String),
    /// PostgreSQL failed.
    #[error(transparent)]
    Database(#[from] sqlx::Error),
    /// An error already expressed as a status (another module's answer); returned unchanged.
    #[error("{}", .0.message())]
    Status(Status),
    /// A bug or an impossible state.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl OrderError {
    /// A malformed request field.
    pub(crate) fn invalid(field: impl Into<String>, description: impl Into<String>) -> Self {
        OrderError::InvalidField {
            field: field.into(),
            description: description.into(),
        }
    }

    /// The error the product module answered to a reservation, restated in this module's terms
    /// (PRODUCT_NOT_FOUND, PRODUCT_NOT_AVAILABLE, INSUFFICIENT_STOCK with its metadata).
    pub(crate) fn from_reservation(status: Status) -> Self {
        let Some(info) = status.get_error_details().error_info().cloned() else {
            return OrderError::Status(status);
        };
        let meta = |key: &str| info.metadata.get(key).cloned().unwrap_or_default();
        match info.reason.as_str() {
            "INSUFFICIENT_STOCK" => OrderError::InsufficientStock {
                product_id: meta("productId"),
                available: meta("availableQuantity"),
                requested: meta("requestedQuantity"),
            },
            "PRODUCT_NOT_AVAILABLE" => OrderError::ProductNotAvailable(first_of(&info.metadata)),
            "PRODUCT_NOT_FOUND" => OrderError::ProductNotFound(first_of(&info.metadata)),
            _ => OrderError::Status(status),
        }
    }
}

/// The product id named by a product-module error's metadata.
fn first_of(metadata: &std::collections::HashMap<String, String>) -> String {
    ["productId", "product_id", "id"]
        .iter()
        .find_map(|key| metadata.get(*key).cloned())
        .unwrap_or_default()
}

/// The `ErrorInfo.reason` of `status`, if it has one.
pub(crate) fn reason_of(status: &Status) -> Option<String> {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
}

impl From<Status> for OrderError {
    fn from(status: Status) -> Self {
        OrderError::Status(status)
    }
}

impl From<pos_api::ClientsError> for OrderError {
    fn from(error: pos_api::ClientsError) -> Self {
        OrderError::Status(error.into())
    }
}

impl From<pos_platform::idempotency::IdempotencyError> for OrderError {
    fn from(error: pos_platform::idempotency::IdempotencyError) -> Self {
        use pos_platform::idempotency::IdempotencyError;
        match error {
            IdempotencyError::TooLong => OrderError::invalid("request_id", error.to_string()),
            IdempotencyError::Reused(request_id) => OrderError::IdempotencyKeyReused(request_id),
            IdempotencyError::Database(error) => error.into(),
            IdempotencyError::Corrupt => OrderError::Internal(anyhow::anyhow!(error)),
        }
    }
}

fn precondition(reason: &str, message: String, key: &str, id: String) -> Status {
    status::error(
        Code::FailedPrecondition,
        Module::Order,
        reason,
        message,
        [(key.to_owned(), id)],
    )
}

impl From<OrderError> for Status {
    fn from(error: OrderError) -> Self {
        let message = error.to_string();
        match error {
            OrderError::NotBuiltYet(rpc) => status::not_built_yet(Module::Order, rpc),
            OrderError::InvalidField { field, description } => {
                status::invalid_argument(Module::Order, vec![FieldViolation::new(field, description)])
            }
            OrderError::InvalidFields(violations) => status::invalid_argument(Module::Order, violations),
            OrderError::NotFound(id) => status::not_found(Module::Order, "order", &id),
            OrderError::ItemNotFound(id) => status::not_found(Module::Order, "order_item", &id),
            OrderError::ProductNotFound(id) => status::not_found(Module::Order, "product", &id),
            OrderError::ProductNotAvailable(id) => {
                precondition("PRODUCT_NOT_AVAILABLE", message, "productId", id)
            }
            OrderError::InsufficientStock {
                product_id,
                available,
                requested,
            } => status::error(
                Code::FailedPrecondition,
                Module::Order,
                "INSUFFICIENT_STOCK",
                message,
                [
                    ("productId".to_owned(), product_id),
                    ("availableQuantity".to_owned(), available),
                    ("requestedQuantity".to_owned(), requested),
                ],
            ),
            OrderError::PermissionMissing(permission) => status::error(
                Code::PermissionDenied,
                Module::Order,
                "PERMISSION_MISSING",
                message,
                [("permission".to_owned(), permission.to_owned())],
            ),
            OrderError::MerchantNotActive(id) => {
                precondition("MERCHANT_NOT_ACTIVE", message, "merchantId", id)
            }
            OrderError::CashierNotActive(id) => precondition("CASHIER_NOT_ACTIVE", message, "cashierId", id),
            OrderError::IdempotencyKeyReused(request_id) => status::error(
                Code::AlreadyExists,
                Module::Order,
                "IDEMPOTENCY_KEY_REUSED",
                message,
                [("requestId".to_owned(), request_id)],
            ),
            OrderError::RequestInProgress(request_id) => status::error(
                Code::Aborted,
                Module::Order,
                "REQUEST_IN_PROGRESS",
                message,
                [("requestId".to_owned(), request_id)],
            ),
            OrderError::NotOpen(id) => precondition("ORDER_NOT_OPEN", message, "orderId", id),
            OrderError::HasPayments(id) => precondition("ORDER_HAS_PAYMENTS", message, "orderId", id),
            OrderError::NotPaid(id) => precondition("ORDER_NOT_PAID", message, "orderId", id),
            OrderError::RefundExceedsPaid {
                order_item_id,
                refundable,
            } => status::error(
                Code::FailedPrecondition,
                Module::Order,
                "REFUND_EXCEEDS_PAID",
                message,
                [
                    ("orderItemId".to_owned(), order_item_id),
                    ("refundableQuantity".to_owned(), refundable.to_string()),
                ],
            ),
            OrderError::NotCancelled(id) => precondition("ORDER_NOT_CANCELLED", message, "orderId", id),
            OrderError::Trashed(id) => precondition("ORDER_TRASHED", message, "orderId", id),
            OrderError::NotTrashed(id) => precondition("ORDER_NOT_TRASHED", message, "orderId", id),
            // Cart
            OrderError::CartNotFound(id) => status::not_found(Module::Order, "cart", &id),
            OrderError::CartExists(id) => status::error(
                Code::AlreadyExists,
                Module::Order,
                "CART_EXISTS",
                message,
                [("cartId".to_owned(), id)],
            ),
            OrderError::CartVersionMismatch { cart_id, actual } => status::error(
                Code::Aborted,
                Module::Order,
                "CART_VERSION_MISMATCH",
                message,
                [
                    ("cartId".to_owned(), cart_id),
                    ("version".to_owned(), actual.to_string()),
                ],
            ),
            OrderError::CartFull(id) => precondition("CART_FULL", message, "cartId", id),
            OrderError::CartEmpty(id) => precondition("CART_EMPTY", message, "cartId", id),
            OrderError::CartLineNotFound { cart_id, product_id } => status::error(
                Code::NotFound,
                Module::Order,
                "CART_LINE_NOT_FOUND",
                message,
                [
                    ("cartId".to_owned(), cart_id),
                    ("productId".to_owned(), product_id),
                ],
            ),
            OrderError::BarcodeNotFound(barcode) => status::error(
                Code::NotFound,
                Module::Order,
                "BARCODE_NOT_FOUND",
                message,
                [("barcode".to_owned(), barcode)],
            ),
            OrderError::CartCheckoutRunning(id) => status::error(
                Code::Aborted,
                Module::Order,
                "REQUEST_IN_PROGRESS",
                message,
                [("cartId".to_owned(), id)],
            ),
            OrderError::CartStoreUnavailable(cause) => {
                status::unavailable(Module::Order, "Redis", &std::io::Error::other(cause))
            }
            OrderError::Database(error) => status::database(Module::Order, error),
            OrderError::Status(status) => status,
            OrderError::Internal(error) => status::internal(Module::Order, &error),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_errors_carry_the_reasons_of_the_contract() {
        let cases = [
            (
                OrderError::NotFound("x".into()),
                Code::NotFound,
                "ORDER_NOT_FOUND",
            ),
            (
                OrderError::ItemNotFound("x".into()),
                Code::NotFound,
                "ORDER_ITEM_NOT_FOUND",
            ),
            (
                OrderError::ProductNotFound("x".into()),
                Code::NotFound,
                "PRODUCT_NOT_FOUND",
            ),
            (
                OrderError::NotOpen("x".into()),
                Code::FailedPrecondition,
                "ORDER_NOT_OPEN",
            ),
            (
                OrderError::HasPayments("x".into()),
                Code::FailedPrecondition,
                "ORDER_HAS_PAYMENTS",
            ),
            (
                OrderError::NotPaid("x".into()),
                Code::FailedPrecondition,
                "ORDER_NOT_PAID",
            ),
            (
                OrderError::RequestInProgress("r".into()),
                Code::Aborted,
                "REQUEST_IN_PROGRESS",
            ),
            (
                OrderError::IdempotencyKeyReused("r".into()),
                Code::AlreadyExists,
                "IDEMPOTENCY_KEY_REUSED",
            ),
        ];
        for (error, code, expected) in cases {
            let status = Status::from(error);
            assert_eq!(status.code(), code, "{expected}");
            assert_eq!(reason_of(&status).as_deref(), Some(expected));
        }
    }

    #[test]
    fn a_shortage_reported_by_the_product_module_keeps_its_metadata() {
        let upstream = status::error(
            Code::FailedPrecondition,
            Module::Product,
            "INSUFFICIENT_STOCK",
            "short",
            [
                ("productId".to_owned(), "p".to_owned()),
                ("availableQuantity".to_owned(), "2".to_owned()),
                ("requestedQuantity".to_owned(), "3".to_owned()),
            ],
        );
        let status = Status::from(OrderError::from_reservation(upstream));
        let info = status.get_error_details().error_info().cloned().unwrap();
        assert_eq!(info.domain, "pos.order");
        assert_eq!(
            info.metadata.get("availableQuantity").map(String::as_str),
            Some("2")
        );
        assert_eq!(info.metadata.get("productId").map(String::as_str), Some("p"));
    }
}
