//! The category module through the real server (every module in one process, the access layer in
//! front, real PostgreSQL, Redis and broker): CRUD, validation, who may write, slugs (unique,
//! collision-free under concurrency, reserved while trashed, derived again on rename), search and
//! paging, the trash lifecycle, the events of every write and the read-through cache.
//!
//! Each test has its own platform (database and Kafka namespace), so they may run in parallel;
//! at most [`PARALLEL_PLATFORMS`] at a time, so that a loaded machine does not turn 3-second
//! connection-pool timeouts into failures.

#[path = "support/platform.rs"]
mod platform;

use std::collections::BTreeSet;
use std::time::Duration;

use platform::{Session, TestPlatform, bearer, eventually};
use pos_api::pos::category::v1::category_service_client::CategoryServiceClient;
use pos_api::pos::category::v1::{
    Category, CategoryCreated, CategoryLifecycleChanged, CategoryUpdated, CreateCategoryRequest,
    DeleteCategoryRequest, GetCategoryRequest, ListCategoriesRequest, PurgeCategoryRequest,
    PurgeTrashedCategoriesRequest, RestoreCategoryRequest, RestoreTrashedCategoriesRequest,
    UpdateCategoryRequest,
};
use pos_api::pos::common::v1::{Lifecycle, LifecycleChange, Money};
use pos_api::pos::product::v1::product_service_client::ProductServiceClient;
use pos_api::pos::product::v1::{CreateProductRequest, Product};
use pos_platform::events::{Outbox, OutboxEvent};
use prost_types::FieldMask;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;

/// How long event-driven effects may take.
const EVENTUAL: Duration = Duration::from_secs(60);

/// How many platforms this file runs at once.
const PARALLEL_PLATFORMS: usize = 4;

static PLATFORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(PARALLEL_PLATFORMS);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A platform, a signed-in admin and a category client.
struct Fixture {
    _slot: tokio::sync::SemaphorePermit<'static>,
    platform: TestPlatform,
    admin: Session,
    categories: CategoryServiceClient<Channel>,
}

impl Fixture {
    async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// A platform started with `args` over the test defaults.
    async fn start_with(args: &[&str]) -> Self {
        let slot = PLATFORMS.acquire().await.expect("the semaphore is never closed");
        let platform = TestPlatform::start_with(args).await;
        let admin = platform.admin().await;
        let categories = CategoryServiceClient::new(platform.channel().await);
        Fixture {
            _slot: slot,
            platform,
            admin,
            categories,
        }
    }

    /// `message` as the admin.
    fn admin<T>(&self, message: T) -> tonic::Request<T> {
        bearer(&self.admin.access_token, message)
    }

    /// A signed-in user without any role.
    async fn plain_user(&self) -> Session {
        let email = format!("plain-{}@example.com", uuid::Uuid::now_v7().simple());
        self.platform.create_user(&email).await;
        self.platform.login(&email).await
    }

    /// Creates a category as the admin.
    async fn create(&mut self, name: &str, description: &str) -> Category {
        let request = self.admin(CreateCategoryRequest {
            category: Some(category(name, description)),
            request_id: String::new(),
        });
        self.categories
            .create_category(request)
            .await
            .unwrap_or_else(|status| panic!("CreateCategory {name}: {status:?}"))
            .into_inner()
            .category
            .expect("the created category")
    }

    async fn get(&mut self, id: &str) -> Result<Category, Status> {
        let request = self.admin(GetCategoryRequest {
            category_id: id.to_owned(),
        });
        Ok(self
            .categories
            .get_category(request)
            .await?
            .into_inner()
            .category
            .expect("a category"))
    }

    async fn update(
        &mut self,
        id: &str,
        name: &str,
        description: &str,
        mask: &[&str],
    ) -> Result<Category, Status> {
        let request = self.admin(UpdateCategoryRequest {
            category: Some(Category {
                id: id.to_owned(),
                ..category(name, description)
            }),
            update_mask: Some(FieldMask {
                paths: mask.iter().map(|path| (*path).to_owned()).collect(),
            }),
        });
        Ok(self
            .categories
            .update_category(request)
            .await?
            .into_inner()
            .category
            .expect("a category"))
    }

    async fn delete(&mut self, id: &str) -> Result<Category, Status> {
        let request = self.admin(DeleteCategoryRequest {
            category_id: id.to_owned(),
        });
        Ok(self
            .categories
            .delete_category(request)
            .await?
            .into_inner()
            .category
            .expect("a category"))
    }

    async fn restore(&mut self, id: &str) -> Result<Category, Status> {
        let request = self.admin(RestoreCategoryRequest {
            category_id: id.to_owned(),
        });
        Ok(self
            .categories
            .restore_category(request)
            .await?
            .into_inner()
            .category
            .expect("a category"))
    }

    async fn purge(&mut self, id: &str) -> Result<(), Status> {
        let request = self.admin(PurgeCategoryRequest {
            category_id: id.to_owned(),
        });
        self.categories.purge_category(request).await.map(|_| ())
    }

    /// One page: categories, next page token, total size.
    async fn list(&mut self, request: ListCategoriesRequest) -> Result<(Vec<Category>, String, i32), Status> {
        let request = self.admin(request);
        let listed = self.categories.list_categories(request).await?.into_inner();
        Ok((listed.categories, listed.next_page_token, listed.total_size))
    }

    /// Names of every category `lifecycle` lists, by name.
    async fn names(&mut self, lifecycle: Lifecycle) -> Vec<String> {
        let (categories, _, _) = self
            .list(ListCategoriesRequest {
                lifecycle: lifecycle.into(),
                page_size: 500,
                ..Default::default()
            })
            .await
            .unwrap();
        categories.into_iter().map(|category| category.name).collect()
    }

    /// Payloads of `M` events in the category outbox for `category_id`, oldest first.
    async fn events<M: prost::Message + prost::Name + Default>(&self, category_id: &str) -> Vec<M> {
        let payloads: Vec<Vec<u8>> = sqlx::query_scalar(
            "SELECT payload FROM categories.outbox WHERE event_type = $1 AND aggregate_id = $2 ORDER BY id",
        )
        .bind(M::full_name())
        .bind(category_id)
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

fn category(name: &str, description: &str) -> Category {
    Category {
        name: name.to_owned(),
        description: description.to_owned(),
        ..Default::default()
    }
}

/// The `ErrorInfo` reason and domain of `status`.
fn reason(status: &Status) -> (String, String) {
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .unwrap_or_else(|| panic!("an ErrorInfo in {status:?}"));
    (info.reason, info.domain)
}

/// Asserts `result` failed with `code` and ErrorInfo `expected` in domain `pos.category`.
#[track_caller]
fn assert_refused<T: std::fmt::Debug>(result: Result<T, Status>, code: Code, expected: &str) {
    let status = result.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(
        reason(&status),
        (expected.to_owned(), "pos.category".to_owned()),
        "{status:?}"
    );
}

/// The fields named by the `BadRequest` violations of `status`.
fn violated_fields(status: &Status) -> BTreeSet<String> {
    status
        .get_error_details()
        .bad_request()
        .map(|bad| {
            bad.field_violations
                .iter()
                .map(|violation| violation.field.clone())
                .collect()
        })
        .unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// CRUD
// ---------------------------------------------------------------------------------------------

/// An admin creates a category: it gets an id, the slug of its name and its times; everyone
/// signed in reads it back.
#[tokio::test]
async fn an_admin_creates_a_category_that_any_signed_in_user_reads() {
    let mut fx = Fixture::start().await;

    let created = fx.create("  Home & Kitchen ", " Pots, pans and plates ").await;

    assert!(uuid::Uuid::parse_str(&created.id).is_ok(), "{created:?}");
    assert_eq!(created.name, "Home & Kitchen");
    assert_eq!(created.description, "Pots, pans and plates");
    assert_eq!(created.slug, "home-kitchen");
    assert!(created.create_time.is_some() && created.update_time.is_some());
    assert_eq!(created.delete_time, None);
    let reader = fx.plain_user().await;
    let read = fx
        .categories
        .get_category(bearer(
            &reader.access_token,
            GetCategoryRequest {
                category_id: created.id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .category
        .unwrap();
    assert_eq!(read, created);
    fx.stop().await;
}

/// UpdateCategory changes only the masked fields; an empty mask changes every writable field.
#[tokio::test]
async fn update_changes_the_masked_fields_only() {
    let mut fx = Fixture::start().await;
    let created = fx.create("Books", "Paper").await;

    let described = fx
        .update(&created.id, "IGNORED", "Novels and comics", &["description"])
        .await
        .unwrap();
    assert_eq!(described.name, "Books");
    assert_eq!(described.description, "Novels and comics");
    assert_eq!(described.slug, "books");
    let time = |category: &Category| {
        let at = category.update_time.expect("an update time");
        (at.seconds, at.nanos)
    };
    assert!(time(&described) > time(&created), "{described:?}");

    let renamed = fx.update(&created.id, "Magazines", "Weekly", &[]).await.unwrap();
    assert_eq!(renamed.name, "Magazines");
    assert_eq!(renamed.description, "Weekly");
    assert_eq!(fx.get(&created.id).await.unwrap(), renamed);
    fx.stop().await;
}

/// GetCategory of an unknown id is NOT_FOUND / CATEGORY_NOT_FOUND; a malformed id is
/// INVALID_ARGUMENT naming `category_id`.
#[tokio::test]
async fn get_answers_not_found_for_an_unknown_id_and_invalid_argument_for_a_malformed_one() {
    let mut fx = Fixture::start().await;

    assert_refused(
        fx.get(&uuid::Uuid::now_v7().to_string()).await,
        Code::NotFound,
        "CATEGORY_NOT_FOUND",
    );
    let malformed = fx.get("not-a-uuid").await.unwrap_err();
    assert_eq!(malformed.code(), Code::InvalidArgument, "{malformed:?}");
    assert_eq!(
        violated_fields(&malformed),
        BTreeSet::from(["category_id".to_owned()])
    );
    assert_refused(
        fx.update(&uuid::Uuid::now_v7().to_string(), "X", "", &[]).await,
        Code::NotFound,
        "CATEGORY_NOT_FOUND",
    );
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

/// A blank name and a description over 2000 characters are refused with one field violation each.
#[tokio::test]
async fn create_refuses_a_blank_name_and_a_long_description_with_field_violations() {
    let mut fx = Fixture::start().await;

    let request = fx.admin(CreateCategoryRequest {
        category: Some(category("   ", &"d".repeat(2001))),
        request_id: String::new(),
    });
    let status = fx.categories.create_category(request).await.unwrap_err();

    assert_eq!(status.code(), Code::InvalidArgument, "{status:?}");
    assert_eq!(reason(&status).0, "INVALID_ARGUMENT");
    assert_eq!(
        violated_fields(&status),
        BTreeSet::from(["category.description".to_owned(), "category.name".to_owned()])
    );
    let too_long = fx.admin(CreateCategoryRequest {
        category: Some(category(&"n".repeat(101), "")),
        request_id: String::new(),
    });
    let status = fx.categories.create_category(too_long).await.unwrap_err();
    assert_eq!(
        violated_fields(&status),
        BTreeSet::from(["category.name".to_owned()])
    );
    assert!(fx.names(Lifecycle::All).await.is_empty());
    fx.stop().await;
}

/// An update mask naming an output-only field (the slug) or an unknown one is refused.
#[tokio::test]
async fn update_refuses_a_mask_naming_a_field_that_is_not_writable() {
    let mut fx = Fixture::start().await;
    let created = fx.create("Toys", "").await;

    for path in ["slug", "create_time", "colour"] {
        let status = fx.update(&created.id, "Toys", "", &[path]).await.unwrap_err();
        assert_eq!(status.code(), Code::InvalidArgument, "{path}: {status:?}");
        assert_eq!(
            violated_fields(&status),
            BTreeSet::from(["update_mask".to_owned()])
        );
    }
    let blank = fx.update(&created.id, " ", "", &["name"]).await.unwrap_err();
    assert_eq!(
        violated_fields(&blank),
        BTreeSet::from(["category.name".to_owned()])
    );
    assert_eq!(fx.get(&created.id).await.unwrap(), created);
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Who may write
// ---------------------------------------------------------------------------------------------

/// A signed-in user without `category.write` reads active categories but cannot write any nor
/// list the trash: PERMISSION_DENIED / PERMISSION_MISSING.
#[tokio::test]
async fn a_user_without_category_write_cannot_write_or_list_the_trash() {
    let mut fx = Fixture::start().await;
    let existing = fx.create("Garden", "").await;
    let user = fx.plain_user().await;
    let token = user.access_token.as_str();
    let mut client = fx.categories.clone();
    let id = existing.id.clone();

    let denied = |result: Result<(), Status>, what: &str| {
        let status = result.expect_err(what);
        assert_eq!(status.code(), Code::PermissionDenied, "{what}: {status:?}");
        assert_eq!(reason(&status).0, "PERMISSION_MISSING", "{what}");
    };
    denied(
        client
            .create_category(bearer(
                token,
                CreateCategoryRequest {
                    category: Some(category("Mine", "")),
                    request_id: String::new(),
                },
            ))
            .await
            .map(|_| ()),
        "CreateCategory",
    );
    denied(
        client
            .update_category(bearer(
                token,
                UpdateCategoryRequest {
                    category: Some(Category {
                        id: id.clone(),
                        ..category("Mine", "")
                    }),
                    update_mask: None,
                },
            ))
            .await
            .map(|_| ()),
        "UpdateCategory",
    );
    denied(
        client
            .delete_category(bearer(
                token,
                DeleteCategoryRequest {
                    category_id: id.clone(),
                },
            ))
            .await
            .map(|_| ()),
        "DeleteCategory",
    );
    denied(
        client
            .restore_trashed_categories(bearer(token, RestoreTrashedCategoriesRequest {}))
            .await
            .map(|_| ()),
        "RestoreTrashedCategories",
    );
    denied(
        client
            .purge_trashed_categories(bearer(token, PurgeTrashedCategoriesRequest {}))
            .await
            .map(|_| ()),
        "PurgeTrashedCategories",
    );
    let trash = client
        .list_categories(bearer(
            token,
            ListCategoriesRequest {
                lifecycle: Lifecycle::Trashed.into(),
                ..Default::default()
            },
        ))
        .await;
    assert_refused(trash, Code::PermissionDenied, "PERMISSION_MISSING");

    let listed = client
        .list_categories(bearer(token, ListCategoriesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.categories, vec![existing.clone()]);
    assert_eq!(fx.get(&id).await.unwrap(), existing, "nothing changed");
    fx.stop().await;
}

/// Anonymous callers cannot even read categories.
#[tokio::test]
async fn anonymous_callers_cannot_read_categories() {
    let mut fx = Fixture::start().await;

    let status = fx
        .categories
        .list_categories(ListCategoriesRequest::default())
        .await
        .unwrap_err();

    assert_eq!(status.code(), Code::Unauthenticated, "{status:?}");
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Idempotency
// ---------------------------------------------------------------------------------------------

/// A retry with the same `request_id` returns the first category and creates nothing; the same
/// key with other content is ALREADY_EXISTS / IDEMPOTENCY_KEY_REUSED.
#[tokio::test]
async fn a_create_retried_with_the_same_request_id_returns_the_first_category() {
    let mut fx = Fixture::start().await;
    let request_id = uuid::Uuid::now_v7().to_string();
    let create = |name: &str| CreateCategoryRequest {
        category: Some(category(name, "Fresh")),
        request_id: request_id.clone(),
    };

    let mut client = fx.categories.clone();
    let first = client
        .create_category(fx.admin(create("Fruit")))
        .await
        .unwrap()
        .into_inner();
    let retry = client
        .create_category(fx.admin(create("Fruit")))
        .await
        .unwrap()
        .into_inner();
    let reused = client.create_category(fx.admin(create("Vegetables"))).await;

    assert_eq!(retry, first);
    assert_refused(reused, Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(fx.names(Lifecycle::All).await, ["Fruit"]);
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Slugs
// ---------------------------------------------------------------------------------------------

/// Names are not unique, slugs are: each category with a name already used gets the next suffix.
#[tokio::test]
async fn categories_with_the_same_name_get_distinct_numbered_slugs() {
    let mut fx = Fixture::start().await;

    let first = fx.create("Fresh Fruit", "").await;
    let second = fx.create("fresh fruit", "").await;
    let third = fx.create("FRESH  FRUIT!", "").await;
    let accented = fx.create("Café Crème", "").await;

    assert_eq!(
        [first.slug, second.slug, third.slug],
        ["fresh-fruit", "fresh-fruit-2", "fresh-fruit-3"]
    );
    assert_eq!(accented.slug, "cafe-creme");
    fx.stop().await;
}

/// Twenty concurrent creates of the same name all succeed, with twenty distinct slugs.
#[tokio::test]
async fn twenty_concurrent_creates_with_the_same_name_get_twenty_distinct_slugs() {
    // Twenty requests each hold a connection while they wait for one another's slug; the default
    // pool (16, of which the eleven outbox relays keep one each) would make this a test of the
    // pool's 3-second acquire timeout on a loaded machine (see the report to the lead).
    let mut fx = Fixture::start_with(&["--database-max-connections", "48"]).await;
    // One call first, so the burst below finds the signing keys and the admin's grants cached:
    // it measures slug allocation, not the access layer's first fetches.
    assert!(fx.names(Lifecycle::All).await.is_empty());

    let mut creates = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let mut client = fx.categories.clone();
        let request = fx.admin(CreateCategoryRequest {
            category: Some(category("Flash Sale", "")),
            request_id: String::new(),
        });
        creates.spawn(async move { client.create_category(request).await });
    }
    let mut slugs = BTreeSet::new();
    while let Some(done) = creates.join_next().await {
        let created = done.unwrap().expect("every concurrent create succeeds");
        slugs.insert(created.into_inner().category.unwrap().slug);
    }

    assert_eq!(slugs.len(), 20, "{slugs:?}");
    assert!(slugs.contains("flash-sale"), "{slugs:?}");
    assert!(
        slugs.iter().all(|slug| slug.starts_with("flash-sale")),
        "{slugs:?}"
    );
    fx.stop().await;
}

/// A trashed category keeps its slug: a new category of the same name gets another one.
#[tokio::test]
async fn the_slug_of_a_trashed_category_stays_reserved() {
    let mut fx = Fixture::start().await;
    let old = fx.create("Seasonal", "").await;
    fx.delete(&old.id).await.unwrap();

    let new = fx.create("Seasonal", "").await;

    assert_eq!(old.slug, "seasonal");
    assert_eq!(new.slug, "seasonal-2");
    assert_eq!(fx.restore(&old.id).await.unwrap().slug, "seasonal");
    fx.stop().await;
}

/// A rename derives the slug from the new name (suffixed when taken); a rename whose slug would
/// be the same (only case or punctuation changes) keeps it.
#[tokio::test]
async fn a_rename_derives_the_slug_from_the_new_name() {
    let mut fx = Fixture::start().await;
    fx.create("Drinks", "").await;
    let snacks = fx.create("Snacks", "").await;

    let cased = fx.update(&snacks.id, "SNACKS!", "", &["name"]).await.unwrap();
    let renamed = fx.update(&snacks.id, "Sweets", "", &["name"]).await.unwrap();
    let onto_taken = fx.update(&snacks.id, "Drinks", "", &["name"]).await.unwrap();

    assert_eq!(cased.slug, "snacks");
    assert_eq!(renamed.slug, "sweets");
    assert_eq!(onto_taken.slug, "drinks-2");
    let freed = fx.create("Snacks", "").await;
    assert_eq!(freed.slug, "snacks", "the old slug is free again");
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Search and paging
// ---------------------------------------------------------------------------------------------

/// The free-text query matches name and slug, case-insensitively; LIKE wildcards match
/// themselves.
#[tokio::test]
async fn list_searches_name_and_slug_case_insensitively() {
    let mut fx = Fixture::start().await;
    for name in ["Home & Kitchen", "Kitchenware", "Garden", "100% Cotton"] {
        fx.create(name, "").await;
    }
    let search = |query: &str| ListCategoriesRequest {
        query: query.to_owned(),
        ..Default::default()
    };

    let (found, _, total) = fx.list(search("KITCHEN")).await.unwrap();
    let names: Vec<_> = found.iter().map(|category| category.name.as_str()).collect();
    assert_eq!(names, ["Home & Kitchen", "Kitchenware"]);
    assert_eq!(total, 2);
    let (by_slug, _, _) = fx.list(search("home-kit")).await.unwrap();
    assert_eq!(by_slug.len(), 1);
    assert_eq!(by_slug[0].name, "Home & Kitchen");
    let (percent, _, _) = fx.list(search("0%")).await.unwrap();
    assert_eq!(percent.len(), 1);
    assert_eq!(percent[0].name, "100% Cotton");
    let (none, token, total) = fx.list(search("nothing like it")).await.unwrap();
    assert!(none.is_empty() && token.is_empty() && total == 0);
    fx.stop().await;
}

/// Pages follow name then id order, carry the total, and a token only works with its filters.
#[tokio::test]
async fn list_pages_through_categories_by_name() {
    let mut fx = Fixture::start().await;
    for name in ["Eggs", "Bread", "Dairy", "Apples", "Coffee"] {
        fx.create(name, "").await;
    }

    let mut names = Vec::new();
    let mut token = String::new();
    let mut pages = 0;
    loop {
        let (page, next, total) = fx
            .list(ListCategoriesRequest {
                page_size: 2,
                page_token: token.clone(),
                ..Default::default()
            })
            .await
            .unwrap();
        assert_eq!(total, 5);
        assert!(page.len() <= 2);
        names.extend(page.into_iter().map(|category| category.name));
        pages += 1;
        if next.is_empty() {
            break;
        }
        token = next;
    }
    assert_eq!(names, ["Apples", "Bread", "Coffee", "Dairy", "Eggs"]);
    assert_eq!(pages, 3);

    let (_, first_token, _) = fx
        .list(ListCategoriesRequest {
            page_size: 2,
            ..Default::default()
        })
        .await
        .unwrap();
    let other_filters = fx
        .list(ListCategoriesRequest {
            page_size: 2,
            page_token: first_token,
            query: "a".into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(other_filters.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&other_filters),
        BTreeSet::from(["page_token".to_owned()])
    );
    fx.stop().await;
}

/// The lifecycle filter lists active (the default), trashed or all categories.
#[tokio::test]
async fn list_filters_by_lifecycle() {
    let mut fx = Fixture::start().await;
    fx.create("Active", "").await;
    let trashed = fx.create("Trashed", "").await;
    fx.delete(&trashed.id).await.unwrap();

    assert_eq!(fx.names(Lifecycle::Unspecified).await, ["Active"]);
    assert_eq!(fx.names(Lifecycle::Active).await, ["Active"]);
    assert_eq!(fx.names(Lifecycle::Trashed).await, ["Trashed"]);
    assert_eq!(fx.names(Lifecycle::All).await, ["Active", "Trashed"]);
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Trash lifecycle
// ---------------------------------------------------------------------------------------------

/// Delete moves to the trash (still readable, `delete_time` set), restore takes it out; each
/// refuses a category already in the wanted state, and a trashed category cannot be updated.
#[tokio::test]
async fn trash_and_restore_move_a_category_in_and_out_of_the_trash() {
    let mut fx = Fixture::start().await;
    let created = fx.create("Stationery", "").await;

    let trashed = fx.delete(&created.id).await.unwrap();
    assert!(trashed.delete_time.is_some(), "{trashed:?}");
    assert_eq!(fx.get(&created.id).await.unwrap(), trashed);
    assert_refused(
        fx.delete(&created.id).await,
        Code::FailedPrecondition,
        "CATEGORY_TRASHED",
    );
    assert_refused(
        fx.update(&created.id, "Office", "", &[]).await,
        Code::FailedPrecondition,
        "CATEGORY_TRASHED",
    );

    let restored = fx.restore(&created.id).await.unwrap();
    assert_eq!(restored.delete_time, None);
    assert_eq!(fx.get(&created.id).await.unwrap(), restored);
    assert_refused(
        fx.restore(&created.id).await,
        Code::FailedPrecondition,
        "CATEGORY_NOT_TRASHED",
    );
    assert_refused(
        fx.purge(&created.id).await,
        Code::FailedPrecondition,
        "CATEGORY_NOT_TRASHED",
    );
    assert_refused(
        fx.restore(&uuid::Uuid::now_v7().to_string()).await,
        Code::NotFound,
        "CATEGORY_NOT_FOUND",
    );
    fx.stop().await;
}

/// RestoreTrashedCategories restores every trashed category and counts them.
#[tokio::test]
async fn restore_trashed_restores_every_trashed_category() {
    let mut fx = Fixture::start().await;
    fx.create("Kept", "").await;
    for name in ["Old", "Older"] {
        let created = fx.create(name, "").await;
        fx.delete(&created.id).await.unwrap();
    }

    let request = fx.admin(RestoreTrashedCategoriesRequest {});
    let restored = fx
        .categories
        .restore_trashed_categories(request)
        .await
        .unwrap()
        .into_inner();

    assert_eq!(restored.affected_count, 2);
    assert_eq!(fx.names(Lifecycle::Active).await, ["Kept", "Old", "Older"]);
    assert!(fx.names(Lifecycle::Trashed).await.is_empty());
    fx.stop().await;
}

/// PurgeCategory deletes a trashed category no product uses for good, and frees its slug.
#[tokio::test]
async fn purge_deletes_a_trashed_category_for_good() {
    let mut fx = Fixture::start().await;
    let created = fx.create("Discontinued", "").await;
    fx.delete(&created.id).await.unwrap();

    fx.purge(&created.id).await.unwrap();

    assert_refused(fx.get(&created.id).await, Code::NotFound, "CATEGORY_NOT_FOUND");
    assert_refused(fx.purge(&created.id).await, Code::NotFound, "CATEGORY_NOT_FOUND");
    assert_eq!(fx.create("Discontinued", "").await.slug, "discontinued");
    fx.stop().await;
}

/// PurgeTrashedCategories purges every trashed category and leaves the active ones.
#[tokio::test]
async fn purge_trashed_purges_every_trashed_category() {
    let mut fx = Fixture::start().await;
    fx.create("Kept", "").await;
    for name in ["Gone", "Gone too"] {
        let created = fx.create(name, "").await;
        fx.delete(&created.id).await.unwrap();
    }

    let request = fx.admin(PurgeTrashedCategoriesRequest {});
    let purged = fx
        .categories
        .purge_trashed_categories(request)
        .await
        .unwrap()
        .into_inner();

    assert_eq!(purged.affected_count, 2);
    assert_eq!(fx.names(Lifecycle::All).await, ["Kept"]);
    fx.stop().await;
}

/// A category that products still use (trashed products too) cannot be purged, alone
/// (FAILED_PRECONDITION / CATEGORY_IN_USE) or with the whole trash (it stays there).
#[tokio::test]
async fn a_category_products_use_is_not_purged() {
    let mut fx = Fixture::start().await;
    let used = fx.create("Used", "").await;
    let unused = fx.create("Unused", "").await;
    let owner = fx.platform.active_merchant().await;
    ProductServiceClient::new(fx.platform.channel().await)
        .create_product(bearer(
            &owner.session.access_token,
            CreateProductRequest {
                product: Some(Product {
                    merchant_id: owner.merchant_id.clone(),
                    category_id: used.id.clone(),
                    name: "Kettle".into(),
                    price: Some(Money {
                        currency_code: "IDR".into(),
                        amount_minor: 150_000,
                    }),
                    ..Default::default()
                }),
                initial_stock: 0,
                request_id: String::new(),
            },
        ))
        .await
        .unwrap_or_else(|status| panic!("CreateProduct: {status:?}"));
    fx.delete(&used.id).await.unwrap();
    fx.delete(&unused.id).await.unwrap();

    assert_refused(
        fx.purge(&used.id).await,
        Code::FailedPrecondition,
        "CATEGORY_IN_USE",
    );
    let request = fx.admin(PurgeTrashedCategoriesRequest {});
    let purged = fx
        .categories
        .purge_trashed_categories(request)
        .await
        .unwrap()
        .into_inner();

    assert_eq!(purged.affected_count, 1);
    assert_eq!(fx.names(Lifecycle::Trashed).await, ["Used"]);
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

/// Every write publishes its event (key: the category id) in its transaction.
#[tokio::test]
async fn every_write_publishes_its_event() {
    let mut fx = Fixture::start().await;
    let created = fx.create("Audio", "Speakers").await;
    let updated = fx
        .update(&created.id, "Audio & Hi-Fi", "", &["name"])
        .await
        .unwrap();
    fx.delete(&created.id).await.unwrap();
    fx.restore(&created.id).await.unwrap();
    fx.delete(&created.id).await.unwrap();
    fx.purge(&created.id).await.unwrap();

    let created_events: Vec<CategoryCreated> = fx.events(&created.id).await;
    assert_eq!(created_events.len(), 1);
    assert_eq!(created_events[0].category.as_ref(), Some(&created));
    assert_eq!(
        created_events[0]
            .meta
            .as_ref()
            .map(|meta| meta.actor_user_id.as_str()),
        Some(fx.admin.user_id.as_str())
    );
    let updated_events: Vec<CategoryUpdated> = fx.events(&created.id).await;
    assert_eq!(updated_events.len(), 1);
    assert_eq!(updated_events[0].category.as_ref(), Some(&updated));
    let changes: Vec<LifecycleChange> = fx
        .events::<CategoryLifecycleChanged>(&created.id)
        .await
        .iter()
        .map(CategoryLifecycleChanged::change)
        .collect();
    assert_eq!(
        changes,
        [
            LifecycleChange::Trashed,
            LifecycleChange::Restored,
            LifecycleChange::Trashed,
            LifecycleChange::Purged
        ]
    );
    fx.stop().await;
}

/// A refused write publishes nothing.
#[tokio::test]
async fn a_refused_write_publishes_nothing() {
    let mut fx = Fixture::start().await;
    let created = fx.create("Tools", "").await;
    fx.update(&created.id, "", "", &["name"]).await.unwrap_err();
    fx.restore(&created.id).await.unwrap_err();

    let updates: Vec<CategoryUpdated> = fx.events(&created.id).await;
    let lifecycle: Vec<CategoryLifecycleChanged> = fx.events(&created.id).await;
    assert!(updates.is_empty() && lifecycle.is_empty());
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Read-through cache
// ---------------------------------------------------------------------------------------------

/// A read right after a write never returns the value from before it, though the first read
/// filled the cache: checked over many rounds of read, write, read.
#[tokio::test]
async fn a_read_right_after_a_write_never_returns_the_old_value() {
    let mut fx = Fixture::start().await;
    let created = fx.create("Round 0", "").await;

    for round in 1..=25 {
        let before = fx.get(&created.id).await.unwrap();
        assert_eq!(fx.get(&created.id).await.unwrap(), before, "a cached read");
        let name = format!("Round {round}");
        let updated = fx.update(&created.id, &name, "", &["name"]).await.unwrap();
        let after = fx.get(&created.id).await.unwrap();
        assert_eq!(after, updated, "round {round}");
    }
    fx.get(&created.id).await.unwrap();
    let trashed = fx.delete(&created.id).await.unwrap();
    assert_eq!(fx.get(&created.id).await.unwrap(), trashed);
    let restored = fx.restore(&created.id).await.unwrap();
    assert_eq!(fx.get(&created.id).await.unwrap(), restored);
    fx.delete(&created.id).await.unwrap();
    fx.purge(&created.id).await.unwrap();
    assert_refused(fx.get(&created.id).await, Code::NotFound, "CATEGORY_NOT_FOUND");
    fx.stop().await;
}

/// A write whose process died between its commit and the cache invalidation (simulated: the row
/// and its event are written straight to the database, the cache is not touched) is still
/// invalidated from its event, which the module consumes from its own topic. (The row is changed
/// first and its event appended afterwards, so the stale cached read in between is certain.)
#[tokio::test]
async fn a_committed_write_that_skipped_invalidation_is_invalidated_from_its_event() {
    let mut fx = Fixture::start().await;
    let created = fx.create("Cached", "").await;
    // The creation bumps the cache generation once after commit and once more when its own event
    // comes back; wait for the second, so that late event cannot be what invalidates below.
    let generation_key = format!("{{pos:cache:category:category:{}}}:generation", created.id);
    let redis = redis::Client::open(pos_platform::testkit::redis_url()).unwrap();
    let redis = redis.get_multiplexed_async_connection().await.unwrap();
    eventually(EVENTUAL, "the creation event bumps the cache generation", || {
        let mut redis = redis.clone();
        let key = generation_key.clone();
        async move {
            let generation: Option<u64> = redis::cmd("GET").arg(&key).query_async(&mut redis).await.ok()?;
            (generation? >= 2).then_some(())
        }
    })
    .await;
    let cached = fx.get(&created.id).await.unwrap();
    assert_eq!(fx.get(&created.id).await.unwrap(), cached);

    let id = uuid::Uuid::parse_str(&created.id).unwrap();
    sqlx::query(
        "UPDATE categories.categories SET name = 'Changed elsewhere', updated_at = now() WHERE id = $1",
    )
    .bind(id)
    .execute(&fx.platform.database.pool)
    .await
    .unwrap();
    assert_eq!(
        fx.get(&created.id).await.unwrap().name,
        "Cached",
        "the cache holds the old value: nothing invalidated it yet"
    );

    let event_id = uuid::Uuid::now_v7();
    let event = CategoryUpdated {
        meta: None,
        category: Some(Category {
            name: "Changed elsewhere".into(),
            ..cached.clone()
        }),
    };
    let mut conn = fx.platform.database.pool.acquire().await.unwrap();
    Outbox::of(pos_api::Module::Category)
        .append(&mut conn, &OutboxEvent::new(event_id, created.id.clone(), &event))
        .await
        .unwrap();
    drop(conn);

    let client = fx.categories.clone();
    let token = fx.admin.access_token.clone();
    let category_id = created.id.clone();
    eventually(EVENTUAL, "the event invalidates the cached category", || {
        let mut client = client.clone();
        let request = bearer(
            &token,
            GetCategoryRequest {
                category_id: category_id.clone(),
            },
        );
        async move {
            let category = client.get_category(request).await.ok()?.into_inner().category?;
            (category.name == "Changed elsewhere").then_some(category)
        }
    })
    .await;
    fx.stop().await;
}
