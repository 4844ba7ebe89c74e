//! `pos seed` (what `cargo xtask seed` runs) against a running platform: it creates the first
//! admin and the demo categories through the API, as the service `seed`, and running it again
//! changes nothing.

#[path = "support/platform.rs"]
mod platform;

use platform::{SERVICE_SECRET, TestPlatform, bearer};
use pos::StepOutcome;
use pos_api::pos::auth::v1::auth_service_client::AuthServiceClient;
use pos_api::pos::auth::v1::{GetMeRequest, LoginRequest};
use pos_api::pos::category::v1::category_service_client::CategoryServiceClient;
use pos_api::pos::category::v1::{Category, ListCategoriesRequest};
use pos_api::pos::common::v1::Lifecycle;
use pos_platform::config::Upstreams;

const ADMIN_EMAIL: &str = "first-admin@example.com";
const ADMIN_PASSWORD: &str = "a first admin passphrase";

/// The demo categories the seed writes, with the slugs their names give.
const DEMO_CATEGORIES: [(&str, &str); 5] = [
    ("Bakery", "bakery"),
    ("Drinks", "drinks"),
    ("Groceries", "groceries"),
    ("Household", "household"),
    ("Snacks", "snacks"),
];

/// Every category of the platform, trashed ones included, by name.
async fn all_categories(platform: &TestPlatform) -> Vec<Category> {
    CategoryServiceClient::new(platform.channel().await)
        .list_categories(platform.as_service(ListCategoriesRequest {
            lifecycle: Lifecycle::All.into(),
            page_size: 500,
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner()
        .categories
}

/// The seed creates a verified admin who can sign in at once and holds the `admin` role; the
/// report hands the operator the credentials.
#[tokio::test]
async fn the_seed_creates_the_first_admin_who_can_sign_in() {
    let platform = TestPlatform::start().await;
    let target = format!("http://{}", platform.grpc_addr());

    let report = pos::seed(
        &target,
        &Upstreams::default(),
        SERVICE_SECRET,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
    )
    .await
    .unwrap();

    let step = |name: &str| {
        report
            .steps
            .iter()
            .find(|(step, _)| step == name)
            .map(|(_, outcome)| outcome)
    };
    assert_eq!(step("admin user"), Some(&StepOutcome::Done), "{report:?}");
    assert_eq!(step("admin role"), Some(&StepOutcome::Done), "{report:?}");
    assert_eq!(
        report.credentials,
        vec![(ADMIN_EMAIL.to_owned(), ADMIN_PASSWORD.to_owned())]
    );
    let mut auth = AuthServiceClient::new(platform.channel().await);
    let tokens = auth
        .login(LoginRequest {
            email: ADMIN_EMAIL.to_owned(),
            password: ADMIN_PASSWORD.to_owned(),
        })
        .await
        .unwrap()
        .into_inner()
        .tokens
        .unwrap();
    let me = auth
        .get_me(bearer(&tokens.access_token, GetMeRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert!(me.roles.contains(&"admin".to_owned()), "{me:?}");
    assert!(me.user.unwrap().email_verified);
    platform.stop().await;
}

/// The seed creates the demo categories, each with the slug of its name, and reports every step
/// done.
#[tokio::test]
async fn the_seed_creates_the_demo_categories() {
    let platform = TestPlatform::start().await;
    let target = format!("http://{}", platform.grpc_addr());

    let report = pos::seed(
        &target,
        &Upstreams::default(),
        SERVICE_SECRET,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
    )
    .await
    .unwrap();

    assert!(report.complete(), "{report:?}");
    for (name, _) in DEMO_CATEGORIES {
        let step = format!("category {name}");
        assert!(
            report
                .steps
                .iter()
                .any(|(done, outcome)| *done == step && *outcome == StepOutcome::Done),
            "{step}: {report:?}"
        );
    }
    let categories: Vec<(String, String)> = all_categories(&platform)
        .await
        .into_iter()
        .map(|category| (category.name, category.slug))
        .collect();
    let expected: Vec<(String, String)> = DEMO_CATEGORIES
        .iter()
        .map(|(name, slug)| ((*name).to_owned(), (*slug).to_owned()))
        .collect();
    assert_eq!(categories, expected);
    platform.stop().await;
}

/// A second run finds the admin and its grant and creates nothing; it prints no credentials (the
/// password is the one of the first run).
#[tokio::test]
async fn running_the_seed_again_changes_nothing() {
    let platform = TestPlatform::start().await;
    let target = format!("http://{}", platform.grpc_addr());
    pos::seed(
        &target,
        &Upstreams::default(),
        SERVICE_SECRET,
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
    )
    .await
    .unwrap();

    let again = pos::seed(
        &target,
        &Upstreams::default(),
        SERVICE_SECRET,
        ADMIN_EMAIL,
        "another password 123",
    )
    .await
    .unwrap();

    assert!(again.credentials.is_empty(), "{again:?}");
    assert!(
        again
            .steps
            .iter()
            .any(|(step, outcome)| step.starts_with("admin user") && *outcome == StepOutcome::Done),
        "{again:?}"
    );
    let first_password_still_works = AuthServiceClient::new(platform.channel().await)
        .login(LoginRequest {
            email: ADMIN_EMAIL.to_owned(),
            password: ADMIN_PASSWORD.to_owned(),
        })
        .await;
    assert!(
        first_password_still_works.is_ok(),
        "{first_password_still_works:?}"
    );
    assert!(again.complete(), "{again:?}");
    for (name, _) in DEMO_CATEGORIES {
        let step = format!("category {name} (already there)");
        assert!(
            again.steps.iter().any(|(done, _)| *done == step),
            "{step}: {again:?}"
        );
    }
    assert_eq!(all_categories(&platform).await.len(), DEMO_CATEGORIES.len());
    platform.stop().await;
}

/// Without the deployment's service secret the seed cannot write anything.
#[tokio::test]
async fn the_seed_needs_the_service_secret() {
    let platform = TestPlatform::start().await;
    let target = format!("http://{}", platform.grpc_addr());

    let refused = pos::seed(
        &target,
        &Upstreams::default(),
        "not the secret",
        ADMIN_EMAIL,
        ADMIN_PASSWORD,
    )
    .await;

    let error = refused.expect_err("a wrong secret is refused");
    assert!(
        error.to_string().contains("SERVICE_CREDENTIAL_INVALID") || error.to_string().contains("credential"),
        "{error:#}"
    );
    platform.stop().await;
}
