//! Connection settings for the Kafka-protocol broker, the producer every relay shares, and
//! explicit topic creation.

use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::FutureProducer;

/// How a process reaches the broker and how it creates topics.
#[derive(Clone, Debug)]
pub struct KafkaSettings {
    /// `host:port[,host:port…]` of the bootstrap brokers.
    pub brokers: String,
    /// Partitions of each topic created at start.
    pub partitions: i32,
    /// Replication factor of each topic created at start.
    pub replication_factor: i32,
    /// Client id prefix, shown in broker logs (e.g. `pos-order`).
    pub client_id: String,
    /// How long the producer keeps retrying one message before reporting it failed (the relay
    /// then retries it later from the outbox).
    pub delivery_timeout: Duration,
    /// How long a consumer may be silent before the broker gives its partitions to another.
    /// Kafka's default, 45 s: a broker outage shorter than this needs no rebalance; a crashed
    /// consumer's partitions move to the others after it.
    pub session_timeout: Duration,
    /// Most messages the producer puts in one record batch. 1 by default: tansu 0.6 answers a
    /// fetch that starts inside a multi-record batch with nothing, which stalls a consumer
    /// resuming from a committed offset in the middle of a batch. Raise it on a real Kafka
    /// (`POS_KAFKA_BATCH_MESSAGES`).
    pub batch_messages: u32,
    /// librdkafka debug contexts (e.g. `cgrp,fetch`), logged at debug level.
    pub debug: Option<String>,
    /// Prefix of every topic and consumer group on the broker (`POS_KAFKA_NAMESPACE`), so that
    /// isolated environments (parallel test platforms, staging next to QA) share one broker
    /// without reading each other's events. Empty by default: the names of `events::topics`.
    pub namespace: String,
}

impl KafkaSettings {
    /// Settings for `brokers` with the defaults of a single local broker.
    pub fn new(brokers: impl Into<String>) -> Self {
        KafkaSettings {
            brokers: brokers.into(),
            partitions: 3,
            replication_factor: 1,
            client_id: "pos".to_owned(),
            delivery_timeout: Duration::from_secs(30),
            session_timeout: Duration::from_secs(45),
            batch_messages: 1,
            debug: None,
            namespace: String::new(),
        }
    }

    /// The broker-side name of topic or consumer group `name` (with the namespace).
    pub fn namespaced(&self, name: &str) -> String {
        format!("{}{name}", self.namespace)
    }

    fn base(&self) -> ClientConfig {
        let mut config = ClientConfig::new();
        config
            .set("bootstrap.servers", &self.brokers)
            .set("client.id", &self.client_id)
            // Every client sees a broker outage; the relay and consumers report it themselves.
            .set("log_level", "4");
        if let Some(contexts) = &self.debug {
            config.set("debug", contexts).set("log_level", "7");
        }
        config
    }

    /// An idempotent producer that waits for every in-sync replica (`acks=all`), so a message
    /// the broker acknowledged is durable and retries never duplicate or reorder it.
    pub fn producer(&self) -> Result<FutureProducer, KafkaError> {
        self.base()
            .set("enable.idempotence", "true")
            .set("acks", "all")
            .set("max.in.flight.requests.per.connection", "5")
            .set("linger.ms", "5")
            .set("batch.num.messages", self.batch_messages.to_string())
            .set("message.timeout.ms", millis(self.delivery_timeout))
            .create()
    }

    /// The settings of a consumer in `group`: manual offset commits, and a new group starts at
    /// the earliest offset so nothing published before it first ran is skipped.
    pub(crate) fn consumer_config(&self, group: &str) -> ClientConfig {
        let mut config = self.base();
        config
            .set("group.id", group)
            .set("enable.auto.commit", "false")
            .set("enable.auto.offset.store", "false")
            .set("auto.offset.reset", "earliest")
            .set("enable.partition.eof", "false")
            .set("session.timeout.ms", millis(self.session_timeout))
            .set("heartbeat.interval.ms", millis(self.session_timeout / 4))
            .set("statistics.interval.ms", "5000");
        config
    }

    /// Creates the topics that do not exist yet (in the namespace), with the configured partition
    /// count and replication factor. Existing topics are left as they are.
    pub async fn ensure_topics(&self, topics: &[String]) -> Result<(), KafkaError> {
        let admin: AdminClient<DefaultClientContext> = self.base().create()?;
        let names: Vec<String> = topics.iter().map(|topic| self.namespaced(topic)).collect();
        let new_topics: Vec<NewTopic<'_>> = names
            .iter()
            .map(|topic| {
                NewTopic::new(
                    topic,
                    self.partitions,
                    TopicReplication::Fixed(self.replication_factor),
                )
            })
            .collect();
        let options = AdminOptions::new().operation_timeout(Some(Duration::from_secs(10)));
        for result in admin.create_topics(&new_topics, &options).await? {
            match result {
                Ok(_) | Err((_, RDKafkaErrorCode::TopicAlreadyExists)) => {}
                Err((topic, code)) => {
                    tracing::warn!(%topic, ?code, "creating a topic failed");
                    return Err(KafkaError::AdminOp(code));
                }
            }
        }
        Ok(())
    }
}

fn millis(duration: Duration) -> String {
    duration.as_millis().to_string()
}
