//! The cashier module through the real server (every module in one process, the access layer in
//! front): cashier accounts created through the user, auth and role contracts, their ownership by
//! merchant, renames, disabling, listing and the trash lifecycle.

#[path = "support/platform.rs"]
mod platform;

use std::time::Duration;

use platform::{MerchantOwner, PASSWORD, Session, TestPlatform, bearer, eventually};
use pos_api::pos::auth::v1::LoginRequest;
use pos_api::pos::auth::v1::auth_service_client::AuthServiceClient;
use pos_api::pos::cashier::v1::cashier_service_client::CashierServiceClient;
use pos_api::pos::cashier::v1::{
    Cashier, CreateCashierRequest, DeleteCashierRequest, DisableCashierRequest, EnableCashierRequest,
    GetCashierRequest, ListCashiersRequest, PurgeCashierRequest, PurgeTrashedCashiersRequest,
    RestoreCashierRequest, RestoreTrashedCashiersRequest, UpdateCashierRequest,
};
use pos_api::pos::common::v1::Lifecycle;
use pos_api::pos::role::v1::ListUserRolesRequest;
use pos_api::pos::role::v1::role_service_client::RoleServiceClient;
use pos_api::pos::user::v1::GetUserRequest;
use pos_api::pos::user::v1::user_service_client::UserServiceClient;
use prost_types::FieldMask;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// How long event-driven effects (the access layer dropping cached grants on `UserRolesChanged`)
/// may take.
const EVENTUAL: Duration = Duration::from_secs(90);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A platform with an active merchant, its signed-in owner and a cashier client.
struct Fixture {
    platform: TestPlatform,
    owner: MerchantOwner,
    cashiers: CashierServiceClient<Channel>,
}

impl Fixture {
    async fn start() -> Self {
        // CreateCashier holds its transaction while the user module (and, inside it, the auth
        // module) run theirs in the same process: more connections than the default 16, of which
        // the outbox relays and consumers hold many.
        let platform = TestPlatform::start_with(&["--database-max-connections", "48"]).await;
        let owner = platform.active_merchant().await;
        let cashiers = CashierServiceClient::new(platform.channel().await);
        Fixture {
            platform,
            owner,
            cashiers,
        }
    }

    /// `message` as the merchant's owner.
    fn owner<T>(&self, message: T) -> tonic::Request<T> {
        bearer(&self.owner.session.access_token, message)
    }

    /// Creates a cashier of the owner's merchant as the owner, with [`PASSWORD`].
    async fn create(&mut self, name: &str) -> Cashier {
        let request = self.owner(new_cashier(&self.owner.merchant_id, name, &unique_email(), ""));
        self.cashiers
            .create_cashier(request)
            .await
            .unwrap_or_else(|status| panic!("CreateCashier {name}: {status:?}"))
            .into_inner()
            .cashier
            .expect("the created cashier")
    }

    async fn get(&mut self, token: &str, id: &str) -> Result<Cashier, Status> {
        let request = bearer(
            token,
            GetCashierRequest {
                cashier_id: id.to_owned(),
            },
        );
        Ok(self
            .cashiers
            .get_cashier(request)
            .await?
            .into_inner()
            .cashier
            .expect("a cashier"))
    }

    async fn list(
        &mut self,
        token: &str,
        request: ListCashiersRequest,
    ) -> Result<(Vec<String>, String, i32), Status> {
        let page = self
            .cashiers
            .list_cashiers(bearer(token, request))
            .await?
            .into_inner();
        Ok((
            page.cashiers.into_iter().map(|cashier| cashier.name).collect(),
            page.next_page_token,
            page.total_size,
        ))
    }

    async fn delete(&mut self, id: &str) -> Result<Cashier, Status> {
        let request = self.owner(DeleteCashierRequest {
            cashier_id: id.to_owned(),
        });
        Ok(self
            .cashiers
            .delete_cashier(request)
            .await?
            .into_inner()
            .cashier
            .expect("a cashier"))
    }

    async fn disable(&mut self, id: &str) -> Result<Cashier, Status> {
        let request = self.owner(DisableCashierRequest {
            cashier_id: id.to_owned(),
        });
        Ok(self
            .cashiers
            .disable_cashier(request)
            .await?
            .into_inner()
            .cashier
            .expect("a cashier"))
    }

    async fn enable(&mut self, id: &str) -> Result<Cashier, Status> {
        let request = self.owner(EnableCashierRequest {
            cashier_id: id.to_owned(),
        });
        Ok(self
            .cashiers
            .enable_cashier(request)
            .await?
            .into_inner()
            .cashier
            .expect("a cashier"))
    }

    /// The grants of `user_id`, as `(role name, merchant id, cashier id)`, read as a service.
    async fn grants_of(&self, user_id: &str) -> Vec<(String, String, String)> {
        RoleServiceClient::new(self.platform.channel().await)
            .list_user_roles(self.platform.as_service(ListUserRolesRequest {
                user_id: user_id.to_owned(),
            }))
            .await
            .unwrap_or_else(|status| panic!("ListUserRoles: {status:?}"))
            .into_inner()
            .grants
            .into_iter()
            .map(|grant| {
                (
                    grant.role.unwrap_or_default().name,
                    grant.merchant_id,
                    grant.cashier_id,
                )
            })
            .collect()
    }

    /// Signs `email` in with [`PASSWORD`].
    async fn login(&self, email: &str) -> Session {
        self.platform.login(email).await
    }
}

/// A CreateCashier request for `merchant_id` with [`PASSWORD`] as initial password.
fn new_cashier(merchant_id: &str, name: &str, email: &str, request_id: &str) -> CreateCashierRequest {
    CreateCashierRequest {
        merchant_id: merchant_id.to_owned(),
        cashier: Some(Cashier {
            name: name.to_owned(),
            ..Cashier::default()
        }),
        email: email.to_owned(),
        initial_password: PASSWORD.to_owned(),
        user_id: String::new(),
        request_id: request_id.to_owned(),
    }
}

fn unique_email() -> String {
    format!("cashier-{}@example.com", uuid::Uuid::now_v7().simple())
}

fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

#[track_caller]
fn assert_error<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, expected_reason: &str) {
    let status = result.expect_err("an error");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(&status), expected_reason, "{status:?}");
}

// ---------------------------------------------------------------------------------------------
// Creating cashiers
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_owner_creates_a_cashier_who_signs_in_with_the_cashier_role_of_the_merchant() {
    let mut fx = Fixture::start().await;
    let email = unique_email();
    let request = fx.owner(new_cashier(&fx.owner.merchant_id, "  Ana  ", &email, ""));
    let cashier = fx
        .cashiers
        .create_cashier(request)
        .await
        .expect("CreateCashier")
        .into_inner()
        .cashier
        .expect("a cashier");
    assert_eq!(cashier.name, "Ana");
    assert_eq!(cashier.merchant_id, fx.owner.merchant_id);
    assert!(!cashier.disabled);
    assert!(cashier.delete_time.is_none());

    let session = fx.login(&email).await;
    assert_eq!(session.user_id, cashier.user_id);
    assert_eq!(
        fx.grants_of(&cashier.user_id).await,
        [(
            "cashier".to_owned(),
            fx.owner.merchant_id.clone(),
            cashier.id.clone()
        )]
    );
    let itself = fx
        .get(&session.access_token, &cashier.id)
        .await
        .expect("the cashier reads itself");
    assert_eq!(itself, cashier);
    fx.platform.stop().await;
}

#[tokio::test]
async fn retrying_with_the_same_request_id_returns_the_first_cashier_and_creates_one_user() {
    let mut fx = Fixture::start().await;
    let email = unique_email();
    let request_id = uuid::Uuid::now_v7().to_string();
    let first = fx
        .cashiers
        .create_cashier(fx.owner(new_cashier(&fx.owner.merchant_id, "Ana", &email, &request_id)))
        .await
        .expect("first CreateCashier")
        .into_inner();
    let retry = fx
        .cashiers
        .create_cashier(fx.owner(new_cashier(&fx.owner.merchant_id, "Ana", &email, &request_id)))
        .await
        .expect("retried CreateCashier")
        .into_inner();
    assert_eq!(retry, first);

    let (names, _, total) = fx
        .list(
            &fx.owner.session.access_token.clone(),
            ListCashiersRequest {
                merchant_id: fx.owner.merchant_id.clone(),
                ..Default::default()
            },
        )
        .await
        .expect("ListCashiers");
    assert_eq!((names, total), (vec!["Ana".to_owned()], 1));

    let other_content = fx
        .cashiers
        .create_cashier(fx.owner(new_cashier(&fx.owner.merchant_id, "Bo", &email, &request_id)))
        .await;
    assert_error(other_content, Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED");
    fx.platform.stop().await;
}

#[tokio::test]
async fn an_email_already_registered_is_refused_with_already_exists() {
    let mut fx = Fixture::start().await;
    let email = unique_email();
    fx.platform.create_user(&email).await;
    let result = fx
        .cashiers
        .create_cashier(fx.owner(new_cashier(&fx.owner.merchant_id, "Ana", &email, "")))
        .await;
    assert_error(result, Code::AlreadyExists, "EMAIL_ALREADY_REGISTERED");
    fx.platform.stop().await;
}

#[tokio::test]
async fn invalid_fields_are_reported_as_field_violations() {
    let mut fx = Fixture::start().await;
    let mut request = new_cashier(&fx.owner.merchant_id, "   ", "not-an-email", "");
    request.initial_password = "short".to_owned();
    let status = fx
        .cashiers
        .create_cashier(fx.owner(request))
        .await
        .expect_err("invalid fields");
    assert_eq!(status.code(), Code::InvalidArgument);
    let mut fields: Vec<String> = status
        .get_error_details()
        .bad_request()
        .expect("field violations")
        .field_violations
        .iter()
        .map(|violation| violation.field.clone())
        .collect();
    fields.sort();
    assert_eq!(fields, ["cashier.name", "email", "initial_password"]);
    fx.platform.stop().await;
}

#[tokio::test]
async fn a_common_password_is_refused_as_weak() {
    let mut fx = Fixture::start().await;
    let mut request = new_cashier(&fx.owner.merchant_id, "Ana", &unique_email(), "");
    request.initial_password = "password".to_owned();
    let result = fx.cashiers.create_cashier(fx.owner(request)).await;
    assert_error(result, Code::InvalidArgument, "WEAK_PASSWORD");
    fx.platform.stop().await;
}

#[tokio::test]
async fn a_pending_merchant_cannot_have_cashiers() {
    let mut fx = Fixture::start().await;
    let pending = fx.platform.pending_merchant().await;
    let result = fx
        .cashiers
        .create_cashier(bearer(
            &pending.session.access_token,
            new_cashier(&pending.merchant_id, "Ana", &unique_email(), ""),
        ))
        .await;
    assert_error(result, Code::FailedPrecondition, "MERCHANT_NOT_APPROVED");
    fx.platform.stop().await;
}

#[tokio::test]
async fn only_platform_callers_bind_an_existing_user_and_a_user_is_the_cashier_of_one_merchant() {
    let mut fx = Fixture::start().await;
    let user_id = fx.platform.create_user(&unique_email()).await;
    let mut request = new_cashier(&fx.owner.merchant_id, "Ana", "", "");
    request.user_id.clone_from(&user_id);
    let by_owner = fx.cashiers.create_cashier(fx.owner(request.clone())).await;
    assert_error(by_owner, Code::PermissionDenied, "PERMISSION_MISSING");

    let admin = fx.platform.admin().await;
    let bound = fx
        .cashiers
        .create_cashier(bearer(&admin.access_token, request.clone()))
        .await
        .expect("an admin binds an existing user")
        .into_inner()
        .cashier
        .expect("a cashier");
    assert_eq!(bound.user_id, user_id);
    let again = fx
        .cashiers
        .create_cashier(bearer(&admin.access_token, request))
        .await;
    assert_error(again, Code::AlreadyExists, "USER_ALREADY_CASHIER");
    fx.platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Ownership
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn another_merchants_owner_is_refused_everything() {
    let mut fx = Fixture::start().await;
    let cashier = fx.create("Ana").await;
    let other = fx.platform.active_merchant().await;
    let token = other.session.access_token.clone();

    let create = fx
        .cashiers
        .create_cashier(bearer(
            &token,
            new_cashier(&fx.owner.merchant_id, "Eve", &unique_email(), ""),
        ))
        .await;
    assert_error(create, Code::PermissionDenied, "PERMISSION_MISSING");
    assert_error(
        fx.get(&token, &cashier.id).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    let missing = uuid::Uuid::now_v7().to_string();
    assert_error(
        fx.get(&token, &missing).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    let list = fx
        .list(
            &token,
            ListCashiersRequest {
                merchant_id: fx.owner.merchant_id.clone(),
                ..Default::default()
            },
        )
        .await;
    assert_error(list, Code::PermissionDenied, "PERMISSION_MISSING");
    let every_merchant = fx.list(&token, ListCashiersRequest::default()).await;
    assert_error(every_merchant, Code::PermissionDenied, "PERMISSION_MISSING");
    let disable = fx
        .cashiers
        .disable_cashier(bearer(
            &token,
            DisableCashierRequest {
                cashier_id: cashier.id.clone(),
            },
        ))
        .await;
    assert_error(disable, Code::PermissionDenied, "PERMISSION_MISSING");
    let delete = fx
        .cashiers
        .delete_cashier(bearer(
            &token,
            DeleteCashierRequest {
                cashier_id: cashier.id.clone(),
            },
        ))
        .await;
    assert_error(delete, Code::PermissionDenied, "PERMISSION_MISSING");

    let admin = fx.platform.admin().await;
    assert_eq!(
        fx.get(&admin.access_token, &cashier.id)
            .await
            .expect("admins read any cashier"),
        cashier
    );
    assert_error(
        fx.get(&admin.access_token, &missing).await,
        Code::NotFound,
        "CASHIER_NOT_FOUND",
    );
    fx.platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Renaming, disabling
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn an_owner_renames_a_cashier_and_nothing_else() {
    let mut fx = Fixture::start().await;
    let cashier = fx.create("Ana").await;
    let renamed = fx
        .cashiers
        .update_cashier(fx.owner(UpdateCashierRequest {
            cashier: Some(Cashier {
                id: cashier.id.clone(),
                name: "Ana Lee".to_owned(),
                ..Cashier::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["name".to_owned()],
            }),
        }))
        .await
        .expect("UpdateCashier")
        .into_inner()
        .cashier
        .expect("a cashier");
    assert_eq!(renamed.name, "Ana Lee");
    let token = fx.owner.session.access_token.clone();
    assert_eq!(
        fx.get(&token, &cashier.id).await.expect("GetCashier").name,
        "Ana Lee"
    );

    let other_field = fx
        .cashiers
        .update_cashier(fx.owner(UpdateCashierRequest {
            cashier: Some(Cashier {
                id: cashier.id.clone(),
                name: "X".to_owned(),
                ..Cashier::default()
            }),
            update_mask: Some(FieldMask {
                paths: vec!["merchant_id".to_owned()],
            }),
        }))
        .await;
    assert_error(other_field, Code::InvalidArgument, "INVALID_ARGUMENT");
    fx.platform.stop().await;
}

#[tokio::test]
async fn a_disabled_cashiers_token_is_refused_and_enabling_restores_it() {
    let mut fx = Fixture::start().await;
    let email = unique_email();
    let cashier = fx
        .cashiers
        .create_cashier(fx.owner(new_cashier(&fx.owner.merchant_id, "Ana", &email, "")))
        .await
        .expect("CreateCashier")
        .into_inner()
        .cashier
        .expect("a cashier");
    let session = fx.login(&email).await;
    fx.get(&session.access_token, &cashier.id)
        .await
        .expect("an enabled cashier reads itself");

    let disabled = fx.disable(&cashier.id).await.expect("DisableCashier");
    assert!(disabled.disabled);
    assert!(disabled.disable_time.is_some());
    assert!(fx.grants_of(&cashier.user_id).await.is_empty());
    let mut client = fx.cashiers.clone();
    let token = session.access_token.clone();
    let id = cashier.id.clone();
    eventually(EVENTUAL, "the disabled cashier's token to be refused", || {
        let mut client = client.clone();
        let request = bearer(
            &token,
            GetCashierRequest {
                cashier_id: id.clone(),
            },
        );
        async move {
            match client.get_cashier(request).await {
                Err(status) if status.code() == Code::PermissionDenied => Some(()),
                _ => None,
            }
        }
    })
    .await;
    let again = fx.disable(&cashier.id).await.expect("disabling again");
    assert_eq!(again, disabled, "disabling a disabled cashier changes nothing");

    let enabled = fx.enable(&cashier.id).await.expect("EnableCashier");
    assert!(!enabled.disabled);
    assert!(enabled.disable_time.is_none());
    eventually(EVENTUAL, "the enabled cashier's token to work again", || {
        let request = bearer(
            &token,
            GetCashierRequest {
                cashier_id: id.clone(),
            },
        );
        let mut client = client.clone();
        async move { client.get_cashier(request).await.ok().map(|_| ()) }
    })
    .await;
    client
        .get_cashier(bearer(
            &token,
            GetCashierRequest {
                cashier_id: id.clone(),
            },
        ))
        .await
        .expect("still readable");
    fx.platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn cashiers_are_listed_by_merchant_with_search_and_paging() {
    let mut fx = Fixture::start().await;
    for name in ["Budi", "Ana Lee", "Ana Kim"] {
        fx.create(name).await;
    }
    let other = fx.platform.active_merchant().await;
    CashierServiceClient::new(fx.platform.channel().await)
        .create_cashier(bearer(
            &other.session.access_token,
            new_cashier(&other.merchant_id, "Ana Other", &unique_email(), ""),
        ))
        .await
        .expect("another merchant's cashier");
    let token = fx.owner.session.access_token.clone();
    let merchant_id = fx.owner.merchant_id.clone();
    let mine = |query: &str, page_size: i32, page_token: &str| ListCashiersRequest {
        merchant_id: merchant_id.clone(),
        page_size,
        page_token: page_token.to_owned(),
        query: query.to_owned(),
        lifecycle: 0,
    };

    let (names, next, total) = fx.list(&token, mine("", 0, "")).await.expect("all");
    assert_eq!(
        (names, next.as_str(), total),
        (vec!["Ana Kim".into(), "Ana Lee".into(), "Budi".into()], "", 3)
    );

    let (first, next, total) = fx.list(&token, mine("ana", 1, "")).await.expect("page 1");
    assert_eq!((first, total), (vec!["Ana Kim".to_owned()], 2));
    assert!(!next.is_empty());
    let (second, last, _) = fx.list(&token, mine("ana", 1, &next)).await.expect("page 2");
    assert_eq!(second, ["Ana Lee"]);
    assert!(last.is_empty());
    let other_filters = fx.list(&token, mine("budi", 1, &next)).await;
    assert_error(other_filters, Code::InvalidArgument, "INVALID_ARGUMENT");

    let admin = fx.platform.admin().await;
    let (everyone, _, total) = fx
        .list(
            &admin.access_token,
            ListCashiersRequest {
                query: "ana".to_owned(),
                ..Default::default()
            },
        )
        .await
        .expect("admins list every merchant's cashiers");
    assert_eq!(
        (everyone, total),
        (vec!["Ana Kim".into(), "Ana Lee".into(), "Ana Other".into()], 3)
    );
    let owner_everyone = fx.list(&token, ListCashiersRequest::default()).await;
    assert_error(owner_everyone, Code::PermissionDenied, "PERMISSION_MISSING");
    fx.platform.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Trash lifecycle
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn a_trashed_cashier_is_kept_out_of_lists_and_changes_until_restored() {
    let mut fx = Fixture::start().await;
    let cashier = fx.create("Ana").await;
    let token = fx.owner.session.access_token.clone();

    let purge_active = fx
        .cashiers
        .purge_cashier(fx.owner(PurgeCashierRequest {
            cashier_id: cashier.id.clone(),
        }))
        .await;
    assert_error(purge_active, Code::FailedPrecondition, "CASHIER_NOT_TRASHED");

    let trashed = fx.delete(&cashier.id).await.expect("DeleteCashier");
    assert!(trashed.delete_time.is_some());
    assert!(
        fx.grants_of(&cashier.user_id).await.is_empty(),
        "a trashed cashier holds no grant"
    );
    assert_error(
        fx.delete(&cashier.id).await,
        Code::FailedPrecondition,
        "CASHIER_TRASHED",
    );
    assert_error(
        fx.disable(&cashier.id).await,
        Code::FailedPrecondition,
        "CASHIER_TRASHED",
    );
    assert!(
        fx.get(&token, &cashier.id)
            .await
            .expect("still readable")
            .delete_time
            .is_some()
    );
    let active = ListCashiersRequest {
        merchant_id: fx.owner.merchant_id.clone(),
        ..Default::default()
    };
    assert_eq!(fx.list(&token, active.clone()).await.expect("active").2, 0);
    let in_trash = ListCashiersRequest {
        lifecycle: Lifecycle::Trashed.into(),
        ..active.clone()
    };
    assert_eq!(fx.list(&token, in_trash).await.expect("trashed").0, ["Ana"]);

    let restored = fx
        .cashiers
        .restore_cashier(fx.owner(RestoreCashierRequest {
            cashier_id: cashier.id.clone(),
        }))
        .await
        .expect("RestoreCashier")
        .into_inner()
        .cashier
        .expect("a cashier");
    assert!(restored.delete_time.is_none());
    assert_eq!(
        fx.grants_of(&cashier.user_id).await,
        [(
            "cashier".to_owned(),
            fx.owner.merchant_id.clone(),
            cashier.id.clone()
        )]
    );
    let restore_again = fx
        .cashiers
        .restore_cashier(fx.owner(RestoreCashierRequest {
            cashier_id: cashier.id.clone(),
        }))
        .await;
    assert_error(restore_again, Code::FailedPrecondition, "CASHIER_NOT_TRASHED");
    fx.platform.stop().await;
}

#[tokio::test]
async fn a_purged_cashier_is_gone_but_its_user_account_is_kept() {
    let mut fx = Fixture::start().await;
    let cashier = fx.create("Ana").await;
    fx.delete(&cashier.id).await.expect("DeleteCashier");
    fx.cashiers
        .purge_cashier(fx.owner(PurgeCashierRequest {
            cashier_id: cashier.id.clone(),
        }))
        .await
        .expect("PurgeCashier");

    let admin = fx.platform.admin().await;
    assert_error(
        fx.get(&admin.access_token, &cashier.id).await,
        Code::NotFound,
        "CASHIER_NOT_FOUND",
    );
    let token = fx.owner.session.access_token.clone();
    assert_error(
        fx.get(&token, &cashier.id).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    let user = UserServiceClient::new(fx.platform.channel().await)
        .get_user(fx.platform.as_service(GetUserRequest {
            user_id: cashier.user_id.clone(),
        }))
        .await
        .expect("the user account is kept")
        .into_inner()
        .user
        .expect("a user");
    assert!(user.delete_time.is_none());
    assert!(fx.grants_of(&cashier.user_id).await.is_empty());
    fx.platform.stop().await;
}

#[tokio::test]
async fn trashed_cashiers_are_restored_and_purged_per_merchant() {
    let mut fx = Fixture::start().await;
    let ana = fx.create("Ana").await;
    let budi = fx.create("Budi").await;
    fx.create("Citra").await;
    fx.delete(&ana.id).await.expect("trash Ana");
    fx.delete(&budi.id).await.expect("trash Budi");

    let restored = fx
        .cashiers
        .restore_trashed_cashiers(fx.owner(RestoreTrashedCashiersRequest {
            merchant_id: fx.owner.merchant_id.clone(),
        }))
        .await
        .expect("RestoreTrashedCashiers")
        .into_inner();
    assert_eq!(restored.affected_count, 2);
    assert_eq!(
        fx.grants_of(&ana.user_id).await,
        [("cashier".to_owned(), fx.owner.merchant_id.clone(), ana.id.clone())]
    );

    fx.delete(&ana.id).await.expect("trash Ana again");
    let every_merchant = fx
        .cashiers
        .purge_trashed_cashiers(fx.owner(PurgeTrashedCashiersRequest::default()))
        .await;
    assert_error(every_merchant, Code::PermissionDenied, "PERMISSION_MISSING");
    let purged = fx
        .cashiers
        .purge_trashed_cashiers(fx.owner(PurgeTrashedCashiersRequest {
            merchant_id: fx.owner.merchant_id.clone(),
        }))
        .await
        .expect("PurgeTrashedCashiers")
        .into_inner();
    assert_eq!(purged.affected_count, 1);
    let token = fx.owner.session.access_token.clone();
    let (names, _, _) = fx
        .list(
            &token,
            ListCashiersRequest {
                merchant_id: fx.owner.merchant_id.clone(),
                lifecycle: Lifecycle::All.into(),
                ..Default::default()
            },
        )
        .await
        .expect("ListCashiers");
    assert_eq!(names, ["Budi", "Citra"]);
    fx.platform.stop().await;
}

#[tokio::test]
async fn a_cashier_signs_in_only_with_its_initial_password() {
    let mut fx = Fixture::start().await;
    let email = unique_email();
    fx.cashiers
        .create_cashier(fx.owner(new_cashier(&fx.owner.merchant_id, "Ana", &email, "")))
        .await
        .expect("CreateCashier");
    let wrong = AuthServiceClient::new(fx.platform.channel().await)
        .login(LoginRequest {
            email,
            password: "not the initial password".to_owned(),
        })
        .await;
    assert_error(wrong, Code::Unauthenticated, "INVALID_CREDENTIALS");
    fx.platform.stop().await;
}
