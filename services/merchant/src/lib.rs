//! The merchant module: owns merchants (stores), their verification documents and settlement records.
//!
//! It owns the PostgreSQL schema `merchants` and the Kafka topic `pos.merchant.v1.events`, and serves
//! `pos.merchant.v1.MerchantService`, `pos.merchant.v1.MerchantDocumentService`. It reads no other module's schema
//! and reaches other modules only through [`pos_api::Clients`]: the user module for owners' profiles, the role
//! module for the owners' `merchant` grants. Merchants are read through a Redis read-through cache that every
//! write invalidates after its commit, and that the module's own events invalidate again (other processes).

mod access;
mod create;
mod document;
mod document_api;
mod document_lifecycle;
mod document_store;
mod error;
mod events;
mod input;
mod lifecycle;
mod merchant;
mod owner;
mod read;
mod settlement;
mod signup;
mod store;
mod transition;
mod update;

use std::sync::Arc;
use std::time::Duration;

pub use error::MerchantError;

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::cache::ReadThrough;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// How long a cached merchant lives (every write invalidates it before that).
const CACHE_TTL: Duration = Duration::from_secs(600);

/// What every handler of the module uses.
#[derive(Clone, Debug)]
pub(crate) struct Shared {
    /// The module's dependencies.
    pub(crate) ctx: ModuleContext,
    /// Merchants as the API shows them, by id.
    pub(crate) cache: ReadThrough,
}

impl Shared {
    fn new(ctx: &ModuleContext) -> Self {
        Shared {
            ctx: ctx.clone(),
            cache: merchant_cache(ctx),
        }
    }
}

fn merchant_cache(ctx: &ModuleContext) -> ReadThrough {
    ReadThrough::new(ctx.redis.clone(), Module::Merchant, "merchant", CACHE_TTL)
}

/// Adds the module's gRPC services to `routes`.
pub fn add_services(ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    let shared = Shared::new(ctx);
    routes.add_service(
        pos_api::pos::merchant::v1::merchant_service_server::MerchantServiceServer::new(
            merchant::MerchantApi::new(shared.clone()),
        ),
    );
    routes.add_service(
        pos_api::pos::merchant::v1::merchant_document_service_server::MerchantDocumentServiceServer::new(
            document_api::MerchantDocumentApi::new(shared),
        )
        .max_decoding_message_size(pos_platform::UPLOAD_MESSAGE_LIMIT_BYTES)
        .max_encoding_message_size(pos_platform::UPLOAD_MESSAGE_LIMIT_BYTES),
    );
}

/// The topics the module consumes: auth events, to open the merchants of sign-ups; transaction
/// events, to record the results of settlements; and its own events, to invalidate the cached
/// merchants written by any process.
pub fn subscriptions(ctx: &ModuleContext) -> Vec<Subscription> {
    vec![
        Subscription::new(
            pos_platform::events::topics::events_topic(Module::Auth),
            Arc::new(signup::SignupHandler::new(ctx.clone())),
        ),
        Subscription::new(
            pos_platform::events::topics::events_topic(Module::Transaction),
            Arc::new(settlement::recorded::SettlementResultHandler::new(ctx.clone())),
        ),
        merchant_cache(ctx).own_events(Module::Merchant),
    ]
}
