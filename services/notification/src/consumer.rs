//! Turning `pos.auth.v1.events` into notifications.
//!
//! The handler runs in the consumer's transaction (the one that records the event in the inbox):
//! it records at most one PENDING notification per event (unique `source_event_id`), with the
//! subject and the non-secret values of the mail. After that transaction commits, the hook hands
//! the event's one-time secret, if any, to the in-memory [`Vault`] and wakes the dispatcher, which
//! sends. The hook also runs for a redelivered event, so a secret lost by a crash comes back.
//!
//! The topic is sensitive: nothing of a payload is logged, and secrets are never stored.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;
use tokio::sync::Notify;
use uuid::Uuid;

use pos_api::pos::auth::v1::{
    AccountLocked, DuplicateRegistrationAttempted, EmailVerified, PasswordChangeMethod, PasswordChanged,
    PasswordResetPurpose, PasswordResetRequested, SessionRevokeReason, SessionsRevoked, UserRegistered,
    VerificationCodeIssued,
};
use pos_api::pos::common::v1::EventMeta;
use pos_api::pos::user::v1::GetUserRequest;
use pos_platform::ModuleContext;
use pos_platform::events::{AfterApply, Event, EventHandler, HandlerError, MalformedEvent};

use crate::render::{ChangeMethod, Content};
use crate::store::{ATTEMPTS_PER_ROUND, from_timestamp};
use crate::vault::Vault;

/// A notification an event asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Planned {
    pub(crate) recipient: String,
    pub(crate) recipient_user_id: Option<Uuid>,
    pub(crate) content: Content,
}

/// Applies `pos.auth.v1.events`.
pub(crate) struct AuthEvents {
    ctx: ModuleContext,
}

impl AuthEvents {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        AuthEvents { ctx }
    }
}

impl EventHandler for AuthEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            let planned = match plan(event)? {
                Some(planned) => Some(planned),
                None if event.event_type == SessionsRevoked::full_name() => {
                    stolen_session(&self.ctx, &event.decode::<SessionsRevoked>()?, event).await?
                }
                None => None,
            };
            if let Some(planned) = planned {
                record(tx, event, &planned).await?;
            }
            Ok(())
        })
    }
}

/// The hook run after an event's transaction committed: keeps its secret for the dispatcher and
/// wakes it.
pub(crate) fn after_apply(vault: Arc<Vault>, wake: Arc<Notify>) -> AfterApply {
    Arc::new(move |event: &Event| {
        if let Some(secret) = secret_of(event) {
            vault.put(event.id, secret);
        }
        wake.notify_one();
        Box::pin(async {})
    })
}

/// The one-time secret an event carries, if any.
pub(crate) fn secret_of(event: &Event) -> Option<String> {
    let secret = if event.event_type == UserRegistered::full_name() {
        event.decode::<UserRegistered>().ok()?.verification_code
    } else if event.event_type == VerificationCodeIssued::full_name() {
        event.decode::<VerificationCodeIssued>().ok()?.verification_code
    } else if event.event_type == PasswordResetRequested::full_name() {
        event.decode::<PasswordResetRequested>().ok()?.reset_token
    } else {
        return None;
    };
    (!secret.is_empty()).then_some(secret)
}

/// What an event asks for, for the events that carry everything the mail needs; `None` for the
/// others (SessionsRevoked needs the user's address, see [`stolen_session`]).
pub(crate) fn plan(event: &Event) -> Result<Option<Planned>, MalformedEvent> {
    let name = event.event_type.as_str();
    let planned = if name == UserRegistered::full_name() {
        let e = event.decode::<UserRegistered>()?;
        require_secret(event, &e.verification_code)?;
        planned(
            event,
            &e.email,
            &e.user_id,
            Content::VerifyEmail {
                first_name: e.first_name,
                expire_time: from_timestamp(e.verification_code_expire_time.as_ref()),
                store_name: e.merchant.map(|merchant| merchant.name).unwrap_or_default(),
            },
        )?
    } else if name == VerificationCodeIssued::full_name() {
        let e = event.decode::<VerificationCodeIssued>()?;
        require_secret(event, &e.verification_code)?;
        planned(
            event,
            &e.email,
            &e.user_id,
            Content::VerifyEmail {
                first_name: e.first_name,
                expire_time: from_timestamp(e.verification_code_expire_time.as_ref()),
                store_name: String::new(),
            },
        )?
    } else if name == EmailVerified::full_name() {
        let e = event.decode::<EmailVerified>()?;
        planned(
            event,
            &e.email,
            &e.user_id,
            Content::Welcome {
                first_name: e.first_name,
            },
        )?
    } else if name == PasswordResetRequested::full_name() {
        let e = event.decode::<PasswordResetRequested>()?;
        require_secret(event, &e.reset_token)?;
        let expire_time = from_timestamp(e.reset_token_expire_time.as_ref());
        let content = if e.purpose() == PasswordResetPurpose::Invitation {
            Content::Invitation {
                first_name: e.first_name,
                expire_time,
                inviter_name: e.inviter_name,
                merchant_name: e.merchant_name,
            }
        } else {
            Content::PasswordReset {
                first_name: e.first_name,
                expire_time,
                client_ip: e.client_ip,
            }
        };
        planned(event, &e.email, &e.user_id, content)?
    } else if name == DuplicateRegistrationAttempted::full_name() {
        let e = event.decode::<DuplicateRegistrationAttempted>()?;
        let time = occurred(event, e.meta.as_ref());
        planned(
            event,
            &e.email,
            &e.user_id,
            Content::DuplicateRegistration {
                first_name: e.first_name,
                client_ip: e.client_ip,
                time,
            },
        )?
    } else if name == PasswordChanged::full_name() {
        let e = event.decode::<PasswordChanged>()?;
        let method = match e.method() {
            PasswordChangeMethod::Change => ChangeMethod::Change,
            PasswordChangeMethod::Reset => ChangeMethod::Reset,
            PasswordChangeMethod::Unspecified => ChangeMethod::Unknown,
        };
        let time = occurred(event, e.meta.as_ref());
        planned(
            event,
            &e.email,
            &e.user_id,
            Content::PasswordChanged {
                first_name: e.first_name,
                method,
                client_ip: e.client_ip,
                time,
            },
        )?
    } else if name == AccountLocked::full_name() {
        let e = event.decode::<AccountLocked>()?;
        planned(
            event,
            &e.email,
            &e.user_id,
            Content::AccountLocked {
                first_name: e.first_name,
                failed_attempts: e.failed_attempts,
                until: from_timestamp(e.lock_expire_time.as_ref()),
                client_ip: e.client_ip,
            },
        )?
    } else {
        return Ok(None);
    };
    Ok(Some(planned))
}

/// A security alert for SESSION_REVOKE_REASON_REFRESH_TOKEN_REUSED (other reasons are routine).
/// The event names only the user: its address comes from the user module. A user that no longer
/// exists gets no mail.
async fn stolen_session(
    ctx: &ModuleContext,
    revoked: &SessionsRevoked,
    event: &Event,
) -> Result<Option<Planned>, HandlerError> {
    if revoked.reason() != SessionRevokeReason::RefreshTokenReused {
        return Ok(None);
    }
    let mut users = ctx
        .clients
        .user()
        .map_err(|error| HandlerError::Failed(anyhow::Error::new(error)))?;
    let user = match users
        .get_user(GetUserRequest {
            user_id: revoked.user_id.clone(),
        })
        .await
    {
        Ok(response) => response.into_inner().user.unwrap_or_default(),
        Err(status) if status.code() == tonic::Code::NotFound => return Ok(None),
        Err(status) => {
            return Err(HandlerError::Failed(anyhow::anyhow!(
                "looking up the user of a stolen session failed: {:?} {}",
                status.code(),
                status.message()
            )));
        }
    };
    let time = occurred(event, revoked.meta.as_ref());
    Ok(Some(planned(
        event,
        &user.email,
        &revoked.user_id,
        Content::SessionStolen {
            first_name: user.first_name,
            time,
        },
    )?))
}

fn planned(event: &Event, email: &str, user_id: &str, content: Content) -> Result<Planned, MalformedEvent> {
    let recipient = email.trim();
    if recipient.len() < 3 || recipient.len() > 254 || !recipient.contains('@') {
        return Err(malformed(event, "the email is missing or not an address"));
    }
    let recipient_user_id = if user_id.is_empty() {
        None
    } else {
        Some(Uuid::parse_str(user_id).map_err(|_| malformed(event, "user_id is not a UUID"))?)
    };
    Ok(Planned {
        recipient: recipient.to_owned(),
        recipient_user_id,
        content,
    })
}

fn require_secret(event: &Event, secret: &str) -> Result<(), MalformedEvent> {
    if secret.is_empty() {
        Err(malformed(event, "the one-time secret is missing"))
    } else {
        Ok(())
    }
}

fn malformed(event: &Event, reason: &str) -> MalformedEvent {
    MalformedEvent::Payload {
        event_type: event.event_type.clone(),
        reason: reason.to_owned(),
    }
}

/// When the event happened: its `EventMeta.occur_time`, else the envelope's time.
fn occurred(event: &Event, meta: Option<&EventMeta>) -> Option<DateTime<Utc>> {
    from_timestamp(meta.and_then(|meta| meta.occur_time.as_ref())).or(Some(event.occurred_at))
}

/// Records the notification, due now, unless the event already has one.
pub(crate) async fn record(
    tx: &mut PgConnection,
    event: &Event,
    planned: &Planned,
) -> Result<(), HandlerError> {
    let params =
        serde_json::to_value(&planned.content).map_err(|error| HandlerError::Failed(error.into()))?;
    sqlx::query!(
        "INSERT INTO notifications.notifications \
         (id, kind, recipient, recipient_user_id, subject, params, attempt_limit, source_event_id, \
          source_event_type, next_attempt_time) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, now()) \
         ON CONFLICT (source_event_id) DO NOTHING",
        Uuid::now_v7(),
        planned.content.kind().as_db(),
        &planned.recipient,
        planned.recipient_user_id,
        planned.content.subject(),
        params,
        ATTEMPTS_PER_ROUND,
        event.id,
        &event.event_type,
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use pos_api::pos::auth::v1::{LoginFailed, MerchantSignup};

    use super::*;
    use crate::kind::Kind;

    fn event<M: prost::Message + prost::Name>(message: &M) -> Event {
        Event {
            id: Uuid::now_v7(),
            event_type: M::full_name(),
            schema_version: 1,
            occurred_at: Utc::now(),
            producer: "auth".into(),
            key: "k".into(),
            payload: message.encode_to_vec(),
            topic: "t".into(),
            partition: 0,
            offset: 0,
            trace_context: BTreeMap::new(),
        }
    }

    fn user_id() -> String {
        Uuid::now_v7().to_string()
    }

    #[test]
    fn a_registration_asks_for_a_verification_mail_naming_the_store_and_hands_over_its_code() {
        let registered = UserRegistered {
            user_id: user_id(),
            email: " Owner@Shop.test ".into(),
            first_name: "Ana".into(),
            verification_code: "493817".into(),
            merchant: Some(MerchantSignup {
                name: "Corner Café".into(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let event = event(&registered);
        let planned = plan(&event).unwrap().unwrap();
        assert_eq!(planned.recipient, "Owner@Shop.test");
        assert_eq!(planned.recipient_user_id.unwrap().to_string(), registered.user_id);
        assert_eq!(planned.content.kind(), Kind::VerifyEmail);
        assert!(
            matches!(&planned.content, Content::VerifyEmail { store_name, .. } if store_name == "Corner Café")
        );
        assert!(
            !serde_json::to_string(&planned.content)
                .unwrap()
                .contains("493817")
        );
        assert_eq!(secret_of(&event).as_deref(), Some("493817"));
    }

    #[test]
    fn a_reset_request_for_an_invitation_asks_for_an_invitation() {
        let request = PasswordResetRequested {
            user_id: user_id(),
            email: "bo@shop.test".into(),
            reset_token: "tok".into(),
            purpose: PasswordResetPurpose::Invitation.into(),
            inviter_name: "Carla".into(),
            ..Default::default()
        };
        let planned = plan(&event(&request)).unwrap().unwrap();
        assert_eq!(planned.content.kind(), Kind::Invitation);
        let forgot = PasswordResetRequested {
            purpose: PasswordResetPurpose::ForgotPassword.into(),
            ..request
        };
        assert_eq!(
            plan(&event(&forgot)).unwrap().unwrap().content.kind(),
            Kind::PasswordReset
        );
    }

    #[test]
    fn security_events_ask_for_security_alerts_without_secrets() {
        let changed = PasswordChanged {
            user_id: user_id(),
            email: "a@shop.test".into(),
            ..Default::default()
        };
        let locked = AccountLocked {
            user_id: user_id(),
            email: "a@shop.test".into(),
            ..Default::default()
        };
        let duplicate = DuplicateRegistrationAttempted {
            user_id: user_id(),
            email: "a@shop.test".into(),
            ..Default::default()
        };
        for event in [event(&changed), event(&locked), event(&duplicate)] {
            assert_eq!(plan(&event).unwrap().unwrap().content.kind(), Kind::SecurityAlert);
            assert_eq!(secret_of(&event), None);
        }
    }

    #[test]
    fn other_events_ask_for_nothing() {
        let failed = LoginFailed {
            email: "a@shop.test".into(),
            ..Default::default()
        };
        assert_eq!(plan(&event(&failed)).unwrap(), None);
        let revoked = SessionsRevoked {
            user_id: user_id(),
            ..Default::default()
        };
        assert_eq!(plan(&event(&revoked)).unwrap(), None);
    }

    #[test]
    fn an_event_without_an_address_or_secret_is_malformed() {
        let no_email = EmailVerified {
            user_id: user_id(),
            ..Default::default()
        };
        assert!(plan(&event(&no_email)).is_err());
        let no_code = VerificationCodeIssued {
            user_id: user_id(),
            email: "a@shop.test".into(),
            ..Default::default()
        };
        assert!(plan(&event(&no_code)).is_err());
        let bad_user = EmailVerified {
            user_id: "nope".into(),
            email: "a@shop.test".into(),
            ..Default::default()
        };
        assert!(plan(&event(&bad_user)).is_err());
    }
}
