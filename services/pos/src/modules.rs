//! The one place that knows every module crate: maps a [`Module`] to the functions that mount its
//! services and list the topics it consumes.

use pos_api::Module;
use pos_platform::ModuleContext;
use pos_platform::background::BackgroundTask;
use pos_platform::module::Subscription;
use tonic::service::RoutesBuilder;

/// Adds `module`'s gRPC services to `routes`.
pub(crate) fn add_services(module: Module, ctx: &ModuleContext, routes: &mut RoutesBuilder) {
    match module {
        Module::Auth => pos_auth::add_services(ctx, routes),
        Module::User => pos_user::add_services(ctx, routes),
        Module::Role => pos_role::add_services(ctx, routes),
        Module::Merchant => pos_merchant::add_services(ctx, routes),
        Module::Cashier => pos_cashier::add_services(ctx, routes),
        Module::Category => pos_category::add_services(ctx, routes),
        Module::Product => pos_product::add_services(ctx, routes),
        Module::Order => pos_order::add_services(ctx, routes),
        Module::Transaction => pos_transaction::add_services(ctx, routes),
        Module::Report => pos_report::add_services(ctx, routes),
        Module::Notification => pos_notification::add_services(ctx, routes),
    }
}

/// The topics `module` consumes, with their handlers.
pub(crate) fn subscriptions(module: Module, ctx: &ModuleContext) -> Vec<Subscription> {
    match module {
        Module::Auth => pos_auth::subscriptions(ctx),
        Module::User => pos_user::subscriptions(ctx),
        Module::Role => pos_role::subscriptions(ctx),
        Module::Merchant => pos_merchant::subscriptions(ctx),
        Module::Cashier => pos_cashier::subscriptions(ctx),
        Module::Category => pos_category::subscriptions(ctx),
        Module::Product => pos_product::subscriptions(ctx),
        Module::Order => pos_order::subscriptions(ctx),
        Module::Transaction => pos_transaction::subscriptions(ctx),
        Module::Report => pos_report::subscriptions(ctx),
        Module::Notification => pos_notification::subscriptions(ctx),
    }
}

/// The background tasks of `module` (most modules have none).
pub(crate) fn background(module: Module, ctx: &ModuleContext) -> Vec<BackgroundTask> {
    match module {
        Module::Product => pos_product::background(ctx),
        Module::Order => pos_order::background(ctx),
        _ => Vec::new(),
    }
}
