//! The authorization matrix: every RPC of every module × {anonymous, cashier, merchant owner,
//! another merchant's owner, admin}, through the real server and its access layer, against the
//! rule `pos_api::policy` states for it.
//!
//! The expected answer is computed here from the policy rule and the *documented* default
//! permissions of the built-in roles (written out below from the RoleService comment), not from
//! the role module's tables: if the role module granted a built-in role more or less than the
//! contract says, the matrix fails.
//!
//! "Denied" means the access layer refused before the handler ran: UNAUTHENTICATED (anonymous
//! caller) or PERMISSION_DENIED with reason PERMISSION_MISSING. "Allowed" means any other answer:
//! the handler ran (OK, INVALID_ARGUMENT for the empty request, NOT_FOUND, UNIMPLEMENTED for
//! modules later issues build, …). Ownership of rows (another merchant's owner) is the handlers'
//! part: the tests at the end check it for the identity RPCs, and each later issue adds its own.

#[path = "support/platform.rs"]
mod platform;

use std::collections::BTreeSet;

use platform::{TestPlatform, bearer};
use pos_api::policy::{POLICY, Rule, Scope};
use pos_api::pos::role::v1::ListUserRolesRequest;
use pos_api::pos::role::v1::role_service_client::RoleServiceClient;
use pos_api::pos::user::v1::GetUserRequest;
use pos_api::pos::user::v1::user_service_client::UserServiceClient;
use tonic::Code;
use tonic::transport::Channel;
use tonic_prost::ProstCodec;
use tonic_types::StatusExt as _;

/// The default permissions of the built-in roles, as documented in proto/pos/role/v1/role.proto.
const MERCHANT_PERMISSIONS: &[&str] = &[
    "merchant.read",
    "merchant.write",
    "merchant.settle",
    "cashier.read",
    "cashier.write",
    "product.read",
    "product.write",
    "product.stock",
    "order.read",
    "order.write",
    "order.refund",
    "transaction.read",
    "transaction.write",
    "report.read",
];
const CASHIER_PERMISSIONS: &[&str] = &[
    "merchant.read",
    "cashier.read",
    "product.read",
    "order.read",
    "order.write",
    "report.read",
    "transaction.read",
    "transaction.write",
];

/// The callers of the matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Persona {
    Anonymous,
    Cashier,
    Owner,
    OtherOwner,
    Admin,
}

impl Persona {
    /// Whether the persona holds one of `any_of` at `scope` or wider.
    fn satisfies(self, any_of: &[&str], scope: Scope) -> bool {
        let holds = |set: &[&str]| any_of.iter().any(|permission| set.contains(permission));
        match self {
            Persona::Anonymous => false,
            // `admin` holds every permission, platform-wide.
            Persona::Admin => true,
            Persona::Owner | Persona::OtherOwner => scope != Scope::Platform && holds(MERCHANT_PERMISSIONS),
            Persona::Cashier => scope == Scope::Cashier && holds(CASHIER_PERMISSIONS),
        }
    }

    /// What the access layer must answer this persona for an RPC with `rule`.
    fn expected(self, rule: Rule) -> Expected {
        match (rule, self) {
            (Rule::Anonymous, _) => Expected::Allowed,
            (_, Persona::Anonymous) => Expected::Unauthenticated,
            (Rule::SignedIn | Rule::OwnOr(_), _) => Expected::Allowed,
            (Rule::Requires(grant), persona) => {
                if persona.satisfies(grant.any_of, grant.scope) {
                    Expected::Allowed
                } else {
                    Expected::PermissionDenied
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expected {
    Allowed,
    Unauthenticated,
    PermissionDenied,
}

/// What the server answered, classified. The access layer's refusals come from domain
/// `pos.auth`; a handler refusing a row of another merchant (domain `pos.<module>`) means the
/// layer let the call through.
fn observed(status: &tonic::Status) -> Expected {
    let (reason, domain) = status
        .get_details_error_info()
        .map(|info| (info.reason, info.domain))
        .unwrap_or_default();
    match status.code() {
        Code::Unauthenticated => Expected::Unauthenticated,
        Code::PermissionDenied if reason == "PERMISSION_MISSING" && domain == "pos.auth" => {
            Expected::PermissionDenied
        }
        _ => Expected::Allowed,
    }
}

/// Calls `path` with an empty request (every field at its default) as `token`'s holder.
async fn call(channel: &Channel, path: &str, token: Option<&str>) -> Expected {
    let mut grpc = tonic::client::Grpc::new(channel.clone());
    grpc.ready().await.expect("the channel is ready");
    let request = match token {
        Some(token) => bearer(token, ()),
        None => tonic::Request::new(()),
    };
    let answer = grpc
        .unary::<(), (), ProstCodec<(), ()>>(
            request,
            path.parse::<http::uri::PathAndQuery>().expect("a gRPC path"),
            ProstCodec::default(),
        )
        .await;
    match answer {
        Ok(_) => Expected::Allowed,
        Err(status) => observed(&status),
    }
}

/// Every RPC of every module answers each persona as its policy rule says.
#[tokio::test]
async fn every_rpc_answers_every_persona_as_its_policy_rule_says() {
    let platform = TestPlatform::start().await;
    let merchant = uuid::Uuid::now_v7().to_string();
    let other_merchant = uuid::Uuid::now_v7().to_string();
    let cashier_id = uuid::Uuid::now_v7().to_string();
    let admin = platform.admin().await;
    let owner = platform
        .session_with_role("owner@example.com", "merchant", Some(&merchant), None)
        .await;
    let other_owner = platform
        .session_with_role("other-owner@example.com", "merchant", Some(&other_merchant), None)
        .await;
    let cashier = platform
        .session_with_role(
            "cashier@example.com",
            "cashier",
            Some(&merchant),
            Some(&cashier_id),
        )
        .await;
    let personas = [
        (Persona::Anonymous, None),
        (Persona::Cashier, Some(cashier.access_token.as_str())),
        (Persona::Owner, Some(owner.access_token.as_str())),
        (Persona::OtherOwner, Some(other_owner.access_token.as_str())),
        (Persona::Admin, Some(admin.access_token.as_str())),
    ];
    let channel = platform.channel().await;

    // LogoutAllSessions would end the persona's own session: it goes last.
    let (last, first): (Vec<_>, Vec<_>) = POLICY
        .iter()
        .partition(|(path, _)| path.ends_with("/LogoutAllSessions"));
    let mut mismatches = Vec::new();
    let mut checked = 0;
    for (path, rule) in first.iter().chain(last.iter()) {
        for (persona, token) in personas {
            let expected = persona.expected(*rule);
            let answer = call(&channel, path, token).await;
            checked += 1;
            if answer != expected {
                mismatches.push(format!(
                    "{path} as {persona:?}: expected {expected:?}, got {answer:?}"
                ));
            }
        }
    }

    assert_eq!(checked, POLICY.len() * personas.len());
    assert!(
        mismatches.is_empty(),
        "{} of {checked} answers differ from the policy:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    platform.stop().await;
}

/// The matrix above would pass if every persona were treated the same; this pins that the
/// expectations really differ between personas for the identity RPCs.
#[test]
fn the_matrix_expects_different_answers_for_different_personas() {
    let rule = |path: &str| pos_api::policy::rule(path).expect("a rule");
    let list_users = rule("/pos.user.v1.UserService/ListUsers");
    assert_eq!(Persona::Admin.expected(list_users), Expected::Allowed);
    assert_eq!(Persona::Owner.expected(list_users), Expected::PermissionDenied);
    assert_eq!(Persona::Anonymous.expected(list_users), Expected::Unauthenticated);
    let create_product = rule("/pos.product.v1.ProductService/CreateProduct");
    assert_eq!(Persona::Owner.expected(create_product), Expected::Allowed);
    assert_eq!(
        Persona::Cashier.expected(create_product),
        Expected::PermissionDenied
    );
    let create_order = rule("/pos.order.v1.OrderService/CreateOrder");
    assert_eq!(Persona::Cashier.expected(create_order), Expected::Allowed);
    let login = rule("/pos.auth.v1.AuthService/Login");
    assert_eq!(Persona::Anonymous.expected(login), Expected::Allowed);
    let kinds: BTreeSet<String> = POLICY
        .iter()
        .map(|(_, rule)| format!("{:?}", Persona::Cashier.expected(*rule)))
        .collect();
    assert_eq!(
        kinds.len(),
        2,
        "the cashier is allowed some RPCs and denied others"
    );
}

/// A user reads itself, and only an admin reads others (`OwnOr user.read`); the same for role
/// grants (`OwnOr role.read`).
#[tokio::test]
async fn users_read_their_own_record_and_grants_but_not_anyone_elses() {
    let platform = TestPlatform::start().await;
    let merchant = uuid::Uuid::now_v7().to_string();
    let admin = platform.admin().await;
    let owner = platform
        .session_with_role("owner@example.com", "merchant", Some(&merchant), None)
        .await;
    let other = platform
        .session_with_role(
            "other@example.com",
            "merchant",
            Some(&uuid::Uuid::now_v7().to_string()),
            None,
        )
        .await;
    let mut users = UserServiceClient::new(platform.channel().await);
    let mut roles = RoleServiceClient::new(platform.channel().await);
    let get_user = |token: &str, id: &str| {
        bearer(
            token,
            GetUserRequest {
                user_id: id.to_owned(),
            },
        )
    };
    let list_roles = |token: &str, id: &str| {
        bearer(
            token,
            ListUserRolesRequest {
                user_id: id.to_owned(),
            },
        )
    };

    let own = users
        .get_user(get_user(&owner.access_token, &owner.user_id))
        .await
        .unwrap();
    assert_eq!(own.into_inner().user.unwrap().email, "owner@example.com");
    let denied = users
        .get_user(get_user(&owner.access_token, &other.user_id))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    let by_admin = users
        .get_user(get_user(&admin.access_token, &other.user_id))
        .await
        .unwrap();
    assert_eq!(by_admin.into_inner().user.unwrap().email, "other@example.com");

    let own_grants = roles
        .list_user_roles(list_roles(&owner.access_token, &owner.user_id))
        .await
        .unwrap();
    assert_eq!(own_grants.into_inner().grants[0].merchant_id, merchant);
    let denied = roles
        .list_user_roles(list_roles(&owner.access_token, &other.user_id))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    roles
        .list_user_roles(list_roles(&admin.access_token, &other.user_id))
        .await
        .unwrap();
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// The access layer's answers
// ---------------------------------------------------------------------------------------------

/// The ErrorInfo reason of a refusal.
fn reason(status: &tonic::Status) -> String {
    status
        .get_details_error_info()
        .map(|info| info.reason)
        .unwrap_or_default()
}

/// No token, a malformed token and a token signed by a key the platform never had are refused
/// with UNAUTHENTICATED and a reason saying which.
#[tokio::test]
async fn requests_without_a_valid_access_token_are_unauthenticated() {
    let platform = TestPlatform::start().await;
    let mut users = UserServiceClient::new(platform.channel().await);
    let list = || pos_api::pos::user::v1::ListUsersRequest::default();

    let missing = users.list_users(list()).await.unwrap_err();
    assert_eq!(
        (missing.code(), reason(&missing).as_str()),
        (Code::Unauthenticated, "TOKEN_MISSING")
    );

    let garbage = users
        .list_users(bearer("v4.public.garbage", list()))
        .await
        .unwrap_err();
    assert_eq!(
        (garbage.code(), reason(&garbage).as_str()),
        (Code::Unauthenticated, "TOKEN_INVALID")
    );

    // A well-formed token signed by a stranger's key.
    let stranger = pos_platform::access_token::SigningKey::generate().unwrap();
    let now = chrono::Utc::now();
    let forged = stranger
        .issue(&pos_platform::access_token::AccessClaims {
            user_id: uuid::Uuid::now_v7(),
            token_id: uuid::Uuid::now_v7(),
            session_id: uuid::Uuid::now_v7(),
            roles: BTreeSet::from(["admin".to_owned()]),
            merchant_id: None,
            cashier_id: None,
            issued_at: now,
            expires_at: now + chrono::Duration::minutes(5),
        })
        .unwrap();
    let refused = users.list_users(bearer(&forged, list())).await.unwrap_err();
    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::Unauthenticated, "TOKEN_INVALID")
    );
    platform.stop().await;
}

/// A service credential minted with another secret (or expired) is refused, not ignored.
#[tokio::test]
async fn a_service_credential_with_the_wrong_secret_is_refused() {
    let platform = TestPlatform::start().await;
    let mut users = UserServiceClient::new(platform.channel().await);
    let mut request = tonic::Request::new(pos_api::pos::user::v1::ListUsersRequest::default());
    let forged =
        pos_platform::access::ServiceCredential::new("guessed secret").mint("attacker", chrono::Utc::now());
    request
        .metadata_mut()
        .insert(pos_platform::access::SERVICE_HEADER, forged.parse().unwrap());

    let refused = users.list_users(request).await.unwrap_err();

    assert_eq!(
        (refused.code(), reason(&refused).as_str()),
        (Code::Unauthenticated, "SERVICE_CREDENTIAL_INVALID")
    );
    let allowed = users
        .list_users(platform.as_service(pos_api::pos::user::v1::ListUsersRequest::default()))
        .await;
    assert!(allowed.is_ok(), "{allowed:?}");
    platform.stop().await;
}

/// Revoking a grant takes effect within seconds — the role module's UserRolesChanged event drops
/// the cached grants — long before the cache entry's own expiry or the access token's.
#[tokio::test]
async fn a_revoked_role_stops_working_at_once_for_a_signed_in_user() {
    let platform = TestPlatform::start().await;
    // Two admins: the last active admin cannot lose the role (LAST_ADMIN).
    let _first = platform.admin().await;
    let admin = platform.admin().await;
    let mut users = UserServiceClient::new(platform.channel().await);
    let list = |token: &str| bearer(token, pos_api::pos::user::v1::ListUsersRequest::default());
    users.list_users(list(&admin.access_token)).await.unwrap();

    let admin_role = platform.role_id("admin").await;
    RoleServiceClient::new(platform.channel().await)
        .revoke_role(platform.as_service(pos_api::pos::role::v1::RevokeRoleRequest {
            user_id: admin.user_id.clone(),
            role_id: admin_role,
        }))
        .await
        .unwrap();

    let started = std::time::Instant::now();
    let denied = platform::eventually(
        std::time::Duration::from_secs(20),
        "the revoked role to stop working",
        || {
            let mut users = users.clone();
            let request = list(&admin.access_token);
            async move { users.list_users(request).await.err() }
        },
    )
    .await;
    assert_eq!(
        (denied.code(), reason(&denied).as_str()),
        (Code::PermissionDenied, "PERMISSION_MISSING")
    );
    assert!(
        started.elapsed() < pos_platform::access::GRANTS_TTL,
        "dropped by the event, not by the cache expiry ({:?})",
        started.elapsed()
    );
    platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Ownership of merchant rows: the handlers' part of the matrix.
// ---------------------------------------------------------------------------------------------

/// Who acts on merchant A's rows in the ownership matrix.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Actor {
    /// The owner of merchant A.
    Owner,
    /// The owner of merchant B.
    OtherOwner,
    /// A cashier of merchant A.
    Cashier,
    /// A platform admin.
    Admin,
}

/// What the ownership matrix expects: served (OK), or refused (PERMISSION_DENIED, or NOT_FOUND
/// where the contract hides other merchants' rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Answer {
    Served,
    Refused,
}

fn answer<T>(result: &Result<tonic::Response<T>, tonic::Status>) -> Answer {
    match result {
        Ok(_) => Answer::Served,
        Err(status) if matches!(status.code(), Code::PermissionDenied | Code::NotFound) => Answer::Refused,
        Err(status) => panic!("neither served nor refused: {status:?}"),
    }
}

/// A minimal PDF for a document upload (judged by content).
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// Merchant A's owner, its cashier, merchant B's owner and an admin call the merchant-scoped
/// RPCs on merchant A's merchant, document, cashier and product; each answer is what the RPC's
/// `Callers:` comment promises (own merchant, own cashier's merchant, platform).
#[tokio::test]
async fn merchant_rows_serve_their_owner_their_cashier_and_admins_but_not_another_merchants_owner() {
    use pos_api::pos::cashier::v1 as cashier;
    use pos_api::pos::cashier::v1::cashier_service_client::CashierServiceClient;
    use pos_api::pos::category::v1 as category;
    use pos_api::pos::category::v1::category_service_client::CategoryServiceClient;
    use pos_api::pos::common::v1::Money;
    use pos_api::pos::merchant::v1 as merchant;
    use pos_api::pos::merchant::v1::merchant_document_service_client::MerchantDocumentServiceClient;
    use pos_api::pos::merchant::v1::merchant_service_client::MerchantServiceClient;
    use pos_api::pos::product::v1 as product;
    use pos_api::pos::product::v1::product_service_client::ProductServiceClient;

    let platform = TestPlatform::start().await;
    let channel = platform.channel().await;
    let admin = platform.admin().await;
    let a = platform.active_merchant().await;
    let b = platform.active_merchant().await;

    // Merchant A's rows: a document, a cashier, a category and a product with stock.
    let document = MerchantDocumentServiceClient::new(channel.clone())
        .upload_merchant_document(bearer(
            &a.session.access_token,
            merchant::UploadMerchantDocumentRequest {
                merchant_id: a.merchant_id.clone(),
                document_type: merchant::DocumentType::BusinessLicense.into(),
                file_name: "licence.pdf".to_owned(),
                content: PDF.to_vec(),
                request_id: String::new(),
            },
        ))
        .await
        .expect("UploadMerchantDocument by the owner")
        .into_inner()
        .document
        .unwrap();
    let cashier_email = format!("cashier-{}@example.com", uuid::Uuid::now_v7().simple());
    let cashier_row = CashierServiceClient::new(channel.clone())
        .create_cashier(bearer(
            &a.session.access_token,
            cashier::CreateCashierRequest {
                merchant_id: a.merchant_id.clone(),
                cashier: Some(cashier::Cashier {
                    name: "Sari".to_owned(),
                    ..cashier::Cashier::default()
                }),
                email: cashier_email.clone(),
                initial_password: platform::PASSWORD.to_owned(),
                ..cashier::CreateCashierRequest::default()
            },
        ))
        .await
        .expect("CreateCashier by the owner")
        .into_inner()
        .cashier
        .unwrap();
    let cashier_session = platform.login(&cashier_email).await;
    let category_row = CategoryServiceClient::new(channel.clone())
        .create_category(bearer(
            &admin.access_token,
            category::CreateCategoryRequest {
                category: Some(category::Category {
                    name: format!("Snacks {}", &a.merchant_id[..8]),
                    ..category::Category::default()
                }),
                ..category::CreateCategoryRequest::default()
            },
        ))
        .await
        .expect("CreateCategory by an admin")
        .into_inner()
        .category
        .unwrap();
    let product_row = ProductServiceClient::new(channel.clone())
        .create_product(bearer(
            &a.session.access_token,
            product::CreateProductRequest {
                product: Some(product::Product {
                    merchant_id: a.merchant_id.clone(),
                    category_id: category_row.id.clone(),
                    name: "Keripik".to_owned(),
                    price: Some(Money {
                        currency_code: "IDR".to_owned(),
                        amount_minor: 12_000,
                    }),
                    ..product::Product::default()
                }),
                initial_stock: 100,
                request_id: String::new(),
            },
        ))
        .await
        .expect("CreateProduct by the owner")
        .into_inner()
        .product
        .unwrap();

    let token = |actor: Actor| match actor {
        Actor::Owner => a.session.access_token.clone(),
        Actor::OtherOwner => b.session.access_token.clone(),
        Actor::Cashier => cashier_session.access_token.clone(),
        Actor::Admin => admin.access_token.clone(),
    };
    let mut mismatches = Vec::new();
    for actor in [Actor::Owner, Actor::OtherOwner, Actor::Cashier, Actor::Admin] {
        let t = token(actor);
        let mut merchants = MerchantServiceClient::new(channel.clone());
        let mut documents = MerchantDocumentServiceClient::new(channel.clone());
        let mut cashiers = CashierServiceClient::new(channel.clone());
        let mut products = ProductServiceClient::new(channel.clone());
        let owner_or_admin = if matches!(actor, Actor::Owner | Actor::Admin) {
            Answer::Served
        } else {
            Answer::Refused
        };
        let staff_or_admin = if actor == Actor::OtherOwner {
            Answer::Refused
        } else {
            Answer::Served
        };
        let observed = [
            (
                "GetMerchant",
                staff_or_admin,
                answer(
                    &merchants
                        .get_merchant(bearer(
                            &t,
                            merchant::GetMerchantRequest {
                                merchant_id: a.merchant_id.clone(),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "UpdateMerchant",
                owner_or_admin,
                answer(
                    &merchants
                        .update_merchant(bearer(
                            &t,
                            merchant::UpdateMerchantRequest {
                                merchant: Some(merchant::Merchant {
                                    id: a.merchant_id.clone(),
                                    description: format!("edited by {actor:?}"),
                                    ..merchant::Merchant::default()
                                }),
                                update_mask: Some(prost_types::FieldMask {
                                    paths: vec!["description".to_owned()],
                                }),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "GetMerchantDocument",
                owner_or_admin,
                answer(
                    &documents
                        .get_merchant_document(bearer(
                            &t,
                            merchant::GetMerchantDocumentRequest {
                                document_id: document.id.clone(),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "ListMerchantDocuments",
                owner_or_admin,
                answer(
                    &documents
                        .list_merchant_documents(bearer(
                            &t,
                            merchant::ListMerchantDocumentsRequest {
                                merchant_id: a.merchant_id.clone(),
                                ..merchant::ListMerchantDocumentsRequest::default()
                            },
                        ))
                        .await,
                ),
            ),
            (
                "DownloadMerchantDocument",
                owner_or_admin,
                answer(
                    &documents
                        .download_merchant_document(bearer(
                            &t,
                            merchant::DownloadMerchantDocumentRequest {
                                document_id: document.id.clone(),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "GetCashier",
                staff_or_admin,
                answer(
                    &cashiers
                        .get_cashier(bearer(
                            &t,
                            cashier::GetCashierRequest {
                                cashier_id: cashier_row.id.clone(),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "UpdateCashier",
                owner_or_admin,
                answer(
                    &cashiers
                        .update_cashier(bearer(
                            &t,
                            cashier::UpdateCashierRequest {
                                cashier: Some(cashier::Cashier {
                                    id: cashier_row.id.clone(),
                                    name: format!("Sari {actor:?}"),
                                    ..cashier::Cashier::default()
                                }),
                                update_mask: Some(prost_types::FieldMask {
                                    paths: vec!["name".to_owned()],
                                }),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "GetProduct",
                staff_or_admin,
                answer(
                    &products
                        .get_product(bearer(
                            &t,
                            product::GetProductRequest {
                                product_id: product_row.id.clone(),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "LookupProductByBarcode",
                staff_or_admin,
                answer(
                    &products
                        .lookup_product_by_barcode(bearer(
                            &t,
                            product::LookupProductByBarcodeRequest {
                                merchant_id: a.merchant_id.clone(),
                                barcode: product_row.barcode.clone(),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "UpdateProduct",
                owner_or_admin,
                answer(
                    &products
                        .update_product(bearer(
                            &t,
                            product::UpdateProductRequest {
                                product: Some(product::Product {
                                    id: product_row.id.clone(),
                                    description: format!("edited by {actor:?}"),
                                    ..product::Product::default()
                                }),
                                update_mask: Some(prost_types::FieldMask {
                                    paths: vec!["description".to_owned()],
                                }),
                            },
                        ))
                        .await,
                ),
            ),
            (
                "AdjustStock",
                owner_or_admin,
                answer(
                    &products
                        .adjust_stock(bearer(
                            &t,
                            product::AdjustStockRequest {
                                product_id: product_row.id.clone(),
                                delta: 1,
                                reason: product::StockMovementReason::Received.into(),
                                request_id: uuid::Uuid::now_v7().to_string(),
                                ..product::AdjustStockRequest::default()
                            },
                        ))
                        .await,
                ),
            ),
            (
                "ListStockMovements",
                owner_or_admin,
                answer(
                    &products
                        .list_stock_movements(bearer(
                            &t,
                            product::ListStockMovementsRequest {
                                product_id: product_row.id.clone(),
                                ..product::ListStockMovementsRequest::default()
                            },
                        ))
                        .await,
                ),
            ),
        ];
        for (rpc, expected, got) in observed {
            if expected != got {
                mismatches.push(format!("{rpc} as {actor:?}: expected {expected:?}, got {got:?}"));
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    platform.stop().await;
}

/// The first requests of a process meet a token whose key it has not fetched yet and a user
/// whose grants it has not resolved: one fetch and one resolution serve them all, and every call
/// reaches its handler. (GetCategory with no id: the handler answers INVALID_ARGUMENT without
/// touching the database, so only the access layer is under test.)
#[tokio::test]
async fn a_burst_of_first_requests_waits_for_the_signing_keys_instead_of_being_refused() {
    use pos_api::pos::category::v1::GetCategoryRequest;
    use pos_api::pos::category::v1::category_service_client::CategoryServiceClient;

    let platform = TestPlatform::start().await;
    let admin = platform.admin().await; // signs in; no token has been verified yet
    let channel = platform.channel().await;
    let mut calls = tokio::task::JoinSet::new();
    for _ in 0..50 {
        let mut client = CategoryServiceClient::new(channel.clone());
        let token = admin.access_token.clone();
        calls.spawn(async move {
            client
                .get_category(bearer(&token, GetCategoryRequest::default()))
                .await
                .map(|_| ())
        });
    }
    let answers = calls.join_all().await;
    let refused: Vec<_> = answers
        .iter()
        .filter(|answer| !matches!(answer, Err(status) if status.code() == Code::InvalidArgument))
        .collect();
    assert!(
        refused.is_empty(),
        "{} of 50 did not reach the handler, e.g. {:?}",
        refused.len(),
        refused.first()
    );
    platform.stop().await;
}
