//! Sending due notifications, with retries, in every process that serves the module.
//!
//! A PENDING notification is due when its `next_attempt_time` has passed. The dispatcher claims
//! due rows (`FOR UPDATE SKIP LOCKED`, so processes never share one), counting the attempt and
//! leasing the row for [`DispatchOptions::lease`], renders the mail and sends it:
//! - accepted: SENT, with `NotificationSent`;
//! - refused for good (a 5xx reply, a bad address) or the round's 5th attempt failed: FAILED,
//!   with `NotificationFailed`;
//! - otherwise: still PENDING, due again after a backoff (1 s, 2 s, 4 s, 8 s by default).
//!
//! Notifications carrying a one-time secret are claimed only by the process whose [`Vault`]
//! holds the secret. One whose secret is held nowhere (its process stopped, and the event was
//! not redelivered) fails once overdue by [`DispatchOptions::orphan_after`]; so does a row whose
//! last attempt never finished although its attempts are used up.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use tokio::sync::Notify;
use uuid::Uuid;

use crate::events;
use crate::kind::SECRET_KINDS;
use crate::mailer::{Mailer, SendError};
use crate::render::Content;
use crate::store::NotificationRow;
use crate::vault::Vault;

/// Timing of the dispatcher.
#[derive(Clone, Debug)]
pub(crate) struct DispatchOptions {
    /// Wait after the first failed attempt of a round; doubled after each further one.
    pub(crate) first_retry: Duration,
    /// How long a claimed row is reserved for the attempt under way.
    pub(crate) lease: Duration,
    /// How overdue a row must be for the sweep to take it as abandoned.
    pub(crate) orphan_after: Duration,
    /// How often due rows are looked for when nothing wakes the dispatcher.
    pub(crate) poll: Duration,
    /// How often abandoned rows are swept and unneeded secrets forgotten.
    pub(crate) sweep_every: Duration,
    /// Rows claimed and sent at once.
    pub(crate) batch: i64,
}

impl Default for DispatchOptions {
    fn default() -> Self {
        DispatchOptions {
            first_retry: Duration::from_secs(1),
            lease: Duration::from_secs(180),
            orphan_after: Duration::from_secs(300),
            poll: Duration::from_secs(1),
            sweep_every: Duration::from_secs(60),
            batch: 16,
        }
    }
}

/// The sender of one process.
pub(crate) struct Dispatcher {
    pub(crate) db: PgPool,
    pub(crate) mailer: Mailer,
    pub(crate) vault: Arc<Vault>,
    /// Woken by the consumer's hook; the dispatcher stops once the consumer (which owns it) is gone.
    pub(crate) wake: Weak<Notify>,
    pub(crate) public_url: String,
    pub(crate) options: DispatchOptions,
}

/// What became of one attempt.
enum Outcome {
    Sent,
    Retry(String),
    Failed(String),
}

impl Dispatcher {
    /// Sends due notifications until the consumer that feeds it stops (or the runtime ends).
    pub(crate) async fn run(self) {
        let mut last_sweep: Option<Instant> = None;
        loop {
            let Some(wake) = self.wake.upgrade() else {
                tracing::info!("the notification consumer stopped; so does the dispatcher");
                return;
            };
            if last_sweep.is_none_or(|at| at.elapsed() >= self.options.sweep_every) {
                last_sweep = Some(Instant::now());
                if let Err(error) = self.sweep().await {
                    tracing::warn!(%error, "sweeping abandoned notifications failed");
                }
            }
            match self.claim_due().await {
                Ok(rows) if !rows.is_empty() => {
                    futures::future::join_all(rows.into_iter().map(|row| self.attempt(row))).await;
                    continue;
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "looking for due notifications failed"),
            }
            tokio::select! {
                () = wake.notified() => {}
                () = tokio::time::sleep(self.options.poll) => {}
            }
        }
    }

    /// Claims due rows this process can render: counts the attempt and leases the row.
    async fn claim_due(&self) -> Result<Vec<NotificationRow>, sqlx::Error> {
        sqlx::query_as!(
            NotificationRow,
            "UPDATE notifications.notifications \
             SET attempts = attempts + 1, next_attempt_time = now() + make_interval(secs => $1) \
             WHERE id IN (SELECT id FROM notifications.notifications \
                 WHERE status = 'PENDING' AND next_attempt_time <= now() AND attempts < attempt_limit \
                   AND (kind <> ALL($2) OR source_event_id = ANY($3)) \
                 ORDER BY next_attempt_time LIMIT $4 FOR UPDATE SKIP LOCKED) \
             RETURNING id, kind, recipient, recipient_user_id, subject, params, status, attempts, \
             attempt_limit, last_error, source_event_id, create_time, update_time, send_time, \
             next_attempt_time",
            self.options.lease.as_secs_f64(),
            &SECRET_KINDS[..] as &[&str],
            &self.vault.held(),
            self.options.batch,
        )
        .fetch_all(&self.db)
        .await
    }

    /// One attempt at `row`, and its outcome recorded.
    async fn attempt(&self, row: NotificationRow) {
        let outcome = self.send(&row).await;
        let finished = !matches!(outcome, Outcome::Retry(_));
        if let Err(error) = self.record(&row, outcome).await {
            // The lease runs out and the row is attempted again (or swept).
            tracing::warn!(notification_id = %row.id, %error, "recording a notification attempt failed");
            return;
        }
        if finished {
            self.vault.remove(row.source_event_id);
        }
    }

    async fn send(&self, row: &NotificationRow) -> Outcome {
        let content: Content = match serde_json::from_value(row.params.clone()) {
            Ok(content) => content,
            Err(error) => return Outcome::Failed(format!("the notification cannot be rendered: {error}")),
        };
        let secret = row
            .kind()
            .filter(|kind| kind.carries_secret())
            .and_then(|_| self.vault.get(row.source_event_id));
        let mail = match content.render(secret.as_deref(), &self.public_url) {
            Ok(mail) => mail,
            Err(error) => return Outcome::Failed(error.to_string()),
        };
        match self
            .mailer
            .send(&row.recipient, content.first_name(), &mail)
            .await
        {
            Ok(()) => Outcome::Sent,
            Err(SendError { message, permanent }) if permanent || row.attempts >= row.attempt_limit => {
                Outcome::Failed(message)
            }
            Err(SendError { message, .. }) => Outcome::Retry(message),
        }
    }

    async fn record(&self, row: &NotificationRow, outcome: Outcome) -> Result<(), sqlx::Error> {
        let mut tx = self.db.begin().await?;
        match outcome {
            Outcome::Sent => {
                let sent = sqlx::query_as!(
                    NotificationRow,
                    "UPDATE notifications.notifications SET status = 'SENT', send_time = now(), update_time = now(), \
                     last_error = '', next_attempt_time = NULL WHERE id = $1 AND status = 'PENDING' \
                     RETURNING id, kind, recipient, recipient_user_id, subject, params, status, attempts, \
                     attempt_limit, last_error, source_event_id, create_time, update_time, send_time, \
                     next_attempt_time",
                    row.id,
                )
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(sent) = sent {
                    events::sent(&mut tx, &sent).await?;
                }
                tracing::info!(notification_id = %row.id, kind = %row.kind, attempts = row.attempts, "notification sent");
            }
            Outcome::Failed(error) => {
                let failed = sqlx::query_as!(
                    NotificationRow,
                    "UPDATE notifications.notifications SET status = 'FAILED', update_time = now(), last_error = $2, \
                     next_attempt_time = NULL WHERE id = $1 AND status = 'PENDING' \
                     RETURNING id, kind, recipient, recipient_user_id, subject, params, status, attempts, \
                     attempt_limit, last_error, source_event_id, create_time, update_time, send_time, \
                     next_attempt_time",
                    row.id,
                    &error,
                )
                .fetch_optional(&mut *tx)
                .await?;
                if let Some(failed) = failed {
                    events::failed(&mut tx, &failed).await?;
                }
                tracing::warn!(notification_id = %row.id, kind = %row.kind, attempts = row.attempts, %error, "notification failed");
            }
            Outcome::Retry(error) => {
                let wait = self.backoff(row.round_attempt());
                sqlx::query!(
                    "UPDATE notifications.notifications SET update_time = now(), last_error = $2, \
                     next_attempt_time = now() + make_interval(secs => $3) WHERE id = $1 AND status = 'PENDING'",
                    row.id,
                    &error,
                    wait.as_secs_f64(),
                )
                .execute(&mut *tx)
                .await?;
                tracing::info!(notification_id = %row.id, attempts = row.attempts, retry_in = ?wait, %error, "sending a notification failed; retrying");
            }
        }
        tx.commit().await
    }

    /// The wait after the `round_attempt`-th failed attempt of a round.
    fn backoff(&self, round_attempt: i32) -> Duration {
        let doublings = u32::try_from(round_attempt.saturating_sub(1))
            .unwrap_or(0)
            .min(16);
        self.options.first_retry.saturating_mul(1 << doublings)
    }

    /// Fails abandoned rows (see the module docs) and forgets secrets no PENDING row needs.
    async fn sweep(&self) -> Result<(), sqlx::Error> {
        let held = self.vault.held();
        let mut tx = self.db.begin().await?;
        let abandoned = sqlx::query_as!(
            NotificationRow,
            "UPDATE notifications.notifications SET status = 'FAILED', update_time = now(), next_attempt_time = NULL, \
             last_error = CASE WHEN attempts < attempt_limit \
                 THEN 'the one-time code or link was lost before it could be sent (the sending process stopped); \
                       the user can ask for a new one' \
                 WHEN last_error = '' THEN 'the last attempt did not finish (the sending process stopped)' \
                 ELSE last_error END \
             WHERE status = 'PENDING' AND next_attempt_time < now() - make_interval(secs => $1) \
               AND ((kind = ANY($2) AND source_event_id <> ALL($3)) OR attempts >= attempt_limit) \
             RETURNING id, kind, recipient, recipient_user_id, subject, params, status, attempts, \
             attempt_limit, last_error, source_event_id, create_time, update_time, send_time, \
             next_attempt_time",
            self.options.orphan_after.as_secs_f64(),
            &SECRET_KINDS[..] as &[&str],
            &held,
        )
        .fetch_all(&mut *tx)
        .await?;
        for row in &abandoned {
            events::failed(&mut tx, row).await?;
            tracing::warn!(notification_id = %row.id, kind = %row.kind, "abandoned notification failed");
        }
        tx.commit().await?;
        let still_needed: Vec<Uuid> = sqlx::query_scalar!(
            "SELECT source_event_id FROM notifications.notifications \
             WHERE status = 'PENDING' AND source_event_id = ANY($1)",
            &held,
        )
        .fetch_all(&self.db)
        .await?;
        self.vault.retain(&held, &still_needed);
        Ok(())
    }
}
