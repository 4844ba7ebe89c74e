//! Who caused a change, as every event's `EventMeta` records it.

use chrono::Utc;
use pos_api::pos::common::v1::EventMeta;
use uuid::Uuid;

use crate::auth::AuthContext;

/// The cause of a change: the signed-in user and the request's idempotency key, when known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actor {
    /// The signed-in user whose request caused it; `None` for services and consumers.
    pub user_id: Option<Uuid>,
    /// The request's idempotency key, when it had one.
    pub request_id: String,
}

impl Actor {
    /// The actor of a request made by `auth`.
    pub fn of(auth: &AuthContext) -> Self {
        Actor {
            user_id: auth.user_id(),
            request_id: String::new(),
        }
    }

    /// The same actor, for a request with `request_id`.
    #[must_use]
    pub fn with_request_id(mut self, request_id: &str) -> Self {
        request_id.clone_into(&mut self.request_id);
        self
    }

    /// The `EventMeta` of event `event_id`, occurring now.
    pub fn meta(&self, event_id: Uuid) -> EventMeta {
        let now = Utc::now();
        EventMeta {
            event_id: event_id.to_string(),
            occur_time: Some(prost_types::Timestamp {
                seconds: now.timestamp(),
                nanos: i32::try_from(now.timestamp_subsec_nanos()).unwrap_or_default(),
            }),
            actor_user_id: self.user_id.map(|id| id.to_string()).unwrap_or_default(),
            request_id: self.request_id.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_meta_names_the_event_the_user_and_the_request() {
        let user = Uuid::now_v7();
        let event = Uuid::now_v7();
        let actor = Actor {
            user_id: Some(user),
            request_id: String::new(),
        }
        .with_request_id("r-1");
        let meta = actor.meta(event);
        assert_eq!(meta.event_id, event.to_string());
        assert_eq!(meta.actor_user_id, user.to_string());
        assert_eq!(meta.request_id, "r-1");
        assert!(meta.occur_time.is_some());
        assert_eq!(Actor::default().meta(event).actor_user_id, "");
    }
}
