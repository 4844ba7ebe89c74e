//! Turning `pos.merchant.v1.events` into e-mails to the merchant's owner: a status change
//! (approved, rejected with the reason, suspended, reactivated) and a document review (with the
//! reviewer's note). The events carry the owner's address; when they do not (the owner's profile
//! could not be read), the user module is asked.

use futures::future::BoxFuture;
use prost::Name as _;
use sqlx::PgConnection;

use pos_api::pos::merchant::v1::{
    DocumentStatus, MerchantDocumentReviewed, MerchantStatus, MerchantStatusChanged,
};
use pos_api::pos::user::v1::GetUserRequest;
use pos_platform::ModuleContext;
use pos_platform::events::{Event, EventHandler, HandlerError};

use crate::consumer::{Planned, record};
use crate::render::Content;

/// Applies `pos.merchant.v1.events`.
pub(crate) struct MerchantEvents {
    ctx: ModuleContext,
}

impl MerchantEvents {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        MerchantEvents { ctx }
    }

    /// The owner's address and greeting: the event's, else the user module's.
    async fn owner(
        &self,
        user_id: &str,
        email: &str,
        name: &str,
    ) -> Result<Option<(String, String)>, HandlerError> {
        if !email.trim().is_empty() {
            return Ok(Some((email.trim().to_owned(), name.to_owned())));
        }
        if user_id.is_empty() {
            return Ok(None);
        }
        let mut users = self
            .ctx
            .clients
            .user()
            .map_err(|error| HandlerError::Failed(anyhow::Error::new(error)))?;
        match users
            .get_user(GetUserRequest {
                user_id: user_id.to_owned(),
            })
            .await
        {
            Ok(response) => Ok(response.into_inner().user.map(|user| {
                (
                    user.email,
                    format!("{} {}", user.first_name, user.last_name)
                        .trim()
                        .to_owned(),
                )
            })),
            Err(status) if status.code() == tonic::Code::NotFound => Ok(None),
            Err(status) => Err(HandlerError::Failed(anyhow::anyhow!(
                "looking up a merchant owner failed: {:?} {}",
                status.code(),
                status.message()
            ))),
        }
    }

    async fn plan(&self, event: &Event) -> Result<Option<Planned>, HandlerError> {
        let name = event.event_type.as_str();
        let (user_id, email, owner_name, content) = if name == MerchantStatusChanged::full_name() {
            let e = event.decode::<MerchantStatusChanged>()?;
            let Some(change) = status_change(e.from_status(), e.to_status()) else {
                return Ok(None);
            };
            let content = Content::MerchantStatus {
                first_name: String::new(),
                merchant_name: e.merchant_name,
                change: change.to_owned(),
                reason: e.reason,
            };
            (e.owner_user_id, e.owner_email, e.owner_name, content)
        } else if name == MerchantDocumentReviewed::full_name() {
            let e = event.decode::<MerchantDocumentReviewed>()?;
            let decision = match e.status() {
                DocumentStatus::Approved => "approved",
                DocumentStatus::Rejected => "rejected",
                DocumentStatus::Pending | DocumentStatus::Unspecified => return Ok(None),
            };
            let content = Content::DocumentReviewed {
                first_name: String::new(),
                merchant_name: e.merchant_name,
                file_name: e.document.map(|document| document.file_name).unwrap_or_default(),
                decision: decision.to_owned(),
                note: e.note,
            };
            (e.owner_user_id, e.owner_email, e.owner_name, content)
        } else {
            return Ok(None);
        };
        let Some((recipient, greeting)) = self.owner(&user_id, &email, &owner_name).await? else {
            return Ok(None);
        };
        Ok(Some(Planned {
            recipient,
            recipient_user_id: uuid::Uuid::parse_str(&user_id).ok(),
            content: with_first_name(content, greeting),
        }))
    }
}

/// How a move between statuses is told to the owner; `None` for a move the contract does not have.
fn status_change(from: MerchantStatus, to: MerchantStatus) -> Option<&'static str> {
    match (from, to) {
        (MerchantStatus::Suspended, MerchantStatus::Active) => Some("reactivated"),
        (_, MerchantStatus::Active) => Some("approved"),
        (_, MerchantStatus::Rejected) => Some("rejected"),
        (_, MerchantStatus::Suspended) => Some("suspended"),
        (_, MerchantStatus::Pending | MerchantStatus::Unspecified) => None,
    }
}

fn with_first_name(content: Content, name: String) -> Content {
    match content {
        Content::MerchantStatus {
            merchant_name,
            change,
            reason,
            ..
        } => Content::MerchantStatus {
            first_name: name,
            merchant_name,
            change,
            reason,
        },
        Content::DocumentReviewed {
            merchant_name,
            file_name,
            decision,
            note,
            ..
        } => Content::DocumentReviewed {
            first_name: name,
            merchant_name,
            file_name,
            decision,
            note,
        },
        other => other,
    }
}

impl EventHandler for MerchantEvents {
    fn handle<'a>(
        &'a self,
        tx: &'a mut PgConnection,
        event: &'a Event,
    ) -> BoxFuture<'a, Result<(), HandlerError>> {
        Box::pin(async move {
            if let Some(planned) = self.plan(event).await? {
                record(tx, event, &planned).await?;
            }
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_move_is_told_by_its_name() {
        assert_eq!(
            status_change(MerchantStatus::Pending, MerchantStatus::Active),
            Some("approved")
        );
        assert_eq!(
            status_change(MerchantStatus::Suspended, MerchantStatus::Active),
            Some("reactivated")
        );
        assert_eq!(
            status_change(MerchantStatus::Pending, MerchantStatus::Rejected),
            Some("rejected")
        );
        assert_eq!(
            status_change(MerchantStatus::Active, MerchantStatus::Suspended),
            Some("suspended")
        );
        assert_eq!(
            status_change(MerchantStatus::Active, MerchantStatus::Pending),
            None
        );
    }

    #[test]
    fn a_rejection_mail_carries_the_reason_as_escaped_text() {
        let content = Content::MerchantStatus {
            first_name: "Ana".into(),
            merchant_name: "Toko <b>".into(),
            change: "rejected".into(),
            reason: "blurry <licence>".into(),
        };
        let rendered = content.render(None, "https://pos.test").unwrap();
        assert!(rendered.text.contains("blurry <licence>"));
        assert!(rendered.html.contains("blurry &lt;licence&gt;"));
        assert_eq!(content.kind(), crate::kind::Kind::MerchantStatus);
    }
}
