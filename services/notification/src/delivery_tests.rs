//! The consumer's records and the dispatcher against a real PostgreSQL (a fresh migrated database)
//! and a real SMTP server (the test sink), without Kafka: events are handed to the handler's
//! functions as the consumer would.

#[path = "../../pos/tests/support/smtp.rs"]
mod smtp;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use pos_api::pos::auth::v1 as auth;
use pos_platform::events::Event;
use pos_platform::testkit::TestDatabase;
use smtp::SmtpSink;
use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::consumer::{after_apply, plan, record};
use crate::dispatcher::{DispatchOptions, Dispatcher};
use crate::mailer::Mailer;
use crate::store::NotificationRow;
use crate::vault::Vault;

const WAIT: Duration = Duration::from_secs(30);

fn event<M: prost::Message + prost::Name>(message: &M) -> Event {
    Event {
        id: Uuid::now_v7(),
        event_type: M::full_name(),
        schema_version: 1,
        occurred_at: Utc::now(),
        producer: "auth".into(),
        key: "k".into(),
        payload: message.encode_to_vec(),
        topic: "pos.auth.v1.events".into(),
        partition: 0,
        offset: 0,
        trace_context: BTreeMap::new(),
    }
}

/// Applies `event` as the consumer does: the record in one transaction, then the hook.
async fn consume(db: &PgPool, event: &Event, vault: &Arc<Vault>, wake: &Arc<Notify>) {
    let planned = plan(event).expect("a well-formed event").expect("a notification");
    let mut tx = db.begin().await.unwrap();
    record(&mut tx, event, &planned).await.unwrap();
    tx.commit().await.unwrap();
    after_apply(Arc::clone(vault), Arc::clone(wake))(event).await;
}

/// A dispatcher on `db` mailing through `smtp_url`, running until `wake` is dropped.
fn start_dispatcher(
    db: &PgPool,
    smtp_url: &str,
    vault: &Arc<Vault>,
    wake: &Arc<Notify>,
    options: DispatchOptions,
) {
    let dispatcher = Dispatcher {
        db: db.clone(),
        mailer: Mailer::new(smtp_url, "POS <no-reply@pos.example.test>"),
        vault: Arc::clone(vault),
        wake: Arc::downgrade(wake),
        public_url: "https://pos.example.test".into(),
        options,
    };
    tokio::spawn(dispatcher.run());
}

fn fast() -> DispatchOptions {
    DispatchOptions {
        first_retry: Duration::from_millis(20),
        poll: Duration::from_millis(20),
        ..DispatchOptions::default()
    }
}

async fn rows(db: &PgPool) -> Vec<NotificationRow> {
    sqlx::query_as!(
        NotificationRow,
        "SELECT id, kind, recipient, recipient_user_id, subject, params, status, attempts, \
         attempt_limit, last_error, source_event_id, create_time, update_time, send_time, \
         next_attempt_time \
         FROM notifications.notifications ORDER BY create_time",
    )
    .fetch_all(db)
    .await
    .unwrap()
}

async fn wait_for_status(db: &PgPool, status: &str) -> NotificationRow {
    let deadline = tokio::time::Instant::now() + WAIT;
    loop {
        if let Some(row) = rows(db).await.into_iter().find(|row| row.status == status) {
            return row;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no {status} notification within {WAIT:?}: {:?}",
            rows(db).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn published(db: &PgPool) -> Vec<String> {
    sqlx::query_scalar!("SELECT event_type FROM notifications.outbox ORDER BY id")
        .fetch_all(db)
        .await
        .unwrap()
}

fn registered(email: &str) -> auth::UserRegistered {
    auth::UserRegistered {
        user_id: Uuid::now_v7().to_string(),
        email: email.into(),
        first_name: "Ana".into(),
        verification_code: "493817".into(),
        ..Default::default()
    }
}

fn password_changed(email: &str) -> auth::PasswordChanged {
    auth::PasswordChanged {
        user_id: Uuid::now_v7().to_string(),
        email: email.into(),
        first_name: "Ana".into(),
        client_ip: "203.0.113.7".into(),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_redelivered_event_is_mailed_once_and_logged_without_its_code() {
    let database = TestDatabase::migrated().await.unwrap();
    let db = database.pool.clone();
    let sink = SmtpSink::start().await;
    let (vault, wake) = (Arc::new(Vault::default()), Arc::new(Notify::new()));
    let event = event(&registered("owner@shop.test"));
    consume(&db, &event, &vault, &wake).await;
    consume(&db, &event, &vault, &wake).await;
    start_dispatcher(&db, &sink.url(), &vault, &wake, fast());

    let mail = sink.wait_for("owner@shop.test", WAIT).await;
    assert!(mail.text_body.contains("493817"), "{}", mail.text_body);
    let sent = wait_for_status(&db, "SENT").await;
    assert_eq!((sent.attempts, sent.last_error.as_str()), (1, ""));
    assert_eq!(sent.source_event_id, event.id);
    assert_eq!(rows(&db).await.len(), 1, "one notification per event");
    assert_eq!(sink.messages().len(), 1);
    assert_eq!(
        published(&db).await,
        vec!["pos.notification.v1.NotificationSent".to_owned()]
    );
    let stored: Vec<String> = sqlx::query_scalar!(
        r#"SELECT concat_ws(' ', subject, params::text, last_error) AS "stored!"
           FROM notifications.notifications"#,
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(!stored[0].contains("493817"), "the code was stored: {stored:?}");
    assert!(vault.held().is_empty(), "the code is forgotten once sent");
    drop(wake);
    database.drop_database().await.unwrap();
}

#[tokio::test]
async fn an_unreachable_server_gets_five_attempts_then_the_notification_fails() {
    let database = TestDatabase::migrated().await.unwrap();
    let db = database.pool.clone();
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("smtp://{}", closed.local_addr().unwrap());
    drop(closed);
    let (vault, wake) = (Arc::new(Vault::default()), Arc::new(Notify::new()));
    consume(&db, &event(&password_changed("a@shop.test")), &vault, &wake).await;
    start_dispatcher(&db, &url, &vault, &wake, fast());

    let failed = wait_for_status(&db, "FAILED").await;
    assert_eq!(failed.attempts, 5);
    assert!(!failed.last_error.is_empty());
    assert_eq!(failed.next_attempt_time, None);
    assert_eq!(
        published(&db).await,
        vec!["pos.notification.v1.NotificationFailed".to_owned()]
    );
    drop(wake);
    database.drop_database().await.unwrap();
}

#[tokio::test]
async fn a_code_this_process_does_not_hold_is_never_sent_and_fails_once_abandoned() {
    let database = TestDatabase::migrated().await.unwrap();
    let db = database.pool.clone();
    let sink = SmtpSink::start().await;
    let (vault, wake) = (Arc::new(Vault::default()), Arc::new(Notify::new()));
    let event = event(&registered("lost@shop.test"));
    consume(&db, &event, &vault, &wake).await;
    vault.remove(event.id); // as after a restart: the code was only in memory
    sqlx::query!("UPDATE notifications.notifications SET next_attempt_time = now() - interval '1 hour'")
        .execute(&db)
        .await
        .unwrap();
    let options = DispatchOptions {
        orphan_after: Duration::from_secs(60),
        ..fast()
    };
    start_dispatcher(&db, &sink.url(), &vault, &wake, options);

    let failed = wait_for_status(&db, "FAILED").await;
    assert_eq!(failed.attempts, 0, "never attempted without its code");
    assert!(failed.last_error.contains("lost"), "{}", failed.last_error);
    assert_eq!(
        published(&db).await,
        vec!["pos.notification.v1.NotificationFailed".to_owned()]
    );
    assert!(sink.messages().is_empty());
    drop(wake);
    database.drop_database().await.unwrap();
}

#[tokio::test]
async fn a_security_alert_of_another_process_is_sent_by_any_dispatcher() {
    let database = TestDatabase::migrated().await.unwrap();
    let db = database.pool.clone();
    let sink = SmtpSink::start().await;
    let (elsewhere, wake) = (Arc::new(Vault::default()), Arc::new(Notify::new()));
    consume(
        &db,
        &event(&password_changed("alert@shop.test")),
        &elsewhere,
        &wake,
    )
    .await;
    start_dispatcher(&db, &sink.url(), &Arc::new(Vault::default()), &wake, fast());

    let mail = sink.wait_for("alert@shop.test", WAIT).await;
    assert_eq!(mail.subject, "Your POS password was changed");
    assert!(mail.text_body.contains("203.0.113.7"));
    wait_for_status(&db, "SENT").await;
    drop(wake);
    database.drop_database().await.unwrap();
}
