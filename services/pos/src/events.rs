//! The event side of a `pos` process: creates the platform's topics, then runs the outbox relay
//! of every served module that publishes events and the consumers of every served module's
//! subscriptions, until stopped.

use std::time::Duration;

use pos_api::Module;
use pos_platform::config::ModuleSet;
use pos_platform::events::{
    Backoff, ConsumerOptions, EventConsumer, EventMetrics, KafkaSettings, Relay, RelayOptions, sleep_or_stop,
    topics,
};
use pos_platform::{Config, ModuleContext};
use tokio::sync::watch;
use tokio::task::JoinSet;

/// The broker settings of a process serving `config.modules`.
pub(crate) fn kafka_settings(config: &Config) -> KafkaSettings {
    let mut settings = KafkaSettings::new(config.kafka_brokers.clone());
    settings.partitions = config.kafka_topic_partitions;
    settings.replication_factor = config.kafka_replication_factor;
    settings.batch_messages = config.kafka_batch_messages;
    settings.debug.clone_from(&config.kafka_debug);
    settings.namespace.clone_from(&config.kafka_namespace);
    settings.client_id = format!(
        "pos-{}",
        config
            .modules
            .0
            .iter()
            .map(|module| module.as_str())
            .collect::<Vec<_>>()
            .join("-")
    );
    settings
}

/// Creates the topics (retrying while the broker is unreachable), then runs the relays of the
/// served modules until `stop` turns true.
pub(crate) async fn run(
    settings: KafkaSettings,
    modules: ModuleSet,
    ctx: ModuleContext,
    metrics: EventMetrics,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let mut wait = Backoff::new(Duration::from_millis(500));
    let all_topics = topics::all_topics();
    loop {
        // A slow broker must not hold up a shutdown: stop wins over an answer still on the way.
        let created = tokio::select! {
            created = settings.ensure_topics(&all_topics) => created,
            _ = stop.wait_for(|stopped| *stopped) => return Ok(()),
        };
        let Err(error) = created else { break };
        tracing::warn!(brokers = %settings.brokers, %error, "creating topics failed; events wait in the outbox until the broker answers");
        if sleep_or_stop(wait.next_wait(), &mut stop).await {
            return Ok(());
        }
    }
    tracing::info!(brokers = %settings.brokers, "topics are in place");
    let mut tasks = JoinSet::new();
    for module in publishing(&modules) {
        let relay = Relay::new(
            module,
            ctx.db.clone(),
            settings.clone(),
            metrics.clone(),
            RelayOptions::default(),
        )?;
        tasks.spawn(relay.run(stop.clone()));
    }
    for module in &modules.0 {
        for subscription in crate::modules::subscriptions(*module, &ctx) {
            let mut consumer = EventConsumer::new(
                *module,
                subscription.topic,
                subscription.handler,
                ctx.db.clone(),
                settings.clone(),
                metrics.clone(),
                ConsumerOptions::default(),
            )?;
            if let Some(hook) = subscription.after_apply {
                consumer = consumer.after_apply(hook);
            }
            let stop = stop.clone();
            tasks.spawn(async move {
                if let Err(error) = consumer.run(stop).await {
                    tracing::error!(%error, "an event consumer could not start");
                }
            });
        }
    }
    while tasks.join_next().await.is_some() {}
    // A process whose modules publish nothing (e.g. only `report`) has no relay: the task still
    // lasts until `stop`, or the process would take its end for a failed listener.
    let _ = stop.wait_for(|stopped| *stopped).await;
    Ok(())
}

/// The served modules that publish events.
fn publishing(modules: &ModuleSet) -> Vec<Module> {
    topics::producers()
        .filter(|module| modules.contains(*module))
        .collect()
}
