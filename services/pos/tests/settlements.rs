//! Merchant settlements through the real server (every module in one process, the access layer in
//! front, real PostgreSQL, Redis and broker): RequestSettlement (its checks, idempotency, the one
//! settlement in flight per merchant, `SettlementRequested`), GetSettlement and ListSettlements
//! (ownership, paging, filters), the recording of the transaction module's results
//! (`SettlementCompleted` / `SettlementFailed` → COMPLETED / FAILED and `SettlementRecorded`), and
//! what settlements mean for trashing and purging a merchant.
//!
//! The merchant side is specified on its own: where a test needs a settlement in a given state it
//! writes the row straight into the test database (so no `SettlementRequested` reaches the
//! transaction module), and it plays the transaction module by appending its result events to the
//! transaction outbox.

#[path = "support/platform.rs"]
mod platform;

use std::time::Duration;

use chrono::{DateTime, Utc};
use platform::{MerchantOwner, TestPlatform, bearer, eventually};
use pos_api::Module;
use pos_api::pos::common::v1::Money;
use pos_api::pos::merchant::v1 as pb;
use pos_api::pos::merchant::v1::merchant_service_client::MerchantServiceClient;
use pos_api::pos::transaction::v1::{SettlementCompleted, SettlementFailed};
use pos_platform::events::{Outbox, OutboxEvent};
use sqlx::PgPool;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// How long an event may take from an outbox to the merchant module's commit (a new consumer
/// group joins slowly on a loaded machine).
const EVENTUAL: Duration = Duration::from_secs(90);

/// How many platforms of this file run at once.
static PLATFORMS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(2);

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

/// A platform, an ACTIVE merchant with its signed-in owner, and the test database.
struct Fixture {
    _turn: tokio::sync::SemaphorePermit<'static>,
    platform: TestPlatform,
    owner: MerchantOwner,
    db: PgPool,
}

impl Fixture {
    async fn start() -> Self {
        let turn = PLATFORMS.acquire().await.expect("the semaphore is never closed");
        let platform = TestPlatform::start().await;
        let owner = platform.active_merchant().await;
        let db = PgPool::connect(&platform.database.url)
            .await
            .expect("the test database accepts connections");
        Fixture {
            _turn: turn,
            platform,
            owner,
            db,
        }
    }

    async fn merchants(&self) -> MerchantServiceClient<Channel> {
        MerchantServiceClient::new(self.platform.channel().await)
    }

    /// `message` as the merchant's owner.
    fn as_owner<T>(&self, message: T) -> tonic::Request<T> {
        bearer(&self.owner.session.access_token, message)
    }

    /// RequestSettlement of the fixture's merchant as its owner, with a new `request_id`.
    async fn request(&self, cut_off: Option<DateTime<Utc>>) -> Result<pb::Settlement, Status> {
        self.request_as(self.as_owner(settle(
            &self.owner.merchant_id,
            cut_off,
            &Uuid::now_v7().to_string(),
        )))
        .await
    }

    async fn request_as(
        &self,
        request: tonic::Request<pb::RequestSettlementRequest>,
    ) -> Result<pb::Settlement, Status> {
        self.merchants()
            .await
            .request_settlement(request)
            .await
            .map(|response| response.into_inner().settlement.expect("a settlement"))
    }

    async fn get_as<T: AsRef<str>>(&self, token: &str, id: T) -> Result<pb::Settlement, Status> {
        self.merchants()
            .await
            .get_settlement(bearer(
                token,
                pb::GetSettlementRequest {
                    settlement_id: id.as_ref().to_owned(),
                },
            ))
            .await
            .map(|response| response.into_inner().settlement.expect("a settlement"))
    }

    async fn get(&self, id: &str) -> pb::Settlement {
        self.get_as(&self.owner.session.access_token, id)
            .await
            .unwrap_or_else(|status| panic!("GetSettlement: {status:?}"))
    }

    async fn list_as(
        &self,
        token: &str,
        request: pb::ListSettlementsRequest,
    ) -> Result<pb::ListSettlementsResponse, Status> {
        self.merchants()
            .await
            .list_settlements(bearer(token, request))
            .await
            .map(tonic::Response::into_inner)
    }

    /// Writes a settlement of `merchant_id` straight into the database; returns its id.
    async fn insert(&self, merchant_id: &str, state: &str, cut_off: DateTime<Utc>, payments: i64) -> Uuid {
        let id = Uuid::now_v7();
        let gross = payments * 10_000;
        sqlx::query(
            "INSERT INTO merchants.settlements (id, merchant_id, cut_off_at, currency_code, state, \
             gross_minor, net_minor, payment_count, completed_at) \
             VALUES ($1, $2, $3, 'IDR', $4, $5, $5, $6, CASE WHEN $4 = 'requested' THEN NULL ELSE now() END)",
        )
        .bind(id)
        .bind(Uuid::parse_str(merchant_id).expect("a merchant id"))
        .bind(cut_off)
        .bind(state)
        .bind(gross)
        .bind(payments)
        .execute(&self.db)
        .await
        .expect("a settlement row");
        id
    }

    /// Appends a result event of the transaction module (key: the merchant id) to its outbox.
    async fn report<M: prost::Message + prost::Name>(&self, event: &M) -> Uuid {
        let event_id = Uuid::now_v7();
        let mut conn = self.db.acquire().await.expect("a connection");
        Outbox::of(Module::Transaction)
            .append(
                &mut conn,
                &OutboxEvent::new(event_id, self.owner.merchant_id.clone(), event),
            )
            .await
            .expect("the event is in the transaction outbox");
        event_id
    }

    /// The merchant events of type `M` in the outbox, oldest first.
    async fn published<M: prost::Message + prost::Name + Default>(&self) -> Vec<M> {
        let payloads: Vec<Vec<u8>> =
            sqlx::query_scalar("SELECT payload FROM merchants.outbox WHERE event_type = $1 ORDER BY id")
                .bind(M::full_name())
                .fetch_all(&self.db)
                .await
                .expect("the merchant outbox");
        payloads
            .iter()
            .map(|payload| M::decode(payload.as_slice()).expect("a decodable event"))
            .collect()
    }

    /// Waits until settlement `id` left REQUESTED; returns it.
    async fn recorded(&self, id: &str) -> pb::Settlement {
        eventually(EVENTUAL, "the settlement result is recorded", || async {
            let settlement = self.get(id).await;
            (settlement.state != i32::from(pb::SettlementState::Requested)).then_some(settlement)
        })
        .await
    }

    async fn stop(self) {
        self.db.close().await;
        self.platform.stop().await;
    }
}

fn settle(
    merchant_id: &str,
    cut_off: Option<DateTime<Utc>>,
    request_id: &str,
) -> pb::RequestSettlementRequest {
    pb::RequestSettlementRequest {
        merchant_id: merchant_id.to_owned(),
        cut_off_time: cut_off.map(timestamp),
        request_id: request_id.to_owned(),
    }
}

fn timestamp(time: DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: i32::try_from(time.timestamp_subsec_nanos()).expect("nanos fit"),
    }
}

/// Whole seconds, so a time survives PostgreSQL's microseconds unchanged.
fn seconds_ago(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(Utc::now().timestamp() - seconds, 0).expect("a valid time")
}

fn idr(amount_minor: i64) -> Option<Money> {
    Some(Money {
        currency_code: "IDR".to_owned(),
        amount_minor,
    })
}

fn reason(status: &Status) -> String {
    status
        .get_error_details()
        .error_info()
        .map(|info| info.reason.clone())
        .unwrap_or_default()
}

#[track_caller]
fn assert_refused(result: Result<impl std::fmt::Debug, Status>, code: Code, expected_reason: &str) -> Status {
    let status = result.expect_err("the call is refused");
    assert_eq!(status.code(), code, "{status:?}");
    assert_eq!(reason(&status), expected_reason, "{status:?}");
    status
}

// ---------------------------------------------------------------------------------------------
// RequestSettlement
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_owner_requests_a_settlement_up_to_now_and_it_is_announced() {
    let fx = Fixture::start().await;
    let before = Utc::now();

    let settlement = fx.request(None).await.expect("requested");

    assert_eq!(settlement.state, i32::from(pb::SettlementState::Requested));
    assert_eq!(settlement.merchant_id, fx.owner.merchant_id);
    assert_eq!(settlement.requester_user_id, fx.owner.session.user_id);
    let cut_off = settlement.cut_off_time.expect("a cut-off");
    assert!(cut_off.seconds >= before.timestamp() && cut_off.seconds <= Utc::now().timestamp());
    assert_eq!(settlement.period_end_time, Some(cut_off));
    assert_eq!(settlement.net, idr(0));
    assert!(settlement.complete_time.is_none());
    let requested = fx.published::<pb::SettlementRequested>().await;
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0].settlement_id, settlement.id);
    assert_eq!(requested[0].merchant_id, fx.owner.merchant_id);
    assert_eq!(requested[0].cut_off_time, Some(cut_off));
    assert_eq!(requested[0].currency_code, "IDR");
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_retried_request_returns_the_first_settlement_and_its_key_cannot_be_reused() {
    let fx = Fixture::start().await;
    let request_id = Uuid::now_v7().to_string();
    let cut_off = seconds_ago(60);
    let first = fx
        .request_as(fx.as_owner(settle(&fx.owner.merchant_id, Some(cut_off), &request_id)))
        .await
        .expect("requested");

    let retried = fx
        .request_as(fx.as_owner(settle(&fx.owner.merchant_id, Some(cut_off), &request_id)))
        .await
        .expect("the retry answers");
    let reused = fx
        .request_as(fx.as_owner(settle(&fx.owner.merchant_id, Some(seconds_ago(30)), &request_id)))
        .await;

    assert_eq!(retried.id, first.id);
    assert_eq!(retried.cut_off_time, first.cut_off_time);
    assert_refused(reused, Code::AlreadyExists, "IDEMPOTENCY_KEY_REUSED");
    assert_eq!(fx.published::<pb::SettlementRequested>().await.len(), 1);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_request_while_another_settlement_is_requested_is_refused() {
    let fx = Fixture::start().await;
    fx.insert(&fx.owner.merchant_id, "requested", seconds_ago(600), 0)
        .await;

    assert_refused(
        fx.request(None).await,
        Code::FailedPrecondition,
        "SETTLEMENT_IN_PROGRESS",
    );
    assert!(fx.published::<pb::SettlementRequested>().await.is_empty());
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn of_concurrent_requests_for_one_cut_off_exactly_one_is_accepted() {
    let fx = Fixture::start().await;
    let cut_off = seconds_ago(5);
    let channel = fx.platform.channel().await;
    let calls: Vec<_> = (0..10)
        .map(|_| {
            let request = fx.as_owner(settle(
                &fx.owner.merchant_id,
                Some(cut_off),
                &Uuid::now_v7().to_string(),
            ));
            let mut client = MerchantServiceClient::new(channel.clone());
            tokio::spawn(async move { client.request_settlement(request).await })
        })
        .collect();
    let mut results = Vec::new();
    for call in calls {
        results.push(call.await.expect("the call ran"));
    }

    let accepted = results.iter().filter(|result| result.is_ok()).count();
    assert_eq!(accepted, 1, "{results:?}");
    for refused in results.iter().filter_map(|result| result.as_ref().err()) {
        assert_eq!(refused.code(), Code::FailedPrecondition, "{refused:?}");
        // SETTLEMENT_IN_PROGRESS, or, had the first one completed meanwhile, the same cut-off
        // is no longer after the previous one.
        assert!(
            ["SETTLEMENT_IN_PROGRESS", "CUT_OFF_NOT_AFTER_PREVIOUS"].contains(&reason(refused).as_str()),
            "{refused:?}"
        );
    }
    assert_eq!(fx.published::<pb::SettlementRequested>().await.len(), 1);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cut_off_in_the_future_is_refused() {
    let fx = Fixture::start().await;

    let status = assert_refused(
        fx.request(Some(Utc::now() + chrono::Duration::minutes(5))).await,
        Code::InvalidArgument,
        "CUT_OFF_IN_FUTURE",
    );

    let violations = status
        .get_error_details()
        .bad_request()
        .expect("field violations")
        .clone();
    assert_eq!(violations.field_violations[0].field, "cut_off_time");
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cut_off_not_after_the_last_completed_settlement_is_refused() {
    let fx = Fixture::start().await;
    let previous = seconds_ago(3600);
    fx.insert(&fx.owner.merchant_id, "completed", previous, 2).await;
    // A failed run settled nothing: it is no previous cut-off.
    fx.insert(&fx.owner.merchant_id, "failed", seconds_ago(60), 0)
        .await;

    assert_refused(
        fx.request(Some(seconds_ago(7200))).await,
        Code::FailedPrecondition,
        "CUT_OFF_NOT_AFTER_PREVIOUS",
    );
    assert_refused(
        fx.request(Some(previous)).await,
        Code::FailedPrecondition,
        "CUT_OFF_NOT_AFTER_PREVIOUS",
    );
    let next = fx
        .request(Some(seconds_ago(120)))
        .await
        .expect("after the previous cut-off");
    assert_eq!(next.state, i32::from(pb::SettlementState::Requested));
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_pending_merchant_cannot_settle_but_a_suspended_one_can() {
    let fx = Fixture::start().await;
    let pending = fx.platform.pending_merchant().await;
    let status = fx
        .request_as(
            fx.platform
                .as_service(settle(&pending.merchant_id, None, &Uuid::now_v7().to_string())),
        )
        .await;
    assert_refused(status, Code::FailedPrecondition, "MERCHANT_NOT_ACTIVE");

    fx.merchants()
        .await
        .suspend_merchant(fx.platform.as_service(pb::SuspendMerchantRequest {
            merchant_id: fx.owner.merchant_id.clone(),
            reason: "unpaid fees".to_owned(),
        }))
        .await
        .expect("suspended");
    let settlement = fx.request(None).await.expect("a suspended merchant settles");
    assert_eq!(settlement.state, i32::from(pb::SettlementState::Requested));
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_trashed_merchant_cannot_settle() {
    let fx = Fixture::start().await;
    fx.merchants()
        .await
        .delete_merchant(fx.as_owner(pb::DeleteMerchantRequest {
            merchant_id: fx.owner.merchant_id.clone(),
        }))
        .await
        .expect("trashed");

    assert_refused(
        fx.request_as(fx.platform.as_service(settle(
            &fx.owner.merchant_id,
            None,
            &Uuid::now_v7().to_string(),
        )))
        .await,
        Code::FailedPrecondition,
        "MERCHANT_NOT_ACTIVE",
    );
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Who may settle and read
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_owner_cannot_settle_or_read_another_merchants_settlements() {
    let fx = Fixture::start().await;
    let other = fx.platform.active_merchant().await;
    let theirs = fx
        .insert(&other.merchant_id, "completed", seconds_ago(60), 1)
        .await;
    let token = &fx.owner.session.access_token;

    assert_refused(
        fx.request_as(fx.as_owner(settle(&other.merchant_id, None, &Uuid::now_v7().to_string())))
            .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    assert_refused(
        fx.get_as(token, theirs.to_string()).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    assert_refused(
        fx.list_as(
            token,
            pb::ListSettlementsRequest {
                merchant_id: other.merchant_id.clone(),
                ..pb::ListSettlementsRequest::default()
            },
        )
        .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    assert_refused(
        fx.list_as(token, pb::ListSettlementsRequest::default()).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cashier_cannot_request_or_read_settlements() {
    let fx = Fixture::start().await;
    let cashier = fx.platform.cashier(&fx.owner).await;
    let ours = fx
        .insert(&fx.owner.merchant_id, "completed", seconds_ago(60), 1)
        .await;

    assert_refused(
        fx.request_as(bearer(
            &cashier.session.access_token,
            settle(&fx.owner.merchant_id, None, &Uuid::now_v7().to_string()),
        ))
        .await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    assert_refused(
        fx.get_as(&cashier.session.access_token, ours.to_string()).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unknown_settlement_is_not_found_for_admins_and_denied_to_owners() {
    let fx = Fixture::start().await;
    let admin = fx.platform.admin().await;
    let unknown = Uuid::now_v7().to_string();

    assert_refused(
        fx.get_as(&admin.access_token, &unknown).await,
        Code::NotFound,
        "SETTLEMENT_NOT_FOUND",
    );
    assert_refused(
        fx.get_as(&fx.owner.session.access_token, &unknown).await,
        Code::PermissionDenied,
        "PERMISSION_MISSING",
    );
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// ListSettlements
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settlements_are_listed_newest_cut_off_first_page_by_page() {
    let fx = Fixture::start().await;
    let merchant = fx.owner.merchant_id.clone();
    let oldest = fx.insert(&merchant, "completed", seconds_ago(4000), 1).await;
    let failed = fx.insert(&merchant, "failed", seconds_ago(3000), 0).await;
    let middle = fx.insert(&merchant, "completed", seconds_ago(2000), 2).await;
    let newest = fx.insert(&merchant, "completed", seconds_ago(1000), 3).await;
    let token = fx.owner.session.access_token.clone();
    let list = |page_token: String| pb::ListSettlementsRequest {
        merchant_id: merchant.clone(),
        page_size: 3,
        page_token,
        ..pb::ListSettlementsRequest::default()
    };

    let first = fx.list_as(&token, list(String::new())).await.expect("page 1");
    let second = fx
        .list_as(&token, list(first.next_page_token.clone()))
        .await
        .expect("page 2");

    let ids = |page: &pb::ListSettlementsResponse| {
        page.settlements
            .iter()
            .map(|settlement| settlement.id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(
        ids(&first),
        [newest.to_string(), middle.to_string(), failed.to_string()]
    );
    assert_eq!(first.total_size, 4);
    assert_eq!(ids(&second), [oldest.to_string()]);
    assert!(second.next_page_token.is_empty());
    assert_eq!(first.settlements[0].payment_count, 3);
    assert_eq!(first.settlements[0].gross, idr(30_000));
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn settlements_are_filtered_by_state_and_cut_off_range() {
    let fx = Fixture::start().await;
    let merchant = fx.owner.merchant_id.clone();
    fx.insert(&merchant, "completed", seconds_ago(4000), 1).await;
    let failed = fx.insert(&merchant, "failed", seconds_ago(3000), 0).await;
    let middle = fx.insert(&merchant, "completed", seconds_ago(2000), 2).await;
    fx.insert(&merchant, "completed", seconds_ago(1000), 3).await;
    let token = fx.owner.session.access_token.clone();

    let failed_only = fx
        .list_as(
            &token,
            pb::ListSettlementsRequest {
                merchant_id: merchant.clone(),
                state: pb::SettlementState::Failed.into(),
                ..pb::ListSettlementsRequest::default()
            },
        )
        .await
        .expect("by state");
    let in_range = fx
        .list_as(
            &token,
            pb::ListSettlementsRequest {
                merchant_id: merchant.clone(),
                start_time: Some(timestamp(seconds_ago(2000))),
                end_time: Some(timestamp(seconds_ago(1000))),
                ..pb::ListSettlementsRequest::default()
            },
        )
        .await
        .expect("by cut-off range");

    assert_eq!(failed_only.total_size, 1);
    assert_eq!(failed_only.settlements[0].id, failed.to_string());
    assert_eq!(
        in_range
            .settlements
            .iter()
            .map(|settlement| settlement.id.clone())
            .collect::<Vec<_>>(),
        [middle.to_string()],
        "start inclusive, end exclusive"
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_admin_lists_every_merchants_settlements() {
    let fx = Fixture::start().await;
    let other = fx.platform.active_merchant().await;
    let ours = fx
        .insert(&fx.owner.merchant_id, "completed", seconds_ago(100), 1)
        .await;
    let theirs = fx
        .insert(&other.merchant_id, "completed", seconds_ago(50), 1)
        .await;
    let admin = fx.platform.admin().await;

    let every = fx
        .list_as(&admin.access_token, pb::ListSettlementsRequest::default())
        .await
        .expect("every merchant's");

    assert_eq!(
        every
            .settlements
            .iter()
            .map(|settlement| settlement.id.clone())
            .collect::<Vec<_>>(),
        [theirs.to_string(), ours.to_string()]
    );
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Results from the transaction module
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_completed_settlement_is_recorded_with_its_totals_and_announced() {
    let fx = Fixture::start().await;
    let cut_off = seconds_ago(60);
    let period_start = seconds_ago(86_400);
    let complete_time = seconds_ago(1);
    let id = fx.insert(&fx.owner.merchant_id, "requested", cut_off, 0).await;

    fx.report(&SettlementCompleted {
        settlement_id: id.to_string(),
        merchant_id: fx.owner.merchant_id.clone(),
        period_start_time: Some(timestamp(period_start)),
        cut_off_time: Some(timestamp(cut_off)),
        gross: idr(250_000),
        refunds: idr(40_000),
        net: idr(210_000),
        payment_count: 5,
        refund_count: 1,
        complete_time: Some(timestamp(complete_time)),
        ..SettlementCompleted::default()
    })
    .await;
    let settlement = fx.recorded(&id.to_string()).await;

    assert_eq!(settlement.state, i32::from(pb::SettlementState::Completed));
    assert_eq!(
        (
            settlement.gross.clone(),
            settlement.refunds.clone(),
            settlement.net.clone()
        ),
        (idr(250_000), idr(40_000), idr(210_000))
    );
    assert_eq!((settlement.payment_count, settlement.refund_count), (5, 1));
    assert_eq!(settlement.period_start_time, Some(timestamp(period_start)));
    assert_eq!(settlement.period_end_time, Some(timestamp(cut_off)));
    assert_eq!(settlement.complete_time, Some(timestamp(complete_time)));
    let recorded = fx.published::<pb::SettlementRecorded>().await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].settlement.as_ref(), Some(&settlement));
    assert_eq!(recorded[0].owner_user_id, fx.owner.session.user_id);
    assert_eq!(recorded[0].owner_email, fx.owner.session.email);
    assert!(recorded[0].merchant_name.starts_with("Toko "));
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_second_result_for_a_recorded_settlement_changes_nothing() {
    let fx = Fixture::start().await;
    let id = fx
        .insert(&fx.owner.merchant_id, "requested", seconds_ago(60), 0)
        .await;
    let completed = SettlementCompleted {
        settlement_id: id.to_string(),
        merchant_id: fx.owner.merchant_id.clone(),
        gross: idr(10_000),
        refunds: idr(0),
        net: idr(10_000),
        payment_count: 1,
        ..SettlementCompleted::default()
    };
    fx.report(&completed).await;
    let first = fx.recorded(&id.to_string()).await;

    let late = fx
        .report(&SettlementFailed {
            settlement_id: id.to_string(),
            merchant_id: fx.owner.merchant_id.clone(),
            reason: "CURRENCY_MISMATCH".to_owned(),
            ..SettlementFailed::default()
        })
        .await;
    eventually(EVENTUAL, "the late result is consumed", || async {
        let consumed: bool =
            sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM merchants.inbox WHERE event_id = $1)")
                .bind(late)
                .fetch_one(&fx.db)
                .await
                .ok()?;
        consumed.then_some(())
    })
    .await;

    assert_eq!(fx.get(&id.to_string()).await, first);
    assert_eq!(fx.published::<pb::SettlementRecorded>().await.len(), 1);
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_failed_settlement_is_recorded_with_its_reason_and_a_new_request_may_follow() {
    let fx = Fixture::start().await;
    let id = fx
        .insert(&fx.owner.merchant_id, "requested", seconds_ago(60), 0)
        .await;

    fx.report(&SettlementFailed {
        settlement_id: id.to_string(),
        merchant_id: fx.owner.merchant_id.clone(),
        reason: "CURRENCY_MISMATCH".to_owned(),
        message: "a payment in USD".to_owned(),
        ..SettlementFailed::default()
    })
    .await;
    let settlement = fx.recorded(&id.to_string()).await;

    assert_eq!(settlement.state, i32::from(pb::SettlementState::Failed));
    assert_eq!(settlement.failure_reason, "CURRENCY_MISMATCH");
    assert_eq!(settlement.net, idr(0));
    assert!(settlement.complete_time.is_some());
    let recorded = fx.published::<pb::SettlementRecorded>().await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(
        recorded[0].settlement.as_ref().map(|settlement| settlement.state),
        Some(i32::from(pb::SettlementState::Failed))
    );
    fx.request(None).await.expect("a new request after a failure");
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// Trash and purge
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_with_a_settlement_in_progress_cannot_be_trashed() {
    let fx = Fixture::start().await;
    fx.insert(&fx.owner.merchant_id, "requested", seconds_ago(60), 0)
        .await;

    assert_refused(
        fx.merchants()
            .await
            .delete_merchant(fx.as_owner(pb::DeleteMerchantRequest {
                merchant_id: fx.owner.merchant_id.clone(),
            }))
            .await,
        Code::FailedPrecondition,
        "SETTLEMENT_IN_PROGRESS",
    );
    fx.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_merchant_whose_settlements_settled_payments_cannot_be_purged() {
    let fx = Fixture::start().await;
    let idle = fx.platform.active_merchant().await;
    fx.insert(&fx.owner.merchant_id, "completed", seconds_ago(60), 2)
        .await;
    let empty = fx
        .insert(&idle.merchant_id, "completed", seconds_ago(60), 0)
        .await;
    let mut merchants = fx.merchants().await;
    for merchant_id in [&fx.owner.merchant_id, &idle.merchant_id] {
        merchants
            .delete_merchant(fx.platform.as_service(pb::DeleteMerchantRequest {
                merchant_id: merchant_id.clone(),
            }))
            .await
            .expect("trashed");
    }

    assert_refused(
        merchants
            .purge_merchant(fx.platform.as_service(pb::PurgeMerchantRequest {
                merchant_id: fx.owner.merchant_id.clone(),
            }))
            .await,
        Code::FailedPrecondition,
        "MERCHANT_IN_USE",
    );
    let purged = merchants
        .purge_trashed_merchants(fx.platform.as_service(pb::PurgeTrashedMerchantsRequest {}))
        .await
        .expect("the others are purged")
        .into_inner();

    assert_eq!(purged.affected_count, 1, "only the merchant nothing references");
    let left: i64 = sqlx::query_scalar("SELECT count(*) FROM merchants.settlements WHERE id = $1")
        .bind(empty)
        .fetch_one(&fx.db)
        .await
        .expect("a count");
    assert_eq!(left, 0, "its settlements went with it");
    fx.stop().await;
}

// ---------------------------------------------------------------------------------------------
// With the transaction module
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_requested_settlement_with_nothing_to_settle_completes_with_zero_totals() {
    let fx = Fixture::start().await;
    let requested = fx.request(None).await.expect("requested");

    let settlement = fx.recorded(&requested.id).await;

    assert_eq!(
        settlement.state,
        i32::from(pb::SettlementState::Completed),
        "{settlement:?}"
    );
    assert_eq!((settlement.payment_count, settlement.refund_count), (0, 0));
    assert_eq!(settlement.net, idr(0));
    assert_eq!(settlement.cut_off_time, requested.cut_off_time);
    let recorded = fx.published::<pb::SettlementRecorded>().await;
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].settlement.as_ref(), Some(&settlement));
    fx.request(None).await.expect("the next settlement may follow");
    fx.stop().await;
}
