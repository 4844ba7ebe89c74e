//! `cargo xtask bench events`: throughput of the outbox relay and of a consumer, against the real
//! PostgreSQL and broker the tests use (`POS_TEST_DATABASE_URL`, `POS_TEST_KAFKA_BROKERS`).
//!
//! Writes N events to an outbox in transactions of 100, then times (1) one relay publishing all
//! of them and (2) one consumer applying all of them (one database transaction per event, with
//! its inbox row).

#![allow(clippy::print_stdout, reason = "a benchmark reports on stdout")]

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use pos_api::Module;
use pos_api::pos::common::v1::EventMeta;
use pos_platform::events::{
    ConsumerOptions, Event, EventConsumer, EventHandler, EventMetrics, HandlerError, KafkaSettings, Outbox,
    OutboxEvent, Relay, RelayOptions,
};
use pos_platform::testkit::{self, TestDatabase};
use sqlx::PgConnection;
use tokio::sync::watch;
use uuid::Uuid;

const MODULE: Module = Module::Order;

struct Apply;

impl EventHandler for Apply {
    fn handle<'a>(
        &'a self,
        _tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let _: EventMeta = event.decode()?;
            Ok(())
        })
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // `cargo test --all-targets` runs bench targets too, without `--bench`: nothing to measure then.
    if !std::env::args().any(|arg| arg == "--bench") {
        println!("skipped: run with `cargo xtask bench events`");
        return Ok(());
    }
    let events: usize = std::env::var("POS_BENCH_EVENTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(5_000);
    let database = TestDatabase::migrated().await?;
    let topic = format!("bench.events.{}", Uuid::new_v4().simple());
    let kafka = KafkaSettings::new(testkit::kafka_brokers());
    kafka.ensure_topics(std::slice::from_ref(&topic)).await?;
    let outbox = Outbox::on_topic(MODULE, &topic);
    for chunk in 0..events.div_ceil(100) {
        let mut tx = database.pool.begin().await?;
        for n in 0..100.min(events - chunk * 100) {
            let id = Uuid::now_v7();
            let meta = EventMeta {
                event_id: id.to_string(),
                ..EventMeta::default()
            };
            outbox
                .append(&mut tx, &OutboxEvent::new(id, format!("order-{}", n % 50), &meta))
                .await?;
        }
        tx.commit().await?;
    }

    let (stop, stopped) = watch::channel(false);
    let metrics = EventMetrics::unregistered();
    let started = Instant::now();
    let relay = Relay::new(
        MODULE,
        database.pool.clone(),
        kafka.clone(),
        metrics.clone(),
        RelayOptions::default(),
    )?;
    tokio::spawn(relay.run(stopped.clone()));
    while metrics.published(&topic) < events as u64 {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "relay too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let publish = started.elapsed();

    let started = Instant::now();
    let consumer = EventConsumer::new(
        MODULE,
        &topic,
        Arc::new(Apply),
        database.pool.clone(),
        kafka,
        metrics.clone(),
        ConsumerOptions::default(),
    )?;
    let group = consumer.group().to_owned();
    tokio::spawn(consumer.run(stopped));
    while metrics.consumed(&group, &topic, "applied") < events as u64 {
        anyhow::ensure!(started.elapsed() < Duration::from_secs(600), "consumer too slow");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let consume = started.elapsed();
    let _ = stop.send(true);

    let rate = |elapsed: Duration| events as f64 / elapsed.as_secs_f64();
    println!("events: {events} (one record per batch, 3 partitions, 50 aggregates)");
    println!(
        "relay:    {:>8.0} events/s  ({:.2} s to publish and mark all)",
        rate(publish),
        publish.as_secs_f64()
    );
    println!(
        "consumer: {:>8.0} events/s  ({:.2} s to apply all, one transaction each)",
        rate(consume),
        consume.as_secs_f64()
    );
    database.drop_database().await?;
    Ok(())
}
