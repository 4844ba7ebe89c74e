//! Every Kafka topic of the platform, declared here and nowhere else.
//!
//! A producing module publishes all its events on one topic, `pos.<module>.v1.events`, keyed by
//! aggregate id so one aggregate's events stay in order. Each consuming module has one
//! dead-letter topic, `pos.<module>.v1.dead-letter`, where events it could not apply end up with
//! the error. Topics are created explicitly at start ([`super::kafka::ensure_topics`]), never by
//! broker auto-creation.

use pos_api::Module;

/// The modules that publish events: those with an `events.proto` in the contract.
pub fn producers() -> impl Iterator<Item = Module> {
    Module::ALL.into_iter().filter(|module| module.publishes_events())
}

/// The topic `module` publishes its events on, e.g. `pos.order.v1.events`.
pub fn events_topic(module: Module) -> String {
    format!("pos.{}.v1.events", module.as_str())
}

/// The topic where `consumer`'s undeliverable events go, e.g. `pos.report.v1.dead-letter`.
pub fn dead_letter_topic(consumer: Module) -> String {
    format!("pos.{}.v1.dead-letter", consumer.as_str())
}

/// Every topic the platform uses: the events topic of each producer and the dead-letter topic of
/// each module, sorted.
pub fn all_topics() -> Vec<String> {
    let mut topics: Vec<String> = producers()
        .map(events_topic)
        .chain(Module::ALL.into_iter().map(dead_letter_topic))
        .collect();
    topics.sort();
    topics
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_names_follow_the_contract() {
        assert_eq!(events_topic(Module::Order), "pos.order.v1.events");
        assert_eq!(dead_letter_topic(Module::Report), "pos.report.v1.dead-letter");
    }

    #[test]
    fn every_module_but_report_publishes_events() {
        let silent: Vec<Module> = Module::ALL
            .into_iter()
            .filter(|module| !module.publishes_events())
            .collect();
        assert_eq!(silent, [Module::Report]);
    }

    #[test]
    fn the_topic_named_in_each_events_proto_is_the_declared_one() {
        for module in producers() {
            let path = format!(
                "{}/../../proto/pos/{}/v1/events.proto",
                env!("CARGO_MANIFEST_DIR"),
                module.as_str()
            );
            let proto = std::fs::read_to_string(&path).unwrap();
            assert!(
                proto.contains(&format!("`{}`", events_topic(module))),
                "{path} should name topic {}",
                events_topic(module)
            );
        }
    }

    #[test]
    fn all_topics_has_one_events_topic_per_producer_and_one_dead_letter_topic_per_module() {
        let topics = all_topics();
        assert_eq!(topics.len(), producers().count() + Module::ALL.len());
        assert!(topics.contains(&"pos.transaction.v1.events".to_owned()));
        assert!(!topics.contains(&"pos.report.v1.events".to_owned()));
    }
}
