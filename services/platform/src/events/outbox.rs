//! Writing events: a module appends its event to its own `outbox` table inside the transaction
//! that changes its state, so the event exists exactly when the change does.

use chrono::{DateTime, Utc};
use pos_api::Module;
use sqlx::PgConnection;
use uuid::Uuid;

use super::topics::events_topic;

/// Schema version written when a module does not say otherwise: the `v1` of the package.
pub const DEFAULT_SCHEMA_VERSION: i32 = 1;

/// An event about to be appended to an outbox.
#[derive(Clone, Debug)]
pub struct OutboxEvent {
    /// Unique id; also the `event_id` of the payload's `EventMeta`.
    pub id: Uuid,
    /// The aggregate the event is about (the Kafka key), e.g. the order id.
    pub aggregate_id: String,
    /// Full protobuf name of the payload's message.
    pub event_type: String,
    /// Version of the payload's schema.
    pub schema_version: i32,
    /// The encoded message.
    pub payload: Vec<u8>,
    /// When the change happened.
    pub occurred_at: DateTime<Utc>,
}

impl OutboxEvent {
    /// An event carrying `message`, about `aggregate_id`, with the given id (use the same id in
    /// the message's `EventMeta`).
    pub fn new<M: prost::Message + prost::Name>(
        id: Uuid,
        aggregate_id: impl Into<String>,
        message: &M,
    ) -> Self {
        OutboxEvent {
            id,
            aggregate_id: aggregate_id.into(),
            event_type: M::full_name(),
            schema_version: DEFAULT_SCHEMA_VERSION,
            payload: message.encode_to_vec(),
            occurred_at: Utc::now(),
        }
    }

    /// Sets the time of the change (defaults to now).
    #[must_use]
    pub fn occurred_at(mut self, occurred_at: DateTime<Utc>) -> Self {
        self.occurred_at = occurred_at;
        self
    }
}

/// The outbox of one module.
#[derive(Clone, Debug)]
pub struct Outbox {
    module: Module,
    topic: String,
}

impl Outbox {
    /// The outbox of `module` (table `<schema>.outbox`), publishing on its events topic.
    pub fn of(module: Module) -> Self {
        Outbox {
            module,
            topic: events_topic(module),
        }
    }

    /// The same outbox table, publishing on another topic (tests isolate themselves this way).
    pub fn on_topic(module: Module, topic: impl Into<String>) -> Self {
        Outbox {
            module,
            topic: topic.into(),
        }
    }

    /// The PostgreSQL channel notified when an event is appended to `module`'s outbox (at
    /// commit).
    pub fn channel(module: Module) -> String {
        format!("pos_outbox_{}", module.schema())
    }

    /// Appends `event` in the caller's transaction and wakes the relay when it commits. The
    /// current span's trace context is stored with it so the trace continues through Kafka.
    pub async fn append(&self, tx: &mut PgConnection, event: &OutboxEvent) -> Result<(), sqlx::Error> {
        let trace_context = crate::telemetry::current_context_map();
        let insert = format!(
            "INSERT INTO {}.outbox \
             (event_id, topic, aggregate_id, event_type, schema_version, payload, headers, occurred_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            self.module.schema()
        );
        sqlx::query(sqlx::AssertSqlSafe(insert))
            .bind(event.id)
            .bind(&self.topic)
            .bind(&event.aggregate_id)
            .bind(&event.event_type)
            .bind(event.schema_version)
            .bind(&event.payload)
            .bind(sqlx::types::Json(&trace_context))
            .bind(event.occurred_at)
            .execute(&mut *tx)
            .await?;
        sqlx::query!("SELECT pg_notify($1, '')", &Self::channel(self.module))
            .execute(&mut *tx)
            .await?;
        Ok(())
    }
}
