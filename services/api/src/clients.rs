//! How one module calls another: through the generated tonic clients over a [`Transport`] that is
//! either the callee's own service stack in this process (no socket, no HTTP/2) or a gRPC channel
//! to the process that serves it. Caller code is the same in both cases.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use tonic::body::Body;
use tower::ServiceExt as _;
use tower::util::BoxCloneSyncService;

use crate::Module;

/// Boxed error of a [`Transport`].
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The error of a [`Transport`]: a concrete type rather than a boxed trait object, so futures of
/// the generated clients are provably `Send` inside other `Send` futures (rustc cannot prove
/// `Box<dyn Error>: From<Box<dyn Error + '_>>` for every lifetime, which a bare `BoxError`
/// would require).
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct TransportError(#[from] pub BoxError);

/// A gRPC transport: anything that turns an HTTP request into an HTTP response.
pub type Transport = BoxCloneSyncService<http::Request<Body>, http::Response<Body>, TransportError>;

/// Why a client could not be produced.
#[derive(Debug, thiserror::Error)]
pub enum ClientsError {
    /// The registry was read before the composition root installed it.
    #[error("module clients are not installed yet")]
    NotInstalled,
    /// The module neither runs in this process nor has a configured address.
    #[error("module `{0}` is not served by this process and no address is configured for it (set POS_UPSTREAM_{upper})", upper = .0.as_str().to_uppercase())]
    NotConfigured(Module),
    /// The configured address is not a valid URI.
    #[error("invalid address `{address}` for module `{module}`: {source}")]
    InvalidAddress {
        /// The module whose address is wrong.
        module: Module,
        /// The address as configured.
        address: String,
        /// The parse error.
        #[source]
        source: tonic::transport::Error,
    },
}

impl From<ClientsError> for tonic::Status {
    fn from(error: ClientsError) -> Self {
        tonic::Status::unavailable(error.to_string())
    }
}

/// The transports to every module a process can reach, installed once by the composition root.
///
/// Modules receive a `Clients` when they are built and resolve transports lazily at call time,
/// so modules of one process can call each other regardless of the order they were built in.
#[derive(Clone, Default)]
pub struct Clients {
    transports: Arc<OnceLock<HashMap<Module, Transport>>>,
}

impl std::fmt::Debug for Clients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let modules: Vec<_> = self
            .transports
            .get()
            .map(|t| t.keys().collect())
            .unwrap_or_default();
        f.debug_struct("Clients").field("modules", &modules).finish()
    }
}

impl Clients {
    /// A transport that calls an in-process service stack directly.
    pub fn in_process<S>(service: S) -> Transport
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>>
            + Clone
            + Send
            + Sync
            + 'static,
        S::Error: Into<BoxError>,
        S::Future: Send + 'static,
    {
        BoxCloneSyncService::new(service.map_err(|error| TransportError(error.into())))
    }

    /// A transport to a module served by another process at `address` (e.g. `http://order:50051`).
    /// The connection is made on first use and re-established when it breaks.
    pub fn remote(module: Module, address: &str) -> Result<Transport, ClientsError> {
        let endpoint = tonic::transport::Endpoint::from_shared(address.to_owned()).map_err(|source| {
            ClientsError::InvalidAddress {
                module,
                address: address.to_owned(),
                source,
            }
        })?;
        let channel = endpoint
            .connect_timeout(std::time::Duration::from_secs(3))
            .tcp_nodelay(true)
            .connect_lazy();
        Ok(BoxCloneSyncService::new(
            channel.map_err(|error| TransportError(error.into())),
        ))
    }

    /// Installs the transports; only the first call has an effect.
    pub fn install(&self, transports: HashMap<Module, Transport>) {
        let _ = self.transports.set(transports);
    }

    /// The modules this registry can reach.
    pub fn reachable(&self) -> Vec<Module> {
        let mut modules: Vec<_> = self
            .transports
            .get()
            .map(|t| t.keys().copied().collect())
            .unwrap_or_default();
        modules.sort();
        modules
    }

    /// The transport to `module`.
    pub fn transport(&self, module: Module) -> Result<Transport, ClientsError> {
        let transports = self.transports.get().ok_or(ClientsError::NotInstalled)?;
        transports
            .get(&module)
            .cloned()
            .ok_or(ClientsError::NotConfigured(module))
    }
}

macro_rules! client_accessors {
    ($($(#[$doc:meta])* $method:ident => $module:ident, $client:ty;)*) => {
        impl Clients {
            $(
                $(#[$doc])*
                pub fn $method(&self) -> Result<$client, ClientsError> {
                    Ok(<$client>::new(self.transport(Module::$module)?))
                }
            )*
        }
    };
}

use crate::pos;

client_accessors! {
    /// Client of `pos.auth.v1.AuthService`.
    auth => Auth, pos::auth::v1::auth_service_client::AuthServiceClient<Transport>;
    /// Client of `pos.cashier.v1.CashierService`.
    cashier => Cashier, pos::cashier::v1::cashier_service_client::CashierServiceClient<Transport>;
    /// Client of `pos.category.v1.CategoryService`.
    category => Category, pos::category::v1::category_service_client::CategoryServiceClient<Transport>;
    /// Client of `pos.merchant.v1.MerchantService`.
    merchant => Merchant, pos::merchant::v1::merchant_service_client::MerchantServiceClient<Transport>;
    /// Client of `pos.merchant.v1.MerchantDocumentService`.
    merchant_document => Merchant, pos::merchant::v1::merchant_document_service_client::MerchantDocumentServiceClient<Transport>;
    /// Client of `pos.notification.v1.NotificationService`.
    notification => Notification, pos::notification::v1::notification_service_client::NotificationServiceClient<Transport>;
    /// Client of `pos.order.v1.OrderService`.
    order => Order, pos::order::v1::order_service_client::OrderServiceClient<Transport>;
    /// Client of `pos.order.v1.OrderItemService`.
    order_item => Order, pos::order::v1::order_item_service_client::OrderItemServiceClient<Transport>;
    /// Client of `pos.order.v1.CartService`.
    cart => Order, pos::order::v1::cart_service_client::CartServiceClient<Transport>;
    /// Client of `pos.product.v1.ProductService`.
    product => Product, pos::product::v1::product_service_client::ProductServiceClient<Transport>;
    /// Client of `pos.report.v1.ReportService`.
    report => Report, pos::report::v1::report_service_client::ReportServiceClient<Transport>;
    /// Client of `pos.role.v1.RoleService`.
    role => Role, pos::role::v1::role_service_client::RoleServiceClient<Transport>;
    /// Client of `pos.transaction.v1.TransactionService`.
    transaction => Transaction, pos::transaction::v1::transaction_service_client::TransactionServiceClient<Transport>;
    /// Client of `pos.user.v1.UserService`.
    user => User, pos::user::v1::user_service_client::UserServiceClient<Transport>;
}
