//! Prometheus metrics of the event backbone: outbox backlog, publishing, consuming, retries,
//! dead letters and consumer lag.

use prometheus::{IntCounterVec, IntGaugeVec, Opts, Registry};

/// The event metrics of one process.
#[derive(Clone, Debug)]
pub struct EventMetrics {
    pub(crate) outbox_backlog: IntGaugeVec,
    pub(crate) outbox_oldest_age: IntGaugeVec,
    pub(crate) relay_leader: IntGaugeVec,
    pub(crate) published: IntCounterVec,
    pub(crate) publish_failures: IntCounterVec,
    pub(crate) consumed: IntCounterVec,
    pub(crate) retries: IntCounterVec,
    pub(crate) dead_lettered: IntCounterVec,
    pub(crate) consumer_lag: IntGaugeVec,
}

impl EventMetrics {
    /// Creates the metrics and registers them in `registry`.
    pub fn register(registry: &Registry) -> prometheus::Result<Self> {
        let gauge = |name: &str, help: &str, labels: &[&str]| -> prometheus::Result<IntGaugeVec> {
            let gauge = IntGaugeVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(gauge.clone()))?;
            Ok(gauge)
        };
        let counter = |name: &str, help: &str, labels: &[&str]| -> prometheus::Result<IntCounterVec> {
            let counter = IntCounterVec::new(Opts::new(name, help), labels)?;
            registry.register(Box::new(counter.clone()))?;
            Ok(counter)
        };
        Ok(EventMetrics {
            outbox_backlog: gauge(
                "pos_outbox_backlog",
                "Events in the module's outbox not yet acknowledged by the broker (reported by the relay leader)",
                &["module"],
            )?,
            outbox_oldest_age: gauge(
                "pos_outbox_oldest_unsent_age_seconds",
                "Age of the oldest unpublished outbox event (0 when none)",
                &["module"],
            )?,
            relay_leader: gauge(
                "pos_outbox_relay_leader",
                "1 when this process's relay holds the module's outbox lock",
                &["module"],
            )?,
            published: counter(
                "pos_events_published_total",
                "Events the broker acknowledged",
                &["topic"],
            )?,
            publish_failures: counter(
                "pos_events_publish_failures_total",
                "Publish attempts that failed (the event stays in the outbox and is retried)",
                &["topic"],
            )?,
            consumed: counter(
                "pos_events_consumed_total",
                "Events a consumer finished with, by outcome (applied, duplicate, dead_lettered)",
                &["consumer", "topic", "outcome"],
            )?,
            retries: counter(
                "pos_events_retries_total",
                "Handler attempts that failed and were retried",
                &["consumer", "topic"],
            )?,
            dead_lettered: counter(
                "pos_events_dead_lettered_total",
                "Events sent to the dead-letter topic, by reason (malformed, failed)",
                &["consumer", "topic", "reason"],
            )?,
            consumer_lag: gauge(
                "pos_events_consumer_lag",
                "Messages between a consumer's committed offset and the partition's end",
                &["consumer", "topic", "partition"],
            )?,
        })
    }

    /// A copy registered nowhere, for code that runs without a metrics endpoint.
    pub fn unregistered() -> Self {
        EventMetrics::register(&Registry::new()).expect("metrics of a fresh registry never collide")
    }

    /// Events the broker acknowledged on `topic`.
    pub fn published(&self, topic: &str) -> u64 {
        self.published.with_label_values(&[topic]).get()
    }

    /// Events `consumer` finished on `topic` with `outcome`.
    pub fn consumed(&self, consumer: &str, topic: &str, outcome: &str) -> u64 {
        self.consumed.with_label_values(&[consumer, topic, outcome]).get()
    }

    /// The last lag librdkafka reported for one partition; `None` before the first report.
    pub fn consumer_lag(&self, consumer: &str, topic: &str, partition: i32) -> Option<i64> {
        use prometheus::core::Collector as _;
        let partition = partition.to_string();
        let wanted = [
            ("consumer", consumer),
            ("topic", topic),
            ("partition", partition.as_str()),
        ];
        self.consumer_lag
            .collect()
            .iter()
            .flat_map(|family| family.get_metric())
            .find(|metric| {
                wanted.iter().all(|(name, value)| {
                    metric
                        .get_label()
                        .iter()
                        .any(|label| label.name() == *name && label.value() == *value)
                })
            })
            .map(|metric| metric.get_gauge().get_value() as i64)
    }

    /// Retried handler attempts of `consumer` on `topic`.
    pub fn retries(&self, consumer: &str, topic: &str) -> u64 {
        self.retries.with_label_values(&[consumer, topic]).get()
    }
}
