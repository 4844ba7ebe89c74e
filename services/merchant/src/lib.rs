//! The merchant module: owns merchants (stores), their verification documents and settlement records.
//!
//! It owns the PostgreSQL schema `merchants` and the Kafka topic `pos.merchant.v1.events`, and serves
//! `pos.merchant.v1.MerchantService`, `pos.merchant.v1.MerchantDocumentService`. It reads no other module's schema and reaches other modules only through
//! [`pos_api::Clients`].

mod error;
mod merchant;
mod merchant_document;
mod signup;

pub use error::MerchantError;

use pos_platform::ModuleContext;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    routes.add_service(
        pos_api::pos::merchant::v1::merchant_service_server::MerchantServiceServer::new(
            merchant::MerchantApi::new(ctx.clone()),
        ),
    );
    routes.add_service(
        pos_api::pos::merchant::v1::merchant_document_service_server::MerchantDocumentServiceServer::new(
            merchant_document::MerchantDocumentApi::new(ctx.clone()),
        )
        .max_decoding_message_size(pos_platform::UPLOAD_MESSAGE_LIMIT_BYTES),
    );
}

/// The topics the module consumes: auth events, to open the merchants of sign-ups.
pub fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    vec![Subscription::new(
        pos_platform::events::topics::events_topic(pos_api::Module::Auth),
        std::sync::Arc::new(signup::SignupHandler::new(ctx.clone())),
    )]
}
