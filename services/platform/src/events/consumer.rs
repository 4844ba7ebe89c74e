//! Consuming events: one consumer group per (consumer module, topic). Each event is applied in a
//! database transaction that also records its id in the module's `inbox`, so a redelivered event
//! changes nothing; the offset is committed only after that transaction committed. A handler
//! error is retried with backoff; after the last attempt, or at once for a malformed event, the
//! event goes to the module's dead-letter topic with the error, and consumption continues.

use std::sync::Arc;
use std::time::Duration;

use futures::future::BoxFuture;
use pos_api::Module;
use rdkafka::client::ClientContext;
use rdkafka::consumer::{CommitMode, Consumer as _, ConsumerContext, StreamConsumer};
use rdkafka::error::KafkaError;
use rdkafka::message::{Headers as _, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{FutureProducer, FutureRecord, Producer as _};
use rdkafka::statistics::Statistics;
use rdkafka::{Message as _, Offset, TopicPartitionList};
use sqlx::{PgConnection, PgPool};
use tokio::sync::watch;
use tracing::Instrument as _;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

use super::backoff::{Backoff, sleep_or_stop};
use super::envelope::{Event, MalformedEvent, header, text_header};
use super::kafka::KafkaSettings;
use super::metrics::EventMetrics;
use super::topics::dead_letter_topic;

/// What a handler can report.
#[derive(Debug, thiserror::Error)]
pub enum HandlerError {
    /// The event can never be applied (wrong type, undecodable payload): dead-lettered at once.
    #[error(transparent)]
    Malformed(#[from] MalformedEvent),
    /// Applying failed; retried with backoff, dead-lettered after the last attempt.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<sqlx::Error> for HandlerError {
    fn from(error: sqlx::Error) -> Self {
        HandlerError::Failed(error.into())
    }
}

/// Applies events of one topic to a module's state.
pub trait EventHandler: Send + Sync + 'static {
    /// Applies `event` inside `tx`, the transaction that also records it in the inbox. Events
    /// of types the handler does not care about should return `Ok(())`.
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>>;
}

/// Called after an event's transaction committed and before its offset is committed (e.g. to
/// drop a cache entry). A crash in between means redelivery, which the inbox absorbs.
pub type AfterApply = Arc<dyn Fn(&Event) -> BoxFuture<'static, ()> + Send + Sync>;

/// Retry policy of a consumer.
#[derive(Clone, Debug)]
pub struct ConsumerOptions {
    /// Attempts before an event is dead-lettered (at least 1).
    pub max_attempts: u32,
    /// Wait after the first failed attempt; doubled after each further one.
    pub backoff: Duration,
}

impl Default for ConsumerOptions {
    fn default() -> Self {
        ConsumerOptions {
            max_attempts: 5,
            backoff: Duration::from_millis(200),
        }
    }
}

/// A module's consumer of one topic.
pub struct EventConsumer {
    module: Module,
    topic: String,
    group: String,
    handler: Arc<dyn EventHandler>,
    db: PgPool,
    kafka: KafkaSettings,
    producer: FutureProducer,
    metrics: EventMetrics,
    options: ConsumerOptions,
    after_apply: Option<AfterApply>,
    dead_letter_topic: String,
}

impl std::fmt::Debug for EventConsumer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventConsumer")
            .field("group", &self.group)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// How an event ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    Applied,
    Duplicate,
    DeadLettered,
}

impl Outcome {
    const fn label(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Duplicate => "duplicate",
            Outcome::DeadLettered => "dead_lettered",
        }
    }
}

impl EventConsumer {
    /// A consumer of `topic` for `module`, in group `<module>@<topic>`; it writes to the module's
    /// inbox and dead-letter topic (with a producer of its own).
    pub fn new(
        module: Module,
        topic: impl Into<String>,
        handler: Arc<dyn EventHandler>,
        db: PgPool,
        kafka: KafkaSettings,
        metrics: EventMetrics,
        options: ConsumerOptions,
    ) -> Result<Self, KafkaError> {
        let topic = topic.into();
        let producer = kafka.producer()?;
        Ok(EventConsumer {
            group: kafka.namespaced(&group_id(module, &topic)),
            module,
            topic,
            handler,
            db,
            kafka,
            producer,
            metrics,
            options,
            after_apply: None,
            dead_letter_topic: dead_letter_topic(module),
        })
    }

    /// Sets the hook run between the database commit and the offset commit.
    #[must_use]
    pub fn after_apply(mut self, hook: AfterApply) -> Self {
        self.after_apply = Some(hook);
        self
    }

    /// Sends dead letters to `topic` instead of the module's dead-letter topic (tests isolate
    /// themselves this way).
    #[must_use]
    pub fn dead_letter_to(mut self, topic: impl Into<String>) -> Self {
        self.dead_letter_topic = topic.into();
        self
    }

    /// The consumer group id, also the `consumer` column of the inbox.
    pub fn group(&self) -> &str {
        &self.group
    }

    /// Consumes until `stop` turns true. Only fails when the consumer cannot be created or
    /// subscribed.
    pub async fn run(mut self, mut stop: watch::Receiver<bool>) -> Result<(), KafkaError> {
        let context = LagReporter {
            metrics: self.metrics.clone(),
            group: self.group.clone(),
        };
        // Dropping a consumer after a group session can block forever inside librdkafka (its
        // `Drop` polls a rebalance whose `rd_kafka_assign` waits on a broker thread), and a task
        // that is cancelled when its runtime shuts down drops its locals: the consumer is never
        // dropped, on any path out of this function; the process is ending or the consumer is
        // done, so its memory is left to the process.
        let consumer: std::mem::ManuallyDrop<StreamConsumer<LagReporter>> = std::mem::ManuallyDrop::new(
            self.kafka
                .consumer_config(&self.group)
                .create_with_context(context)?,
        );
        consumer.subscribe(&[self.kafka.namespaced(&self.topic).as_str()])?;
        tracing::info!(group = %self.group, "consumer subscribed");
        let mut receive_errors = Backoff::new(Duration::from_millis(100));
        loop {
            let message = tokio::select! {
                received = consumer.recv() => received.map(|message| message.detach()),
                _ = stop.changed() => break,
            };
            let message = match message {
                Ok(message) => {
                    receive_errors.reset();
                    message
                }
                Err(error) => {
                    tracing::warn!(group = %self.group, %error, "receiving from the broker failed");
                    if sleep_or_stop(receive_errors.next_wait(), &mut stop).await {
                        break;
                    }
                    continue;
                }
            };
            let Some(outcome) = self.process(&message, &mut stop).await else {
                // Stopped before the event was finished: leave the offset for the next run.
                break;
            };
            self.metrics
                .consumed
                .with_label_values(&[self.group.as_str(), self.topic.as_str(), outcome.label()])
                .inc();
            let mut offsets = TopicPartitionList::new();
            if let Err(error) = offsets
                .add_partition_offset(
                    message.topic(),
                    message.partition(),
                    Offset::Offset(message.offset() + 1),
                )
                .and_then(|()| consumer.commit(&offsets, CommitMode::Async))
            {
                // The next commit covers this offset; until then a restart redelivers, which the
                // inbox absorbs.
                tracing::warn!(group = %self.group, %error, "committing an offset failed");
            }
        }
        if let Err(error) = consumer.commit_consumer_state(CommitMode::Sync) {
            tracing::debug!(group = %self.group, %error, "final offset commit");
        }
        consumer.unsubscribe();
        tracing::info!(group = %self.group, "consumer stopped");
        Ok(())
    }

    /// Applies, retries or dead-letters one message. `None` when stopped midway.
    async fn process(&mut self, message: &OwnedMessage, stop: &mut watch::Receiver<bool>) -> Option<Outcome> {
        let event = match Event::from_message(message) {
            Ok(event) => event,
            Err(malformed) => {
                return self
                    .dead_letter(message, "malformed", &malformed.to_string(), 0, stop)
                    .await;
            }
        };
        let parent = crate::telemetry::context_from_map(&event.trace_context);
        let span = tracing::info_span!(
            "consume",
            otel.kind = "consumer",
            messaging.system = "kafka",
            messaging.consumer.group.name = %self.group,
            messaging.destination.name = %event.topic,
            messaging.message.id = %event.id,
            event_type = %event.event_type,
        );
        let _ = span.set_parent(parent);
        async {
            let mut backoff = Backoff::new(self.options.backoff);
            let mut attempt = 0;
            loop {
                attempt += 1;
                match self.apply(&event).await {
                    Ok(outcome) => {
                        if let Some(hook) = &self.after_apply {
                            hook(&event).await;
                        }
                        return Some(outcome);
                    }
                    Err(HandlerError::Malformed(malformed)) => {
                        return self
                            .dead_letter(message, "malformed", &malformed.to_string(), attempt, stop)
                            .await;
                    }
                    Err(HandlerError::Failed(error)) if attempt >= self.options.max_attempts.max(1) => {
                        tracing::error!(group = %self.group, event_id = %event.id, attempt, error = %format!("{error:#}"), "giving up on an event");
                        return self
                            .dead_letter(message, "failed", &format!("{error:#}"), attempt, stop)
                            .await;
                    }
                    Err(HandlerError::Failed(error)) => {
                        tracing::warn!(group = %self.group, event_id = %event.id, attempt, error = %format!("{error:#}"), "applying an event failed; retrying");
                        self.metrics
                            .retries
                            .with_label_values(&[self.group.as_str(), self.topic.as_str()])
                            .inc();
                        if sleep_or_stop(backoff.next_wait(), stop).await {
                            return None;
                        }
                    }
                }
            }
        }
        .instrument(span)
        .await
    }

    /// One attempt: records the event in the inbox and runs the handler, in one transaction.
    async fn apply(&self, event: &Event) -> Result<Outcome, HandlerError> {
        let mut tx = self.db.begin().await?;
        let record = format!(
            "INSERT INTO {}.inbox (consumer, event_id, topic, kafka_partition, kafka_offset) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (consumer, event_id) DO NOTHING",
            self.module.schema()
        );
        let inserted = sqlx::query(sqlx::AssertSqlSafe(record))
            .bind(&self.group)
            .bind(event.id)
            .bind(&event.topic)
            .bind(event.partition)
            .bind(event.offset)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if inserted == 0 {
            tx.rollback().await?;
            tracing::debug!(group = %self.group, event_id = %event.id, "duplicate event skipped");
            return Ok(Outcome::Duplicate);
        }
        self.handler.handle(&mut tx, event).await?;
        tx.commit().await?;
        Ok(Outcome::Applied)
    }

    /// Publishes the message, unchanged plus dead-letter headers, to the module's dead-letter
    /// topic; keeps trying until the broker acknowledges or the consumer stops.
    async fn dead_letter(
        &mut self,
        message: &OwnedMessage,
        reason: &str,
        error: &str,
        attempts: u32,
        stop: &mut watch::Receiver<bool>,
    ) -> Option<Outcome> {
        let topic = &self.kafka.namespaced(&self.dead_letter_topic);
        let source = format!("{}/{}@{}", message.topic(), message.partition(), message.offset());
        tracing::warn!(group = %self.group, %source, reason, error, "dead-lettering an event");
        let attempts = attempts.to_string();
        let mut backoff = Backoff::new(Duration::from_millis(200));
        loop {
            let mut headers = OwnedHeaders::new();
            if let Some(original) = message.headers() {
                for original in original.iter() {
                    headers = headers.insert(rdkafka::message::Header {
                        key: original.key,
                        value: original.value,
                    });
                }
            }
            let headers = headers
                .insert(text_header(header::DLQ_CONSUMER, &self.group))
                .insert(text_header(header::DLQ_REASON, reason))
                .insert(text_header(header::DLQ_ERROR, error))
                .insert(text_header(header::DLQ_ATTEMPTS, &attempts))
                .insert(text_header(header::DLQ_SOURCE, &source));
            let mut record: FutureRecord<'_, [u8], [u8]> = FutureRecord::to(topic).headers(headers);
            if let Some(key) = message.key() {
                record = record.key(key);
            }
            if let Some(payload) = message.payload() {
                record = record.payload(payload);
            }
            match self.producer.send(record, Duration::from_secs(5)).await {
                Ok(_) => {
                    self.metrics
                        .dead_lettered
                        .with_label_values(&[self.group.as_str(), self.topic.as_str(), reason])
                        .inc();
                    return Some(Outcome::DeadLettered);
                }
                Err((error, _)) => {
                    tracing::warn!(group = %self.group, %error, "publishing to the dead-letter topic failed; retrying");
                    if let Some((code, reason)) = self.producer.client().fatal_error() {
                        tracing::warn!(group = %self.group, ?code, %reason, "the producer failed fatally; creating a new one");
                        if let Ok(producer) = self.kafka.producer() {
                            self.producer = producer;
                        }
                    }
                    if sleep_or_stop(backoff.next_wait(), stop).await {
                        return None;
                    }
                }
            }
        }
    }
}

/// The consumer group of `module` reading `topic`.
pub fn group_id(module: Module, topic: &str) -> String {
    format!("{}@{topic}", module.as_str())
}

/// Turns librdkafka's periodic statistics into the consumer-lag gauge.
struct LagReporter {
    metrics: EventMetrics,
    group: String,
}

impl ClientContext for LagReporter {
    fn stats(&self, statistics: Statistics) {
        for (topic_name, topic) in &statistics.topics {
            for (partition_id, partition) in &topic.partitions {
                // librdkafka reports -1 for partitions it does not consume; the internal
                // partition (-1) is not a real one.
                if *partition_id < 0 || partition.consumer_lag < 0 {
                    continue;
                }
                self.metrics
                    .consumer_lag
                    .with_label_values(&[
                        self.group.as_str(),
                        topic_name.as_str(),
                        &partition_id.to_string(),
                    ])
                    .set(partition.consumer_lag);
            }
        }
    }
}

impl ConsumerContext for LagReporter {}
