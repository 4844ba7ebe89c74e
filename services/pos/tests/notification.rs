//! The notification module end to end: auth events become e-mails at a real SMTP server, every mail is logged
//! without its secret, and NotificationService lists, reads and resends them.
//!
//! Each platform test starts its own `pos` (every module, the real access layer) with its SMTP pointing at an
//! [`SmtpSink`]. Auth events are written to the platform's own auth outbox, as the auth module does, so the tests
//! control every field; one test goes through the real Register and VerifyEmail RPCs. Platforms of one test binary
//! share the Kafka consumer groups, so the platform tests run one at a time ([`SERIAL`]); each uses its own
//! addresses, since a group may hand a test events left over by an earlier one.

#[path = "support/platform.rs"]
mod platform;
#[path = "support/smtp.rs"]
mod smtp;

use std::time::Duration;

use chrono::Utc;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};
use platform::{Session, TestPlatform, bearer, eventually};
use pos_api::Module;
use pos_api::pos::auth::v1 as auth;
use pos_api::pos::auth::v1::auth_service_client::AuthServiceClient;
use pos_api::pos::common::v1::EventMeta;
use pos_api::pos::notification::v1 as pb;
use pos_api::pos::notification::v1::notification_service_client::NotificationServiceClient;
use pos_platform::events::{Outbox, OutboxEvent};
use smtp::SmtpSink;
use tonic::transport::Channel;
use tonic::{Code, Status};
use tonic_types::StatusExt as _;
use uuid::Uuid;

/// One platform at a time (see the module comment).
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// How long event-driven effects may take: a platform's consumers join groups whose previous members (the last
/// test's process) may hold partitions until Kafka's session timeout.
const WAIT: Duration = Duration::from_secs(120);

const PUBLIC_URL: &str = "https://pos.example.test";
const MAIL_FROM: &str = "POS <no-reply@pos.example.test>";

fn mailbox(address: &str) -> Mailbox {
    address.parse().expect("a valid mailbox")
}

fn transport(url: &str) -> AsyncSmtpTransport<Tokio1Executor> {
    AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
        .expect("a valid SMTP URL")
        .build()
}

/// The sink is a real SMTP server: lettre delivers to it and it decodes the MIME body.
#[tokio::test]
async fn smtp_sink_receives_and_decodes_a_message_sent_with_lettre() {
    let sink = SmtpSink::start().await;
    let body = format!(
        "Bonjour,\nvotre code est 123456.\n{}\n.leading dot\n",
        "é".repeat(100)
    );
    let message = Message::builder()
        .from(mailbox("POS <no-reply@pos.test>"))
        .to(mailbox("Owner <owner@shop.test>"))
        .subject("Votre code — 123456")
        .body(body.clone())
        .expect("a valid message");
    transport(&sink.url())
        .send(message)
        .await
        .expect("the sink takes the message");

    let mail = sink.wait_for("OWNER@shop.test", WAIT).await;
    assert_eq!(mail.from, "no-reply@pos.test");
    assert_eq!(mail.to, vec!["owner@shop.test".to_owned()]);
    assert_eq!(mail.subject, "Votre code — 123456");
    assert_eq!(mail.text_body, body);
    assert_eq!(mail.html_body, None);
    assert_eq!(mail.auth_user, None);
    assert_eq!(sink.messages().len(), 1);
}

/// Credentials in the URL reach a sink that requires AUTH.
#[tokio::test]
async fn smtp_sink_requiring_auth_records_the_user_from_the_url() {
    let sink = SmtpSink::start_requiring_auth().await;
    let message = Message::builder()
        .from(mailbox("no-reply@pos.test"))
        .to(mailbox("owner@shop.test"))
        .subject("Hello")
        .body("Hi".to_owned())
        .expect("a valid message");
    let url = format!("smtp://mailer%40pos.test:s3cr%40t@{}", sink.address());
    transport(&url)
        .send(message)
        .await
        .expect("the sink takes the message");

    let mail = sink.wait_for("owner@shop.test", WAIT).await;
    assert_eq!(mail.auth_user.as_deref(), Some("mailer@pos.test"));
}

/// `reject_next` makes the sink fail transiently, and the next attempt is delivered with both bodies decoded.
#[tokio::test]
async fn smtp_sink_rejects_transiently_on_demand_then_takes_the_retry() {
    let sink = SmtpSink::start().await;
    sink.reject_next(1);
    let message = Message::builder()
        .from(mailbox("no-reply@pos.test"))
        .to(mailbox("a@shop.test"))
        .to(mailbox("b@shop.test"))
        .subject("Alternative")
        .multipart(MultiPart::alternative_plain_html(
            "plain é".to_owned(),
            "<p>html é</p>".to_owned(),
        ))
        .expect("a valid message");
    let transport = transport(&sink.url());

    let error = transport
        .send(message.clone())
        .await
        .expect_err("the first attempt is refused");
    assert!(error.is_transient(), "a 4xx refusal, got {error:?}");
    transport.send(message).await.expect("the retry is taken");

    let mail = sink.wait_for("b@shop.test", WAIT).await;
    assert_eq!(mail.to, vec!["a@shop.test".to_owned(), "b@shop.test".to_owned()]);
    assert_eq!(mail.text_body, "plain é");
    assert_eq!(mail.html_body.as_deref(), Some("<p>html é</p>"));
    assert_eq!(sink.messages().len(), 1);
}

// ---------------------------------------------------------------------------------------------
// Through the platform
// ---------------------------------------------------------------------------------------------

/// A platform mailing to `sink`, and an admin (who holds `notification.read` and `notification.write`).
struct Fixture {
    platform: TestPlatform,
    admin: Session,
}

impl Fixture {
    async fn start(smtp_url: &str) -> Fixture {
        let platform = TestPlatform::start_with(&[
            "--smtp-url",
            smtp_url,
            "--public-url",
            PUBLIC_URL,
            "--mail-from",
            MAIL_FROM,
        ])
        .await;
        let admin = platform.admin().await;
        Fixture { platform, admin }
    }

    async fn notifications(&self) -> NotificationServiceClient<Channel> {
        NotificationServiceClient::new(self.platform.channel().await)
    }

    /// Writes `message` to the auth module's outbox, as the auth module does; returns the event id.
    async fn publish<M>(&self, user_id: &str, build: impl FnOnce(EventMeta) -> M) -> Uuid
    where
        M: prost::Message + prost::Name,
    {
        let id = Uuid::now_v7();
        let meta = EventMeta {
            event_id: id.to_string(),
            occur_time: Some(timestamp(Utc::now())),
            ..EventMeta::default()
        };
        let message = build(meta);
        let mut tx = self.platform.database.pool.begin().await.expect("a transaction");
        Outbox::of(Module::Auth)
            .append(&mut tx, &OutboxEvent::new(id, user_id, &message))
            .await
            .expect("the event is appended");
        tx.commit().await.expect("the event is committed");
        id
    }

    async fn list(
        &self,
        request: pb::ListNotificationsRequest,
    ) -> Result<pb::ListNotificationsResponse, Status> {
        let request = bearer(&self.admin.access_token, request);
        self.notifications()
            .await
            .list_notifications(request)
            .await
            .map(tonic::Response::into_inner)
    }

    async fn get(&self, id: &str) -> Result<pb::Notification, Status> {
        let request = bearer(
            &self.admin.access_token,
            pb::GetNotificationRequest {
                notification_id: id.to_owned(),
            },
        );
        let response = self.notifications().await.get_notification(request).await?;
        Ok(response.into_inner().notification.expect("the notification"))
    }

    async fn resend(&self, id: &str, request_id: &str) -> Result<pb::Notification, Status> {
        let request = bearer(
            &self.admin.access_token,
            pb::ResendNotificationRequest {
                notification_id: id.to_owned(),
                request_id: request_id.to_owned(),
            },
        );
        let response = self.notifications().await.resend_notification(request).await?;
        Ok(response.into_inner().notification.expect("the notification"))
    }

    /// The notifications to `recipient`, newest first.
    async fn to(&self, recipient: &str) -> Vec<pb::Notification> {
        self.list(pb::ListNotificationsRequest {
            recipient: recipient.to_owned(),
            ..Default::default()
        })
        .await
        .expect("ListNotifications")
        .notifications
    }

    /// The notification made from event `source_event_id`, once it is in `status`.
    async fn wait_for_status(
        &self,
        source_event_id: Uuid,
        recipient: &str,
        status: pb::NotificationStatus,
    ) -> pb::Notification {
        eventually(
            WAIT,
            &format!("the notification of event {source_event_id} to be {status:?}"),
            || async {
                self.to(recipient)
                    .await
                    .into_iter()
                    .find(|notification| notification.source_event_id == source_event_id.to_string())
                    .filter(|notification| notification.status() == status)
            },
        )
        .await
    }

    /// The types of the events the notification module published about `notification_id`.
    async fn published_about(&self, notification_id: &str) -> Vec<String> {
        sqlx::query_scalar("SELECT event_type FROM notifications.outbox WHERE aggregate_id = $1 ORDER BY id")
            .bind(notification_id)
            .fetch_all(&self.platform.database.pool)
            .await
            .expect("the notification outbox")
    }

    async fn stop(self) {
        self.platform.stop().await;
    }
}

fn timestamp(time: chrono::DateTime<Utc>) -> prost_types::Timestamp {
    prost_types::Timestamp {
        seconds: time.timestamp(),
        nanos: 0,
    }
}

fn unique_email(what: &str) -> String {
    format!("{what}-{}@shop.example.test", Uuid::now_v7().simple())
}

fn assert_error(status: &Status, code: Code, reason: &str) {
    assert_eq!(status.code(), code, "{status:?}");
    let info = status
        .get_error_details()
        .error_info()
        .cloned()
        .unwrap_or_else(|| panic!("no ErrorInfo in {status:?}"));
    assert_eq!(info.reason, reason, "{status:?}");
    assert_eq!(info.domain, "pos.notification");
}

fn assert_violation(status: &Status, field: &str) {
    assert_error(status, Code::InvalidArgument, "INVALID_ARGUMENT");
    let violations = status
        .get_error_details()
        .bad_request()
        .cloned()
        .expect("BadRequest details")
        .field_violations;
    assert!(
        violations.iter().any(|violation| violation.field == field),
        "no violation of {field}: {violations:?}"
    );
}

fn password_changed(email: &str, user_id: &str) -> impl FnOnce(EventMeta) -> auth::PasswordChanged {
    let (email, user_id) = (email.to_owned(), user_id.to_owned());
    move |meta| auth::PasswordChanged {
        meta: Some(meta),
        user_id,
        email,
        first_name: "Ana".into(),
        method: auth::PasswordChangeMethod::Change.into(),
        client_ip: "203.0.113.7".into(),
    }
}

/// A registration mails the code, its expiry and the store; the log keeps the subject, never the code.
#[tokio::test]
async fn a_registration_mails_the_verification_code_and_the_log_keeps_no_secret() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    let fixture = Fixture::start(&sink.url()).await;
    let email = unique_email("owner");
    let user_id = Uuid::now_v7().to_string();
    let expire_time = Utc::now() + chrono::Duration::minutes(15);
    let event_id = fixture
        .publish(&user_id, |meta| auth::UserRegistered {
            meta: Some(meta),
            user_id: user_id.clone(),
            email: email.clone(),
            first_name: "Ana".into(),
            last_name: "Silva".into(),
            verification_code: "493817".into(),
            verification_code_expire_time: Some(timestamp(expire_time)),
            merchant: Some(auth::MerchantSignup {
                name: "Corner Café".into(),
                ..Default::default()
            }),
        })
        .await;

    let mail = sink.wait_for(&email, WAIT).await;
    assert_eq!(mail.from, "no-reply@pos.example.test");
    assert_eq!(mail.subject, "Your POS verification code");
    assert!(mail.text_body.starts_with("Hello Ana,"), "{}", mail.text_body);
    assert!(mail.text_body.contains("\n    493817\n"), "{}", mail.text_body);
    assert!(mail.text_body.contains("Corner Café"), "{}", mail.text_body);
    let expiry = expire_time.format("%Y-%m-%d %H:%M UTC").to_string();
    assert!(
        mail.text_body.contains(&expiry),
        "no {expiry} in {}",
        mail.text_body
    );
    assert!(
        mail.html_body
            .as_deref()
            .is_some_and(|html| html.contains("493817"))
    );

    let sent = fixture
        .wait_for_status(event_id, &email, pb::NotificationStatus::Sent)
        .await;
    assert_eq!(sent.kind(), pb::NotificationKind::VerifyEmail);
    assert_eq!(sent.recipient, email);
    assert_eq!(sent.recipient_user_id, user_id);
    assert_eq!(sent.subject, "Your POS verification code");
    assert_eq!(sent.attempts, 1);
    assert_eq!(sent.last_error, "");
    assert!(sent.send_time.is_some());
    assert!(sent.next_attempt_time.is_none());
    let stored: Vec<String> = sqlx::query_scalar(
        "SELECT concat_ws(' ', subject, params::text, last_error) FROM notifications.notifications",
    )
    .fetch_all(&fixture.platform.database.pool)
    .await
    .unwrap();
    assert!(
        stored.iter().all(|row| !row.contains("493817")),
        "a code was stored: {stored:?}"
    );
    assert_eq!(
        fixture.published_about(&sent.id).await,
        vec!["pos.notification.v1.NotificationSent".to_owned()]
    );
    fixture.stop().await;
}

/// The real Register → mail → VerifyEmail (with the mailed code) → welcome mail.
#[tokio::test]
async fn the_code_mailed_at_registration_verifies_the_email_and_a_welcome_follows() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    let fixture = Fixture::start(&sink.url()).await;
    let email = unique_email("signup");
    let mut auth_client = AuthServiceClient::new(fixture.platform.channel().await);
    auth_client
        .register(auth::RegisterRequest {
            email: email.clone(),
            first_name: "Bo".into(),
            last_name: "Lee".into(),
            password: platform::PASSWORD.into(),
            merchant: None,
        })
        .await
        .expect("Register");

    let mail = sink.wait_for(&email, WAIT).await;
    let code = mail
        .text_body
        .split(|c: char| !c.is_ascii_digit())
        .find(|run| run.len() == 6)
        .unwrap_or_else(|| panic!("no code in {}", mail.text_body))
        .to_owned();
    auth_client
        .verify_email(auth::VerifyEmailRequest {
            email: email.clone(),
            code,
        })
        .await
        .expect("VerifyEmail");

    let mails = sink.wait_for_count(&email, 2, WAIT).await;
    assert_eq!(mails[1].subject, "Welcome to POS");
    assert!(
        mails[1].text_body.contains(&format!("{PUBLIC_URL}/login")),
        "{}",
        mails[1].text_body
    );
    fixture.stop().await;
}

/// A forgotten password mails a link to the reset page, its expiry and the address the request came from.
#[tokio::test]
async fn a_reset_request_mails_a_link_to_the_reset_page_with_the_client_address() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    let fixture = Fixture::start(&sink.url()).await;
    let email = unique_email("cashier");
    let user_id = Uuid::now_v7().to_string();
    let token = "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5";
    let event_id = fixture
        .publish(&user_id, |meta| auth::PasswordResetRequested {
            meta: Some(meta),
            user_id: user_id.clone(),
            email: email.clone(),
            first_name: "Ana".into(),
            reset_token: token.into(),
            reset_token_expire_time: Some(timestamp(Utc::now() + chrono::Duration::minutes(30))),
            client_ip: "198.51.100.23".into(),
            purpose: auth::PasswordResetPurpose::ForgotPassword.into(),
            ..Default::default()
        })
        .await;

    let mail = sink.wait_for(&email, WAIT).await;
    assert_eq!(mail.subject, "Reset your POS password");
    assert!(
        mail.text_body
            .contains(&format!("{PUBLIC_URL}/reset-password?token={token}")),
        "{}",
        mail.text_body
    );
    assert!(mail.text_body.contains("198.51.100.23"), "{}", mail.text_body);
    let sent = fixture
        .wait_for_status(event_id, &email, pb::NotificationStatus::Sent)
        .await;
    assert_eq!(sent.kind(), pb::NotificationKind::PasswordReset);
    fixture.stop().await;
}

/// An invitation names who invited the user and where, and links to the invitation page.
#[tokio::test]
async fn an_invitation_names_the_inviter_and_the_merchant_and_links_to_the_invitation_page() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    let fixture = Fixture::start(&sink.url()).await;
    let email = unique_email("invited");
    let user_id = Uuid::now_v7().to_string();
    let event_id = fixture
        .publish(&user_id, |meta| auth::PasswordResetRequested {
            meta: Some(meta),
            user_id: user_id.clone(),
            email: email.clone(),
            first_name: "Bo".into(),
            reset_token: "aW52aXRhdGlvbg".into(),
            reset_token_expire_time: Some(timestamp(Utc::now() + chrono::Duration::hours(72))),
            purpose: auth::PasswordResetPurpose::Invitation.into(),
            inviter_name: "Carla Diaz".into(),
            merchant_name: "Corner Café".into(),
            ..Default::default()
        })
        .await;

    let mail = sink.wait_for(&email, WAIT).await;
    assert_eq!(mail.subject, "You are invited to join Corner Café on POS");
    assert!(mail.text_body.contains("Carla Diaz"), "{}", mail.text_body);
    assert!(
        mail.text_body
            .contains(&format!("{PUBLIC_URL}/accept-invitation?token=aW52aXRhdGlvbg"))
    );
    let sent = fixture
        .wait_for_status(event_id, &email, pb::NotificationStatus::Sent)
        .await;
    assert_eq!(sent.kind(), pb::NotificationKind::Invitation);
    fixture.stop().await;
}

/// A reused refresh token alerts the owner, whose address comes from the user module; a plain logout does not.
#[tokio::test]
async fn a_reused_refresh_token_alerts_the_owner_and_a_logout_does_not() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    let fixture = Fixture::start(&sink.url()).await;
    let email = unique_email("stolen");
    let user_id = fixture.platform.create_user(&email).await;
    let revoked = |reason: auth::SessionRevokeReason| {
        let user_id = user_id.clone();
        move |meta| auth::SessionsRevoked {
            meta: Some(meta),
            user_id,
            session_ids: vec![Uuid::now_v7().to_string()],
            reason: reason.into(),
        }
    };
    fixture
        .publish(&user_id, revoked(auth::SessionRevokeReason::Logout))
        .await;
    let event_id = fixture
        .publish(&user_id, revoked(auth::SessionRevokeReason::RefreshTokenReused))
        .await;

    let mail = sink.wait_for(&email, WAIT).await;
    assert_eq!(mail.subject, "We signed you out of POS to protect your account");
    let sent = fixture
        .wait_for_status(event_id, &email, pb::NotificationStatus::Sent)
        .await;
    assert_eq!(sent.kind(), pb::NotificationKind::SecurityAlert);
    assert_eq!(sent.recipient_user_id, user_id);
    // Both events have the user's key, so the logout was handled before the alert's event.
    assert_eq!(
        fixture.to(&email).await.len(),
        1,
        "the logout made no notification"
    );
    assert_eq!(sink.messages_to(&email).len(), 1);
    fixture.stop().await;
}

/// With no SMTP server, a notification is attempted five times with backoff, then FAILED with
/// `NotificationFailed`.
#[tokio::test]
async fn an_unreachable_smtp_server_is_retried_five_times_then_the_notification_fails() {
    let _serial = SERIAL.lock().await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let fixture = Fixture::start(&url).await;
    let email = unique_email("unlucky");
    let user_id = Uuid::now_v7().to_string();
    let event_id = fixture
        .publish(&user_id, password_changed(&email, &user_id))
        .await;

    let pending = fixture
        .wait_for_status(event_id, &email, pb::NotificationStatus::Pending)
        .await;
    let failed = fixture
        .wait_for_status(event_id, &email, pb::NotificationStatus::Failed)
        .await;
    assert_eq!(failed.id, pending.id);
    assert_eq!(failed.attempts, 5);
    assert!(!failed.last_error.is_empty());
    assert!(failed.send_time.is_none());
    assert!(failed.next_attempt_time.is_none());
    let took = failed.update_time.unwrap().seconds - failed.create_time.unwrap().seconds;
    assert!(
        took >= 14,
        "attempts 1 s, 2 s, 4 s and 8 s apart, but all took {took} s"
    );
    assert_eq!(
        fixture.published_about(&failed.id).await,
        vec!["pos.notification.v1.NotificationFailed".to_owned()]
    );
    fixture.stop().await;
}

/// A server that refuses twice (421) gets the mail on the third attempt.
#[tokio::test]
async fn a_transient_refusal_is_retried_until_the_server_takes_the_mail() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    sink.reject_next(2);
    let fixture = Fixture::start(&sink.url()).await;
    let email = unique_email("retried");
    let user_id = Uuid::now_v7().to_string();
    let event_id = fixture
        .publish(&user_id, password_changed(&email, &user_id))
        .await;

    let mail = sink.wait_for(&email, WAIT).await;
    assert_eq!(mail.subject, "Your POS password was changed");
    assert!(mail.text_body.contains("203.0.113.7"), "{}", mail.text_body);
    let sent = fixture
        .wait_for_status(event_id, &email, pb::NotificationStatus::Sent)
        .await;
    assert_eq!(sent.attempts, 3);
    assert_eq!(sent.last_error, "");
    assert_eq!(sink.messages_to(&email).len(), 1);
    fixture.stop().await;
}

/// ResendNotification sends a security alert again; a retry with the same `request_id` answers the
/// same and sends nothing more.
#[tokio::test]
async fn a_resend_sends_again_once_per_request_id() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    let fixture = Fixture::start(&sink.url()).await;
    let email = unique_email("resend");
    let user_id = Uuid::now_v7().to_string();
    let event_id = fixture
        .publish(&user_id, password_changed(&email, &user_id))
        .await;
    let sent = fixture
        .wait_for_status(event_id, &email, pb::NotificationStatus::Sent)
        .await;

    let request_id = Uuid::now_v7().to_string();
    let resent = fixture
        .resend(&sent.id, &request_id)
        .await
        .expect("ResendNotification");
    assert_eq!(resent.status(), pb::NotificationStatus::Pending);
    assert_eq!(resent.attempts, 1);
    let mails = sink.wait_for_count(&email, 2, WAIT).await;
    assert_eq!(mails[0].text_body, mails[1].text_body);
    let again = eventually(WAIT, "the resent notification to be SENT", || async {
        fixture
            .get(&sent.id)
            .await
            .ok()
            .filter(|notification| notification.status() == pb::NotificationStatus::Sent)
    })
    .await;
    assert_eq!(again.attempts, 2);

    let replayed = fixture
        .resend(&sent.id, &request_id)
        .await
        .expect("the retried ResendNotification");
    assert_eq!(replayed, resent, "a retry answers as the first call did");
    let after = fixture.get(&sent.id).await.unwrap();
    assert_eq!(
        (after.status(), after.attempts),
        (pb::NotificationStatus::Sent, 2),
        "the retry sent nothing"
    );
    assert_eq!(
        fixture.published_about(&sent.id).await,
        vec!["pos.notification.v1.NotificationSent".to_owned(); 2]
    );
    fixture.stop().await;
}

/// Codes and links are not kept, so their notifications cannot be resent; a notification being sent
/// cannot be resent either.
#[tokio::test]
async fn a_resend_is_refused_for_secret_bearing_kinds_and_while_a_send_is_under_way() {
    let _serial = SERIAL.lock().await;
    let fixture = Fixture::start("smtp://127.0.0.1:9").await;
    let email = unique_email("refused");
    let user_id = Uuid::now_v7().to_string();
    let code_event = fixture
        .publish(&user_id, |meta| auth::VerificationCodeIssued {
            meta: Some(meta),
            user_id: user_id.clone(),
            email: email.clone(),
            first_name: "Ana".into(),
            verification_code: "111222".into(),
            verification_code_expire_time: None,
        })
        .await;
    let alert_event = fixture
        .publish(&user_id, password_changed(&email, &user_id))
        .await;

    let code = fixture
        .wait_for_status(code_event, &email, pb::NotificationStatus::Pending)
        .await;
    let refused = fixture.resend(&code.id, "").await.unwrap_err();
    assert_error(&refused, Code::FailedPrecondition, "NOT_RESENDABLE");
    let alert = fixture
        .wait_for_status(alert_event, &email, pb::NotificationStatus::Pending)
        .await;
    let refused = fixture.resend(&alert.id, "").await.unwrap_err();
    assert_error(&refused, Code::FailedPrecondition, "NOTIFICATION_PENDING");
    fixture.stop().await;
}

/// ListNotifications pages newest first and filters by recipient (case-insensitively), user, status and kind.
#[tokio::test]
async fn listing_pages_newest_first_and_filters_by_recipient_user_status_and_kind() {
    let _serial = SERIAL.lock().await;
    let sink = SmtpSink::start().await;
    let fixture = Fixture::start(&sink.url()).await;
    let email = unique_email("listed");
    let user_id = Uuid::now_v7().to_string();
    let mut events = Vec::new();
    for _ in 0..3 {
        events.push(
            fixture
                .publish(&user_id, password_changed(&email, &user_id))
                .await,
        );
    }
    events.push(
        fixture
            .publish(&user_id, |meta| auth::EmailVerified {
                meta: Some(meta),
                user_id: user_id.clone(),
                email: email.clone(),
                first_name: "Ana".into(),
            })
            .await,
    );
    for event in &events {
        fixture
            .wait_for_status(*event, &email, pb::NotificationStatus::Sent)
            .await;
    }

    let mine = |page_size, page_token: String| pb::ListNotificationsRequest {
        page_size,
        page_token,
        recipient: email.to_uppercase(),
        ..Default::default()
    };
    let first = fixture.list(mine(3, String::new())).await.unwrap();
    assert_eq!(first.total_size, 4);
    assert_eq!(first.notifications.len(), 3);
    assert!(!first.next_page_token.is_empty());
    let second = fixture
        .list(mine(3, first.next_page_token.clone()))
        .await
        .unwrap();
    assert_eq!(second.notifications.len(), 1);
    assert_eq!(second.next_page_token, "");
    let order: Vec<String> = first
        .notifications
        .iter()
        .chain(&second.notifications)
        .map(|n| n.source_event_id.clone())
        .collect();
    let newest_first: Vec<String> = events.iter().rev().map(Uuid::to_string).collect();
    assert_eq!(order, newest_first);

    let welcome = fixture
        .list(pb::ListNotificationsRequest {
            recipient_user_id: user_id.clone(),
            kind: pb::NotificationKind::Welcome.into(),
            status: pb::NotificationStatus::Sent.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(welcome.total_size, 1);
    assert_eq!(welcome.notifications[0].source_event_id, events[3].to_string());
    let failed = fixture
        .list(pb::ListNotificationsRequest {
            recipient_user_id: user_id.clone(),
            status: pb::NotificationStatus::Failed.into(),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(failed.total_size, 0);

    let other_filters = fixture
        .list(pb::ListNotificationsRequest {
            page_token: first.next_page_token,
            recipient: email.clone(),
            kind: pb::NotificationKind::Welcome.into(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_violation(&other_filters, "page_token");
    fixture.stop().await;
}

/// Malformed requests are INVALID_ARGUMENT naming the field; an unknown id is NOT_FOUND.
#[tokio::test]
async fn bad_requests_name_the_field_and_unknown_ids_are_not_found() {
    let _serial = SERIAL.lock().await;
    let fixture = Fixture::start("smtp://127.0.0.1:9").await;

    assert_violation(&fixture.get("not-a-uuid").await.unwrap_err(), "notification_id");
    assert_violation(&fixture.get("").await.unwrap_err(), "notification_id");
    let unknown = Uuid::now_v7().to_string();
    assert_error(
        &fixture.get(&unknown).await.unwrap_err(),
        Code::NotFound,
        "NOTIFICATION_NOT_FOUND",
    );
    assert_error(
        &fixture.resend(&unknown, "").await.unwrap_err(),
        Code::NotFound,
        "NOTIFICATION_NOT_FOUND",
    );
    assert_violation(
        &fixture.resend(&unknown, &"x".repeat(37)).await.unwrap_err(),
        "request_id",
    );

    let list = |request: pb::ListNotificationsRequest| fixture.list(request);
    let bad = [
        (
            pb::ListNotificationsRequest {
                page_size: -1,
                ..Default::default()
            },
            "page_size",
        ),
        (
            pb::ListNotificationsRequest {
                recipient_user_id: "nope".into(),
                ..Default::default()
            },
            "recipient_user_id",
        ),
        (
            pb::ListNotificationsRequest {
                status: 42,
                ..Default::default()
            },
            "status",
        ),
        (
            pb::ListNotificationsRequest {
                kind: 42,
                ..Default::default()
            },
            "kind",
        ),
        (
            pb::ListNotificationsRequest {
                recipient: "x".repeat(255),
                ..Default::default()
            },
            "recipient",
        ),
        (
            pb::ListNotificationsRequest {
                page_token: "forged".into(),
                ..Default::default()
            },
            "page_token",
        ),
    ];
    for (request, field) in bad {
        assert_violation(&list(request).await.unwrap_err(), field);
    }
    fixture.stop().await;
}

/// Only holders of `notification.read` see the log.
#[tokio::test]
async fn a_user_without_notification_read_cannot_list_notifications() {
    let _serial = SERIAL.lock().await;
    let fixture = Fixture::start("smtp://127.0.0.1:9").await;
    let email = unique_email("plain");
    fixture.platform.create_user(&email).await;
    let user = fixture.platform.login(&email).await;

    let request = bearer(&user.access_token, pb::ListNotificationsRequest::default());
    let denied = fixture
        .notifications()
        .await
        .list_notifications(request)
        .await
        .unwrap_err();
    assert_eq!(denied.code(), Code::PermissionDenied, "{denied:?}");
    fixture.stop().await;
}
