//! The event backbone against a real PostgreSQL and a real Kafka-protocol broker: an event
//! written with a state change is applied once; a broker outage, a consumer killed mid-way, a
//! poison message and two competing relays lose nothing and duplicate nothing.
//!
//! Each test has its own database and its own topics, so tests run in parallel on one broker.
//! The outage test starts (and stops) a broker of its own from `POS_TEST_TANSU`.

#![allow(clippy::print_stderr, reason = "progress of long tests")]

use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::future::BoxFuture;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use pos_api::Module;
use pos_api::pos::common::v1::EventMeta;
use pos_platform::events::{
    ConsumerOptions, Event, EventConsumer, EventHandler, EventMetrics, HandlerError, KafkaSettings, Outbox,
    OutboxEvent, Relay, RelayOptions, header,
};
use pos_platform::testkit::{self, TestDatabase};
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::message::{Headers as _, Message as _};
use rdkafka::producer::FutureRecord;
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use tracing::Instrument as _;
use tracing_subscriber::Layer as _;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use uuid::Uuid;

/// The module whose outbox and inbox the tests use.
const MODULE: Module = Module::Order;

// ----------------------------------------------------------------------------------------------
// Specifications
// ----------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_committed_with_its_state_change_is_applied_once_and_a_rolled_back_one_never() {
    let world = World::new(testkit::kafka_brokers()).await;
    let stop = world.start_relay(EventMetrics::unregistered());
    let metrics = EventMetrics::unregistered();
    let consumer = world.consumer(metrics.clone(), Recorder::default());
    let group = consumer.group().to_owned();
    tokio::spawn(consumer.run(stop.subscribe()));

    let mut committed = Vec::new();
    for n in 0..20 {
        committed.push(world.place_order(&format!("order-{n}"), "ok").await);
    }
    let rolled_back = world.place_order_and_roll_back("order-never").await;

    world.wait_applied(committed.len(), Duration::from_secs(60)).await;
    // Give a duplicate or the rolled-back event time to show up, then look.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let applied = world.applied().await;
    for id in &committed {
        assert_eq!(applied.get(id), Some(&1), "event {id} applied exactly once");
    }
    assert!(
        !applied.contains_key(&rolled_back),
        "a rolled-back event is never published"
    );
    assert_eq!(applied.len(), committed.len());
    assert_eq!(
        world.state_rows().await,
        committed.len() as i64,
        "state and events go together"
    );
    assert_eq!(
        world.unpublished().await,
        0,
        "every committed event was acknowledged"
    );
    assert_eq!(world.inbox_rows(&group).await, committed.len() as i64);
    assert_eq!(
        metrics.consumed(&group, &world.topic, "applied"),
        committed.len() as u64
    );
    let _ = stop.send(true);
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_relays_draining_one_outbox_publish_each_event_once_and_the_second_takes_over() {
    let world = World::new(testkit::kafka_brokers()).await;
    let first_metrics = EventMetrics::unregistered();
    let second_metrics = EventMetrics::unregistered();
    let first = world.start_relay(first_metrics.clone());
    // Let the first relay take the lock before the second one starts.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let second = world.start_relay(second_metrics.clone());

    let mut written = Vec::new();
    for n in 0..150 {
        written.push(world.place_order(&format!("order-{}", n % 7), "ok").await);
    }
    world.wait_unpublished(0, Duration::from_secs(60)).await;
    // The leader goes away; the other relay must take over.
    let _ = first.send(true);
    for n in 150..300 {
        written.push(world.place_order(&format!("order-{}", n % 7), "ok").await);
    }
    world.wait_unpublished(0, Duration::from_secs(60)).await;

    let seen = read_topic(
        &world.brokers,
        &world.topic,
        written.len(),
        Duration::from_secs(60),
    )
    .await;
    for id in &written {
        assert_eq!(seen.get(id), Some(&1), "event {id} published exactly once");
    }
    assert_eq!(seen.len(), written.len());
    let by_first = first_metrics.published(&world.topic);
    let by_second = second_metrics.published(&world.topic);
    assert_eq!(by_first + by_second, written.len() as u64);
    assert!(
        by_first > 0 && by_second > 0,
        "both relays published ({by_first} + {by_second})"
    );
    let _ = second.send(true);
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_messages_go_to_the_dead_letter_topic_and_later_events_are_still_applied() {
    let world = World::new(testkit::kafka_brokers()).await;
    let stop = world.start_relay(EventMetrics::unregistered());
    let metrics = EventMetrics::unregistered();
    let consumer = world
        .consumer_with(
            metrics.clone(),
            Recorder::default(),
            ConsumerOptions {
                max_attempts: 3,
                backoff: Duration::from_millis(20),
            },
        )
        .dead_letter_to(&world.dead_letter_topic);
    let group = consumer.group().to_owned();
    tokio::spawn(consumer.run(stop.subscribe()));

    // One aggregate, so the events arrive in this order.
    let before = world.place_order("order-1", "ok").await;
    send_raw(&world.brokers, &world.topic, "order-1", b"not an event", None).await;
    let undecodable = Uuid::now_v7();
    send_raw(
        &world.brokers,
        &world.topic,
        "order-1",
        &[0xff, 0xff, 0xff],
        Some(undecodable),
    )
    .await;
    let flaky = world.place_order("order-1", "fail-once").await;
    let hopeless = world.place_order("order-1", "fail-always").await;
    let after = world.place_order("order-1", "ok").await;

    world.wait_applied(3, Duration::from_secs(60)).await;
    let applied = world.applied().await;
    assert_eq!(applied.get(&before), Some(&1));
    assert_eq!(applied.get(&flaky), Some(&1), "a failure that heals is retried");
    assert_eq!(applied.get(&after), Some(&1), "events after poison are processed");
    assert!(!applied.contains_key(&hopeless));

    let letters = read_dead_letters(&world.brokers, &world.dead_letter_topic, 3).await;
    assert_eq!(letters.len(), 3, "{letters:?}");
    let reasons: Vec<(&str, &str)> = letters
        .iter()
        .map(|letter| {
            (
                letter[header::DLQ_REASON].as_str(),
                letter[header::DLQ_ATTEMPTS].as_str(),
            )
        })
        .collect();
    assert_eq!(reasons, [("malformed", "0"), ("malformed", "1"), ("failed", "3")]);
    assert!(
        letters[0][header::DLQ_ERROR].contains(header::EVENT_ID),
        "{:?}",
        letters[0]
    );
    assert_eq!(letters[1][header::EVENT_ID], undecodable.to_string());
    assert_eq!(letters[2][header::EVENT_ID], hopeless.to_string());
    assert!(letters[2][header::DLQ_ERROR].contains("refused by the test handler"));
    assert_eq!(letters[2][header::DLQ_CONSUMER], group);
    assert!(letters[2][header::DLQ_SOURCE].starts_with(&world.topic));
    assert_eq!(
        metrics.retries(&group, &world.topic),
        1 + 2,
        "fail-once retried once, fail-always twice"
    );
    assert_eq!(metrics.consumed(&group, &world.topic, "dead_lettered"), 3);
    let _ = stop.send(true);
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_trace_runs_from_the_writing_request_through_publish_to_consume() {
    let world = World::new(testkit::kafka_brokers()).await;
    let stop = world.start_relay(EventMetrics::unregistered());
    let consumer = world.consumer(EventMetrics::unregistered(), Recorder::default());
    tokio::spawn(consumer.run(stop.subscribe()));

    let request = tracing::info_span!("trace_test_request");
    let id = world.place_order("order-1", "ok").instrument(request).await;
    world.wait_applied(1, Duration::from_secs(60)).await;

    let spans = || {
        spans_exported()
            .get_finished_spans()
            .unwrap()
            .into_iter()
            .filter(|span| {
                span.name == "trace_test_request"
                    || span.attributes.iter().any(|attribute| {
                        attribute.key.as_str() == "messaging.message.id"
                            && attribute.value.to_string() == id.to_string()
                    })
            })
            .collect::<Vec<_>>()
    };
    wait_for(Duration::from_secs(10), || async { spans().len() >= 3 }).await;
    let spans = spans();
    let named = |name: &str| {
        spans
            .iter()
            .find(|span| span.name == name)
            .unwrap_or_else(|| panic!("no {name} span in {spans:#?}"))
    };
    let (request, publish, consume) = (named("trace_test_request"), named("publish"), named("consume"));
    let trace = request.span_context.trace_id();
    assert_eq!(
        publish.span_context.trace_id(),
        trace,
        "publish continues the request's trace"
    );
    assert_eq!(publish.parent_span_id, request.span_context.span_id());
    assert_eq!(
        consume.span_context.trace_id(),
        trace,
        "consume continues it across Kafka"
    );
    assert_eq!(consume.parent_span_id, publish.span_context.span_id());
    assert!(consume.parent_span_is_remote);
    let _ = stop.send(true);
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_written_while_the_broker_is_down_for_30_seconds_are_all_delivered_once_after() {
    let Some(tansu) = testkit::tansu_binary() else {
        panic!("POS_TEST_TANSU must name the tansu binary (cargo xtask test sets it)");
    };
    let data = tempdir();
    let broker = Broker::start(&tansu, &data);
    let mut world = World::new(broker.address.clone()).await;
    // The default session timeout outlasts the outage, so the consumer keeps its partitions.
    world.session_timeout = KafkaSettings::new("").session_timeout;
    let stop = world.start_relay(EventMetrics::unregistered());
    let metrics = EventMetrics::unregistered();
    let consumer = world.consumer(metrics.clone(), Recorder::default());
    let group = consumer.group().to_owned();
    tokio::spawn(consumer.run(stop.subscribe()));

    let mut written = Vec::new();
    for n in 0..10 {
        written.push(world.place_order(&format!("order-{n}"), "ok").await);
    }
    world.wait_applied(10, Duration::from_secs(60)).await;

    broker.stop();
    eprintln!("broker stopped; writing events for 30 s");
    for n in 10..40 {
        written.push(world.place_order(&format!("order-{}", n % 10), "ok").await);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    assert_eq!(
        world.applied().await.len(),
        10,
        "nothing is applied while the broker is down"
    );
    assert!(world.unpublished().await > 0, "events wait in the outbox");
    broker.resume();
    eprintln!("broker back");

    world.wait_applied(written.len(), Duration::from_secs(120)).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let applied = world.applied().await;
    for id in &written {
        assert_eq!(applied.get(id), Some(&1), "event {id} applied exactly once");
    }
    assert_eq!(applied.len(), written.len());
    assert_eq!(world.inbox_rows(&group).await, written.len() as i64);
    let _ = stop.send(true);
    world.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_between_applying_and_committing_leaves_a_redelivery_that_changes_nothing() {
    let world = World::new(testkit::kafka_brokers()).await;
    let stop = world.start_relay(EventMetrics::unregistered());
    let mut written = Vec::new();
    for _ in 0..5 {
        written.push(world.place_order("order-1", "ok").await);
    }
    let hang_at = written[2];

    // A child process applies events and hangs after committing the third one's transaction,
    // before committing its offset; then it is killed with SIGKILL.
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "consumer_child_process", "--ignored", "--nocapture"])
        .env("POS_EVENTS_CHILD_DATABASE", &world.database.url)
        .env("POS_EVENTS_CHILD_BROKERS", &world.brokers)
        .env("POS_EVENTS_CHILD_TOPIC", &world.topic)
        .env("POS_EVENTS_CHILD_HANG_AT", hang_at.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    world.wait_applied(3, Duration::from_secs(60)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(world.applied().await.contains_key(&hang_at));

    let metrics = EventMetrics::unregistered();
    let consumer = world.consumer(metrics.clone(), Recorder::default());
    let group = consumer.group().to_owned();
    tokio::spawn(consumer.run(stop.subscribe()));
    world.wait_applied(5, Duration::from_secs(90)).await;
    wait_for(Duration::from_secs(30), || async {
        metrics.consumed(&group, &world.topic, "duplicate") >= 1
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let applied = world.applied().await;
    for id in &written {
        assert_eq!(applied.get(id), Some(&1), "event {id} applied exactly once");
    }
    assert_eq!(world.inbox_rows(&group).await, 5);
    let _ = stop.send(true);
    world.finish().await;
}

/// Not a specification: the consumer process the test above kills. It runs only when that test
/// starts it (with the environment below).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started as a child process by the killed-consumer test"]
async fn consumer_child_process() {
    let env = |name: &str| std::env::var(name).unwrap_or_else(|_| panic!("{name} is set by the parent test"));
    let hang_at: Uuid = env("POS_EVENTS_CHILD_HANG_AT").parse().unwrap();
    let pool = PgPool::connect(&env("POS_EVENTS_CHILD_DATABASE")).await.unwrap();
    let mut settings = KafkaSettings::new(env("POS_EVENTS_CHILD_BROKERS"));
    settings.session_timeout = SESSION_TIMEOUT;
    let consumer = EventConsumer::new(
        MODULE,
        env("POS_EVENTS_CHILD_TOPIC"),
        Arc::new(Recorder::default()),
        pool,
        settings,
        EventMetrics::unregistered(),
        ConsumerOptions::default(),
    )
    .unwrap()
    .after_apply(Arc::new(move |event: &Event| {
        let hang = event.id == hang_at;
        Box::pin(async move {
            if hang {
                std::future::pending::<()>().await;
            }
        })
    }));
    let (_stop, stopped) = watch::channel(false);
    consumer.run(stopped).await.unwrap();
}

// ----------------------------------------------------------------------------------------------
// The world the specifications run in
// ----------------------------------------------------------------------------------------------

/// Short, so a killed consumer's partitions move to the next one quickly.
const SESSION_TIMEOUT: Duration = Duration::from_secs(6);

struct World {
    database: TestDatabase,
    brokers: String,
    topic: String,
    dead_letter_topic: String,
    session_timeout: Duration,
}

impl World {
    /// A migrated database with a state table and an effect table, and fresh topics.
    async fn new(brokers: String) -> World {
        install_tracing();
        let database = TestDatabase::migrated().await.unwrap();
        sqlx::raw_sql(
            "CREATE TABLE placed_orders (order_id text NOT NULL, event_id uuid PRIMARY KEY); \
             CREATE TABLE applied (event_id uuid NOT NULL, order_id text NOT NULL);",
        )
        .execute(&database.pool)
        .await
        .unwrap();
        let suffix = Uuid::new_v4().simple().to_string();
        let topic = format!("test.events.{suffix}");
        let dead_letter_topic = format!("test.dead-letter.{suffix}");
        let mut settings = KafkaSettings::new(brokers.clone());
        settings.session_timeout = SESSION_TIMEOUT;
        settings
            .ensure_topics(&[topic.clone(), dead_letter_topic.clone()])
            .await
            .unwrap();
        World {
            database,
            brokers,
            topic,
            dead_letter_topic,
            session_timeout: SESSION_TIMEOUT,
        }
    }

    fn settings(&self) -> KafkaSettings {
        let mut settings = KafkaSettings::new(self.brokers.clone());
        settings.session_timeout = self.session_timeout;
        settings.delivery_timeout = Duration::from_secs(5);
        settings
    }

    /// Starts a relay (with its own producer); send `true` to stop it.
    fn start_relay(&self, metrics: EventMetrics) -> watch::Sender<bool> {
        let (stop, stopped) = watch::channel(false);
        let relay = Relay::new(
            MODULE,
            self.database.pool.clone(),
            self.settings(),
            metrics,
            RelayOptions {
                poll_interval: Duration::from_millis(200),
                ..RelayOptions::default()
            },
        )
        .unwrap();
        tokio::spawn(relay.run(stopped));
        stop
    }

    fn consumer(&self, metrics: EventMetrics, handler: Recorder) -> EventConsumer {
        self.consumer_with(metrics, handler, ConsumerOptions::default())
    }

    fn consumer_with(
        &self,
        metrics: EventMetrics,
        handler: Recorder,
        options: ConsumerOptions,
    ) -> EventConsumer {
        let settings = self.settings();
        EventConsumer::new(
            MODULE,
            &self.topic,
            Arc::new(handler),
            self.database.pool.clone(),
            settings,
            metrics,
            options,
        )
        .unwrap()
    }

    /// The state change and its event in one transaction; `behaviour` tells the test handler
    /// how to react (`ok`, `fail-once`, `fail-always`).
    async fn place_order(&self, order_id: &str, behaviour: &str) -> Uuid {
        let mut tx = self.database.pool.begin().await.unwrap();
        let id = write_order(&mut tx, &self.topic, order_id, behaviour).await;
        tx.commit().await.unwrap();
        id
    }

    async fn place_order_and_roll_back(&self, order_id: &str) -> Uuid {
        let mut tx = self.database.pool.begin().await.unwrap();
        let id = write_order(&mut tx, &self.topic, order_id, "ok").await;
        tx.rollback().await.unwrap();
        id
    }

    /// How many times each event was applied.
    async fn applied(&self) -> HashMap<Uuid, i64> {
        sqlx::query_as::<_, (Uuid, i64)>("SELECT event_id, count(*) FROM applied GROUP BY event_id")
            .fetch_all(&self.database.pool)
            .await
            .unwrap()
            .into_iter()
            .collect()
    }

    async fn wait_applied(&self, count: usize, limit: Duration) {
        wait_for(limit, || async { self.applied().await.len() >= count }).await;
    }

    async fn state_rows(&self) -> i64 {
        scalar(&self.database.pool, "SELECT count(*) FROM placed_orders").await
    }

    async fn unpublished(&self) -> i64 {
        scalar(
            &self.database.pool,
            "SELECT count(*) FROM orders.outbox WHERE published_at IS NULL",
        )
        .await
    }

    async fn wait_unpublished(&self, count: i64, limit: Duration) {
        wait_for(limit, || async { self.unpublished().await == count }).await;
    }

    async fn inbox_rows(&self, group: &str) -> i64 {
        sqlx::query_scalar("SELECT count(*) FROM orders.inbox WHERE consumer = $1")
            .bind(group)
            .fetch_one(&self.database.pool)
            .await
            .unwrap()
    }

    async fn finish(self) {
        self.database.drop_database().await.unwrap();
    }
}

async fn write_order(tx: &mut PgConnection, topic: &str, order_id: &str, behaviour: &str) -> Uuid {
    let id = Uuid::now_v7();
    sqlx::query("INSERT INTO placed_orders (order_id, event_id) VALUES ($1, $2)")
        .bind(order_id)
        .bind(id)
        .execute(&mut *tx)
        .await
        .unwrap();
    let message = EventMeta {
        event_id: id.to_string(),
        actor_user_id: behaviour.to_owned(),
        ..EventMeta::default()
    };
    Outbox::on_topic(MODULE, topic)
        .append(tx, &OutboxEvent::new(id, order_id, &message))
        .await
        .unwrap();
    id
}

/// The test handler: records each application in `applied`, failing as the event asks.
#[derive(Default)]
struct Recorder {
    attempts: Mutex<HashMap<Uuid, u32>>,
}

impl EventHandler for Recorder {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let message: EventMeta = event.decode()?;
            let attempt = {
                let mut attempts = self.attempts.lock().unwrap();
                let attempt = attempts.entry(event.id).or_default();
                *attempt += 1;
                *attempt
            };
            match message.actor_user_id.as_str() {
                "fail-always" => return Err(anyhow::anyhow!("refused by the test handler").into()),
                "fail-once" if attempt == 1 => {
                    return Err(anyhow::anyhow!("first attempt refused by the test handler").into());
                }
                _ => {}
            }
            sqlx::query("INSERT INTO applied (event_id, order_id) VALUES ($1, $2)")
                .bind(event.id)
                .bind(&event.key)
                .execute(&mut *tx)
                .await?;
            Ok(())
        })
    }
}

// ----------------------------------------------------------------------------------------------
// Reading and writing the broker directly
// ----------------------------------------------------------------------------------------------

/// A consumer of `topic` in a group of its own; never dropped (dropping one after a group session
/// can hang inside librdkafka, also when a failed assertion unwinds).
fn raw_consumer(brokers: &str, topic: &str) -> std::mem::ManuallyDrop<StreamConsumer> {
    let consumer: StreamConsumer = rdkafka::ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("test-reader-{}", Uuid::new_v4().simple()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    std::mem::ManuallyDrop::new(consumer)
}

/// Reads `topic` from the start until `expected` messages arrived (and a little longer, to catch
/// extras), counting each event id.
async fn read_topic(brokers: &str, topic: &str, expected: usize, limit: Duration) -> HashMap<Uuid, u32> {
    let consumer = raw_consumer(brokers, topic);
    let mut seen = HashMap::new();
    let mut total = 0;
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let wait = if total >= expected {
            Duration::from_secs(2)
        } else {
            deadline.saturating_duration_since(tokio::time::Instant::now())
        };
        match tokio::time::timeout(wait, consumer.recv()).await {
            Ok(Ok(message)) => {
                let event = Event::from_message(&message).unwrap();
                *seen.entry(event.id).or_insert(0) += 1;
                total += 1;
            }
            Ok(Err(error)) => panic!("reading {topic}: {error}"),
            Err(_) => break,
        }
    }
    consumer.unsubscribe();
    assert!(
        total >= expected,
        "read {total} of {expected} messages from {topic}"
    );
    seen
}

/// The headers of the first `expected` dead letters, ordered by offset.
async fn read_dead_letters(brokers: &str, topic: &str, expected: usize) -> Vec<BTreeMap<String, String>> {
    let consumer = raw_consumer(brokers, topic);
    let mut letters = Vec::new();
    while letters.len() < expected {
        let message = tokio::time::timeout(Duration::from_secs(60), consumer.recv())
            .await
            .expect("dead letters arrive")
            .unwrap();
        let mut headers = BTreeMap::new();
        if let Some(all) = message.headers() {
            for header in all.iter() {
                let value = String::from_utf8_lossy(header.value.unwrap_or_default()).into_owned();
                headers.insert(header.key.to_owned(), value);
            }
        }
        letters.push((message.partition(), message.offset(), headers));
    }
    consumer.unsubscribe();
    letters.sort_by_key(|(partition, offset, _)| (*partition, *offset));
    letters.into_iter().map(|(_, _, headers)| headers).collect()
}

/// Produces a message that bypasses the outbox: no headers at all, or only an event id.
async fn send_raw(brokers: &str, topic: &str, key: &str, payload: &[u8], event_id: Option<Uuid>) {
    let producer = KafkaSettings::new(brokers).producer().unwrap();
    let mut record = FutureRecord::to(topic).key(key).payload(payload);
    if let Some(id) = event_id {
        let id = id.to_string();
        let headers = rdkafka::message::OwnedHeaders::new()
            .insert(text(header::EVENT_ID, &id))
            .insert(text(header::EVENT_TYPE, "pos.common.v1.EventMeta"))
            .insert(text(header::SCHEMA_VERSION, "1"))
            .insert(text(header::OCCURRED_AT, "2026-11-27T00:00:00Z"))
            .insert(text(header::PRODUCER, "test"));
        record = record.headers(headers);
    }
    producer.send(record, Duration::from_secs(10)).await.unwrap();
}

fn text<'a>(key: &'a str, value: &'a str) -> rdkafka::message::Header<'a, &'a str> {
    rdkafka::message::Header {
        key,
        value: Some(value),
    }
}

// ----------------------------------------------------------------------------------------------
// A broker of the test's own
// ----------------------------------------------------------------------------------------------

/// A tansu broker of the test's own, in memory.
///
/// The outage is the broker process stopped with SIGSTOP and continued with SIGCONT: clients see
/// a broker that answers nothing for the whole time, and the broker keeps its topics and offsets.
/// (A crash-restart would need durable storage: tansu 0.6's SQLite engine panics on the first
/// produce after a restart, and its memory engine forgets everything.)
struct Broker {
    address: String,
    child: Child,
}

impl Broker {
    fn start(binary: &Path, data: &Path) -> Broker {
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let address = format!("127.0.0.1:{port}");
        let url = format!("tcp://{address}");
        let log = std::fs::File::create(data.join("tansu.log")).unwrap();
        let child = Command::new(binary)
            .args([
                "broker",
                "--listener-url",
                &url,
                "--advertised-listener-url",
                &url,
                "--storage-engine",
                "memory://tansu/",
            ])
            .current_dir(data)
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .unwrap();
        let started = std::time::Instant::now();
        while std::net::TcpStream::connect(&address).is_err() {
            assert!(started.elapsed() < Duration::from_secs(30), "tansu did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        Broker { address, child }
    }

    fn signal(&self, signal: &str) {
        let status = Command::new("kill")
            .args([signal, &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success(), "kill {signal}");
    }

    fn stop(&self) {
        self.signal("-STOP");
    }

    fn resume(&self) {
        self.signal("-CONT");
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn tempdir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("pos-broker-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

// ----------------------------------------------------------------------------------------------
// Helpers
// ----------------------------------------------------------------------------------------------

/// Spans of every test in this binary, exported in memory.
fn spans_exported() -> &'static InMemorySpanExporter {
    static EXPORTER: OnceLock<InMemorySpanExporter> = OnceLock::new();
    EXPORTER.get_or_init(InMemorySpanExporter::default)
}

/// Exports spans in memory (for the trace test) and, when `RUST_LOG` is set, prints logs.
fn install_tracing() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(spans_exported().clone())
            .build();
        let logs = std::env::var_os("RUST_LOG").map(|_| {
            tracing_subscriber::fmt::layer()
                .with_test_writer()
                .with_filter(tracing_subscriber::EnvFilter::from_default_env())
        });
        tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("events-test")))
            .with(logs)
            .init();
    });
}

async fn scalar(pool: &PgPool, query: &'static str) -> i64 {
    sqlx::query_scalar(query).fetch_one(pool).await.unwrap()
}

async fn wait_for<F, Fut>(limit: Duration, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !condition().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "condition not met within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
