//! The envelope of an event on Kafka: a protobuf payload (a message of some module's
//! `events.proto`) and headers that say what it is, so consumers can route, deduplicate and
//! continue the producer's trace without decoding the payload.

use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use rdkafka::message::{Header, Headers as _, OwnedHeaders};
use uuid::Uuid;

/// Header names. Values are UTF-8 text.
pub mod header {
    /// Unique id of the event (UUID); consumers deduplicate on it.
    pub const EVENT_ID: &str = "pos-event-id";
    /// Full protobuf name of the payload's message, e.g. `pos.order.v1.OrderPaid`.
    pub const EVENT_TYPE: &str = "pos-event-type";
    /// Version of the payload's schema (a positive integer).
    pub const SCHEMA_VERSION: &str = "pos-schema-version";
    /// When the state change happened, RFC 3339 in UTC.
    pub const OCCURRED_AT: &str = "pos-occurred-at";
    /// The module that published the event.
    pub const PRODUCER: &str = "pos-producer";
    /// W3C trace context of the publish span.
    pub const TRACEPARENT: &str = "traceparent";
    /// W3C trace state, when there is one.
    pub const TRACESTATE: &str = "tracestate";
    /// Dead-letter headers: the consumer that gave up, why, after how many attempts, and where
    /// the event came from.
    pub const DLQ_CONSUMER: &str = "pos-dlq-consumer";
    /// See [`DLQ_CONSUMER`].
    pub const DLQ_REASON: &str = "pos-dlq-reason";
    /// See [`DLQ_CONSUMER`].
    pub const DLQ_ERROR: &str = "pos-dlq-error";
    /// See [`DLQ_CONSUMER`].
    pub const DLQ_ATTEMPTS: &str = "pos-dlq-attempts";
    /// See [`DLQ_CONSUMER`].
    pub const DLQ_SOURCE: &str = "pos-dlq-source";
}

/// An event as a consumer receives it.
#[derive(Clone, Debug, PartialEq)]
pub struct Event {
    /// Unique id of the event.
    pub id: Uuid,
    /// Full protobuf name of the payload's message.
    pub event_type: String,
    /// Version of the payload's schema.
    pub schema_version: i32,
    /// When the state change happened.
    pub occurred_at: DateTime<Utc>,
    /// The module that published it.
    pub producer: String,
    /// The Kafka key: the aggregate id.
    pub key: String,
    /// The encoded protobuf message.
    pub payload: Vec<u8>,
    /// Where it was read from.
    pub topic: String,
    /// Kafka partition it was read from.
    pub partition: i32,
    /// Offset in that partition.
    pub offset: i64,
    /// Trace context headers (`traceparent`, `tracestate`).
    pub trace_context: BTreeMap<String, String>,
}

/// Why a Kafka message is not a valid event (it goes straight to the dead-letter topic).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MalformedEvent {
    /// A required header is absent or not UTF-8.
    #[error("header `{0}` is missing or not UTF-8")]
    MissingHeader(&'static str),
    /// A header has a value of the wrong form.
    #[error("header `{name}` has an invalid value `{value}`")]
    InvalidHeader {
        /// The header.
        name: &'static str,
        /// Its value.
        value: String,
    },
    /// The payload does not decode as the message its type names.
    #[error("payload is not a valid {event_type}: {reason}")]
    Payload {
        /// The declared type.
        event_type: String,
        /// The decoder's complaint.
        reason: String,
    },
    /// The consumer expected another message type.
    #[error("expected {expected}, got {actual}")]
    UnexpectedType {
        /// What the handler decodes.
        expected: String,
        /// What the header says.
        actual: String,
    },
}

impl Event {
    /// Reads the envelope of a consumed Kafka message.
    pub fn from_message(message: &impl rdkafka::Message) -> Result<Event, MalformedEvent> {
        let headers = header_map(message);
        let text = |name: &'static str| {
            headers
                .get(name)
                .cloned()
                .ok_or(MalformedEvent::MissingHeader(name))
        };
        let id_text = text(header::EVENT_ID)?;
        let id = Uuid::parse_str(&id_text).map_err(|_| MalformedEvent::InvalidHeader {
            name: header::EVENT_ID,
            value: id_text,
        })?;
        let event_type = text(header::EVENT_TYPE)?;
        if event_type.is_empty() {
            return Err(MalformedEvent::InvalidHeader {
                name: header::EVENT_TYPE,
                value: event_type,
            });
        }
        let version_text = text(header::SCHEMA_VERSION)?;
        let schema_version = version_text
            .parse::<i32>()
            .ok()
            .filter(|version| *version > 0)
            .ok_or(MalformedEvent::InvalidHeader {
                name: header::SCHEMA_VERSION,
                value: version_text,
            })?;
        let occurred_text = text(header::OCCURRED_AT)?;
        let occurred_at = DateTime::parse_from_rfc3339(&occurred_text)
            .map_err(|_| MalformedEvent::InvalidHeader {
                name: header::OCCURRED_AT,
                value: occurred_text,
            })?
            .with_timezone(&Utc);
        let producer = text(header::PRODUCER)?;
        let trace_context = [header::TRACEPARENT, header::TRACESTATE]
            .into_iter()
            .filter_map(|name| headers.get(name).map(|value| (name.to_owned(), value.clone())))
            .collect();
        Ok(Event {
            id,
            event_type,
            schema_version,
            occurred_at,
            producer,
            key: message
                .key()
                .map(|key| String::from_utf8_lossy(key).into_owned())
                .unwrap_or_default(),
            payload: message.payload().unwrap_or_default().to_vec(),
            topic: message.topic().to_owned(),
            partition: message.partition(),
            offset: message.offset(),
            trace_context,
        })
    }

    /// Decodes the payload as `M`, checking the event type names `M`.
    pub fn decode<M: prost::Message + prost::Name + Default>(&self) -> Result<M, MalformedEvent> {
        let expected = M::full_name();
        if self.event_type != expected {
            return Err(MalformedEvent::UnexpectedType {
                expected,
                actual: self.event_type.clone(),
            });
        }
        M::decode(self.payload.as_slice()).map_err(|error| MalformedEvent::Payload {
            event_type: self.event_type.clone(),
            reason: error.to_string(),
        })
    }

    /// `topic/partition@offset`, for logs and dead-letter headers.
    pub fn source(&self) -> String {
        format!("{}/{}@{}", self.topic, self.partition, self.offset)
    }
}

/// The envelope headers of an event being published.
pub(crate) struct OutgoingHeaders<'a> {
    pub(crate) event_id: Uuid,
    pub(crate) event_type: &'a str,
    pub(crate) schema_version: i32,
    pub(crate) occurred_at: DateTime<Utc>,
    pub(crate) producer: &'a str,
    pub(crate) trace_context: &'a BTreeMap<String, String>,
}

impl OutgoingHeaders<'_> {
    pub(crate) fn to_kafka(&self) -> OwnedHeaders {
        let event_id = self.event_id.to_string();
        let version = self.schema_version.to_string();
        let occurred_at = self.occurred_at.to_rfc3339_opts(SecondsFormat::Micros, true);
        let mut headers = OwnedHeaders::new_with_capacity(7)
            .insert(text_header(header::EVENT_ID, &event_id))
            .insert(text_header(header::EVENT_TYPE, self.event_type))
            .insert(text_header(header::SCHEMA_VERSION, &version))
            .insert(text_header(header::OCCURRED_AT, &occurred_at))
            .insert(text_header(header::PRODUCER, self.producer));
        for (name, value) in self.trace_context {
            headers = headers.insert(text_header(name, value));
        }
        headers
    }
}

pub(crate) fn text_header<'a>(key: &'a str, value: &'a str) -> Header<'a, &'a str> {
    Header {
        key,
        value: Some(value),
    }
}

/// The UTF-8 headers of a message (a later duplicate wins; binary values are skipped).
pub(crate) fn header_map(message: &impl rdkafka::Message) -> BTreeMap<String, String> {
    let mut map = BTreeMap::new();
    if let Some(headers) = message.headers() {
        for header in headers.iter() {
            if let Some(Ok(value)) = header.value.map(std::str::from_utf8) {
                map.insert(header.key.to_owned(), value.to_owned());
            }
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use rdkafka::Timestamp;
    use rdkafka::message::OwnedMessage;

    use super::*;

    fn message(headers: OwnedHeaders, payload: &[u8]) -> OwnedMessage {
        OwnedMessage::new(
            Some(payload.to_vec()),
            Some(b"order-1".to_vec()),
            "pos.order.v1.events".to_owned(),
            Timestamp::NotAvailable,
            2,
            41,
            Some(headers),
        )
    }

    fn valid_headers(id: Uuid) -> OwnedHeaders {
        let trace = BTreeMap::from([(
            "traceparent".to_owned(),
            "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01".to_owned(),
        )]);
        OutgoingHeaders {
            event_id: id,
            event_type: "pos.common.v1.EventMeta",
            schema_version: 1,
            occurred_at: DateTime::parse_from_rfc3339("2026-12-31T23:59:59.5Z")
                .unwrap()
                .with_timezone(&Utc),
            producer: "order",
            trace_context: &trace,
        }
        .to_kafka()
    }

    #[test]
    fn an_envelope_written_by_the_relay_reads_back_the_same() {
        let id = Uuid::now_v7();
        let event = Event::from_message(&message(valid_headers(id), b"")).unwrap();
        assert_eq!(event.id, id);
        assert_eq!(event.event_type, "pos.common.v1.EventMeta");
        assert_eq!(event.schema_version, 1);
        assert_eq!(event.occurred_at.to_rfc3339(), "2026-12-31T23:59:59.500+00:00");
        assert_eq!(event.producer, "order");
        assert_eq!(event.key, "order-1");
        assert_eq!(event.source(), "pos.order.v1.events/2@41");
        assert_eq!(
            event.trace_context.get("traceparent").map(String::as_str),
            Some("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        );
    }

    #[test]
    fn a_message_without_an_event_id_is_malformed() {
        let headers = OwnedHeaders::new().insert(text_header(header::EVENT_TYPE, "x"));
        assert_eq!(
            Event::from_message(&message(headers, b"")),
            Err(MalformedEvent::MissingHeader(header::EVENT_ID))
        );
    }

    #[test]
    fn a_non_uuid_event_id_is_malformed() {
        let headers = OwnedHeaders::new().insert(text_header(header::EVENT_ID, "42"));
        assert!(matches!(
            Event::from_message(&message(headers, b"")),
            Err(MalformedEvent::InvalidHeader {
                name: header::EVENT_ID,
                ..
            })
        ));
    }

    #[test]
    fn decoding_checks_the_type_and_the_payload() {
        use pos_api::pos::common::v1::{EventMeta, Money};
        let meta = EventMeta {
            event_id: "e".into(),
            ..EventMeta::default()
        };
        let event = Event::from_message(&message(
            valid_headers(Uuid::now_v7()),
            &prost::Message::encode_to_vec(&meta),
        ))
        .unwrap();
        assert_eq!(event.decode::<EventMeta>().unwrap(), meta);
        assert!(matches!(
            event.decode::<Money>(),
            Err(MalformedEvent::UnexpectedType { .. })
        ));
        let garbage = Event {
            payload: vec![0xff, 0xff, 0xff],
            ..event
        };
        assert!(matches!(
            garbage.decode::<EventMeta>(),
            Err(MalformedEvent::Payload { .. })
        ));
    }
}
