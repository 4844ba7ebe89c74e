//! A whole platform for one test: a fresh migrated database, every module in one `pos` process
//! (through [`pos::start`], with the real access layer), the shared Redis and Kafka-protocol
//! broker, and the SMTP server the test chooses. Plus the identities tests act as.
//!
//! Include with `#[path = "support/platform.rs"] mod platform;`.

#![allow(
    dead_code,
    reason = "each test file uses a different part of the support code"
)]

use std::net::SocketAddr;
use std::time::Duration;

use chrono::Utc;
use clap::Parser;
use pos_api::pos::auth::v1::LoginRequest;
use pos_api::pos::auth::v1::auth_service_client::AuthServiceClient;
use pos_api::pos::cashier::v1::cashier_service_client::CashierServiceClient;
use pos_api::pos::cashier::v1::{Cashier, CreateCashierRequest};
use pos_api::pos::category::v1::category_service_client::CategoryServiceClient;
use pos_api::pos::category::v1::{Category, CreateCategoryRequest};
use pos_api::pos::common::v1::Money;
use pos_api::pos::merchant::v1::merchant_service_client::MerchantServiceClient;
use pos_api::pos::merchant::v1::{ApproveMerchantRequest, CreateMerchantRequest, Merchant};
use pos_api::pos::product::v1::product_service_client::ProductServiceClient;
use pos_api::pos::product::v1::{CreateProductRequest, Product};
use pos_api::pos::role::v1::role_service_client::RoleServiceClient;
use pos_api::pos::role::v1::{GrantRoleRequest, ListRolesRequest};
use pos_api::pos::user::v1::user_service_client::UserServiceClient;
use pos_api::pos::user::v1::{CreateUserRequest, User};
use pos_platform::Config;
use pos_platform::access::{SERVICE_HEADER, ServiceCredential};
use pos_platform::testkit::{self, TestDatabase};
use tonic::transport::Channel;

/// The service-credential secret of test platforms.
pub(crate) const SERVICE_SECRET: &str = "test-service-token-secret";

/// The password of every identity [`TestPlatform`] creates.
pub(crate) const PASSWORD: &str = "correct horse battery staple";

#[derive(Parser)]
#[command(args_override_self = true)]
struct Cli {
    #[command(flatten)]
    config: Config,
}

/// A running platform and its database.
pub(crate) struct TestPlatform {
    /// The `pos` process (every module).
    pub(crate) pos: pos::RunningPos,
    /// Its database (dropped by [`TestPlatform::stop`]).
    pub(crate) database: TestDatabase,
    /// Its configuration.
    pub(crate) config: Config,
}

/// A signed-in user.
#[derive(Clone, Debug)]
pub(crate) struct Session {
    /// The user's id.
    pub(crate) user_id: String,
    /// The user's email.
    pub(crate) email: String,
    /// Access token (`authorization: Bearer …`).
    pub(crate) access_token: String,
    /// Refresh token.
    pub(crate) refresh_token: String,
}

impl TestPlatform {
    /// Every module, mail sent to `smtp://127.0.0.1:9` (nothing listens: mails fail) unless
    /// [`TestPlatform::start_with`] names an SMTP server.
    pub(crate) async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// Every module, with `args` (e.g. `["--smtp-url", &sink.url()]`) over the test defaults.
    pub(crate) async fn start_with(args: &[&str]) -> Self {
        let database = TestDatabase::migrated().await.expect("a migrated test database");
        let brokers = testkit::kafka_brokers();
        let redis = testkit::redis_url();
        let namespace = format!("{}.", database.name);
        let mut argv = vec![
            "pos",
            "--modules",
            "all",
            "--grpc-addr",
            "127.0.0.1:0",
            "--admin-addr",
            "127.0.0.1:0",
            "--shutdown-grace-seconds",
            "5",
            "--upstreams",
            "",
            "--database-url",
            &database.url,
            "--redis-url",
            &redis,
            "--kafka-brokers",
            &brokers,
            // Topics and groups of their own: parallel platforms never consume each other's events.
            "--kafka-namespace",
            &namespace,
            "--service-token-secret",
            SERVICE_SECRET,
            "--smtp-url",
            "smtp://127.0.0.1:9",
            "--object-store-url",
            "memory://",
            // In-process calls nest (CreateCashier → CreateUser → ProvisionCredential), each
            // holding a connection: room for a few concurrent ones on a loaded test machine.
            "--database-max-connections",
            "32",
            // Tests run in parallel on two cores: opening a connection can take seconds there.
            "--database-acquire-timeout-seconds",
            "30",
            "--log-format",
            "text",
        ];
        argv.extend_from_slice(args);
        let config = Cli::try_parse_from(argv).expect("test arguments parse").config;
        let pos = pos::start(&config).await.expect("pos starts");
        TestPlatform {
            pos,
            database,
            config,
        }
    }

    /// Stops the process and drops the database.
    pub(crate) async fn stop(self) {
        let _ = self.pos.shutdown().await;
        let _ = self.database.drop_database().await;
    }

    /// Where gRPC is served.
    pub(crate) fn grpc_addr(&self) -> SocketAddr {
        self.pos.grpc_addr
    }

    /// A gRPC channel to the process.
    pub(crate) async fn channel(&self) -> Channel {
        Channel::from_shared(format!("http://{}", self.pos.grpc_addr))
            .expect("a valid address")
            .connect()
            .await
            .expect("pos accepts connections")
    }

    /// `message` carrying a service credential (every permission, platform-wide), as modules
    /// and `cargo xtask seed` call each other.
    pub(crate) fn as_service<T>(&self, message: T) -> tonic::Request<T> {
        let mut request = tonic::Request::new(message);
        let credential = ServiceCredential::new(SERVICE_SECRET).mint("test", Utc::now());
        request
            .metadata_mut()
            .insert(SERVICE_HEADER, credential.parse().expect("ASCII credential"));
        request
    }

    /// Creates a verified user with [`PASSWORD`] (as a service), without roles.
    pub(crate) async fn create_user(&self, email: &str) -> String {
        let created = UserServiceClient::new(self.channel().await)
            .create_user(self.as_service(CreateUserRequest {
                user: Some(User {
                    email: email.to_owned(),
                    first_name: "Test".to_owned(),
                    last_name: email.split('@').next().unwrap_or_default().to_owned(),
                    ..User::default()
                }),
                password: PASSWORD.to_owned(),
                request_id: String::new(),
            }))
            .await
            .unwrap_or_else(|status| panic!("CreateUser {email}: {status:?}"));
        created.into_inner().user.expect("the created user").id
    }

    /// The id of the role named `name` (e.g. a built-in one).
    pub(crate) async fn role_id(&self, name: &str) -> String {
        let roles = RoleServiceClient::new(self.channel().await)
            .list_roles(self.as_service(ListRolesRequest {
                page_size: 500,
                query: name.to_owned(),
                ..ListRolesRequest::default()
            }))
            .await
            .unwrap_or_else(|status| panic!("ListRoles: {status:?}"))
            .into_inner();
        roles
            .roles
            .into_iter()
            .find(|role| role.name == name)
            .unwrap_or_else(|| panic!("no role named {name}"))
            .id
    }

    /// Grants role `name` to `user_id`, optionally bound to a merchant (and cashier).
    pub(crate) async fn grant(
        &self,
        user_id: &str,
        name: &str,
        merchant_id: Option<&str>,
        cashier_id: Option<&str>,
    ) {
        let role_id = self.role_id(name).await;
        RoleServiceClient::new(self.channel().await)
            .grant_role(self.as_service(GrantRoleRequest {
                user_id: user_id.to_owned(),
                role_id,
                merchant_id: merchant_id.unwrap_or_default().to_owned(),
                cashier_id: cashier_id.unwrap_or_default().to_owned(),
            }))
            .await
            .unwrap_or_else(|status| panic!("GrantRole {name} to {user_id}: {status:?}"));
    }

    /// Signs `email` in with [`PASSWORD`].
    pub(crate) async fn login(&self, email: &str) -> Session {
        let response = AuthServiceClient::new(self.channel().await)
            .login(LoginRequest {
                email: email.to_owned(),
                password: PASSWORD.to_owned(),
            })
            .await
            .unwrap_or_else(|status| panic!("Login {email}: {status:?}"))
            .into_inner();
        let tokens = response.tokens.expect("session tokens");
        let claims_user = user_id_of(&tokens.access_token);
        Session {
            user_id: claims_user,
            email: email.to_owned(),
            access_token: tokens.access_token,
            refresh_token: tokens.refresh_token,
        }
    }

    /// A new user holding role `name` (bound to `merchant_id`/`cashier_id` when given), signed in.
    pub(crate) async fn session_with_role(
        &self,
        email: &str,
        name: &str,
        merchant_id: Option<&str>,
        cashier_id: Option<&str>,
    ) -> Session {
        let user_id = self.create_user(email).await;
        self.grant(&user_id, name, merchant_id, cashier_id).await;
        self.login(email).await
    }

    /// A new platform admin, signed in.
    pub(crate) async fn admin(&self) -> Session {
        let email = format!("admin-{}@example.com", uuid::Uuid::now_v7().simple());
        self.session_with_role(&email, "admin", None, None).await
    }

    /// A new merchant in status `ACTIVE` (created and approved as a service, in IDR, time zone
    /// Asia/Jakarta) and its owner, signed in. CreateMerchant grants the owner the `merchant`
    /// role bound to the merchant.
    pub(crate) async fn active_merchant(&self) -> MerchantOwner {
        let owner = self.pending_merchant().await;
        MerchantServiceClient::new(self.channel().await)
            .approve_merchant(self.as_service(ApproveMerchantRequest {
                merchant_id: owner.merchant_id.clone(),
            }))
            .await
            .unwrap_or_else(|status| panic!("ApproveMerchant: {status:?}"));
        owner
    }

    /// A new merchant in status `PENDING` and its owner, signed in.
    pub(crate) async fn pending_merchant(&self) -> MerchantOwner {
        let email = format!("owner-{}@example.com", uuid::Uuid::now_v7().simple());
        let user_id = self.create_user(&email).await;
        let merchant = MerchantServiceClient::new(self.channel().await)
            .create_merchant(self.as_service(CreateMerchantRequest {
                merchant: Some(Merchant {
                    owner_user_id: user_id,
                    name: format!("Toko {}", &email[6..14]),
                    currency_code: "IDR".to_owned(),
                    time_zone: "Asia/Jakarta".to_owned(),
                    ..Merchant::default()
                }),
                request_id: String::new(),
            }))
            .await
            .unwrap_or_else(|status| panic!("CreateMerchant: {status:?}"))
            .into_inner()
            .merchant
            .expect("the created merchant");
        MerchantOwner {
            merchant_id: merchant.id,
            session: self.login(&email).await,
        }
    }
}

impl TestPlatform {
    /// A new cashier of `owner`'s merchant (created by the owner through CreateCashier, password
    /// [`PASSWORD`]), signed in: its token carries the `cashier` role bound to (merchant, cashier).
    pub(crate) async fn cashier(&self, owner: &MerchantOwner) -> CashierSession {
        let email = format!("cashier-{}@example.com", uuid::Uuid::now_v7().simple());
        let cashier = CashierServiceClient::new(self.channel().await)
            .create_cashier(bearer(
                &owner.session.access_token,
                CreateCashierRequest {
                    merchant_id: owner.merchant_id.clone(),
                    cashier: Some(Cashier {
                        name: format!("Kasir {}", &email[8..16]),
                        ..Cashier::default()
                    }),
                    email: email.clone(),
                    initial_password: PASSWORD.to_owned(),
                    ..CreateCashierRequest::default()
                },
            ))
            .await
            .unwrap_or_else(|status| panic!("CreateCashier: {status:?}"))
            .into_inner()
            .cashier
            .expect("the created cashier");
        CashierSession {
            cashier_id: cashier.id,
            merchant_id: owner.merchant_id.clone(),
            session: self.login(&email).await,
        }
    }

    /// A new category (created as a service); returns its id.
    pub(crate) async fn category(&self) -> String {
        CategoryServiceClient::new(self.channel().await)
            .create_category(self.as_service(CreateCategoryRequest {
                category: Some(Category {
                    name: format!("Category {}", uuid::Uuid::now_v7().simple()),
                    ..Category::default()
                }),
                request_id: String::new(),
            }))
            .await
            .unwrap_or_else(|status| panic!("CreateCategory: {status:?}"))
            .into_inner()
            .category
            .expect("the created category")
            .id
    }

    /// A new product of `owner`'s merchant in a new category, priced `price_minor` IDR, with
    /// `stock` units on hand (created by the owner through CreateProduct).
    pub(crate) async fn product(&self, owner: &MerchantOwner, price_minor: i64, stock: i64) -> Product {
        let category_id = self.category().await;
        ProductServiceClient::new(self.channel().await)
            .create_product(bearer(
                &owner.session.access_token,
                CreateProductRequest {
                    product: Some(Product {
                        merchant_id: owner.merchant_id.clone(),
                        category_id,
                        name: format!("Product {}", uuid::Uuid::now_v7().simple()),
                        price: Some(Money {
                            currency_code: "IDR".to_owned(),
                            amount_minor: price_minor,
                        }),
                        ..Product::default()
                    }),
                    initial_stock: stock,
                    request_id: String::new(),
                },
            ))
            .await
            .unwrap_or_else(|status| panic!("CreateProduct: {status:?}"))
            .into_inner()
            .product
            .expect("the created product")
    }
}

/// A signed-in cashier of a merchant.
#[derive(Clone, Debug)]
pub(crate) struct CashierSession {
    /// The cashier's id (cashier module).
    pub(crate) cashier_id: String,
    /// Its merchant's id.
    pub(crate) merchant_id: String,
    /// The cashier user's session.
    pub(crate) session: Session,
}

/// A merchant and its signed-in owner.
pub(crate) struct MerchantOwner {
    /// The merchant's id.
    pub(crate) merchant_id: String,
    /// The owner's session.
    pub(crate) session: Session,
}

/// `message` with `authorization: Bearer <token>`.
pub(crate) fn bearer<T>(token: &str, message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        "authorization",
        format!("Bearer {token}").parse().expect("ASCII token"),
    );
    request
}

/// The `sub` claim of an access token, read without verifying it (the server did).
pub(crate) fn user_id_of(access_token: &str) -> String {
    use base64::Engine as _;
    let payload = access_token
        .strip_prefix("v4.public.")
        .and_then(|rest| rest.split('.').next())
        .expect("a v4.public token");
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(payload)
        .expect("base64url payload");
    // The payload is the JSON claims followed by a 64-byte Ed25519 signature.
    let json = &bytes[..bytes.len().saturating_sub(64)];
    let claims: serde_json::Value = serde_json::from_slice(json).expect("JSON claims");
    claims["sub"].as_str().expect("a sub claim").to_owned()
}

/// Polls `check` every 100 ms until it returns `Some`, panicking with `what` after `timeout`.
pub(crate) async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
