//! Every process follows the role and user topics and drops the grants it cached as soon as a
//! role's permissions, a user's grants or a user's lifecycle change.
//!
//! This is a broadcast, not a consumer group: each process reads every partition itself from
//! the end (no offsets committed, no inbox — dropping a cache entry twice is harmless), so no
//! process misses an event another one consumed. Once the follower is positioned at the current
//! ends (read as offsets, before it is assigned), it drops everything cached so far: what was
//! cached before it followed may predate an event it will never read, what is cached after it
//! reflects every event before those offsets, and every later event reaches it.

use std::time::Duration;

use pos_api::Module;
use pos_api::pos::role::v1::UserRolesChanged;
use pos_api::pos::user::v1::UserLifecycleChanged;
use prost::Name as _;
use rdkafka::consumer::{Consumer as _, StreamConsumer};
use rdkafka::{Offset, TopicPartitionList};
use tokio::sync::watch;
use uuid::Uuid;

use super::grants::GrantCache;
use crate::events::{Backoff, Event, KafkaSettings, sleep_or_stop, topics};

/// Follows the topics until `stop` turns true, retrying while the broker is unreachable.
pub(crate) async fn follow(settings: KafkaSettings, grants: GrantCache, mut stop: watch::Receiver<bool>) {
    let topics = [
        settings.namespaced(&topics::events_topic(Module::Role)),
        settings.namespaced(&topics::events_topic(Module::User)),
    ];
    let mut wait = Backoff::new(Duration::from_millis(500));
    // Dropping a StreamConsumer can hang inside librdkafka, also when the task is cancelled at
    // runtime shutdown: it is never dropped (the process is stopping).
    let consumer = loop {
        match assigned_consumer(&settings, &topics).await {
            Ok(consumer) => break std::mem::ManuallyDrop::new(consumer),
            Err(error) => {
                tracing::warn!(%error, "cannot follow role and user events yet; cached grants expire on their own meanwhile");
                if sleep_or_stop(wait.next_wait(), &mut stop).await {
                    return;
                }
            }
        }
    };
    grants.forget_all();
    tracing::info!("following role and user events to drop cached grants");
    loop {
        let message = tokio::select! {
            _ = stop.wait_for(|stopped| *stopped) => break,
            message = consumer.recv() => message.map(|message| message.detach()),
        };
        match message {
            Ok(message) => match Event::from_message(&message) {
                Ok(event) => apply(&grants, &event),
                Err(error) => tracing::debug!(%error, "ignoring a malformed event"),
            },
            Err(error) => {
                tracing::warn!(%error, "reading role and user events failed; retrying");
                grants.forget_all();
                if sleep_or_stop(wait.next_wait(), &mut stop).await {
                    break;
                }
            }
        }
    }
}

/// A consumer assigned to every partition of `topics`, positioned at their current ends (high
/// watermarks read now, not `Offset::End`, which the client resolves later).
async fn assigned_consumer(settings: &KafkaSettings, topics: &[String]) -> anyhow::Result<StreamConsumer> {
    let consumer: StreamConsumer = settings
        .consumer_config(&settings.namespaced(&format!("pos-access-{}", Uuid::now_v7())))
        .create()?;
    let topics = topics.to_vec();
    let consumer = tokio::task::spawn_blocking(move || -> anyhow::Result<StreamConsumer> {
        let mut assignment = TopicPartitionList::new();
        for (topic, partition) in topics_owned(&consumer, &topics)? {
            let (_, high) = consumer.fetch_watermarks(&topic, partition, Duration::from_secs(5))?;
            assignment.add_partition_offset(&topic, partition, Offset::Offset(high))?;
        }
        consumer.assign(&assignment)?;
        Ok(consumer)
    })
    .await??;
    Ok(consumer)
}

fn topics_owned(consumer: &StreamConsumer, topics: &[String]) -> anyhow::Result<Vec<(String, i32)>> {
    let mut partitions = Vec::new();
    for topic in topics {
        let metadata = consumer.fetch_metadata(Some(topic), Duration::from_secs(5))?;
        let found = metadata
            .topics()
            .iter()
            .find(|candidate| candidate.name() == topic)
            .filter(|candidate| !candidate.partitions().is_empty())
            .ok_or_else(|| anyhow::anyhow!("topic {topic} has no partitions yet"))?;
        partitions.extend(found.partitions().iter().map(|p| (topic.clone(), p.id())));
    }
    Ok(partitions)
}

fn apply(grants: &GrantCache, event: &Event) {
    let user = |id: &str| Uuid::parse_str(id).ok();
    if event.event_type == UserRolesChanged::full_name() {
        match event
            .decode::<UserRolesChanged>()
            .ok()
            .and_then(|e| user(&e.user_id))
        {
            Some(user_id) => grants.forget_user(user_id),
            None => grants.forget_all(),
        }
    } else if event.event_type == UserLifecycleChanged::full_name() {
        match event
            .decode::<UserLifecycleChanged>()
            .ok()
            .and_then(|e| user(&e.user_id))
        {
            Some(user_id) => grants.forget_user(user_id),
            None => grants.forget_all(),
        }
    } else if event.event_type.starts_with("pos.role.v1.Role") {
        // RoleChanged, RoleLifecycleChanged: any holder of the role may be affected.
        grants.forget_all();
    }
}
