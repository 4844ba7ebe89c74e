//! End to end through the edge: clients reach `pos` only through NGINX → Envoy, as in production.
//!
//! Each test starts a topology — one `pos serve` for every module, or one process per module
//! (category and order each alone, the rest together) — on free ports against a fresh database,
//! renders the Envoy and NGINX configurations for it with `xtask edge --render-only`, starts
//! Envoy and NGINX, and drives REST/JSON, grpc-web (binary and text), CORS, the auth rate limit
//! and the API documents through NGINX.
//!
//! The merchant, catalogue and stock flows of issue #6, the checkout flows of issue #7 (cart,
//! checkout, payment, refund, settlement) and the reports of issue #8 (zero-filled answers before
//! any sale, then the figures of the checkout flows once their events are applied) run over REST
//! and grpc-web. Every RPC of the contract is built: none answers UNIMPLEMENTED any more.
//!
//! Needs `POS_TEST_ENVOY`, `POS_TEST_NGINX` and `POS_TEST_XTASK` (set by `cargo xtask test`);
//! unset is a failure, never a skip.

#[path = "support/grpc_web.rs"]
mod grpc_web;

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use grpc_web::{grpc_web_frames, grpc_web_status};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use pos_api::Module;
use pos_platform::testkit::{self, TestDatabase};
use serde_json::Value;
use tokio::io::AsyncBufReadExt as _;

/// Calls of one credential-taking AuthService RPC the test edge allows per minute.
const AUTH_PER_MINUTE: u32 = 5;
/// Password of the admin the checks act as.
const ADMIN_PASSWORD: &str = "edge admin passphrase 2026";
const ORIGIN: &str = "http://shop.example.test";

/// One process serves every module.
#[tokio::test]
async fn the_edge_in_front_of_one_process() {
    let database = TestDatabase::migrated().await.unwrap();
    let pos = PosProcess::spawn(&database, "all", "").await;
    let edge = EdgeProcesses::start("one-process", pos.grpc_addr, &[]).await;

    check_everything(&edge, pos.grpc_addr).await;

    drop(edge);
    drop(pos);
    let _ = fs::remove_dir_all(object_store_dir(&database));
    database.drop_database().await.unwrap();
}

/// One process per module: category and order each in their own process, the rest in a third.
#[tokio::test]
async fn the_edge_in_front_of_one_process_per_module() {
    let database = TestDatabase::migrated().await.unwrap();
    let others: Vec<String> = Module::ALL
        .iter()
        .map(ToString::to_string)
        .filter(|module| module != "category" && module != "order")
        .collect();
    // Every process verifies tokens with the auth module's keys and resolves grants through the
    // role module, and the product module checks categories: each process reaches every module
    // it does not serve at the process that does. The third process's port is chosen first so the
    // other two can name it.
    let rest_addr = SocketAddr::from(([127, 0, 0, 1], free_ports()[0]));
    let upstreams = |own: &str, category: Option<SocketAddr>, order: Option<SocketAddr>| {
        Module::ALL
            .iter()
            .map(ToString::to_string)
            .filter(|module| module != own)
            .map(|module| {
                let addr = match module.as_str() {
                    "category" => category.unwrap_or(rest_addr),
                    "order" => order.unwrap_or(rest_addr),
                    _ => rest_addr,
                };
                format!("{module}=http://{addr}")
            })
            .collect::<Vec<_>>()
            .join(",")
    };
    let category = PosProcess::spawn(&database, "category", &upstreams("category", None, None)).await;
    let order = PosProcess::spawn(
        &database,
        "order",
        &upstreams("order", Some(category.grpc_addr), None),
    )
    .await;
    let rest_upstreams = format!(
        "category=http://{},order=http://{}",
        category.grpc_addr, order.grpc_addr
    );
    let rest = PosProcess::spawn_on(&database, &others.join(","), &rest_upstreams, rest_addr).await;
    let edge = EdgeProcesses::start(
        "per-module",
        rest.grpc_addr,
        &[("category", category.grpc_addr), ("order", order.grpc_addr)],
    )
    .await;

    check_everything(&edge, rest.grpc_addr).await;

    // A server-side failure: the order module's process goes away.
    drop(order);
    a_module_whose_process_is_down_answers_unavailable(edge.nginx, rest.grpc_addr).await;

    drop(edge);
    drop((category, rest));
    let _ = fs::remove_dir_all(object_store_dir(&database));
    database.drop_database().await.unwrap();
}

/// Every check, in an order that leaves the login token bucket to the rate-limit check. `pos` is
/// a process serving the user and role modules (to create the admin the checks act as).
async fn check_everything(edge: &EdgeProcesses, pos: SocketAddr) {
    let nginx = edge.nginx;
    let admin_email = create_admin(pos).await;
    let token = identity_flows_over_rest_and_grpc_web(nginx, &admin_email).await;
    let shop = merchant_catalogue_and_stock_flows_over_rest_and_grpc_web(nginx, pos, &token).await;
    a_service_credential_from_outside_is_ignored(nginx).await;
    reports_over_rest_answer_zero_filled_periods_before_any_sale(nginx, &token).await;
    an_invalid_report_period_answers_400_with_field_violations(nginx, &token).await;
    unknown_rest_paths_answer_404_json(nginx).await;
    bad_query_parameters_answer_400_json(nginx).await;
    grpc_web_binary_calls_reach_the_report_module(nginx, &token).await;
    grpc_web_text_calls_carry_status_details(nginx, &token).await;
    cors_preflights_are_allowed_and_grpc_headers_exposed(nginx, &token).await;
    the_api_documents_are_served(nginx).await;
    the_client_request_id_is_kept(nginx, &token).await;
    the_auth_rate_limit_answers_429_after_the_burst(nginx).await;
    // The checkout flows sign their cashiers in on `pos` directly and take a while (events): they
    // run after the rate-limit check, so its bucket is not refilled before its burst.
    checkout_flows_over_rest(nginx, pos, &shop).await;
    checkout_flows_over_grpc_web(nginx, pos, &shop).await;
    reports_show_the_checkout_flows_over_rest_and_grpc_web(nginx, &shop).await;
    every_openapi_path_is_routed(nginx, &token).await;
}

/// The admin the checks act as, created directly on `pos` with the service credential (as
/// `cargo xtask seed` does); returns its email. Its password is [`ADMIN_PASSWORD`].
async fn create_admin(pos: SocketAddr) -> String {
    use pos_api::pos::role::v1::role_service_client::RoleServiceClient;
    use pos_api::pos::role::v1::{GrantRoleRequest, ListRolesRequest};

    let (user_id, email) = create_user_with_id(pos, "Edge", "Admin").await;
    let mut roles = RoleServiceClient::new(connect(pos).await);
    let admin_role = roles
        .list_roles(as_service(ListRolesRequest {
            query: "admin".to_owned(),
            page_size: 50,
            ..ListRolesRequest::default()
        }))
        .await
        .expect("ListRoles as a service")
        .into_inner()
        .roles
        .into_iter()
        .find(|role| role.name == "admin")
        .expect("the built-in admin role");
    roles
        .grant_role(as_service(GrantRoleRequest {
            user_id,
            role_id: admin_role.id,
            merchant_id: String::new(),
            cashier_id: String::new(),
        }))
        .await
        .expect("GrantRole as a service");
    email
}

/// A user without roles, created directly on `pos` with the service credential; returns its
/// email. Its password is [`ADMIN_PASSWORD`].
async fn create_user(pos: SocketAddr, first_name: &str, last_name: &str) -> String {
    create_user_with_id(pos, first_name, last_name).await.1
}

async fn create_user_with_id(pos: SocketAddr, first_name: &str, last_name: &str) -> (String, String) {
    use pos_api::pos::user::v1::user_service_client::UserServiceClient;
    use pos_api::pos::user::v1::{CreateUserRequest, User};

    let email = format!(
        "{}-{}@example.com",
        last_name.to_lowercase(),
        uuid::Uuid::now_v7().simple()
    );
    let user = UserServiceClient::new(connect(pos).await)
        .create_user(as_service(CreateUserRequest {
            user: Some(User {
                email: email.clone(),
                first_name: first_name.to_owned(),
                last_name: last_name.to_owned(),
                ..User::default()
            }),
            password: ADMIN_PASSWORD.to_owned(),
            request_id: String::new(),
        }))
        .await
        .expect("CreateUser as a service")
        .into_inner()
        .user
        .unwrap();
    (user.id, email)
}

/// A gRPC channel straight to `pos`.
async fn connect(pos: SocketAddr) -> tonic::transport::Channel {
    tonic::transport::Channel::from_shared(format!("http://{pos}"))
        .unwrap()
        .connect()
        .await
        .unwrap()
}

/// Sign-in, the signed-in user, refresh and refresh-token reuse, over REST and grpc-web through
/// NGINX → Envoy; returns a valid access token of the admin.
async fn identity_flows_over_rest_and_grpc_web(nginx: SocketAddr, admin_email: &str) -> String {
    // Without a token: 401 with a google.rpc.Status naming the reason.
    let response = send(nginx, request("GET", "/api/v1/auth/me", None)).await;
    assert_eq!(response.status, 401, "{response:?}");
    assert_eq!(
        response.json()["details"][0]["reason"],
        "TOKEN_MISSING",
        "{response:?}"
    );

    // REST login → tokens; GetMe over REST and over grpc-web.
    let body = serde_json::json!({"email": admin_email, "password": ADMIN_PASSWORD}).to_string();
    let response = send(nginx, request("POST", "/api/v1/auth:login", Some(&body))).await;
    assert_eq!(response.status, 200, "login: {response:?}");
    let tokens = response.json()["tokens"].clone();
    let access = tokens["accessToken"].as_str().expect("accessToken").to_owned();
    let refresh = tokens["refreshToken"].as_str().expect("refreshToken").to_owned();
    let response = send(nginx, bearer(&access, request("GET", "/api/v1/auth/me", None))).await;
    assert_eq!(response.status, 200, "me: {response:?}");
    let me = response.json();
    assert_eq!(me["user"]["email"], admin_email, "{me}");
    assert!(
        me["roles"].as_array().unwrap().iter().any(|role| role == "admin"),
        "{me}"
    );
    assert!(
        me["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p == "user.write"),
        "{me}"
    );
    let response = send(
        nginx,
        bearer(&access, grpc_web("/pos.auth.v1.AuthService/GetMe", false)),
    )
    .await;
    let frames = grpc_web_frames(&response.body);
    let trailers = grpc_web_status(&response.headers, &frames);
    assert_eq!(
        trailers.get("grpc-status").map(String::as_str),
        Some("0"),
        "{response:?}"
    );
    assert!(
        frames
            .iter()
            .any(|(flags, message)| *flags == 0 && !message.is_empty()),
        "{response:?}"
    );

    // Refresh rotates; presenting the rotated token again ends the session.
    let body = serde_json::json!({"refreshToken": refresh}).to_string();
    let response = send(nginx, request("POST", "/api/v1/auth:refresh", Some(&body))).await;
    assert_eq!(response.status, 200, "refresh: {response:?}");
    let rotated = response.json()["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let response = send(nginx, request("POST", "/api/v1/auth:refresh", Some(&body))).await;
    assert_eq!(response.status, 401, "reuse: {response:?}");
    assert_eq!(
        response.json()["details"][0]["reason"],
        "REFRESH_TOKEN_REUSED",
        "{response:?}"
    );
    let response = send(nginx, bearer(&rotated, request("GET", "/api/v1/auth/me", None))).await;
    assert_eq!(
        response.status, 401,
        "the revoked session's access token: {response:?}"
    );
    assert_eq!(
        response.json()["details"][0]["reason"],
        "SESSION_REVOKED",
        "{response:?}"
    );

    // A new session for the checks that follow, and an admin-only REST call with it.
    let body = serde_json::json!({"email": admin_email, "password": ADMIN_PASSWORD}).to_string();
    let response = send(nginx, request("POST", "/api/v1/auth:login", Some(&body))).await;
    assert_eq!(response.status, 200, "second login: {response:?}");
    let access = response.json()["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let path = format!("/api/v1/users?query={}", admin_email.split('@').next().unwrap());
    let response = send(nginx, bearer(&access, request("GET", &path, None))).await;
    assert_eq!(response.status, 200, "ListUsers: {response:?}");
    assert_eq!(response.json()["users"][0]["email"], admin_email, "{response:?}");
    access
}

/// A minimal PDF (what a scanned business licence starts with; the type is judged by content).
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n";

/// A PNG signature and header chunk: enough for a content check.
const PNG: &[u8] = &[
    0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 0x0D, b'I', b'H', b'D', b'R', 0, 0, 0, 1, 0, 0,
    0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE,
];

/// A shop's first day, through the edge: an owner opens a merchant and uploads its licence
/// (REST, base64 JSON), an admin approves it and adds a category, the owner lists a product with
/// stock, uploads its photo (REST, raw body), receives goods and scans it at the till (REST),
/// then reads it and is refused an oversell over grpc-web. Returns the shop, for the checkout flows.
async fn merchant_catalogue_and_stock_flows_over_rest_and_grpc_web(
    nginx: SocketAddr,
    pos: SocketAddr,
    admin: &str,
) -> Shop {
    use prost::Message as _;

    let owner_email = create_user(pos, "Edge", "Owner").await;
    let body = serde_json::json!({"email": owner_email, "password": ADMIN_PASSWORD}).to_string();
    let response = send(nginx, request("POST", "/api/v1/auth:login", Some(&body))).await;
    assert_eq!(response.status, 200, "owner login: {response:?}");
    let owner = response.json()["tokens"]["accessToken"]
        .as_str()
        .unwrap()
        .to_owned();
    let json = |method: &str, path: &str, token: &str, body: Value| {
        let what = format!("{method} {path}");
        let request = bearer(token, request(method, path, Some(&body.to_string())));
        async move {
            let response = send(nginx, request).await;
            assert_eq!(response.status, 200, "{what}: {response:?}");
            assert_request_id(&response, &what);
            response.json()
        }
    };

    // The owner opens a merchant (PENDING) and uploads its business licence.
    let merchant = json(
        "POST",
        "/api/v1/merchants",
        &owner,
        serde_json::json!({"name": "Toko Tepi", "currencyCode": "IDR", "timeZone": "Asia/Jakarta"}),
    )
    .await["merchant"]
        .clone();
    assert_eq!(merchant["status"], "MERCHANT_STATUS_PENDING", "{merchant}");
    let merchant_id = merchant["id"].as_str().unwrap().to_owned();
    let document = json(
        "POST",
        &format!("/api/v1/merchants/{merchant_id}/documents"),
        &owner,
        serde_json::json!({
            "documentType": "DOCUMENT_TYPE_BUSINESS_LICENSE",
            "fileName": "licence.pdf",
            "content": BASE64.encode(PDF),
        }),
    )
    .await["document"]
        .clone();
    assert_eq!(document["contentType"], "application/pdf", "{document}");
    let document_id = document["id"].as_str().unwrap().to_owned();

    // The admin approves it; the owner downloads the licence back, byte for byte.
    let approved = json(
        "POST",
        &format!("/api/v1/merchants/{merchant_id}:approve"),
        admin,
        serde_json::json!({}),
    )
    .await;
    assert_eq!(
        approved["merchant"]["status"], "MERCHANT_STATUS_ACTIVE",
        "{approved}"
    );
    let path = format!("/api/v1/merchantDocuments/{document_id}:download");
    let response = send(nginx, bearer(&owner, request("GET", &path, None))).await;
    assert_eq!(response.status, 200, "{path}: {response:?}");
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/pdf"),
        "{path}"
    );
    assert_eq!(response.body.as_ref(), PDF, "{path}: the stored bytes");

    // The admin adds a category; the owner lists a product in it with 10 on the shelf.
    let category = json(
        "POST",
        "/api/v1/categories",
        admin,
        serde_json::json!({"name": format!("Minuman {}", &merchant_id[..8])}),
    )
    .await["category"]
        .clone();
    let category_id = category["id"].as_str().unwrap().to_owned();
    assert!(
        !category["slug"].as_str().unwrap_or_default().is_empty(),
        "{category}"
    );
    let product = json(
        "POST",
        "/api/v1/products?initialStock=10",
        &owner,
        serde_json::json!({
            "merchantId": merchant_id,
            "categoryId": category_id,
            "name": "Teh Botol 450 ml",
            "price": {"currencyCode": "IDR", "amountMinor": "5000"},
        }),
    )
    .await["product"]
        .clone();
    let product_id = product["id"].as_str().unwrap().to_owned();
    let barcode = product["barcode"].as_str().unwrap().to_owned();
    assert_eq!(barcode.len(), 13, "a generated EAN-13: {product}");
    assert_eq!(product["countInStock"], "10", "{product}");

    // Its photo, as the raw request body.
    let path = format!("/api/v1/products/{product_id}:uploadImage");
    let mut upload = bearer(&owner, request("POST", &path, None));
    upload
        .headers_mut()
        .insert("content-type", "image/png".parse().unwrap());
    *upload.body_mut() = Full::new(Bytes::from_static(PNG));
    let response = send(nginx, upload).await;
    assert_eq!(response.status, 200, "{path}: {response:?}");
    let image_url = response.json()["product"]["imageUrl"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        image_url.starts_with(&format!("/api/v1/products/{product_id}/image")),
        "{response:?}"
    );
    let response = send(nginx, bearer(&owner, request("GET", &image_url, None))).await;
    assert_eq!(response.status, 200, "{image_url}: {response:?}");
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("image/png"),
        "{image_url}"
    );
    assert_eq!(response.body.as_ref(), PNG, "{image_url}: the stored bytes");

    // A delivery of 5, then the till scans the barcode.
    let adjusted = json(
        "POST",
        &format!("/api/v1/products/{product_id}:adjustStock"),
        &owner,
        serde_json::json!({
            "delta": "5",
            "reason": "STOCK_MOVEMENT_REASON_RECEIVED",
            "reference": "DN-0001",
            "requestId": uuid::Uuid::now_v7().to_string(),
        }),
    )
    .await;
    assert_eq!(adjusted["product"]["countInStock"], "15", "{adjusted}");
    let path = format!("/api/v1/merchants/{merchant_id}/products:lookup?barcode={barcode}");
    let response = send(nginx, bearer(&owner, request("GET", &path, None))).await;
    assert_eq!(response.status, 200, "{path}: {response:?}");
    assert_eq!(response.json()["product"]["id"], product_id, "{response:?}");

    // grpc-web: the product reads back; selling more than the shelf holds is refused.
    let get = pos_api::pos::product::v1::GetProductRequest {
        product_id: product_id.clone(),
    };
    let response = send(
        nginx,
        bearer(
            &owner,
            grpc_web_message("/pos.product.v1.ProductService/GetProduct", &get.encode_to_vec()),
        ),
    )
    .await;
    let frames = grpc_web_frames(&response.body);
    let trailers = grpc_web_status(&response.headers, &frames);
    assert_eq!(
        trailers.get("grpc-status").map(String::as_str),
        Some("0"),
        "{response:?}"
    );
    let message = frames
        .iter()
        .find(|(flags, _)| *flags == 0)
        .map(|(_, message)| message.clone())
        .expect("a message frame");
    let read = pos_api::pos::product::v1::GetProductResponse::decode(message.as_slice())
        .unwrap()
        .product
        .unwrap();
    assert_eq!(
        (read.name.as_str(), read.count_in_stock),
        ("Teh Botol 450 ml", 15)
    );
    let oversell = pos_api::pos::product::v1::AdjustStockRequest {
        product_id: product_id.clone(),
        delta: -16,
        reason: pos_api::pos::product::v1::StockMovementReason::Damaged.into(),
        request_id: uuid::Uuid::now_v7().to_string(),
        ..Default::default()
    };
    let response = send(
        nginx,
        bearer(
            &owner,
            grpc_web_message(
                "/pos.product.v1.ProductService/AdjustStock",
                &oversell.encode_to_vec(),
            ),
        ),
    )
    .await;
    let trailers = grpc_web_status(&response.headers, &grpc_web_frames(&response.body));
    assert_eq!(
        trailers.get("grpc-status").map(String::as_str),
        Some("9"),
        "FAILED_PRECONDITION: {response:?}"
    );
    Shop {
        merchant_id,
        product_id,
        barcode,
        owner,
        stock: 15,
    }
}

/// The shop the merchant flow opened: its owner's access token and a product with stock.
struct Shop {
    merchant_id: String,
    product_id: String,
    barcode: String,
    owner: String,
    /// Units of the product on hand.
    stock: i64,
}

/// How long an effect carried by events (order PAID, restock, refund transaction, settlement) may
/// take to show through the edge.
const EVENTS: Duration = Duration::from_secs(90);

/// A cashier of the shop, created by the owner over REST and signed in on `pos` directly (the
/// edge's login bucket is kept for the rate-limit check); returns (cashier id, access token).
async fn shop_cashier(nginx: SocketAddr, pos: SocketAddr, shop: &Shop) -> (String, String) {
    let email = format!("cashier-{}@example.com", uuid::Uuid::now_v7().simple());
    let path = format!("/api/v1/merchants/{}/cashiers", shop.merchant_id);
    let body = serde_json::json!({
        "cashier": {"name": "Kasir Tepi"},
        "email": email,
        "initialPassword": ADMIN_PASSWORD,
    })
    .to_string();
    let response = send(nginx, bearer(&shop.owner, request("POST", &path, Some(&body)))).await;
    assert_eq!(response.status, 200, "POST {path}: {response:?}");
    let cashier_id = response.json()["cashier"]["id"]
        .as_str()
        .expect("the cashier's id")
        .to_owned();
    let token = pos_api::pos::auth::v1::auth_service_client::AuthServiceClient::new(connect(pos).await)
        .login(pos_api::pos::auth::v1::LoginRequest {
            email,
            password: ADMIN_PASSWORD.to_owned(),
        })
        .await
        .expect("the cashier signs in on pos")
        .into_inner()
        .tokens
        .expect("session tokens")
        .access_token;
    (cashier_id, token)
}

/// `method path` with a JSON body as `token`'s holder: HTTP 200 and a request id expected.
async fn rest_json(nginx: SocketAddr, token: &str, method: &str, path: &str, body: Option<Value>) -> Value {
    let what = format!("{method} {path}");
    let body = body.map(|body| body.to_string());
    let response = send(nginx, bearer(token, request(method, path, body.as_deref()))).await;
    assert_eq!(response.status, 200, "{what}: {response:?}");
    assert_request_id(&response, &what);
    response.json()
}

/// Polls `GET path` until `ready` holds for the answer (or `EVENTS` passed).
async fn rest_poll(
    nginx: SocketAddr,
    token: &str,
    path: &str,
    what: &str,
    ready: impl Fn(&Value) -> bool,
) -> Value {
    let started = Instant::now();
    loop {
        let answer = rest_json(nginx, token, "GET", path, None).await;
        if ready(&answer) {
            return answer;
        }
        assert!(
            started.elapsed() < EVENTS,
            "timed out waiting for {what}; last answer of GET {path}: {answer}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// A sale over REST/JSON as the google.api.http bindings define it: the cashier opens a cart,
/// scans the product's barcode twice, checks out and takes cash with change; the order becomes
/// PAID and the stock is committed; the owner refunds one unit back onto the shelf, the refund
/// transaction is recorded, and the owner's settlement completes with the right net.
async fn checkout_flows_over_rest(nginx: SocketAddr, pos: SocketAddr, shop: &Shop) {
    let (cashier_id, cashier) = shop_cashier(nginx, pos, shop).await;
    let owner = shop.owner.as_str();

    let cart = rest_json(
        nginx,
        &cashier,
        "POST",
        "/api/v1/carts",
        Some(serde_json::json!({"merchantId": shop.merchant_id, "cashierId": cashier_id})),
    )
    .await["cart"]
        .clone();
    let cart_id = cart["id"].as_str().expect("the cart's id").to_owned();
    let cart = rest_json(
        nginx,
        &cashier,
        "POST",
        &format!("/api/v1/carts/{cart_id}/lines"),
        Some(serde_json::json!({"barcode": shop.barcode, "quantity": "2"})),
    )
    .await["cart"]
        .clone();
    assert_eq!(cart["lines"][0]["productId"], shop.product_id.as_str(), "{cart}");
    assert_eq!(cart["total"]["amountMinor"], "10000", "{cart}");

    let order = rest_json(
        nginx,
        &cashier,
        "POST",
        &format!("/api/v1/carts/{cart_id}:checkout"),
        Some(serde_json::json!({"requestId": uuid::Uuid::now_v7().to_string()})),
    )
    .await["order"]
        .clone();
    assert_eq!(order["state"], "ORDER_STATE_OPEN", "{order}");
    assert_eq!(order["total"]["amountMinor"], "10000", "{order}");
    let order_id = order["id"].as_str().expect("the order's id").to_owned();
    let item_id = order["items"][0]["id"].as_str().expect("an item").to_owned();

    let paid = rest_json(
        nginx,
        &cashier,
        "POST",
        &format!("/api/v1/orders/{order_id}/transactions"),
        Some(serde_json::json!({
            "method": "PAYMENT_METHOD_CASH",
            "tendered": {"currencyCode": "IDR", "amountMinor": "20000"},
            "requestId": uuid::Uuid::now_v7().to_string(),
        })),
    )
    .await;
    let payment = &paid["transaction"];
    assert_eq!(payment["status"], "TRANSACTION_STATUS_SUCCEEDED", "{paid}");
    assert_eq!(payment["amount"]["amountMinor"], "10000", "{paid}");
    assert_eq!(payment["change"]["amountMinor"], "10000", "{paid}");
    let order_path = format!("/api/v1/orders/{order_id}");
    rest_poll(nginx, &cashier, &order_path, "the order PAID", |order| {
        order["order"]["state"] == "ORDER_STATE_PAID"
    })
    .await;
    let product_path = format!("/api/v1/products/{}", shop.product_id);
    let sold = (shop.stock - 2).to_string();
    rest_poll(nginx, owner, &product_path, "the sale committed", |product| {
        product["product"]["countInStock"] == sold.as_str()
    })
    .await;

    let refunded = rest_json(
        nginx,
        owner,
        "POST",
        &format!("/api/v1/orders/{order_id}:refund"),
        Some(serde_json::json!({
            "lines": [{"orderItemId": item_id, "quantity": "1", "restock": true}],
            "reason": "customer changed their mind",
            "requestId": uuid::Uuid::now_v7().to_string(),
        })),
    )
    .await;
    assert_eq!(
        refunded["order"]["state"], "ORDER_STATE_PARTIALLY_REFUNDED",
        "{refunded}"
    );
    assert_eq!(refunded["refund"]["amount"]["amountMinor"], "5000", "{refunded}");
    let transactions_path = format!("/api/v1/orders/{order_id}/transactions");
    rest_poll(
        nginx,
        owner,
        &transactions_path,
        "the REFUND transaction",
        |list| {
            list["transactions"].as_array().is_some_and(|transactions| {
                transactions.iter().any(|transaction| {
                    transaction["kind"] == "TRANSACTION_KIND_REFUND"
                        && transaction["amount"]["amountMinor"] == "5000"
                })
            })
        },
    )
    .await;
    let restocked = (shop.stock - 1).to_string();
    rest_poll(
        nginx,
        owner,
        &product_path,
        "the refunded unit restocked",
        |product| product["product"]["countInStock"] == restocked.as_str(),
    )
    .await;

    let settlement = rest_json(
        nginx,
        owner,
        "POST",
        &format!("/api/v1/merchants/{}/settlements", shop.merchant_id),
        Some(serde_json::json!({"requestId": uuid::Uuid::now_v7().to_string()})),
    )
    .await["settlement"]
        .clone();
    assert_eq!(settlement["state"], "SETTLEMENT_STATE_REQUESTED", "{settlement}");
    let settlement_path = format!(
        "/api/v1/settlements/{}",
        settlement["id"].as_str().expect("the settlement's id")
    );
    let settled = rest_poll(
        nginx,
        owner,
        &settlement_path,
        "the settlement COMPLETED",
        |settlement| {
            let state = &settlement["settlement"]["state"];
            assert_ne!(state, "SETTLEMENT_STATE_FAILED", "{settlement}");
            state == "SETTLEMENT_STATE_COMPLETED"
        },
    )
    .await["settlement"]
        .clone();
    assert_eq!(
        (
            &settled["gross"]["amountMinor"],
            &settled["refunds"]["amountMinor"],
            &settled["net"]["amountMinor"],
            &settled["paymentCount"],
            &settled["refundCount"],
        ),
        (
            &Value::from("10000"),
            &Value::from("5000"),
            &Value::from("5000"),
            &Value::from("1"),
            &Value::from("1"),
        ),
        "{settled}"
    );
    let listed = rest_json(
        nginx,
        owner,
        "GET",
        &format!("/api/v1/merchants/{}/settlements", shop.merchant_id),
        None,
    )
    .await;
    assert_eq!(listed["settlements"][0]["id"], settled["id"], "{listed}");
}

/// A grpc-web (binary) unary call as `token`'s holder: the decoded response, or the trailers of
/// the error.
async fn grpc_web_unary<Response: prost::Message + Default>(
    nginx: SocketAddr,
    token: &str,
    path: &str,
    message: &impl prost::Message,
) -> Result<Response, std::collections::BTreeMap<String, String>> {
    let response = send(
        nginx,
        bearer(token, grpc_web_message(path, &message.encode_to_vec())),
    )
    .await;
    assert_eq!(response.status, 200, "{path}: {response:?}");
    let frames = grpc_web_frames(&response.body);
    let trailers = grpc_web_status(&response.headers, &frames);
    if trailers.get("grpc-status").map(String::as_str) != Some("0") {
        return Err(trailers);
    }
    let message = frames
        .iter()
        .find(|(flags, _)| *flags == 0)
        .map(|(_, message)| message.as_slice())
        .unwrap_or_else(|| panic!("{path}: a message frame: {response:?}"));
    Ok(Response::decode(message).unwrap_or_else(|error| panic!("{path}: {error}")))
}

/// The browser till over grpc-web: a cart with a terminal-chosen id, a line by product id,
/// checkout, an exact cash payment, and the order read back PAID.
async fn checkout_flows_over_grpc_web(nginx: SocketAddr, pos: SocketAddr, shop: &Shop) {
    use pos_api::pos::order::v1 as order;
    use pos_api::pos::transaction::v1 as transaction;

    let (cashier_id, cashier) = shop_cashier(nginx, pos, shop).await;
    let cart_id = uuid::Uuid::now_v7().to_string();
    let created: order::CreateCartResponse = grpc_web_unary(
        nginx,
        &cashier,
        "/pos.order.v1.CartService/CreateCart",
        &order::CreateCartRequest {
            cart: Some(order::Cart {
                merchant_id: shop.merchant_id.clone(),
                cashier_id: cashier_id.clone(),
                ..order::Cart::default()
            }),
            cart_id: cart_id.clone(),
        },
    )
    .await
    .unwrap_or_else(|trailers| panic!("CreateCart: {trailers:?}"));
    assert_eq!(created.cart.expect("the cart").id, cart_id);
    let added: order::AddCartLineResponse = grpc_web_unary(
        nginx,
        &cashier,
        "/pos.order.v1.CartService/AddCartLine",
        &order::AddCartLineRequest {
            cart_id: cart_id.clone(),
            product: Some(order::add_cart_line_request::Product::ProductId(
                shop.product_id.clone(),
            )),
            quantity: 1,
            expected_version: None,
        },
    )
    .await
    .unwrap_or_else(|trailers| panic!("AddCartLine: {trailers:?}"));
    let cart = added.cart.expect("the cart");
    assert_eq!(
        cart.total.as_ref().map(|total| total.amount_minor),
        Some(5000),
        "{cart:?}"
    );
    let checked_out: order::CheckoutCartResponse = grpc_web_unary(
        nginx,
        &cashier,
        "/pos.order.v1.CartService/CheckoutCart",
        &order::CheckoutCartRequest {
            cart_id,
            request_id: uuid::Uuid::now_v7().to_string(),
            expected_version: Some(cart.version),
        },
    )
    .await
    .unwrap_or_else(|trailers| panic!("CheckoutCart: {trailers:?}"));
    let opened = checked_out.order.expect("the order");
    assert_eq!(opened.state(), order::OrderState::Open, "{opened:?}");

    let paid: transaction::CreatePaymentResponse = grpc_web_unary(
        nginx,
        &cashier,
        "/pos.transaction.v1.TransactionService/CreatePayment",
        &transaction::CreatePaymentRequest {
            order_id: opened.id.clone(),
            method: transaction::PaymentMethod::Cash.into(),
            request_id: uuid::Uuid::now_v7().to_string(),
            ..transaction::CreatePaymentRequest::default()
        },
    )
    .await
    .unwrap_or_else(|trailers| panic!("CreatePayment: {trailers:?}"));
    let payment = paid.transaction.expect("the payment");
    assert_eq!(
        payment.status(),
        transaction::TransactionStatus::Succeeded,
        "{payment:?}"
    );
    assert_eq!(
        payment.amount.as_ref().map(|amount| amount.amount_minor),
        Some(5000),
        "{payment:?}"
    );

    let started = Instant::now();
    loop {
        let read: order::GetOrderResponse = grpc_web_unary(
            nginx,
            &cashier,
            "/pos.order.v1.OrderService/GetOrder",
            &order::GetOrderRequest {
                order_id: opened.id.clone(),
            },
        )
        .await
        .unwrap_or_else(|trailers| panic!("GetOrder: {trailers:?}"));
        let read = read.order.expect("the order");
        if read.state() == order::OrderState::Paid {
            assert_eq!(
                read.amount_paid.as_ref().map(|paid| paid.amount_minor),
                Some(5000),
                "{read:?}"
            );
            break;
        }
        assert!(
            started.elapsed() < EVENTS,
            "the order is not PAID after {EVENTS:?}: {read:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// The owner's reports show the two checkout flows once their events are applied (the ingest is
/// eventually consistent: polled): this month in the shop's time zone (Asia/Jakarta, UTC+7) over
/// REST, 15 000 IDR sold in 2 orders of 3 items by 2 cashiers, one product, 5 000 refunded (1
/// item), revenue 10 000, against a zero-filled previous month; both payments counted as
/// succeeded cash; and the same figures over grpc-web.
async fn reports_show_the_checkout_flows_over_rest_and_grpc_web(nginx: SocketAddr, shop: &Shop) {
    use chrono::Datelike as _;
    use pos_api::pos::report::v1 as report;

    let today = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(7 * 3600).expect("UTC+7"))
        .date_naive();
    let (year, month) = (today.year(), today.month());
    let owner = shop.owner.as_str();
    let path = format!(
        "/api/v1/reports/revenue:compare?granularity=GRANULARITY_MONTH&year={year}&month={month}&merchantId={}",
        shop.merchant_id
    );
    let answer = rest_poll(nginx, owner, &path, "the sales in the report", |answer| {
        let total = &answer["totals"][0];
        total["grossSales"]["amountMinor"] == "15000" && total["refunded"]["amountMinor"] == "5000"
    })
    .await;
    assert_eq!(answer["timeZone"], "Asia/Jakarta", "{answer}");
    let totals = answer["totals"].as_array().expect("totals");
    assert_eq!(totals.len(), 2, "one currency, two periods: {answer}");
    let figures = |total: &Value| {
        (
            total["period"]["year"].as_i64().unwrap_or_default(),
            total["period"]["month"].as_i64().unwrap_or_default(),
            total["grossSales"]["currencyCode"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            [
                amount_of(&total["grossSales"], &path).to_owned(),
                amount_of(&total["refunded"], &path).to_owned(),
                amount_of(&total["revenue"], &path).to_owned(),
            ],
            [
                "orderCount",
                "itemsSold",
                "itemsRefunded",
                "activeCashiers",
                "uniqueProductsSold",
            ]
            .map(|count| total[count].as_str().unwrap_or_default().to_owned()),
        )
    };
    let (previous_year, previous_month) = if month == 1 {
        (year - 1, 12)
    } else {
        (year, month - 1)
    };
    let strings = |values: [&str; 5]| values.map(str::to_owned);
    assert_eq!(
        figures(&totals[0]),
        (
            i64::from(year),
            i64::from(month),
            "IDR".to_owned(),
            ["15000", "5000", "10000"].map(str::to_owned),
            strings(["2", "3", "1", "2", "1"]),
        ),
        "{path}: {answer}"
    );
    assert_eq!(
        figures(&totals[1]),
        (
            i64::from(previous_year),
            i64::from(previous_month),
            "IDR".to_owned(),
            ["0", "0", "0"].map(str::to_owned),
            strings(["0", "0", "0", "0", "0"]),
        ),
        "{path}: {answer}"
    );

    let path = format!(
        "/api/v1/reports/payment-methods:compare?granularity=GRANULARITY_MONTH&year={year}&month={month}\
         &merchantId={}&method=PAYMENT_METHOD_CASH&status=TRANSACTION_STATUS_SUCCEEDED",
        shop.merchant_id
    );
    let answer = rest_poll(nginx, owner, &path, "the payments in the report", |answer| {
        answer["totals"][0]["transactionCount"] == "2"
    })
    .await;
    let cash = &answer["totals"][0];
    assert_eq!(
        (
            cash["period"]["month"].as_i64(),
            cash["method"].as_str(),
            cash["status"].as_str(),
            amount_of(&cash["amount"], &path),
        ),
        (
            Some(i64::from(month)),
            Some("PAYMENT_METHOD_CASH"),
            Some("TRANSACTION_STATUS_SUCCEEDED"),
            "15000"
        ),
        "{path}: change excluded: {answer}"
    );

    let path = "/pos.report.v1.ReportService/CompareRevenue";
    let compared: report::CompareRevenueResponse = grpc_web_unary(
        nginx,
        owner,
        path,
        &report::CompareRevenueRequest {
            granularity: report::Granularity::Month.into(),
            year,
            month: i32::try_from(month).expect("a month"),
            merchant_id: shop.merchant_id.clone(),
            ..report::CompareRevenueRequest::default()
        },
    )
    .await
    .unwrap_or_else(|trailers| panic!("{path}: {trailers:?}"));
    let requested = compared.totals.first().expect("the requested month");
    assert_eq!(
        (
            requested.gross_sales.as_ref().map(|money| money.amount_minor),
            requested.refunded.as_ref().map(|money| money.amount_minor),
            requested.revenue.as_ref().map(|money| money.amount_minor),
            requested.order_count,
            requested.items_sold,
            requested.active_cashiers,
        ),
        (Some(15_000), Some(5_000), Some(10_000), 2, 3, 2),
        "{path}: {compared:?}"
    );
}

/// The edge removes `x-pos-service` from every request: a client holding a valid service
/// credential still needs an access token.
async fn a_service_credential_from_outside_is_ignored(nginx: SocketAddr) {
    let mut call = request("GET", "/api/v1/users", None);
    call.headers_mut().insert(
        pos_platform::access::SERVICE_HEADER,
        service_credential().parse().unwrap(),
    );
    let response = send(nginx, call).await;
    assert_eq!(response.status, 401, "{response:?}");
    assert_eq!(
        response.json()["details"][0]["reason"],
        "TOKEN_MISSING",
        "{response:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// Checks
// ---------------------------------------------------------------------------------------------

/// `GET path` as `token`'s holder: HTTP 200 with a JSON body and a request id expected.
async fn rest_get(nginx: SocketAddr, token: &str, path: &str) -> Value {
    let response = send(nginx, bearer(token, request("GET", path, None))).await;
    assert_eq!(response.status, 200, "GET {path}: {response:?}");
    assert_json(&response, path);
    assert_request_id(&response, path);
    response.json()
}

/// `money`'s amount, or a panic naming `what`.
fn amount_of<'a>(money: &'a Value, what: &str) -> &'a str {
    money["amountMinor"]
        .as_str()
        .unwrap_or_else(|| panic!("{what}: a Money with amountMinor expected: {money}"))
}

/// Before any sale (in 2020 nothing was ever sold), the admin's platform-wide reports over REST
/// answer both periods zero-filled in one currency, with the period bounds in UTC: revenue of
/// March 2020 against February 2020, and payments of 2020 against 2019 for every method and both
/// final statuses, in the documented order.
async fn reports_over_rest_answer_zero_filled_periods_before_any_sale(nginx: SocketAddr, admin: &str) {
    let path = "/api/v1/reports/revenue:compare?granularity=GRANULARITY_MONTH&year=2020&month=3";
    let answer = rest_get(nginx, admin, path).await;
    assert_eq!(answer["timeZone"], "UTC", "{path}: {answer}");
    let totals = answer["totals"].as_array().expect("totals");
    let periods: Vec<_> = totals
        .iter()
        .map(|total| {
            let period = &total["period"];
            (
                period["year"].clone(),
                period["month"].clone(),
                period["startTime"].clone(),
                period["endTime"].clone(),
            )
        })
        .collect();
    assert_eq!(
        periods,
        [
            (
                Value::from(2020),
                Value::from(3),
                Value::from("2020-03-01T00:00:00Z"),
                Value::from("2020-04-01T00:00:00Z")
            ),
            (
                Value::from(2020),
                Value::from(2),
                Value::from("2020-02-01T00:00:00Z"),
                Value::from("2020-03-01T00:00:00Z")
            ),
        ],
        "{path}: the requested month, then the one before: {answer}"
    );
    for total in totals {
        for money in ["grossSales", "refunded", "revenue"] {
            assert_eq!(amount_of(&total[money], path), "0", "{path}: {money}: {answer}");
        }
        for count in [
            "orderCount",
            "itemsSold",
            "itemsRefunded",
            "activeCashiers",
            "uniqueProductsSold",
        ] {
            assert_eq!(total[count], "0", "{path}: {count}: {answer}");
        }
        assert_eq!(
            total["grossSales"]["currencyCode"], totals[0]["grossSales"]["currencyCode"],
            "{path}: one currency for both periods: {answer}"
        );
    }
    assert!(
        totals[0]["grossSales"]["currencyCode"]
            .as_str()
            .is_some_and(|code| code.len() == 3),
        "{path}: an ISO 4217 currency on zero rows: {answer}"
    );

    let path = "/api/v1/reports/payment-methods:compare?granularity=GRANULARITY_YEAR&year=2020";
    let answer = rest_get(nginx, admin, path).await;
    assert_eq!(answer["timeZone"], "UTC", "{path}: {answer}");
    let rows: Vec<_> = answer["totals"]
        .as_array()
        .expect("totals")
        .iter()
        .map(|total| {
            (
                total["period"]["year"].as_i64().unwrap_or_default(),
                total["period"]["month"].as_i64().unwrap_or(-1),
                total["method"].as_str().unwrap_or_default().to_owned(),
                total["status"].as_str().unwrap_or_default().to_owned(),
                total["transactionCount"].as_str().unwrap_or_default().to_owned(),
                amount_of(&total["amount"], path).to_owned(),
            )
        })
        .collect();
    let mut expected = Vec::new();
    for year in [2020, 2019] {
        for method in [
            "PAYMENT_METHOD_CASH",
            "PAYMENT_METHOD_CARD",
            "PAYMENT_METHOD_E_WALLET",
            "PAYMENT_METHOD_BANK_TRANSFER",
        ] {
            for status in ["TRANSACTION_STATUS_SUCCEEDED", "TRANSACTION_STATUS_FAILED"] {
                expected.push((
                    year,
                    0,
                    method.to_owned(),
                    status.to_owned(),
                    "0".to_owned(),
                    "0".to_owned(),
                ));
            }
        }
    }
    assert_eq!(
        rows, expected,
        "{path}: every method and final status of both years, zero-filled: {answer}"
    );
}

/// Month 13 is refused by the report module (not by the edge): HTTP 400 with a `google.rpc.Status`
/// JSON body, code 3, ErrorInfo INVALID_PERIOD in domain `pos.report` and a BadRequest field
/// violation on `month`.
async fn an_invalid_report_period_answers_400_with_field_violations(nginx: SocketAddr, token: &str) {
    let path = "/api/v1/reports/revenue:compare?granularity=GRANULARITY_MONTH&year=2026&month=13";
    let response = send(nginx, bearer(token, request("GET", path, None))).await;
    assert_eq!(response.status, 400, "{path}: {response:?}");
    assert_json(&response, path);
    assert_request_id(&response, path);
    let status = response.json();
    assert_eq!(status["code"], 3, "{path}: {status}");
    let details = status["details"].as_array().expect("details");
    let detail = |kind: &str| {
        details
            .iter()
            .find(|detail| detail["@type"] == format!("type.googleapis.com/google.rpc.{kind}"))
            .unwrap_or_else(|| panic!("{path}: a {kind} detail: {status}"))
    };
    let info = detail("ErrorInfo");
    assert_eq!(info["reason"], "INVALID_PERIOD", "{path}: {status}");
    assert_eq!(info["domain"], "pos.report", "{path}: {status}");
    let fields: Vec<_> = detail("BadRequest")["fieldViolations"]
        .as_array()
        .expect("field violations")
        .iter()
        .map(|violation| violation["field"].clone())
        .collect();
    assert_eq!(fields, [Value::from("month")], "{path}: {status}");
}

/// A path no binding knows answers 404 with a `{code, message}` JSON body.
async fn unknown_rest_paths_answer_404_json(nginx: SocketAddr) {
    for (method, path) in [
        ("GET", "/api/v1/nothingHere"),
        ("POST", "/api/v1/categories/7/nothingHere"),
        ("GET", "/api/v2/categories"),
    ] {
        let response = send(nginx, request(method, path, None)).await;
        let what = format!("{method} {path}");
        assert_eq!(response.status, 404, "{what}: {response:?}");
        assert_json(&response, &what);
        assert_request_id(&response, &what);
        let status = response.json();
        assert_eq!(status["code"], 5, "{what}: {status}");
        assert!(status["message"].is_string(), "{what}: {status}");
    }
}

/// An enum value that does not exist, or a query parameter the request has no field for,
/// answers 400 with a `{code, message}` JSON body before reaching `pos`.
async fn bad_query_parameters_answer_400_json(nginx: SocketAddr) {
    for path in [
        "/api/v1/categories?lifecycle=NOT_A_LIFECYCLE",
        "/api/v1/categories?noSuchParameter=1",
        "/api/v1/categories?pageSize=many",
    ] {
        let response = send(nginx, request("GET", path, None)).await;
        assert_eq!(response.status, 400, "GET {path}: {response:?}");
        assert_json(&response, path);
        assert_request_id(&response, path);
        let status = response.json();
        assert_eq!(status["code"], 3, "{path}: {status}");
        assert!(status["message"].is_string(), "{path}: {status}");
    }
}

/// grpc-web (`application/grpc-web+proto`) through NGINX → Envoy reaches the report module's
/// process: HTTP 200, a grpc-web content type, grpc-status 0 and the decoded answers — March 2020
/// against February 2020 zero-filled, and no cashier with sales in 2020.
async fn grpc_web_binary_calls_reach_the_report_module(nginx: SocketAddr, admin: &str) {
    use pos_api::pos::report::v1 as report;

    let path = "/pos.report.v1.ReportService/CompareRevenue";
    let message = report::CompareRevenueRequest {
        granularity: report::Granularity::Month.into(),
        year: 2020,
        month: 3,
        ..report::CompareRevenueRequest::default()
    };
    let response = send(
        nginx,
        bearer(
            admin,
            grpc_web_message(path, &prost::Message::encode_to_vec(&message)),
        ),
    )
    .await;
    assert_eq!(response.status, 200, "{path}: {response:?}");
    assert_eq!(
        response.header("content-type").as_deref(),
        Some("application/grpc-web+proto"),
        "{path}: {response:?}"
    );
    assert_request_id(&response, path);
    let frames = grpc_web_frames(&response.body);
    let trailers = grpc_web_status(&response.headers, &frames);
    assert_eq!(
        trailers.get("grpc-status").map(String::as_str),
        Some("0"),
        "{path}: {trailers:?}"
    );
    let compared = frames
        .iter()
        .find(|(flags, _)| *flags == 0)
        .map(|(_, message)| <report::CompareRevenueResponse as prost::Message>::decode(message.as_slice()))
        .unwrap_or_else(|| panic!("{path}: a message frame: {response:?}"))
        .unwrap_or_else(|error| panic!("{path}: {error}"));
    assert_eq!(compared.time_zone, "UTC", "{compared:?}");
    let periods: Vec<_> = compared
        .totals
        .iter()
        .map(|total| total.period.as_ref().map(|period| (period.year, period.month)))
        .collect();
    assert_eq!(periods, [Some((2020, 3)), Some((2020, 2))], "{compared:?}");
    for total in &compared.totals {
        assert_eq!(
            (
                total.gross_sales.as_ref().map(|money| money.amount_minor),
                total.revenue.as_ref().map(|money| money.amount_minor),
                total.order_count
            ),
            (Some(0), Some(0), 0),
            "{compared:?}"
        );
    }

    let path = "/pos.report.v1.ReportService/GetCashierSales";
    let sales: report::GetCashierSalesResponse = grpc_web_unary(
        nginx,
        admin,
        path,
        &report::GetCashierSalesRequest {
            granularity: report::Granularity::Year.into(),
            year: 2020,
            ..report::GetCashierSalesRequest::default()
        },
    )
    .await
    .unwrap_or_else(|trailers| panic!("{path}: {trailers:?}"));
    assert!(sales.rows.is_empty(), "{path}: no activity, no rows: {sales:?}");
    assert!(sales.next_page_token.is_empty(), "{path}: {sales:?}");
}

/// The same over `application/grpc-web-text` (base64 both ways), with an empty request: the
/// module refuses it (no granularity) with grpc-status 3 and the status details in
/// `grpc-status-details-bin`.
async fn grpc_web_text_calls_carry_status_details(nginx: SocketAddr, token: &str) {
    for rpc in ["GetCategorySales", "ComparePaymentStatuses"] {
        let path = format!("/pos.report.v1.ReportService/{rpc}");
        let response = send(nginx, bearer(token, grpc_web(&path, true))).await;
        assert_eq!(response.status, 200, "{path}: {response:?}");
        let content_type = response.header("content-type").unwrap_or_default();
        assert!(
            content_type.starts_with("application/grpc-web-text"),
            "{path}: {response:?}"
        );
        let body = BASE64
            .decode(response.body.as_ref())
            .unwrap_or_else(|error| panic!("{path}: the body is not base64 ({error}): {response:?}"));
        let trailers = grpc_web_status(&response.headers, &grpc_web_frames(&body));
        assert_eq!(
            trailers.get("grpc-status").map(String::as_str),
            Some("3"),
            "{path}: {trailers:?}"
        );
        assert!(
            trailers.contains_key("grpc-status-details-bin"),
            "{path}: {trailers:?}"
        );
    }
}

/// With the process serving `order` gone, grpc-web calls to it answer UNAVAILABLE (14) and REST
/// calls HTTP 503, while the other modules keep answering.
async fn a_module_whose_process_is_down_answers_unavailable(nginx: SocketAddr, pos: SocketAddr) {
    // The edge's login bucket is empty by now: sign in on `pos` directly.
    let admin_email = create_admin(pos).await;
    let channel = tonic::transport::Channel::from_shared(format!("http://{pos}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let token = pos_api::pos::auth::v1::auth_service_client::AuthServiceClient::new(channel)
        .login(pos_api::pos::auth::v1::LoginRequest {
            email: admin_email,
            password: ADMIN_PASSWORD.to_owned(),
        })
        .await
        .expect("Login on pos")
        .into_inner()
        .tokens
        .unwrap()
        .access_token;
    let path = "/pos.order.v1.OrderService/GetOrder";
    let response = send(nginx, bearer(&token, grpc_web(path, false))).await;
    let trailers = grpc_web_status(&response.headers, &grpc_web_frames(&response.body));
    assert_eq!(
        trailers.get("grpc-status").map(String::as_str),
        Some("14"),
        "{path}: {response:?}"
    );
    let response = send(nginx, bearer(&token, request("GET", "/api/v1/orders/7", None))).await;
    assert_eq!(response.status, 503, "GET /api/v1/orders/7: {response:?}");
    let response = send(
        nginx,
        bearer(
            &token,
            grpc_web("/pos.category.v1.CategoryService/GetCategory", false),
        ),
    )
    .await;
    let trailers = grpc_web_status(&response.headers, &grpc_web_frames(&response.body));
    assert_eq!(
        trailers.get("grpc-status").map(String::as_str),
        Some("3"),
        "category still answers (INVALID_ARGUMENT for the empty request): {response:?}"
    );
}

/// A browser's preflight for a grpc-web call (and for a REST call) is allowed for its origin
/// with the grpc-web request headers; the actual response exposes the gRPC status headers.
async fn cors_preflights_are_allowed_and_grpc_headers_exposed(nginx: SocketAddr, token: &str) {
    for (path, headers) in [
        (
            "/pos.category.v1.CategoryService/GetCategory",
            "content-type,x-grpc-web,x-user-agent,grpc-timeout",
        ),
        ("/api/v1/categories", "content-type,authorization"),
    ] {
        let preflight = http::Request::options(path)
            .header("host", "pos")
            .header("origin", ORIGIN)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", headers)
            .body(Full::new(Bytes::new()))
            .unwrap();
        let response = send(nginx, preflight).await;
        assert!(
            response.status == 200 || response.status == 204,
            "OPTIONS {path}: {response:?}"
        );
        assert_eq!(
            response.header("access-control-allow-origin").as_deref(),
            Some(ORIGIN),
            "OPTIONS {path}: {response:?}"
        );
        let methods = response
            .header("access-control-allow-methods")
            .unwrap_or_default()
            .to_ascii_uppercase();
        assert!(methods.contains("POST"), "OPTIONS {path}: {response:?}");
        let allowed = response
            .header("access-control-allow-headers")
            .unwrap_or_default()
            .to_ascii_lowercase();
        for header in headers.split(',') {
            assert!(
                allowed.contains(header),
                "OPTIONS {path}: {header} not allowed: {response:?}"
            );
        }
    }

    let mut call = bearer(
        token,
        grpc_web("/pos.category.v1.CategoryService/GetCategory", false),
    );
    call.headers_mut().insert("origin", ORIGIN.parse().unwrap());
    let response = send(nginx, call).await;
    assert_eq!(
        response.header("access-control-allow-origin").as_deref(),
        Some(ORIGIN),
        "{response:?}"
    );
    let exposed = response
        .header("access-control-expose-headers")
        .unwrap_or_default()
        .to_ascii_lowercase();
    for header in ["grpc-status", "grpc-message", "grpc-status-details-bin"] {
        assert!(exposed.contains(header), "{header} is not exposed: {response:?}");
    }
}

/// NGINX serves the OpenAPI document (the checked-in one) and Swagger UI.
async fn the_api_documents_are_served(nginx: SocketAddr) {
    let response = send(nginx, request("GET", "/openapi.json", None)).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_json(&response, "/openapi.json");
    assert_eq!(
        response.json(),
        openapi(),
        "/openapi.json is the checked-in document"
    );

    let response = send(nginx, request("GET", "/docs/", None)).await;
    assert_eq!(response.status, 200, "{response:?}");
    let page = String::from_utf8_lossy(&response.body);
    assert!(page.contains("swagger-ui"), "/docs/ is Swagger UI: {page}");
    assert!(
        page.contains("/openapi.json"),
        "/docs/ opens /openapi.json: {page}"
    );
    let script = send(nginx, request("GET", "/docs/swagger-ui-bundle.js", None)).await;
    assert_eq!(script.status, 200, "Swagger UI's script: {:?}", script.status);
}

/// A request id the client sends comes back unchanged.
async fn the_client_request_id_is_kept(nginx: SocketAddr, token: &str) {
    let mut call = bearer(token, request("GET", "/api/v1/categories", None));
    call.headers_mut()
        .insert("x-request-id", "edge-test-0123456789".parse().unwrap());
    let response = send(nginx, call).await;
    assert_eq!(response.status, 200, "{response:?}");
    assert_eq!(
        response.header("x-request-id").as_deref(),
        Some("edge-test-0123456789"),
        "{response:?}"
    );
}

/// Login has a token bucket: the burst passes (to `pos`, which answers 401 for an unknown
/// account; the checks before used two of its tokens), the next call gets 429 with a
/// `{code: 8, message}` JSON body from Envoy.
async fn the_auth_rate_limit_answers_429_after_the_burst(nginx: SocketAddr) {
    // A fresh unknown email, so the account lockout (Redis, shared by every run) stays out of it.
    let body = serde_json::json!({
        "email": format!("nobody-{}@example.com", uuid::Uuid::now_v7().simple()),
        "password": "not the password",
    })
    .to_string();
    let mut statuses = Vec::new();
    for _ in 0..AUTH_PER_MINUTE + 1 {
        let response = send(nginx, request("POST", "/api/v1/auth:login", Some(&body))).await;
        statuses.push(response.status);
        if response.status == 429 {
            assert_json(&response, "rate-limited login");
            assert_request_id(&response, "rate-limited login");
            let status = response.json();
            assert_eq!(status["code"], 8, "{status}");
            assert_eq!(status["message"], "local_rate_limited", "{status}");
        }
    }
    assert_eq!(
        statuses.first(),
        Some(&401),
        "the first login passes the limit: {statuses:?}"
    );
    assert_eq!(
        statuses.last(),
        Some(&429),
        "the login after a burst of {AUTH_PER_MINUTE} is limited: {statuses:?}"
    );
    // A grpc-web caller of Login is limited too (HTTP 429).
    let response = send(nginx, grpc_web("/pos.auth.v1.AuthService/Login", false)).await;
    assert_eq!(response.status, 429, "{response:?}");
}

/// Every path of the OpenAPI document, with every method, reaches `pos` (dummy ids for the path
/// parameters, the admin's token): each answer is a success, a `google.rpc.Status` from a module
/// (its ErrorInfo domain `pos.<module>`) or the auth rate limit, never the edge's own 404, and
/// carries a request id. (LogoutAllSessions ends the admin's session on the way: later calls get
/// SESSION_REVOKED, which also comes from `pos`.)
async fn every_openapi_path_is_routed(nginx: SocketAddr, token: &str) {
    let document = openapi();
    let paths = document["paths"].as_object().expect("paths");
    assert!(paths.len() > 50, "{} paths", paths.len());
    let mut called = 0;
    for (template, operations) in paths {
        let path = fill_path_parameters(template);
        for method in ["get", "post", "put", "patch", "delete"] {
            if operations.get(method).is_none() {
                continue;
            }
            let method = method.to_ascii_uppercase();
            let body = (method != "GET" && method != "DELETE").then_some("{}");
            let response = send(nginx, bearer(token, request(&method, &path, body))).await;
            let what = format!("{method} {path} ({template})");
            let from_pos = || {
                response.json()["details"]
                    .as_array()
                    .and_then(|details| details.first())
                    .and_then(|info| info["domain"].as_str())
                    .is_some_and(|domain| domain.starts_with("pos."))
            };
            assert!(
                (200..300).contains(&response.status) || response.status == 429 || from_pos(),
                "{what}: an answer from pos expected: {response:?}"
            );
            assert_request_id(&response, &what);
            called += 1;
        }
    }
    assert!(called >= paths.len(), "{called} calls");
}

// ---------------------------------------------------------------------------------------------
// The stack
// ---------------------------------------------------------------------------------------------

/// A `pos serve` child process on free ports.
struct PosProcess {
    grpc_addr: SocketAddr,
    _child: tokio::process::Child,
}

impl PosProcess {
    /// Spawns `pos serve` for `modules` (reaching the others at `upstreams`) on a free port and
    /// waits for its "pos is serving" log line.
    async fn spawn(database: &TestDatabase, modules: &str, upstreams: &str) -> Self {
        Self::spawn_on(
            database,
            modules,
            upstreams,
            SocketAddr::from(([127, 0, 0, 1], 0)),
        )
        .await
    }

    /// [`PosProcess::spawn`] with its gRPC listener on `grpc_addr`.
    async fn spawn_on(
        database: &TestDatabase,
        modules: &str,
        upstreams: &str,
        grpc_addr: SocketAddr,
    ) -> Self {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_pos"))
            .arg("serve")
            .env("POS_MODULES", modules)
            .env("POS_GRPC_ADDR", grpc_addr.to_string())
            .env("POS_ADMIN_ADDR", "127.0.0.1:0")
            .env("POS_UPSTREAMS", upstreams)
            .env("POS_DATABASE_URL", &database.url)
            .env("POS_DATABASE_MAX_CONNECTIONS", "12")
            .env("POS_REDIS_URL", testkit::redis_url())
            .env("POS_KAFKA_BROKERS", testkit::kafka_brokers())
            .env("POS_KAFKA_NAMESPACE", format!("{}.", database.name))
            .env(
                "POS_OBJECT_STORE_URL",
                format!("file://{}", object_store_dir(database).display()),
            )
            .env("POS_LOG_FORMAT", "json")
            .env("RUST_LOG", "info")
            .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .expect("spawning pos serve");
        let mut lines = tokio::io::BufReader::new(child.stdout.take().unwrap()).lines();
        let serving = tokio::time::timeout(Duration::from_secs(20), async {
            while let Some(line) = lines.next_line().await.unwrap() {
                if let Ok(event) = serde_json::from_str::<Value>(&line)
                    && event["message"] == "pos is serving"
                {
                    return event;
                }
            }
            panic!("pos serve ({modules}) exited before it was serving");
        })
        .await
        .expect("pos serve logs `pos is serving` within 20 s");
        tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
        let grpc_addr = serving["grpc"]
            .as_str()
            .and_then(|addr| addr.parse().ok())
            .unwrap_or_else(|| panic!("`grpc` address in {serving}"));
        PosProcess {
            grpc_addr,
            _child: child,
        }
    }
}

/// Envoy and NGINX started by the test; dropping it stops both (SIGTERM, so NGINX takes its
/// workers along) and removes the runtime directory (kept, with the logs, when the test failed).
struct EdgeProcesses {
    nginx: SocketAddr,
    runtime_dir: PathBuf,
    children: Vec<Child>,
}

impl EdgeProcesses {
    /// Renders the configurations for `default` (every module not in `modules`) and `modules`,
    /// starts Envoy and NGINX, and waits until NGINX answers and Envoy sees every upstream healthy.
    async fn start(name: &str, default: SocketAddr, modules: &[(&str, SocketAddr)]) -> Self {
        let (envoy_bin, nginx_bin, xtask) = (
            required_path("POS_TEST_ENVOY", "envoy"),
            required_path("POS_TEST_NGINX", "nginx"),
            required_path("POS_TEST_XTASK", "the xtask binary"),
        );
        let runtime_dir =
            std::env::temp_dir().join(format!("pos-edge-test-{name}-{}", uuid::Uuid::new_v4().simple()));
        fs::create_dir_all(&runtime_dir).unwrap();
        let [nginx_port, envoy_port, admin_port] = free_ports();
        let mut render = Command::new(&xtask);
        render
            .args(["edge", "--render-only", "--runtime-dir"])
            .arg(&runtime_dir)
            .arg("--upstream")
            .arg(default.to_string())
            .arg("--port")
            .arg(nginx_port.to_string())
            .arg("--envoy-port")
            .arg(envoy_port.to_string())
            .arg("--admin-port")
            .arg(admin_port.to_string())
            .arg("--auth-per-minute")
            .arg(AUTH_PER_MINUTE.to_string());
        for (module, address) in modules {
            render.arg("--module").arg(format!("{module}={address}"));
        }
        let output = render.output().expect("running xtask edge --render-only");
        assert!(
            output.status.success(),
            "xtask edge --render-only failed ({}): {}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );

        let mut edge = EdgeProcesses {
            nginx: SocketAddr::from(([127, 0, 0, 1], nginx_port)),
            runtime_dir: runtime_dir.clone(),
            children: Vec::new(),
        };
        let mut envoy = Command::new(envoy_bin);
        envoy.arg("-c").arg(runtime_dir.join("envoy.json")).args([
            "--disable-hot-restart",
            "--log-level",
            "warn",
        ]);
        edge.spawn(envoy, "envoy");
        let mut nginx = Command::new(nginx_bin);
        nginx
            .arg("-p")
            .arg(&runtime_dir)
            .args(["-e", "stderr", "-c"])
            .arg(runtime_dir.join("nginx.conf"));
        edge.spawn(nginx, "nginx");

        let admin = SocketAddr::from(([127, 0, 0, 1], admin_port));
        let started = Instant::now();
        loop {
            edge.check_running();
            let nginx_up = matches!(
                try_send(edge.nginx, request("GET", "/healthz", None)).await,
                Some(response) if response.status == 200
            );
            let clusters = try_send(admin, request("GET", "/clusters", None)).await;
            if nginx_up && clusters.is_some_and(|clusters| all_upstreams_healthy(&clusters.body)) {
                return edge;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the edge is not ready after 30 s;\n{}",
                edge.logs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn spawn(&mut self, mut command: Command, name: &str) {
        let log = fs::File::create(self.runtime_dir.join(format!("{name}.log"))).unwrap();
        command
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        let child = command
            .spawn()
            .unwrap_or_else(|error| panic!("starting {name}: {error}"));
        self.children.push(child);
    }

    fn check_running(&mut self) {
        let exited = self
            .children
            .iter_mut()
            .any(|child| !matches!(child.try_wait(), Ok(None)));
        assert!(!exited, "Envoy or NGINX exited;\n{}", self.logs());
    }

    /// The end of Envoy's and NGINX's logs.
    fn logs(&self) -> String {
        let mut text = String::new();
        for name in ["envoy", "nginx"] {
            let log = fs::read_to_string(self.runtime_dir.join(format!("{name}.log"))).unwrap_or_default();
            let lines: Vec<&str> = log.lines().collect();
            text.push_str(&format!(
                "--- {name}.log\n{}\n",
                lines[lines.len().saturating_sub(20)..].join("\n")
            ));
        }
        text
    }
}

impl Drop for EdgeProcesses {
    fn drop(&mut self) {
        for child in &self.children {
            let _ = Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .stderr(Stdio::null())
                .status();
        }
        let started = Instant::now();
        for child in &mut self.children {
            while matches!(child.try_wait(), Ok(None)) && started.elapsed() < Duration::from_secs(5) {
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
        if !std::thread::panicking() {
            let _ = fs::remove_dir_all(&self.runtime_dir);
        }
    }
}

/// Whether Envoy's `/clusters` lists every `pos_*` upstream host as healthy.
fn all_upstreams_healthy(clusters: &[u8]) -> bool {
    let text = String::from_utf8_lossy(clusters);
    let flags: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("pos_") && line.contains("::health_flags::"))
        .collect();
    !flags.is_empty() && flags.iter().all(|line| line.ends_with("::health_flags::healthy"))
}

/// The path of a binary from `variable`. Unset is a failure, never a skip.
fn required_path(variable: &str, what: &str) -> PathBuf {
    let Some(path) = std::env::var_os(variable) else {
        panic!(
            "{variable} is not set: the end-to-end tests through the edge need {what}. Run them \
             with `cargo xtask test`, which sets POS_TEST_ENVOY, POS_TEST_NGINX and POS_TEST_XTASK"
        );
    };
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "{variable}={} does not name a file",
        path.display()
    );
    path
}

/// Three distinct free loopback ports.
fn free_ports() -> [u16; 3] {
    let listeners: Vec<TcpListener> = (0..3)
        .map(|_| TcpListener::bind("127.0.0.1:0").unwrap())
        .collect();
    let port = |i: usize| listeners[i].local_addr().unwrap().port();
    [port(0), port(1), port(2)]
}

/// The checked-in OpenAPI document.
fn openapi() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../gateway-envoy/openapi.json");
    serde_json::from_slice(&fs::read(&path).unwrap()).unwrap()
}

/// `template` with every `{parameter}` replaced by a dummy id.
fn fill_path_parameters(template: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let close = rest[open..].find('}').expect("a closing brace") + open;
        path.push('7');
        rest = &rest[close + 1..];
    }
    path.push_str(rest);
    path
}

// ---------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------

struct Response {
    status: u16,
    headers: http::HeaderMap,
    body: Bytes,
}

impl Response {
    fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .map(|value| value.to_str().unwrap().to_owned())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|error| panic!("not JSON ({error}): {self:?}"))
    }
}

impl std::fmt::Debug for Response {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "HTTP {} {:?} {}",
            self.status,
            self.headers,
            String::from_utf8_lossy(&self.body)
        )
    }
}

fn request(method: &str, path: &str, body: Option<&str>) -> http::Request<Full<Bytes>> {
    let mut builder = http::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "pos");
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    builder
        .body(Full::new(Bytes::from(body.unwrap_or_default().to_owned())))
        .unwrap()
}

/// `request` with `authorization: Bearer <token>`.
fn bearer(token: &str, mut request: http::Request<Full<Bytes>>) -> http::Request<Full<Bytes>> {
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// A service credential for the development secret the test processes use.
fn service_credential() -> String {
    pos_platform::access::ServiceCredential::new("local-development-service-token-secret")
        .mint("edge-test", chrono::Utc::now())
}

/// `message` with a service credential, for calls straight to `pos`.
fn as_service<T>(message: T) -> tonic::Request<T> {
    let mut request = tonic::Request::new(message);
    request.metadata_mut().insert(
        pos_platform::access::SERVICE_HEADER,
        service_credential().parse().unwrap(),
    );
    request
}

/// A grpc-web POST carrying one empty message (a valid request of every proto3 type).
fn grpc_web(path: &str, text: bool) -> http::Request<Full<Bytes>> {
    let frame = [0u8, 0, 0, 0, 0];
    let (content_type, body) = if text {
        ("application/grpc-web-text", Bytes::from(BASE64.encode(frame)))
    } else {
        ("application/grpc-web+proto", Bytes::copy_from_slice(&frame))
    };
    http::Request::post(path)
        .header("host", "pos")
        .header("content-type", content_type)
        .header("accept", content_type)
        .header("x-grpc-web", "1")
        .header("x-user-agent", "grpc-web-javascript/0.1")
        .body(Full::new(body))
        .unwrap()
}

/// A grpc-web (binary) POST carrying `message`, an encoded request.
fn grpc_web_message(path: &str, message: &[u8]) -> http::Request<Full<Bytes>> {
    let mut frame = vec![0u8];
    frame.extend_from_slice(&u32::try_from(message.len()).unwrap().to_be_bytes());
    frame.extend_from_slice(message);
    let mut request = grpc_web(path, false);
    *request.body_mut() = Full::new(Bytes::from(frame));
    request
}

/// Where the processes of a test keep uploaded files.
fn object_store_dir(database: &TestDatabase) -> PathBuf {
    std::env::temp_dir().join(format!("pos-edge-objects-{}", database.name))
}

/// Sends `request` over a fresh HTTP/1.1 connection to `addr`.
async fn send(addr: SocketAddr, request: http::Request<Full<Bytes>>) -> Response {
    let what = format!("{} {}", request.method(), request.uri());
    try_send(addr, request)
        .await
        .unwrap_or_else(|| panic!("{what}: no HTTP answer from {addr} within 10 s"))
}

async fn try_send(addr: SocketAddr, request: http::Request<Full<Bytes>>) -> Option<Response> {
    let stream = tokio::net::TcpStream::connect(addr).await.ok()?;
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .ok()?;
    tokio::spawn(connection);
    let response = tokio::time::timeout(Duration::from_secs(10), sender.send_request(request))
        .await
        .ok()?
        .ok()?;
    let (parts, body) = response.into_parts();
    let body = body.collect().await.ok()?.to_bytes();
    Some(Response {
        status: parts.status.as_u16(),
        headers: parts.headers,
        body,
    })
}

fn assert_json(response: &Response, what: &str) {
    let content_type = response.header("content-type").unwrap_or_default();
    assert!(
        content_type.starts_with("application/json"),
        "{what}: JSON expected: {response:?}"
    );
}

fn assert_request_id(response: &Response, what: &str) {
    let id = response.header("x-request-id").unwrap_or_default();
    assert!(!id.is_empty(), "{what}: no X-Request-Id: {response:?}");
}
