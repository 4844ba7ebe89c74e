//! The event backbone: the transactional outbox, the relay that publishes it to Kafka, and
//! idempotent consumers with retries and a dead-letter topic.
//!
//! - A module appends an event with [`Outbox::append`] in the transaction that changes its
//!   state.
//! - A [`Relay`] per module publishes the outbox in order (one leader per module at a time) with
//!   an idempotent producer, and marks rows published once the broker acknowledged them.
//! - An [`EventConsumer`] applies each event in a transaction that also records its id in the
//!   module's inbox, commits the offset afterwards, retries failures, and dead-letters what it
//!   cannot apply.
//! - Topic names are declared in [`topics`] and created explicitly ([`KafkaSettings::ensure_topics`]).

mod actor;
mod backoff;
mod consumer;
mod envelope;
mod kafka;
mod metrics;
mod outbox;
mod relay;
pub mod topics;

pub use actor::Actor;
pub use backoff::{Backoff, sleep_or_stop};
pub use consumer::{AfterApply, ConsumerOptions, EventConsumer, EventHandler, HandlerError, group_id};
pub use envelope::{Event, MalformedEvent, header};
pub use kafka::KafkaSettings;
pub use metrics::EventMetrics;
pub use outbox::{DEFAULT_SCHEMA_VERSION, Outbox, OutboxEvent};
pub use relay::{Relay, RelayOptions};
