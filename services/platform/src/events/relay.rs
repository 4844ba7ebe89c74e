//! The outbox relay: publishes a module's outbox rows to Kafka in order and marks them published
//! once the broker acknowledged them.
//!
//! One relay per module drains at a time: a relay first takes a session-level PostgreSQL
//! advisory lock named after the outbox, on a connection it keeps for as long as it leads. The
//! others wait and take over within a poll interval when the leader's process or connection
//! dies. A single drainer keeps one aggregate's events in order (row `id` order, same key, same
//! partition, idempotent producer), which concurrent `SKIP LOCKED` batches could not promise.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use futures::future::join_all;
use pos_api::Module;
use rdkafka::error::KafkaError;
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use sqlx::postgres::PgListener;
use sqlx::{Connection as _, PgPool};
use tokio::sync::watch;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;
use uuid::Uuid;

use super::backoff::{Backoff, sleep_or_stop};
use super::envelope::OutgoingHeaders;
use super::kafka::KafkaSettings;
use super::metrics::EventMetrics;
use super::outbox::Outbox;

/// Tuning of a relay.
#[derive(Clone, Debug)]
pub struct RelayOptions {
    /// Rows published per round.
    pub batch_size: i64,
    /// Longest wait between rounds when no notification arrives (and between attempts to
    /// become the leader).
    pub poll_interval: Duration,
    /// Published rows older than this are deleted.
    pub retention: Duration,
}

impl Default for RelayOptions {
    fn default() -> Self {
        RelayOptions {
            batch_size: 256,
            poll_interval: Duration::from_secs(1),
            retention: Duration::from_secs(7 * 24 * 3600),
        }
    }
}

/// The relay of one module's outbox.
pub struct Relay {
    module: Module,
    db: PgPool,
    kafka: KafkaSettings,
    producer: FutureProducer,
    metrics: EventMetrics,
    options: RelayOptions,
}

/// What one round did.
#[derive(Debug, Default, PartialEq, Eq)]
struct Round {
    published: usize,
    failed: usize,
    full: bool,
    /// A failure that a new producer cures (fenced, unknown producer id…).
    producer_broken: bool,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: i64,
    event_id: Uuid,
    topic: String,
    aggregate_id: String,
    event_type: String,
    schema_version: i32,
    payload: Vec<u8>,
    headers: sqlx::types::Json<BTreeMap<String, String>>,
    occurred_at: DateTime<Utc>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("module", &self.module)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl Relay {
    /// A relay for `module`'s outbox, with a producer of its own.
    pub fn new(
        module: Module,
        db: PgPool,
        kafka: KafkaSettings,
        metrics: EventMetrics,
        options: RelayOptions,
    ) -> Result<Self, KafkaError> {
        Ok(Relay {
            module,
            db,
            producer: kafka.producer()?,
            kafka,
            metrics,
            options,
        })
    }

    /// Runs until `stop` turns true: waits to lead, then drains.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let module = self.module.as_str();
        let mut backoff = Backoff::new(self.options.poll_interval);
        while !*stop.borrow() {
            match self.lead(&mut stop).await {
                Ok(()) => backoff.reset(),
                Err(error) => {
                    tracing::warn!(module, %error, "outbox relay lost its database connection; retrying");
                    self.metrics.relay_leader.with_label_values(&[module]).set(0);
                    sleep_or_stop(backoff.next_wait(), &mut stop).await;
                }
            }
        }
        self.metrics.relay_leader.with_label_values(&[module]).set(0);
    }

    /// Takes the outbox lock (or waits for it) and drains while holding it. Returns on stop;
    /// errors when a connection fails.
    async fn lead(&mut self, stop: &mut watch::Receiver<bool>) -> Result<(), sqlx::Error> {
        let module = self.module.as_str();
        let mut lock = self.db.acquire().await?.detach();
        let lock_name = format!("pos.outbox.{}", self.module.schema());
        loop {
            let acquired: bool = sqlx::query_scalar!(
                r#"SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS "acquired!""#,
                &lock_name,
            )
            .fetch_one(&mut lock)
            .await?;
            if acquired {
                break;
            }
            self.metrics.relay_leader.with_label_values(&[module]).set(0);
            self.metrics.outbox_backlog.with_label_values(&[module]).set(0);
            self.metrics.outbox_oldest_age.with_label_values(&[module]).set(0);
            if sleep_or_stop(self.options.poll_interval, stop).await {
                return Ok(());
            }
        }
        tracing::info!(module, "outbox relay is the leader");
        self.metrics.relay_leader.with_label_values(&[module]).set(1);
        let mut listener = PgListener::connect_with(&self.db).await?;
        listener.listen(&Outbox::channel(self.module)).await?;
        let mut failures = Backoff::new(Duration::from_millis(200));
        let mut last_cleanup = tokio::time::Instant::now();
        let mut last_report = tokio::time::Instant::now() - BACKLOG_REPORT_EVERY;
        let result = loop {
            if *stop.borrow() {
                break Ok(());
            }
            // The lock lives as long as this connection: check it is still there.
            if let Err(error) = lock.ping().await {
                break Err(error);
            }
            let round = match self.round().await {
                Ok(round) => round,
                Err(error) => break Err(error),
            };
            // The backlog query counts rows: once a second is enough, even while draining.
            if last_report.elapsed() >= BACKLOG_REPORT_EVERY {
                last_report = tokio::time::Instant::now();
                if let Err(error) = self.report_backlog().await {
                    break Err(error);
                }
            }
            if last_cleanup.elapsed() >= CLEANUP_EVERY {
                last_cleanup = tokio::time::Instant::now();
                if let Err(error) = self.clean_up().await {
                    tracing::warn!(module, %error, "deleting old published outbox rows failed");
                }
            }
            if round.failed > 0 {
                self.replace_producer_if_broken(round.producer_broken);
                if sleep_or_stop(failures.next_wait(), stop).await {
                    break Ok(());
                }
                continue;
            }
            failures.reset();
            if round.full {
                continue;
            }
            tokio::select! {
                notified = listener.recv() => {
                    if let Err(error) = notified {
                        break Err(error);
                    }
                }
                () = tokio::time::sleep(self.options.poll_interval) => {}
                changed = stop.changed() => {
                    if changed.is_err() {
                        break Ok(());
                    }
                }
            }
        };
        self.metrics.relay_leader.with_label_values(&[module]).set(0);
        // Closing the connection releases the advisory lock.
        let _ = lock.close().await;
        result
    }

    /// An idempotent producer can end up fenced (its epoch bumped after messages timed out during
    /// an outage) or hit a fatal error, and then fails every send: start over with a new one.
    fn replace_producer_if_broken(&mut self, broken: bool) {
        let fatal = self.producer.client().fatal_error();
        if !broken && fatal.is_none() {
            return;
        }
        tracing::warn!(
            module = self.module.as_str(),
            ?fatal,
            "the producer cannot recover; creating a new one"
        );
        match self.kafka.producer() {
            Ok(producer) => self.producer = producer,
            Err(error) => tracing::warn!(module = self.module.as_str(), %error, "creating a producer failed"),
        }
    }

    /// Publishes the oldest unpublished rows and records the outcome of each.
    async fn round(&self) -> Result<Round, sqlx::Error> {
        let select = format!(
            "SELECT id, event_id, topic, aggregate_id, event_type, schema_version, payload, headers, occurred_at \
             FROM {}.outbox WHERE published_at IS NULL ORDER BY id LIMIT $1",
            self.module.schema()
        );
        let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(select))
            .bind(self.options.batch_size)
            .fetch_all(&self.db)
            .await?;
        if rows.is_empty() {
            return Ok(Round::default());
        }
        let full = i64::try_from(rows.len()).unwrap_or(i64::MAX) >= self.options.batch_size;
        let outcomes = join_all(rows.iter().map(|row| self.publish(row))).await;
        let mut published = Vec::new();
        let mut failed_ids = Vec::new();
        let mut failed_errors = Vec::new();
        let mut producer_broken = false;
        for (row, outcome) in rows.iter().zip(outcomes) {
            match outcome {
                Ok(()) => published.push((row.id, row.topic.as_str())),
                Err(error) => {
                    self.metrics
                        .publish_failures
                        .with_label_values(&[row.topic.as_str()])
                        .inc();
                    producer_broken |= needs_new_producer(&error);
                    failed_ids.push(row.id);
                    failed_errors.push(error.to_string());
                }
            }
        }
        let schema = self.module.schema();
        if !published.is_empty() {
            let mark = format!(
                "UPDATE {schema}.outbox SET published_at = now(), attempts = attempts + 1, last_error = NULL \
                 WHERE id = ANY($1)"
            );
            let ids: Vec<i64> = published.iter().map(|(id, _)| *id).collect();
            sqlx::query(sqlx::AssertSqlSafe(mark))
                .bind(&ids)
                .execute(&self.db)
                .await?;
            // Counted once recorded, so the counter never runs ahead of `published_at`.
            for (_, topic) in &published {
                self.metrics.published.with_label_values(&[*topic]).inc();
            }
        }
        if !failed_ids.is_empty() {
            tracing::warn!(
                module = self.module.as_str(),
                failed = failed_ids.len(),
                first_error = %failed_errors[0],
                "publishing outbox events failed; they stay in the outbox"
            );
            let mark = format!(
                "UPDATE {schema}.outbox AS o SET attempts = o.attempts + 1, last_error = f.error \
                 FROM unnest($1::bigint[], $2::text[]) AS f(id, error) WHERE o.id = f.id"
            );
            sqlx::query(sqlx::AssertSqlSafe(mark))
                .bind(&failed_ids)
                .bind(&failed_errors)
                .execute(&self.db)
                .await?;
        }
        Ok(Round {
            published: published.len(),
            failed: failed_ids.len(),
            full,
            producer_broken,
        })
    }

    /// Sends one row and waits for the broker's acknowledgement.
    async fn publish(&self, row: &Row) -> Result<(), KafkaError> {
        let parent = crate::telemetry::context_from_map(&row.headers.0);
        let span = tracing::info_span!(
            "publish",
            otel.kind = "producer",
            messaging.system = "kafka",
            messaging.destination.name = %row.topic,
            messaging.message.id = %row.event_id,
            event_type = %row.event_type,
        );
        let _ = span.set_parent(parent);
        async {
            let trace_context = crate::telemetry::current_context_map();
            let headers = OutgoingHeaders {
                event_id: row.event_id,
                event_type: &row.event_type,
                schema_version: row.schema_version,
                occurred_at: row.occurred_at,
                producer: self.module.as_str(),
                trace_context: &trace_context,
            }
            .to_kafka();
            let destination = self.kafka.namespaced(&row.topic);
            let record = FutureRecord::to(&destination)
                .key(row.aggregate_id.as_bytes())
                .payload(&row.payload)
                .headers(headers);
            let delivery = self.producer.send_result(record).map_err(|(error, _)| error)?;
            match delivery.await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err((error, _))) => Err(error),
                Err(_) => Err(KafkaError::Canceled),
            }
        }
        .instrument(span)
        .await
    }

    async fn report_backlog(&self) -> Result<(), sqlx::Error> {
        let query = format!(
            "SELECT count(*), coalesce(extract(epoch FROM now() - min(occurred_at)), 0)::bigint \
             FROM {}.outbox WHERE published_at IS NULL",
            self.module.schema()
        );
        let (backlog, oldest): (i64, i64) = sqlx::query_as(sqlx::AssertSqlSafe(query))
            .fetch_one(&self.db)
            .await?;
        let module = self.module.as_str();
        self.metrics
            .outbox_backlog
            .with_label_values(&[module])
            .set(backlog);
        self.metrics
            .outbox_oldest_age
            .with_label_values(&[module])
            .set(oldest);
        Ok(())
    }

    async fn clean_up(&self) -> Result<(), sqlx::Error> {
        let retention_seconds = i64::try_from(self.options.retention.as_secs()).unwrap_or(i64::MAX);
        let delete = format!(
            "DELETE FROM {0}.outbox WHERE id IN (SELECT id FROM {0}.outbox \
             WHERE published_at < now() - make_interval(secs => $1) LIMIT 10000)",
            self.module.schema()
        );
        sqlx::query(sqlx::AssertSqlSafe(delete))
            .bind(retention_seconds as f64)
            .execute(&self.db)
            .await?;
        Ok(())
    }
}

/// Whether a send failed in a way only a new producer (a new producer id) gets past.
fn needs_new_producer(error: &KafkaError) -> bool {
    use rdkafka::types::RDKafkaErrorCode as Code;
    matches!(
        error.rdkafka_error_code(),
        Some(
            Code::ProducerFenced
                | Code::InvalidProducerEpoch
                | Code::UnknownProducerId
                | Code::OutOfOrderSequenceNumber
                | Code::InvalidProducerIdMapping
                | Code::Fatal
        )
    )
}

const CLEANUP_EVERY: Duration = Duration::from_secs(600);
const BACKLOG_REPORT_EVERY: Duration = Duration::from_secs(1);
