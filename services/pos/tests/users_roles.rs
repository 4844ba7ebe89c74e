//! The user and role modules through the real server (every module in one process, the access
//! layer in front): user accounts and their lifecycle, self-service profiles, roles, the
//! permission catalogue, grants and their scopes, the events both modules publish, and what they
//! apply from each other's and the auth module's events.
//!
//! Platforms share the Kafka consumer groups (`<module>@<topic>`) with every other platform on the
//! broker, so an event may be consumed by another test's process: the tests run one at a time
//! ([`SERIAL`]), wait generously for event-driven effects, and use addresses no other test uses
//! (a group may hand a platform events left over by an earlier one, e.g. foreign sign-ups).

#[path = "support/platform.rs"]
mod platform;

use std::collections::BTreeSet;
use std::time::Duration;

use platform::{PASSWORD, Session, TestPlatform, bearer, eventually};
use pos_api::pos::auth::v1::auth_service_client::AuthServiceClient;
use pos_api::pos::auth::v1::{RegisterRequest, UserRegistered, VerifyEmailRequest};
use pos_api::pos::common::v1::{Lifecycle, LifecycleChange};
use pos_api::pos::role::v1::role_service_client::RoleServiceClient;
use pos_api::pos::role::v1::{
    CreateRoleRequest, DeleteRoleRequest, GetRoleRequest, GrantRoleRequest, ListPermissionsRequest,
    ListRolesRequest, ListUserRolesRequest, PurgeRoleRequest, PurgeTrashedRolesRequest, RestoreRoleRequest,
    RestoreTrashedRolesRequest, RevokeRoleRequest, Role, RoleChanged, RoleLifecycleChanged,
    UpdateRoleRequest, UserRolesChanged,
};
use pos_api::pos::user::v1::user_service_client::UserServiceClient;
use pos_api::pos::user::v1::{
    CreateUserRequest, DeleteUserRequest, GetUserRequest, ListUsersRequest, PurgeTrashedUsersRequest,
    PurgeUserRequest, RestoreTrashedUsersRequest, RestoreUserRequest, UpdateMyProfileRequest,
    UpdateUserRequest, User, UserCreated, UserLifecycleChanged, UserSource, UserUpdated,
};
use prost_types::FieldMask;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// One platform at a time (see the module comment).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long event-driven effects may take. Generous: a platform's consumers join groups whose
/// previous members (the last test's process) may hold partitions until Kafka's 45-second session
/// timeout.
const EVENTUAL: Duration = Duration::from_secs(120);

/// The fixed id of the built-in `admin` role (see the migration `role_grants`).
const ADMIN_ROLE_ID: &str = "00000000-0000-7000-8000-000000000001";

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A platform, a signed-in admin and clients.
struct Fixture {
    _serial: tokio::sync::MutexGuard<'static, ()>,
    platform: TestPlatform,
    admin: Session,
    users: UserServiceClient<Channel>,
    roles: RoleServiceClient<Channel>,
}

impl Fixture {
    async fn start() -> Self {
        let serial = SERIAL.lock().await;
        let platform = TestPlatform::start().await;
        let admin = platform.admin().await;
        let users = UserServiceClient::new(platform.channel().await);
        let roles = RoleServiceClient::new(platform.channel().await);
        Fixture {
            _serial: serial,
            platform,
            admin,
            users,
            roles,
        }
    }

    /// `message` as the admin.
    fn admin<T>(&self, message: T) -> tonic::Request<T> {
        bearer(&self.admin.access_token, message)
    }

    /// Creates a user without a password (invited; no argon2 hashing, so it is quick).
    async fn invite(&mut self, email: &str, first_name: &str, last_name: &str) -> User {
        let request = self.admin(CreateUserRequest {
            user: Some(new_user(email, first_name, last_name)),
            ..Default::default()
        });
        self.users
            .create_user(request)
            .await
            .unwrap_or_else(|status| panic!("CreateUser {email}: {status:?}"))
            .into_inner()
            .user
            .expect("the created user")
    }

    async fn get_user(&mut self, id: &str) -> Result<User, Status> {
        let request = self.admin(GetUserRequest {
            user_id: id.to_owned(),
        });
        Ok(self
            .users
            .get_user(request)
            .await?
            .into_inner()
            .user
            .expect("a user"))
    }

    async fn delete_user(&mut self, id: &str) -> Result<User, Status> {
        let request = self.admin(DeleteUserRequest {
            user_id: id.to_owned(),
        });
        Ok(self
            .users
            .delete_user(request)
            .await?
            .into_inner()
            .user
            .expect("a user"))
    }

    async fn create_role(&mut self, name: &str, permissions: &[&str]) -> Result<Role, Status> {
        let request = self.admin(CreateRoleRequest {
            role: Some(new_role(name, permissions)),
            request_id: String::new(),
        });
        Ok(self
            .roles
            .create_role(request)
            .await?
            .into_inner()
            .role
            .expect("a role"))
    }

    async fn grant(
        &mut self,
        user_id: &str,
        role_id: &str,
        merchant: &str,
        cashier: &str,
    ) -> Result<(), Status> {
        let request = self.admin(GrantRoleRequest {
            user_id: user_id.to_owned(),
            role_id: role_id.to_owned(),
            merchant_id: merchant.to_owned(),
            cashier_id: cashier.to_owned(),
        });
        self.roles.grant_role(request).await.map(|_| ())
    }

    async fn user_roles(&mut self, user_id: &str) -> (Vec<String>, BTreeSet<String>) {
        let request = self.admin(ListUserRolesRequest {
            user_id: user_id.to_owned(),
        });
        let listed = self
            .roles
            .list_user_roles(request)
            .await
            .unwrap_or_else(|status| panic!("ListUserRoles: {status:?}"))
            .into_inner();
        let names = listed
            .grants
            .iter()
            .map(|grant| grant.role.as_ref().expect("a role").name.clone())
            .collect();
        (names, listed.permissions.into_iter().collect())
    }

    async fn list_users(&mut self, request: ListUsersRequest) -> Result<(Vec<User>, String, i32), Status> {
        let request = self.admin(request);
        let listed = self.users.list_users(request).await?.into_inner();
        Ok((listed.users, listed.next_page_token, listed.total_size))
    }

    /// Payloads of `M` events in `schema`'s outbox, oldest first.
    async fn events<M: prost::Message + prost::Name + Default>(&self, schema: &str) -> Vec<M> {
        let query = format!("SELECT payload FROM {schema}.outbox WHERE event_type = $1 ORDER BY id");
        let payloads: Vec<Vec<u8>> = sqlx::query_scalar(sqlx::AssertSqlSafe(query))
            .bind(M::full_name())
            .fetch_all(&self.platform.database.pool)
            .await
            .expect("the outbox is readable");
        payloads
            .iter()
            .map(|payload| M::decode(payload.as_slice()).expect("a valid event payload"))
            .collect()
    }

    async fn stop(self) {
        self.platform.stop().await;
    }
}

fn new_user(email: &str, first_name: &str, last_name: &str) -> User {
    User {
        email: email.to_owned(),
        first_name: first_name.to_owned(),
        last_name: last_name.to_owned(),
        ..Default::default()
    }
}

fn new_role(name: &str, permissions: &[&str]) -> Role {
    Role {
        name: name.to_owned(),
        description: format!("The {name} role"),
        permissions: permissions.iter().map(|p| (*p).to_owned()).collect(),
        ..Default::default()
    }
}

fn mask(paths: &[&str]) -> Option<FieldMask> {
    Some(FieldMask {
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
    })
}

/// Asserts `status` has `code` and the ErrorInfo `reason` in `domain`.
#[track_caller]
fn assert_error(status: &Status, code: Code, domain: &str, reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    let info = status.get_details_error_info().expect("an ErrorInfo");
    assert_eq!(
        (info.domain.as_str(), info.reason.as_str()),
        (domain, reason),
        "{status:?}"
    );
}

/// The fields named by `status`'s BadRequest violations, sorted.
fn violated_fields(status: &Status) -> Vec<String> {
    let mut fields: Vec<String> = status
        .get_details_bad_request()
        .map(|bad| bad.field_violations.into_iter().map(|v| v.field).collect())
        .unwrap_or_default();
    fields.sort();
    fields
}

fn sorted(names: &[&str]) -> Vec<String> {
    let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
    names.sort();
    names
}

fn catalogue() -> Vec<String> {
    let names: Vec<&str> = pos_api::policy::PERMISSIONS
        .iter()
        .map(|(name, _)| *name)
        .collect();
    sorted(&names)
}

// ---------------------------------------------------------------------------------------------
// Users: creation
// ---------------------------------------------------------------------------------------------

/// CreateUser with a password yields a verified user who can sign in at once, and publishes
/// UserCreated (source ADMIN) naming the user.
#[tokio::test]
async fn a_user_created_with_a_password_is_verified_can_sign_in_and_is_announced() {
    let mut fx = Fixture::start().await;

    let request = fx.admin(CreateUserRequest {
        user: Some(new_user("  Ana.Lima@Example.com ", "Ana", "Lima")),
        password: PASSWORD.to_owned(),
        request_id: String::new(),
    });
    let created = fx
        .users
        .create_user(request)
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();

    assert_eq!(
        created.email, "Ana.Lima@Example.com",
        "stored trimmed, as entered"
    );
    assert!(created.email_verified);
    assert!(created.create_time.is_some() && created.delete_time.is_none());
    let session = fx.platform.login("ana.lima@example.com").await;
    assert_eq!(session.user_id, created.id);
    let announced: Vec<UserCreated> = fx.events("users").await;
    let event = announced
        .iter()
        .find(|event| event.user.as_ref().is_some_and(|user| user.id == created.id))
        .expect("UserCreated for the new user");
    assert_eq!(event.source(), UserSource::Admin);
    assert_eq!(event.meta.as_ref().unwrap().actor_user_id, fx.admin.user_id);
    fx.stop().await;
}

/// Without a password the user is invited: its email stays unverified until it sets one.
#[tokio::test]
async fn a_user_created_without_a_password_is_invited_and_unverified() {
    let mut fx = Fixture::start().await;

    let created = fx.invite("bo@example.com", "Bo", "").await;

    assert!(!created.email_verified);
    assert_eq!(fx.get_user(&created.id).await.unwrap(), created);
    fx.stop().await;
}

/// Emails are unique case-insensitively across every user, trashed ones included.
#[tokio::test]
async fn an_email_already_registered_is_refused_even_when_its_user_is_trashed() {
    let mut fx = Fixture::start().await;
    let first = fx.invite("dup@example.com", "First", "").await;
    fx.delete_user(&first.id).await.unwrap();

    let request = fx.admin(CreateUserRequest {
        user: Some(new_user("DUP@example.COM", "Second", "")),
        ..Default::default()
    });
    let refused = fx.users.create_user(request).await.unwrap_err();

    assert_error(
        &refused,
        Code::AlreadyExists,
        "pos.user",
        "EMAIL_ALREADY_REGISTERED",
    );
    fx.stop().await;
}

/// Every bad field is named in one INVALID_ARGUMENT.
#[tokio::test]
async fn create_user_names_every_invalid_field() {
    let mut fx = Fixture::start().await;

    let request = fx.admin(CreateUserRequest {
        user: Some(new_user("not-an-email", "   ", &"x".repeat(101))),
        ..Default::default()
    });
    let refused = fx.users.create_user(request).await.unwrap_err();

    assert_error(&refused, Code::InvalidArgument, "pos.user", "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&refused),
        ["user.email", "user.first_name", "user.last_name"]
    );
    fx.stop().await;
}

/// A password the auth module refuses rolls the whole creation back: nothing is left behind.
#[tokio::test]
async fn a_weak_password_is_refused_and_creates_nothing() {
    let mut fx = Fixture::start().await;

    let request = fx.admin(CreateUserRequest {
        user: Some(new_user("weak@example.com", "Weak", "")),
        password: "password".to_owned(),
        request_id: String::new(),
    });
    let refused = fx.users.create_user(request).await.unwrap_err();

    assert_eq!(refused.code(), Code::InvalidArgument, "{refused:?}");
    assert_eq!(refused.get_details_error_info().unwrap().reason, "WEAK_PASSWORD");
    let (found, _, total) = fx
        .list_users(ListUsersRequest {
            query: "weak@".to_owned(),
            lifecycle: Lifecycle::All.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(found.is_empty() && total == 0, "{found:?}");
    fx.invite("weak@example.com", "Weak", "").await;
    fx.stop().await;
}

/// A retry with the same request_id returns the first result; the same key with other content
/// is refused.
#[tokio::test]
async fn create_user_is_idempotent_by_request_id() {
    let mut fx = Fixture::start().await;
    let request_id = uuid::Uuid::now_v7().to_string();
    let create = |email: &str| CreateUserRequest {
        user: Some(new_user(email, "Idem", "Potent")),
        password: String::new(),
        request_id: request_id.clone(),
    };

    let first = fx
        .users
        .create_user(fx.admin(create("idem@example.com")))
        .await
        .unwrap()
        .into_inner();
    let retry = fx
        .users
        .create_user(fx.admin(create("idem@example.com")))
        .await
        .unwrap()
        .into_inner();
    let reused = fx
        .users
        .create_user(fx.admin(create("other@example.com")))
        .await
        .unwrap_err();

    assert_eq!(first, retry);
    assert_error(&reused, Code::AlreadyExists, "pos.user", "IDEMPOTENCY_KEY_REUSED");
    let created: Vec<UserCreated> = fx.events("users").await;
    let for_idem = created
        .iter()
        .filter(|event| event.user.as_ref().unwrap().email == "idem@example.com")
        .count();
    assert_eq!(for_idem, 1, "one user, one UserCreated");
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Users: reading
// ---------------------------------------------------------------------------------------------

/// ListUsers pages newest first with a total, searches email and names case-insensitively, and
/// filters by verification; a page token is bound to its filters.
#[tokio::test]
async fn list_users_pages_newest_first_searches_and_filters() {
    let mut fx = Fixture::start().await;
    // A tag no other test uses, so users other platforms' leftover events may create never match.
    let tag = format!("t{}", &uuid::Uuid::new_v4().simple().to_string()[..8]);
    let mut created = Vec::new();
    for (email, first, last) in [
        (format!("p1.{tag}@shop.test"), "Paula", "One".to_owned()),
        (format!("p2.{tag}@shop.test"), "Pedro", "Two".to_owned()),
        (format!("p3.{tag}@shop.test"), "Pia", "Three".to_owned()),
        (format!("zed.{tag}@else.test"), "Zed", format!("Shop-{tag}")),
        (format!("q5.{tag}@else.test"), "Quinn", "Five".to_owned()),
    ] {
        created.push(fx.invite(&email, first, &last).await.id);
    }

    let mut pages = Vec::new();
    let mut token = String::new();
    loop {
        let (users, next, total) = fx
            .list_users(ListUsersRequest {
                page_size: 2,
                page_token: token.clone(),
                query: tag.clone(),
                email_verified: Some(false),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(total, 5);
        pages.push(users.into_iter().map(|user| user.id).collect::<Vec<_>>());
        if next.is_empty() {
            break;
        }
        token = next;
    }
    let newest_first: Vec<String> = created.iter().rev().cloned().collect();
    assert_eq!(pages.concat(), newest_first);
    assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [2, 2, 1]);

    let (shop, _, total) = fx
        .list_users(ListUsersRequest {
            query: format!("SHOP-{}", tag.to_uppercase()),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(total, 1, "the last name matches");
    assert_eq!(shop[0].id, created[3]);
    let (by_email, _, _) = fx
        .list_users(ListUsersRequest {
            query: format!("{tag}@SHOP"),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(by_email.len(), 3, "the emails match");
    let (verified, _, _) = fx
        .list_users(ListUsersRequest {
            email_verified: Some(true),
            ..Default::default()
        })
        .await
        .unwrap();
    assert!(verified.iter().any(|user| user.id == fx.admin.user_id));
    assert!(verified.iter().all(|user| !created.contains(&user.id)));

    let (_, token, _) = fx
        .list_users(ListUsersRequest {
            page_size: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    let refused = fx
        .list_users(ListUsersRequest {
            page_size: 1,
            page_token: token,
            query: tag.clone(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&refused), ["page_token"]);
    fx.stop().await;
}

/// GetUser of an unknown id is NOT_FOUND / USER_NOT_FOUND; a malformed id is a field violation.
#[tokio::test]
async fn get_user_of_an_unknown_or_malformed_id_is_refused() {
    let mut fx = Fixture::start().await;

    let unknown = fx.get_user(&uuid::Uuid::now_v7().to_string()).await.unwrap_err();
    let malformed = fx.get_user("42").await.unwrap_err();

    assert_error(&unknown, Code::NotFound, "pos.user", "USER_NOT_FOUND");
    assert_eq!(malformed.code(), Code::InvalidArgument);
    assert_eq!(violated_fields(&malformed), ["user_id"]);
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Users: updates
// ---------------------------------------------------------------------------------------------

/// UpdateUser changes only the masked fields; a new email is unverified, and UserUpdated names
/// what changed.
#[tokio::test]
async fn update_user_changes_the_masked_fields_and_a_new_email_is_unverified() {
    let mut fx = Fixture::start().await;
    let user_id = fx.platform.create_user("cara@example.com").await;

    let request = fx.admin(UpdateUserRequest {
        user: Some(User {
            id: user_id.clone(),
            email: "cara.new@example.com".to_owned(),
            first_name: "Cara".to_owned(),
            last_name: "IGNORED".to_owned(),
            ..Default::default()
        }),
        update_mask: mask(&["first_name", "email"]),
    });
    let updated = fx
        .users
        .update_user(request)
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();

    assert_eq!(updated.first_name, "Cara");
    assert_eq!(updated.last_name, "cara", "not in the mask: unchanged");
    assert_eq!(updated.email, "cara.new@example.com");
    assert!(!updated.email_verified);
    let changes: Vec<UserUpdated> = fx.events("users").await;
    let change = changes.last().expect("UserUpdated");
    assert_eq!(change.user.as_ref().unwrap().id, user_id);
    assert_eq!(change.changed_fields, ["first_name", "email", "email_verified"]);
    fx.stop().await;
}

/// UpdateUser refuses another user's email, an unknown field in the mask, and trashed users.
#[tokio::test]
async fn update_user_refuses_a_taken_email_an_unknown_field_and_a_trashed_user() {
    let mut fx = Fixture::start().await;
    let taken = fx.invite("taken@example.com", "Taken", "").await;
    let user = fx.invite("dan@example.com", "Dan", "").await;
    let update = |email: &str, paths: &[&str]| UpdateUserRequest {
        user: Some(User {
            id: user.id.clone(),
            email: email.to_owned(),
            ..Default::default()
        }),
        update_mask: mask(paths),
    };

    let email_taken = fx
        .users
        .update_user(fx.admin(update("TAKEN@example.com", &["email"])))
        .await
        .unwrap_err();
    let bad_mask = fx
        .users
        .update_user(fx.admin(update("x@example.com", &["email_verified"])))
        .await
        .unwrap_err();
    fx.delete_user(&user.id).await.unwrap();
    let trashed = fx
        .users
        .update_user(fx.admin(update("dan2@example.com", &["email"])))
        .await
        .unwrap_err();

    assert_error(
        &email_taken,
        Code::AlreadyExists,
        "pos.user",
        "EMAIL_ALREADY_REGISTERED",
    );
    assert_eq!(violated_fields(&bad_mask), ["update_mask"]);
    assert_error(&trashed, Code::FailedPrecondition, "pos.user", "USER_TRASHED");
    assert_eq!(fx.get_user(&taken.id).await.unwrap().email, "taken@example.com");
    fx.stop().await;
}

/// A signed-in user changes its own names; the user comes from the token, not the request.
#[tokio::test]
async fn a_user_updates_its_own_names_and_nothing_else() {
    let mut fx = Fixture::start().await;
    let user_id = fx.platform.create_user("eve@example.com").await;
    let eve = fx.platform.login("eve@example.com").await;

    let renamed = fx
        .users
        .update_my_profile(bearer(
            &eve.access_token,
            UpdateMyProfileRequest {
                user: Some(User {
                    id: fx.admin.user_id.clone(),
                    first_name: "Evelyn".to_owned(),
                    last_name: "Stone".to_owned(),
                    ..Default::default()
                }),
                update_mask: None,
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .user
        .unwrap();
    let email_change = fx
        .users
        .update_my_profile(bearer(
            &eve.access_token,
            UpdateMyProfileRequest {
                user: Some(new_user("mine@example.com", "Evelyn", "")),
                update_mask: mask(&["email"]),
            },
        ))
        .await
        .unwrap_err();

    assert_eq!(renamed.id, user_id);
    assert_eq!(
        (renamed.first_name.as_str(), renamed.last_name.as_str()),
        ("Evelyn", "Stone")
    );
    let admin_id = fx.admin.user_id.clone();
    assert_eq!(fx.get_user(&admin_id).await.unwrap().first_name, "Test");
    assert_error(
        &email_change,
        Code::InvalidArgument,
        "pos.user",
        "FIELD_NOT_UPDATABLE",
    );
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Users: lifecycle
// ---------------------------------------------------------------------------------------------

/// Trash, restore and purge follow the contract's preconditions and each publishes
/// UserLifecycleChanged.
#[tokio::test]
async fn a_user_is_trashed_restored_and_purged_only_from_the_trash() {
    let mut fx = Fixture::start().await;
    let user = fx.invite("fay@example.com", "Fay", "").await;
    let purge = |id: &str| PurgeUserRequest {
        user_id: id.to_owned(),
    };
    let restore = |id: &str| RestoreUserRequest {
        user_id: id.to_owned(),
    };

    let active_purge = fx.users.purge_user(fx.admin(purge(&user.id))).await.unwrap_err();
    assert_error(
        &active_purge,
        Code::FailedPrecondition,
        "pos.user",
        "USER_NOT_TRASHED",
    );

    let trashed = fx.delete_user(&user.id).await.unwrap();
    assert!(trashed.delete_time.is_some());
    let again = fx.delete_user(&user.id).await.unwrap_err();
    assert_error(&again, Code::FailedPrecondition, "pos.user", "USER_TRASHED");
    let (listed, _, _) = fx
        .list_users(ListUsersRequest {
            lifecycle: Lifecycle::Trashed.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    let listed: Vec<&str> = listed.iter().map(|u| u.id.as_str()).collect();
    assert_eq!(listed, [user.id.as_str()]);

    let restored = fx
        .users
        .restore_user(fx.admin(restore(&user.id)))
        .await
        .unwrap()
        .into_inner();
    assert!(restored.user.unwrap().delete_time.is_none());
    let not_trashed = fx
        .users
        .restore_user(fx.admin(restore(&user.id)))
        .await
        .unwrap_err();
    assert_error(
        &not_trashed,
        Code::FailedPrecondition,
        "pos.user",
        "USER_NOT_TRASHED",
    );

    fx.delete_user(&user.id).await.unwrap();
    fx.users.purge_user(fx.admin(purge(&user.id))).await.unwrap();
    let gone = fx.get_user(&user.id).await.unwrap_err();
    assert_error(&gone, Code::NotFound, "pos.user", "USER_NOT_FOUND");
    let unknown = fx.delete_user(&user.id).await.unwrap_err();
    assert_error(&unknown, Code::NotFound, "pos.user", "USER_NOT_FOUND");

    let changes: Vec<UserLifecycleChanged> = fx.events("users").await;
    let for_user: Vec<LifecycleChange> = changes
        .iter()
        .filter(|event| event.user_id == user.id)
        .map(UserLifecycleChanged::change)
        .collect();
    assert_eq!(
        for_user,
        [
            LifecycleChange::Trashed,
            LifecycleChange::Restored,
            LifecycleChange::Trashed,
            LifecycleChange::Purged
        ]
    );
    fx.stop().await;
}

/// RestoreTrashedUsers and PurgeTrashedUsers act on every trashed user and count them.
#[tokio::test]
async fn every_trashed_user_is_restored_or_purged_at_once() {
    let mut fx = Fixture::start().await;
    let mut ids = Vec::new();
    for email in ["g1@example.com", "g2@example.com", "g3@example.com"] {
        ids.push(fx.invite(email, "G", "").await.id);
    }
    fx.delete_user(&ids[0]).await.unwrap();
    fx.delete_user(&ids[1]).await.unwrap();

    let restored = fx
        .users
        .restore_trashed_users(fx.admin(RestoreTrashedUsersRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(restored.affected_count, 2);
    assert!(fx.get_user(&ids[0]).await.unwrap().delete_time.is_none());

    fx.delete_user(&ids[0]).await.unwrap();
    fx.delete_user(&ids[2]).await.unwrap();
    let purged = fx
        .users
        .purge_trashed_users(fx.admin(PurgeTrashedUsersRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(purged.affected_count, 2);
    assert_eq!(fx.get_user(&ids[0]).await.unwrap_err().code(), Code::NotFound);
    assert_eq!(fx.get_user(&ids[2]).await.unwrap_err().code(), Code::NotFound);
    assert!(fx.get_user(&ids[1]).await.is_ok());
    fx.stop().await;
}

/// Callers cannot trash themselves.
#[tokio::test]
async fn an_admin_cannot_trash_itself() {
    let mut fx = Fixture::start().await;

    let admin_id = fx.admin.user_id.clone();
    let refused = fx.delete_user(&admin_id).await.unwrap_err();

    assert_error(&refused, Code::FailedPrecondition, "pos.user", "SELF_DELETE");
    fx.stop().await;
}

/// The last active admin cannot be trashed; once another admin exists, it can.
#[tokio::test]
async fn the_last_active_admin_cannot_be_trashed() {
    let mut fx = Fixture::start().await;
    let first_admin = fx.admin.user_id.clone();
    let delete_first_admin = || DeleteUserRequest {
        user_id: first_admin.clone(),
    };

    let refused = fx
        .users
        .delete_user(fx.platform.as_service(delete_first_admin()))
        .await
        .unwrap_err();
    assert_error(&refused, Code::FailedPrecondition, "pos.user", "LAST_ADMIN");

    let second = fx.invite("second-admin@example.com", "Second", "Admin").await;
    fx.grant(&second.id, ADMIN_ROLE_ID, "", "").await.unwrap();
    // The user module learns who holds `admin` from the role module's events.
    let mut users = fx.users.clone();
    let platform = &fx.platform;
    let trashed = eventually(EVENTUAL, "the first admin can be trashed", || {
        let mut users = users.clone();
        let request = platform.as_service(delete_first_admin());
        async move {
            match users.delete_user(request).await {
                Ok(response) => Some(response.into_inner().user.unwrap()),
                Err(status) if status.get_details_error_info().unwrap().reason == "LAST_ADMIN" => None,
                Err(status) => panic!("DeleteUser: {status:?}"),
            }
        }
    })
    .await;
    assert!(trashed.delete_time.is_some());

    let last = users
        .delete_user(fx.platform.as_service(DeleteUserRequest {
            user_id: second.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_error(&last, Code::FailedPrecondition, "pos.user", "LAST_ADMIN");
    fx.stop().await;
}

/// Trashing a user revokes its sessions: its access token is refused soon after.
#[tokio::test]
async fn trashing_a_user_revokes_its_sessions() {
    let mut fx = Fixture::start().await;
    let user_id = fx.platform.create_user("hal@example.com").await;
    let hal = fx.platform.login("hal@example.com").await;
    let own = || {
        bearer(
            &hal.access_token,
            GetUserRequest {
                user_id: user_id.clone(),
            },
        )
    };
    fx.users
        .get_user(own())
        .await
        .expect("the token works before the trash");

    fx.delete_user(&user_id).await.unwrap();

    let users = fx.users.clone();
    let refused = eventually(EVENTUAL, "the trashed user's token is refused", || {
        let mut users = users.clone();
        let request = own();
        async move { users.get_user(request).await.err() }
    })
    .await;
    assert_eq!(refused.code(), Code::Unauthenticated, "{refused:?}");
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Users: from the auth module's events
// ---------------------------------------------------------------------------------------------

/// A person who signs up gets a profile (UserCreated, source REGISTRATION), verified once the
/// code is entered.
#[tokio::test]
async fn a_user_who_signs_up_gets_a_profile_that_is_verified_with_the_code() {
    let fx = Fixture::start().await;
    let mut auth = AuthServiceClient::new(fx.platform.channel().await);
    let email = format!("ivy-{}@example.com", uuid::Uuid::now_v7().simple());
    auth.register(RegisterRequest {
        email: email.clone(),
        first_name: "Ivy".to_owned(),
        last_name: "Reg".to_owned(),
        password: PASSWORD.to_owned(),
        merchant: None,
    })
    .await
    .unwrap();

    let users = fx.users.clone();
    let token = fx.admin.access_token.clone();
    let profile = eventually(EVENTUAL, "the registered user's profile", || {
        let mut users = users.clone();
        let request = bearer(
            &token,
            ListUsersRequest {
                query: email.clone(),
                ..Default::default()
            },
        );
        async move {
            users
                .list_users(request)
                .await
                .unwrap()
                .into_inner()
                .users
                .into_iter()
                .next()
        }
    })
    .await;
    assert_eq!(
        (profile.first_name.as_str(), profile.email_verified),
        ("Ivy", false)
    );
    let created: Vec<UserCreated> = fx.events("users").await;
    let event = created
        .iter()
        .find(|event| event.user.as_ref().unwrap().id == profile.id)
        .expect("UserCreated for the registered user");
    assert_eq!(event.source(), UserSource::Registration);

    let registered: Vec<UserRegistered> = fx.events("auth").await;
    let code = registered
        .iter()
        .find(|event| event.user_id == profile.id)
        .expect("UserRegistered")
        .verification_code
        .clone();
    auth.verify_email(VerifyEmailRequest {
        email: email.clone(),
        code,
    })
    .await
    .unwrap();
    let verified = fx
        .get_user_eventually(&profile.id, |user| user.email_verified)
        .await;
    assert_eq!(verified.email, email);
    fx.stop().await;
}

impl Fixture {
    /// Polls GetUser (as the admin) until `done` holds for the user.
    async fn get_user_eventually(&self, id: &str, done: impl Fn(&User) -> bool) -> User {
        let users = self.users.clone();
        let token = self.admin.access_token.clone();
        let done = &done;
        eventually(EVENTUAL, "the user to change", || {
            let mut users = users.clone();
            let request = bearer(
                &token,
                GetUserRequest {
                    user_id: id.to_owned(),
                },
            );
            async move {
                let user = users.get_user(request).await.unwrap().into_inner().user.unwrap();
                done(&user).then_some(user)
            }
        })
        .await
    }
}

// ---------------------------------------------------------------------------------------------
// Roles: catalogue and built-ins
// ---------------------------------------------------------------------------------------------

/// ListPermissions serves the catalogue; the built-in roles hold their documented permission
/// sets, `admin` the whole catalogue.
#[tokio::test]
async fn the_catalogue_and_the_built_in_roles_are_served_as_documented() {
    let mut fx = Fixture::start().await;

    let permissions = fx
        .roles
        .list_permissions(fx.admin(ListPermissionsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .permissions;
    let names: Vec<String> = permissions.iter().map(|p| p.name.clone()).collect();
    assert_eq!(names, catalogue());
    let roles = fx
        .roles
        .list_roles(fx.admin(ListRolesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    let by_name = |name: &str| roles.roles.iter().find(|role| role.name == name).unwrap().clone();

    assert_eq!(roles.total_size, 3);
    assert!(roles.roles.iter().all(|role| role.built_in));
    assert_eq!(by_name("admin").id, ADMIN_ROLE_ID);
    assert_eq!(by_name("admin").permissions, catalogue());
    assert_eq!(
        by_name("merchant").permissions,
        sorted(&[
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
        ])
    );
    assert_eq!(
        by_name("cashier").permissions,
        sorted(&[
            "merchant.read",
            "cashier.read",
            "product.read",
            "order.read",
            "order.write",
            "report.read",
            "transaction.read",
            "transaction.write",
        ])
    );
    fx.stop().await;
}

/// Built-in roles cannot be trashed or renamed, and admin's permissions cannot change; the
/// merchant role's permission set can.
#[tokio::test]
async fn built_in_roles_cannot_be_trashed_renamed_or_stripped_of_admin_permissions() {
    let mut fx = Fixture::start().await;
    let merchant_id = fx.platform.role_id("merchant").await;
    let update = |id: &str, role: Role, paths: &[&str]| UpdateRoleRequest {
        role: Some(Role {
            id: id.to_owned(),
            ..role
        }),
        update_mask: mask(paths),
    };

    let trash = fx
        .roles
        .delete_role(fx.admin(DeleteRoleRequest {
            role_id: ADMIN_ROLE_ID.to_owned(),
        }))
        .await
        .unwrap_err();
    let rename = fx
        .roles
        .update_role(fx.admin(update(&merchant_id, new_role("owner", &[]), &["name"])))
        .await
        .unwrap_err();
    let strip = fx
        .roles
        .update_role(fx.admin(update(
            ADMIN_ROLE_ID,
            new_role("admin", &["user.read"]),
            &["permissions"],
        )))
        .await
        .unwrap_err();
    let narrowed = fx
        .roles
        .update_role(fx.admin(update(
            &merchant_id,
            new_role("merchant", &["merchant.read", "order.read"]),
            &["permissions"],
        )))
        .await
        .unwrap()
        .into_inner()
        .role
        .unwrap();

    assert_error(&trash, Code::FailedPrecondition, "pos.role", "BUILT_IN_ROLE");
    assert_error(&rename, Code::FailedPrecondition, "pos.role", "BUILT_IN_ROLE");
    assert_error(&strip, Code::FailedPrecondition, "pos.role", "BUILT_IN_ROLE");
    assert_eq!(narrowed.permissions, ["merchant.read", "order.read"]);
    let changed: Vec<RoleChanged> = fx.events("roles").await;
    let last = changed.last().expect("RoleChanged");
    assert_eq!(last.role.as_ref().unwrap().id, merchant_id);
    assert!(!last.created);
    assert!(last.previous_permissions.contains(&"order.refund".to_owned()));
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Roles: custom roles
// ---------------------------------------------------------------------------------------------

/// A custom role is created with sorted unique permissions, read back, found by free text and by
/// permission, updated, and announced with RoleChanged.
#[tokio::test]
async fn a_custom_role_is_created_found_and_updated() {
    let mut fx = Fixture::start().await;

    let created = fx
        .create_role("auditor", &["report.read", "order.read", "report.read"])
        .await
        .unwrap();
    assert_eq!(created.permissions, ["order.read", "report.read"]);
    assert!(!created.built_in);
    let fetched = fx
        .roles
        .get_role(fx.admin(GetRoleRequest {
            role_id: created.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner()
        .role
        .unwrap();
    assert_eq!(fetched, created);

    let by_permission = fx
        .roles
        .list_roles(fx.admin(ListRolesRequest {
            permission: "report.read".to_owned(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = by_permission
        .roles
        .iter()
        .map(|role| role.name.as_str())
        .collect();
    assert_eq!(
        names,
        ["admin", "auditor", "cashier", "merchant"],
        "by name; admin holds everything, cashiers read their own reports"
    );
    let by_text = fx
        .roles
        .list_roles(fx.admin(ListRolesRequest {
            query: "AUDIT".to_owned(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(by_text.roles.len(), 1);

    let updated = fx
        .roles
        .update_role(fx.admin(UpdateRoleRequest {
            role: Some(Role {
                id: created.id.clone(),
                ..new_role("report-auditor", &["report.read"])
            }),
            update_mask: None,
        }))
        .await
        .unwrap()
        .into_inner()
        .role
        .unwrap();
    assert_eq!(updated.name, "report-auditor");
    assert_eq!(updated.permissions, ["report.read"]);
    let changed: Vec<RoleChanged> = fx.events("roles").await;
    let for_role: Vec<(bool, Vec<String>)> = changed
        .iter()
        .filter(|event| event.role.as_ref().unwrap().id == created.id)
        .map(|event| (event.created, event.previous_permissions.clone()))
        .collect();
    assert_eq!(
        for_role,
        [(true, vec![]), (false, sorted(&["order.read", "report.read"]))]
    );
    fx.stop().await;
}

/// Role names are unique (trashed roles included) and follow the name rule; permissions must be
/// in the catalogue.
#[tokio::test]
async fn a_role_with_a_taken_or_invalid_name_or_an_unknown_permission_is_refused() {
    let mut fx = Fixture::start().await;
    let first = fx.create_role("night-shift", &[]).await.unwrap();
    fx.roles
        .delete_role(fx.admin(DeleteRoleRequest { role_id: first.id }))
        .await
        .unwrap();

    let taken = fx.create_role("night-shift", &[]).await.unwrap_err();
    let built_in = fx.create_role("admin", &[]).await.unwrap_err();
    let invalid = fx.create_role("Night Shift", &[]).await.unwrap_err();
    let unknown = fx.create_role("stocker", &["product.fly"]).await.unwrap_err();

    assert_error(&taken, Code::AlreadyExists, "pos.role", "ROLE_NAME_TAKEN");
    assert_error(&built_in, Code::AlreadyExists, "pos.role", "ROLE_NAME_TAKEN");
    assert_eq!(violated_fields(&invalid), ["role.name"]);
    assert_error(&unknown, Code::InvalidArgument, "pos.role", "UNKNOWN_PERMISSION");
    fx.stop().await;
}

/// A retry of CreateRole with the same request_id returns the first role; other content with the
/// same key is refused.
#[tokio::test]
async fn create_role_is_idempotent_by_request_id() {
    let mut fx = Fixture::start().await;
    let request_id = uuid::Uuid::now_v7().to_string();
    let create = |permissions: &[&str]| CreateRoleRequest {
        role: Some(new_role("stocker", permissions)),
        request_id: request_id.clone(),
    };

    let first = fx
        .roles
        .create_role(fx.admin(create(&["product.stock"])))
        .await
        .unwrap()
        .into_inner();
    let retry = fx
        .roles
        .create_role(fx.admin(create(&["product.stock"])))
        .await
        .unwrap()
        .into_inner();
    let reused = fx
        .roles
        .create_role(fx.admin(create(&["product.read"])))
        .await
        .unwrap_err();

    assert_eq!(first, retry);
    assert_error(&reused, Code::AlreadyExists, "pos.role", "IDEMPOTENCY_KEY_REUSED");
    fx.stop().await;
}

/// A trashed role keeps its grants but confers nothing until restored; trashed roles cannot be
/// updated, restore needs the trash.
#[tokio::test]
async fn a_trashed_role_confers_nothing_until_it_is_restored() {
    let mut fx = Fixture::start().await;
    let role = fx.create_role("reporter", &["report.read"]).await.unwrap();
    let user = fx.invite("jo@example.com", "Jo", "").await;
    fx.grant(&user.id, &role.id, "", "").await.unwrap();
    assert_eq!(
        fx.user_roles(&user.id).await.1,
        BTreeSet::from(["report.read".to_owned()])
    );

    let trashed = fx
        .roles
        .delete_role(fx.admin(DeleteRoleRequest {
            role_id: role.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner()
        .role
        .unwrap();
    assert!(trashed.delete_time.is_some());
    let (names, permissions) = fx.user_roles(&user.id).await;
    assert_eq!(names, ["reporter"], "the grant stays recorded");
    assert!(permissions.is_empty(), "but confers nothing");
    let again = fx
        .roles
        .delete_role(fx.admin(DeleteRoleRequest {
            role_id: role.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_error(&again, Code::FailedPrecondition, "pos.role", "ROLE_TRASHED");
    let update = fx
        .roles
        .update_role(fx.admin(UpdateRoleRequest {
            role: Some(Role {
                id: role.id.clone(),
                description: "x".to_owned(),
                ..Default::default()
            }),
            update_mask: mask(&["description"]),
        }))
        .await
        .unwrap_err();
    assert_error(&update, Code::FailedPrecondition, "pos.role", "ROLE_TRASHED");
    let grant = fx.grant(&user.id, &role.id, "", "").await.unwrap_err();
    assert_error(&grant, Code::FailedPrecondition, "pos.role", "ROLE_TRASHED");

    fx.roles
        .restore_role(fx.admin(RestoreRoleRequest {
            role_id: role.id.clone(),
        }))
        .await
        .unwrap();
    assert_eq!(
        fx.user_roles(&user.id).await.1,
        BTreeSet::from(["report.read".to_owned()])
    );
    let not_trashed = fx
        .roles
        .restore_role(fx.admin(RestoreRoleRequest {
            role_id: role.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_error(
        &not_trashed,
        Code::FailedPrecondition,
        "pos.role",
        "ROLE_NOT_TRASHED",
    );
    let changes: Vec<RoleLifecycleChanged> = fx.events("roles").await;
    let for_role: Vec<LifecycleChange> = changes
        .iter()
        .filter(|event| event.role_id == role.id)
        .map(RoleLifecycleChanged::change)
        .collect();
    assert_eq!(for_role, [LifecycleChange::Trashed, LifecycleChange::Restored]);
    fx.stop().await;
}

/// Purging a trashed role deletes its grants and tells each holder's modules (UserRolesChanged).
#[tokio::test]
async fn purging_a_role_drops_its_grants_and_announces_each_holders_new_roles() {
    let mut fx = Fixture::start().await;
    let role = fx.create_role("temp", &["report.read"]).await.unwrap();
    let user = fx.invite("kim@example.com", "Kim", "").await;
    fx.grant(&user.id, &role.id, "", "").await.unwrap();
    let purge = |id: &str| PurgeRoleRequest {
        role_id: id.to_owned(),
    };

    let active = fx.roles.purge_role(fx.admin(purge(&role.id))).await.unwrap_err();
    assert_error(&active, Code::FailedPrecondition, "pos.role", "ROLE_NOT_TRASHED");
    fx.roles
        .delete_role(fx.admin(DeleteRoleRequest {
            role_id: role.id.clone(),
        }))
        .await
        .unwrap();
    fx.roles.purge_role(fx.admin(purge(&role.id))).await.unwrap();

    assert!(fx.user_roles(&user.id).await.0.is_empty());
    let gone = fx
        .roles
        .get_role(fx.admin(GetRoleRequest {
            role_id: role.id.clone(),
        }))
        .await
        .unwrap_err();
    assert_error(&gone, Code::NotFound, "pos.role", "ROLE_NOT_FOUND");
    let announced: Vec<UserRolesChanged> = fx.events("roles").await;
    let last = announced
        .iter()
        .rev()
        .find(|event| event.user_id == user.id)
        .unwrap();
    assert!(last.grants.is_empty() && last.permissions.is_empty(), "{last:?}");
    fx.stop().await;
}

/// RestoreTrashedRoles and PurgeTrashedRoles act on every trashed role and count them.
#[tokio::test]
async fn every_trashed_role_is_restored_or_purged_at_once() {
    let mut fx = Fixture::start().await;
    let mut ids = Vec::new();
    for name in ["r1", "r2", "r3"] {
        let role = fx.create_role(name, &[]).await.unwrap();
        fx.roles
            .delete_role(fx.admin(DeleteRoleRequest {
                role_id: role.id.clone(),
            }))
            .await
            .unwrap();
        ids.push(role.id);
    }

    let restored = fx
        .roles
        .restore_trashed_roles(fx.admin(RestoreTrashedRolesRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(restored.affected_count, 3);
    fx.roles
        .delete_role(fx.admin(DeleteRoleRequest {
            role_id: ids[0].clone(),
        }))
        .await
        .unwrap();
    let purged = fx
        .roles
        .purge_trashed_roles(fx.admin(PurgeTrashedRolesRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(purged.affected_count, 1);
    let remaining = fx
        .roles
        .list_roles(fx.admin(ListRolesRequest {
            lifecycle: Lifecycle::All.into(),
            ..Default::default()
        }))
        .await
        .unwrap()
        .into_inner();
    let names: Vec<&str> = remaining.roles.iter().map(|role| role.name.as_str()).collect();
    assert_eq!(names, ["admin", "cashier", "merchant", "r2", "r3"]);
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Grants
// ---------------------------------------------------------------------------------------------

/// Granting publishes UserRolesChanged; granting the same role with the same scope again returns
/// the grant, with another scope is ROLE_ALREADY_GRANTED; revoking removes it, twice is
/// ROLE_NOT_GRANTED.
#[tokio::test]
async fn a_role_is_granted_once_and_revoked() {
    let mut fx = Fixture::start().await;
    let role = fx
        .create_role("support", &["user.read", "order.read"])
        .await
        .unwrap();
    let user = fx.invite("lee@example.com", "Lee", "").await;
    let merchant = uuid::Uuid::now_v7().to_string();

    fx.grant(&user.id, &role.id, &merchant, "").await.unwrap();
    fx.grant(&user.id, &role.id, &merchant, "").await.unwrap();
    let other_scope = fx.grant(&user.id, &role.id, "", "").await.unwrap_err();
    assert_error(
        &other_scope,
        Code::AlreadyExists,
        "pos.role",
        "ROLE_ALREADY_GRANTED",
    );
    let (names, permissions) = fx.user_roles(&user.id).await;
    assert_eq!(names, ["support"]);
    assert_eq!(
        permissions,
        BTreeSet::from(["order.read".to_owned(), "user.read".to_owned()])
    );
    let announced: Vec<UserRolesChanged> = fx.events("roles").await;
    let for_user: Vec<&UserRolesChanged> = announced.iter().filter(|e| e.user_id == user.id).collect();
    assert_eq!(for_user.len(), 1, "the repeated grant changed nothing");
    assert_eq!(for_user[0].merchant_id, merchant);
    assert_eq!(for_user[0].grants[0].granted_by_user_id, fx.admin.user_id);
    assert_eq!(for_user[0].meta.as_ref().unwrap().actor_user_id, fx.admin.user_id);

    let revoke = || RevokeRoleRequest {
        user_id: user.id.clone(),
        role_id: role.id.clone(),
    };
    fx.roles.revoke_role(fx.admin(revoke())).await.unwrap();
    assert!(fx.user_roles(&user.id).await.0.is_empty());
    let again = fx.roles.revoke_role(fx.admin(revoke())).await.unwrap_err();
    assert_error(&again, Code::NotFound, "pos.role", "ROLE_NOT_GRANTED");
    fx.stop().await;
}

/// A user acts for at most one merchant.
#[tokio::test]
async fn a_user_bound_to_one_merchant_cannot_be_bound_to_another() {
    let mut fx = Fixture::start().await;
    let merchant_role = fx.platform.role_id("merchant").await;
    let cashier_role = fx.platform.role_id("cashier").await;
    let user = fx.invite("max@example.com", "Max", "").await;
    let (first, second) = (uuid::Uuid::now_v7().to_string(), uuid::Uuid::now_v7().to_string());
    fx.grant(&user.id, &merchant_role, &first, "").await.unwrap();

    let conflict = fx
        .grant(
            &user.id,
            &cashier_role,
            &second,
            &uuid::Uuid::now_v7().to_string(),
        )
        .await
        .unwrap_err();
    fx.grant(&user.id, &cashier_role, &first, &uuid::Uuid::now_v7().to_string())
        .await
        .expect("the same merchant is fine");

    assert_error(
        &conflict,
        Code::FailedPrecondition,
        "pos.role",
        "MERCHANT_SCOPE_CONFLICT",
    );
    fx.stop().await;
}

/// Built-in roles take exactly their scope: admin none, merchant a merchant, cashier both.
#[tokio::test]
async fn built_in_roles_are_granted_only_with_their_scope() {
    let mut fx = Fixture::start().await;
    let merchant_role = fx.platform.role_id("merchant").await;
    let cashier_role = fx.platform.role_id("cashier").await;
    let user = fx.invite("ned@example.com", "Ned", "").await;
    let merchant = uuid::Uuid::now_v7().to_string();

    let scoped_admin = fx
        .grant(&user.id, ADMIN_ROLE_ID, &merchant, "")
        .await
        .unwrap_err();
    let unscoped_merchant = fx.grant(&user.id, &merchant_role, "", "").await.unwrap_err();
    let cashier_without_cashier = fx
        .grant(&user.id, &cashier_role, &merchant, "")
        .await
        .unwrap_err();

    assert_error(
        &scoped_admin,
        Code::InvalidArgument,
        "pos.role",
        "SCOPE_NOT_ALLOWED",
    );
    assert_error(
        &unscoped_merchant,
        Code::InvalidArgument,
        "pos.role",
        "SCOPE_REQUIRED",
    );
    assert_error(
        &cashier_without_cashier,
        Code::InvalidArgument,
        "pos.role",
        "SCOPE_REQUIRED",
    );
    fx.stop().await;
}

/// GrantRole needs an existing, active user and role.
#[tokio::test]
async fn a_grant_needs_an_existing_active_user_and_role() {
    let mut fx = Fixture::start().await;
    let role = fx.create_role("helper", &[]).await.unwrap();
    let trashed_user = fx.invite("old@example.com", "Old", "").await;
    fx.delete_user(&trashed_user.id).await.unwrap();
    let unknown = uuid::Uuid::now_v7().to_string();

    let no_user = fx.grant(&unknown, &role.id, "", "").await.unwrap_err();
    let trashed = fx.grant(&trashed_user.id, &role.id, "", "").await.unwrap_err();
    let admin_id = fx.admin.user_id.clone();
    let no_role = fx.grant(&admin_id, &unknown, "", "").await.unwrap_err();

    assert_error(&no_user, Code::NotFound, "pos.role", "USER_NOT_FOUND");
    assert_error(&trashed, Code::FailedPrecondition, "pos.role", "USER_TRASHED");
    assert_error(&no_role, Code::NotFound, "pos.role", "ROLE_NOT_FOUND");
    fx.stop().await;
}

/// The last active admin keeps `admin`.
#[tokio::test]
async fn the_last_active_admin_keeps_the_admin_role() {
    let mut fx = Fixture::start().await;
    let revoke = RevokeRoleRequest {
        user_id: fx.admin.user_id.clone(),
        role_id: ADMIN_ROLE_ID.to_owned(),
    };

    let refused = fx
        .roles
        .revoke_role(fx.platform.as_service(revoke.clone()))
        .await
        .unwrap_err();
    let second = fx.invite("ops@example.com", "Ops", "").await;
    fx.grant(&second.id, ADMIN_ROLE_ID, "", "").await.unwrap();
    fx.roles
        .revoke_role(fx.platform.as_service(revoke))
        .await
        .unwrap();

    assert_error(&refused, Code::FailedPrecondition, "pos.role", "LAST_ADMIN");
    fx.stop().await;
}

/// ListUserRoles of an unknown user is USER_NOT_FOUND for a user with `role.read`.
#[tokio::test]
async fn listing_the_roles_of_an_unknown_user_is_not_found() {
    let mut fx = Fixture::start().await;

    let refused = fx
        .roles
        .list_user_roles(fx.admin(ListUserRolesRequest {
            user_id: uuid::Uuid::now_v7().to_string(),
        }))
        .await
        .unwrap_err();

    assert_error(&refused, Code::NotFound, "pos.role", "USER_NOT_FOUND");
    fx.stop().await;
}

/// Purging a user drops its grants (the role module applies UserLifecycleChanged PURGED).
#[tokio::test]
async fn purging_a_user_drops_its_grants() {
    let mut fx = Fixture::start().await;
    let role = fx.create_role("clerk", &["order.read"]).await.unwrap();
    let user = fx.invite("oz@example.com", "Oz", "").await;
    fx.grant(&user.id, &role.id, "", "").await.unwrap();

    fx.delete_user(&user.id).await.unwrap();
    fx.users
        .purge_user(fx.admin(PurgeUserRequest {
            user_id: user.id.clone(),
        }))
        .await
        .unwrap();

    let pool = fx.platform.database.pool.clone();
    let user_id = user.id.clone();
    eventually(
        EVENTUAL,
        "UserRolesChanged without grants for the purged user",
        || {
            let pool = pool.clone();
            let user_id = user_id.clone();
            async move {
                let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
                "SELECT payload FROM roles.outbox WHERE event_type = $1 AND aggregate_id = $2 ORDER BY id",
            )
            .bind(<UserRolesChanged as prost::Name>::full_name())
            .bind(&user_id)
            .fetch_all(&pool)
            .await
            .unwrap();
                let last = <UserRolesChanged as prost::Message>::decode(payloads.last()?.as_slice()).unwrap();
                last.grants.is_empty().then_some(())
            }
        },
    )
    .await;
    let held = fx
        .roles
        .list_user_roles(fx.platform.as_service(ListUserRolesRequest {
            user_id: user.id.clone(),
        }))
        .await
        .unwrap()
        .into_inner();
    assert!(held.grants.is_empty());
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Failure
// ---------------------------------------------------------------------------------------------

/// With PostgreSQL refusing connections, both modules answer a clean UNAVAILABLE (and answer
/// again once it is back).
#[tokio::test]
async fn both_modules_answer_unavailable_while_their_database_refuses_connections() {
    let mut fx = Fixture::start().await;
    let name = fx.platform.database.name.clone();
    let admin_url = pos_platform::testkit::admin_database_url();
    let mut admin = <sqlx::PgConnection as sqlx::Connection>::connect(&admin_url)
        .await
        .unwrap();
    let set_limit = |limit: i32| format!(r#"ALTER DATABASE "{name}" CONNECTION LIMIT {limit}"#);
    sqlx::raw_sql(sqlx::AssertSqlSafe(set_limit(0)))
        .execute(&mut admin)
        .await
        .unwrap();
    sqlx::query("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1")
        .bind(&name)
        .execute(&mut admin)
        .await
        .unwrap();
    let get_user = || {
        fx.platform.as_service(GetUserRequest {
            user_id: uuid::Uuid::now_v7().to_string(),
        })
    };
    let get_role = || {
        fx.platform.as_service(GetRoleRequest {
            role_id: ADMIN_ROLE_ID.to_owned(),
        })
    };

    let user_down = fx.users.clone().get_user(get_user()).await.unwrap_err();
    let role_down = fx.roles.clone().get_role(get_role()).await.unwrap_err();

    assert_error(
        &user_down,
        Code::Unavailable,
        "pos.user",
        "DEPENDENCY_UNAVAILABLE",
    );
    assert_error(
        &role_down,
        Code::Unavailable,
        "pos.role",
        "DEPENDENCY_UNAVAILABLE",
    );
    sqlx::raw_sql(sqlx::AssertSqlSafe(set_limit(-1)))
        .execute(&mut admin)
        .await
        .unwrap();
    let users = fx.users.clone();
    eventually(EVENTUAL, "the user module to answer again", || {
        let mut users = users.clone();
        let request = get_user();
        async move { (users.get_user(request).await.unwrap_err().code() == Code::NotFound).then_some(()) }
    })
    .await;
    fx.roles
        .get_role(get_role())
        .await
        .expect("the role module answers again");
    fx.stop().await;
}
