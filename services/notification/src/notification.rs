//! `pos.notification.v1.NotificationService`: the delivery log, for support and audit.
//!
//! The access layer already enforced `notification.read` / `notification.write` (platform) before
//! a handler runs; every caller that gets here may see and resend every notification.

use chrono::{DateTime, Utc};
use prost::Message as _;
use serde::{Deserialize, Serialize};
use tonic::{Request, Response, Status};
use uuid::Uuid;

use pos_api::Module;
use pos_api::pos::notification::v1 as pb;
use pos_api::pos::notification::v1::notification_service_server::NotificationService;
use pos_platform::auth::Principal;
use pos_platform::{AuthContext, ModuleContext, paging};

use crate::error::NotificationError;
use crate::kind::{DeliveryStatus, Kind};
use crate::store::{ATTEMPTS_PER_ROUND, NotificationRow};
use pos_platform::idempotency::{Claim, IdempotencyKey};

/// Longest `recipient` filter (an email address).
const MAX_RECIPIENT_CHARS: usize = 254;

/// Handlers of `pos.notification.v1.NotificationService`.
pub(crate) struct NotificationApi {
    ctx: ModuleContext,
}

impl NotificationApi {
    pub(crate) fn new(ctx: ModuleContext) -> Self {
        NotificationApi { ctx }
    }
}

#[tonic::async_trait]
impl NotificationService for NotificationApi {
    async fn list_notifications(
        &self,
        request: Request<pb::ListNotificationsRequest>,
    ) -> Result<Response<pb::ListNotificationsResponse>, Status> {
        Ok(Response::new(list(&self.ctx, request.get_ref()).await?))
    }

    async fn get_notification(
        &self,
        request: Request<pb::GetNotificationRequest>,
    ) -> Result<Response<pb::GetNotificationResponse>, Status> {
        let id = notification_id(&request.get_ref().notification_id)?;
        let row = sqlx::query_as!(
            NotificationRow,
            "SELECT id, kind, recipient, recipient_user_id, subject, params, status, attempts, \
             attempt_limit, last_error, source_event_id, create_time, update_time, send_time, \
             next_attempt_time \
             FROM notifications.notifications WHERE id = $1",
            id,
        )
        .fetch_optional(&self.ctx.db)
        .await
        .map_err(NotificationError::from)?;
        let row = row.ok_or_else(|| NotificationError::NotFound(id.to_string()))?;
        Ok(Response::new(pb::GetNotificationResponse {
            notification: Some(row.to_proto()),
        }))
    }

    async fn resend_notification(
        &self,
        request: Request<pb::ResendNotificationRequest>,
    ) -> Result<Response<pb::ResendNotificationResponse>, Status> {
        let principal = principal(AuthContext::require(&request)?);
        Ok(Response::new(
            resend(&self.ctx, principal, request.get_ref()).await?,
        ))
    }
}

/// The filters a page token is bound to.
#[derive(Serialize)]
struct Filters<'a> {
    recipient: &'a str,
    recipient_user_id: Option<Uuid>,
    status: Option<&'static str>,
    kind: Option<&'static str>,
}

/// Where a page ends: the last notification returned.
#[derive(Serialize, Deserialize)]
struct Cursor {
    create_time: DateTime<Utc>,
    id: Uuid,
}

async fn list(
    ctx: &ModuleContext,
    request: &pb::ListNotificationsRequest,
) -> Result<pb::ListNotificationsResponse, NotificationError> {
    let page_size = paging::page_size(Module::Notification, request.page_size)?;
    let recipient = request.recipient.trim();
    if recipient.chars().count() > MAX_RECIPIENT_CHARS {
        return Err(NotificationError::invalid(
            "recipient",
            format!("must be at most {MAX_RECIPIENT_CHARS} characters"),
        ));
    }
    let recipient_user_id = if request.recipient_user_id.is_empty() {
        None
    } else {
        Some(
            Uuid::parse_str(&request.recipient_user_id)
                .map_err(|_| NotificationError::invalid("recipient_user_id", "must be a UUID"))?,
        )
    };
    let status = pb::NotificationStatus::try_from(request.status)
        .map_err(|_| NotificationError::invalid("status", "is not a NotificationStatus"))?;
    let kind = pb::NotificationKind::try_from(request.kind)
        .map_err(|_| NotificationError::invalid("kind", "is not a NotificationKind"))?;
    let filters = Filters {
        recipient: &recipient.to_lowercase(),
        recipient_user_id,
        status: DeliveryStatus::from_proto(status).map(DeliveryStatus::as_db),
        kind: Kind::from_proto(kind).map(Kind::as_db),
    };
    let cursor: Option<Cursor> =
        ctx.page_tokens
            .decode(Module::Notification, &request.page_token, &filters)?;

    let mut conn = ctx.db.acquire().await?;
    // Both statements filter alike (the WHERE clause of ListNotifications over binds $1–$4).
    let total = sqlx::query_scalar!(
        r#"SELECT count(*) AS "count!" FROM notifications.notifications
           WHERE ($1 = '' OR lower(recipient) = lower($1))
             AND ($2::uuid IS NULL OR recipient_user_id = $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::text IS NULL OR kind = $4)"#,
        filters.recipient,
        filters.recipient_user_id,
        filters.status,
        filters.kind,
    )
    .fetch_one(&mut *conn)
    .await?;
    let mut rows = sqlx::query_as!(
        NotificationRow,
        r#"SELECT id, kind, recipient, recipient_user_id, subject, params, status, attempts, attempt_limit,
                  last_error, source_event_id, create_time, update_time, send_time, next_attempt_time
           FROM notifications.notifications
           WHERE ($1 = '' OR lower(recipient) = lower($1))
             AND ($2::uuid IS NULL OR recipient_user_id = $2)
             AND ($3::text IS NULL OR status = $3)
             AND ($4::text IS NULL OR kind = $4)
             AND ($5::timestamptz IS NULL OR (create_time, id) < ($5, $6))
           ORDER BY create_time DESC, id DESC LIMIT $7"#,
        filters.recipient,
        filters.recipient_user_id,
        filters.status,
        filters.kind,
        cursor.as_ref().map(|cursor| cursor.create_time),
        cursor.as_ref().map(|cursor| cursor.id),
        i64::from(page_size) + 1,
    )
    .fetch_all(&mut *conn)
    .await?;

    let page_size = usize::try_from(page_size).unwrap_or(usize::MAX);
    let more = rows.len() > page_size;
    rows.truncate(page_size);
    let next_page_token = match rows.last() {
        Some(last) if more => ctx.page_tokens.encode(
            &Cursor {
                create_time: last.create_time,
                id: last.id,
            },
            &filters,
        ),
        _ => String::new(),
    };
    Ok(pb::ListNotificationsResponse {
        notifications: rows.iter().map(NotificationRow::to_proto).collect(),
        next_page_token,
        total_size: i32::try_from(total).unwrap_or(i32::MAX),
    })
}

/// Puts a notification back to PENDING, due now, with a new round of attempts; the dispatcher of
/// any process re-renders it from its stored values and sends it.
async fn resend(
    ctx: &ModuleContext,
    principal: String,
    request: &pb::ResendNotificationRequest,
) -> Result<pb::ResendNotificationResponse, NotificationError> {
    let id = notification_id(&request.notification_id)?;
    let key = IdempotencyKey::new(
        Module::Notification,
        "ResendNotification",
        principal,
        &request.request_id,
        id.as_bytes(),
    )?;
    let mut tx = ctx.db.begin().await?;
    if let Some(key) = &key
        && let Claim::Replay(response) = key.claim(&mut tx).await?
    {
        tx.rollback().await?;
        return pb::ResendNotificationResponse::decode(response.as_slice())
            .map_err(|error| NotificationError::Internal(error.into()));
    }
    let row = sqlx::query_as!(
        NotificationRow,
        "SELECT id, kind, recipient, recipient_user_id, subject, params, status, attempts, \
         attempt_limit, last_error, source_event_id, create_time, update_time, send_time, \
         next_attempt_time \
         FROM notifications.notifications WHERE id = $1 FOR UPDATE",
        id,
    )
    .fetch_optional(&mut *tx)
    .await?;
    let row = row.ok_or_else(|| NotificationError::NotFound(id.to_string()))?;
    let kind = row
        .kind()
        .ok_or_else(|| anyhow::anyhow!("notification {id} has an unknown kind"))?;
    if kind.carries_secret() {
        return Err(NotificationError::NotResendable {
            id: id.to_string(),
            kind: kind.to_proto().as_str_name().to_owned(),
        });
    }
    if row.status() == Some(DeliveryStatus::Pending) {
        return Err(NotificationError::Pending(id.to_string()));
    }
    let row = sqlx::query_as!(
        NotificationRow,
        "UPDATE notifications.notifications SET status = 'PENDING', attempt_limit = attempts + $2, \
         next_attempt_time = now(), update_time = now() WHERE id = $1 \
         RETURNING id, kind, recipient, recipient_user_id, subject, params, status, attempts, \
         attempt_limit, last_error, source_event_id, create_time, update_time, send_time, \
         next_attempt_time",
        id,
        ATTEMPTS_PER_ROUND,
    )
    .fetch_one(&mut *tx)
    .await?;
    let response = pb::ResendNotificationResponse {
        notification: Some(row.to_proto()),
    };
    if let Some(key) = &key {
        key.complete(&mut tx, &response).await?;
    }
    tx.commit().await?;
    Ok(response)
}

fn notification_id(value: &str) -> Result<Uuid, NotificationError> {
    if value.is_empty() {
        return Err(NotificationError::invalid("notification_id", "is required"));
    }
    Uuid::parse_str(value).map_err(|_| NotificationError::invalid("notification_id", "must be a UUID"))
}

/// Who an idempotency key belongs to.
fn principal(ctx: &AuthContext) -> String {
    match &ctx.principal {
        Principal::User { user_id, .. } => user_id.to_string(),
        Principal::Service { name } => format!("service:{name}"),
    }
}
