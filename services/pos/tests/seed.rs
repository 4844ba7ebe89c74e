//! `pos seed` (what `cargo xtask seed` runs) against a running platform: it creates the first
//! admin through the API, as the service `seed`, and running it again changes nothing.

#[path = "support/platform.rs"]
mod platform;

use platform::{SERVICE_SECRET, TestPlatform, bearer};
use pos::StepOutcome;
use pos_api::pos::auth::v1::auth_service_client::AuthServiceClient;
use pos_api::pos::auth::v1::{GetMeRequest, LoginRequest};
use pos_platform::config::Upstreams;

const ADMIN_EMAIL: &str = "first-admin@example.com";
const ADMIN_PASSWORD: &str = "a first admin passphrase";

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
