-- The notification module's delivery log: one row per email the platform sent or tried to send.
-- Bodies are never stored (some carry one-time codes or links): only the subject and the
-- non-secret values the body is rendered from (`params`), so that a resend re-renders it.
CREATE TABLE notifications.notifications (
    id                uuid        PRIMARY KEY,                 -- UUIDv7
    kind              text        NOT NULL CHECK (kind IN (
                          'VERIFY_EMAIL', 'WELCOME', 'PASSWORD_RESET', 'SECURITY_ALERT', 'MERCHANT_STATUS',
                          'DOCUMENT_REVIEWED', 'INVITATION', 'DOCUMENT_UPLOADED', 'SETTLEMENT')),
    recipient         text        NOT NULL CHECK (length(recipient) BETWEEN 3 AND 254),
    recipient_user_id uuid,                                    -- a user of the user module; no foreign key
    subject           text        NOT NULL,
    params            jsonb       NOT NULL DEFAULT '{}'::jsonb, -- what the body is rendered from; no secrets
    status            text        NOT NULL DEFAULT 'PENDING' CHECK (status IN ('PENDING', 'SENT', 'FAILED')),
    attempts          integer     NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    attempt_limit     integer     NOT NULL CHECK (attempt_limit > 0), -- attempts may grow to this in the current round
    last_error        text        NOT NULL DEFAULT '',
    source_event_id   uuid        NOT NULL UNIQUE,             -- at most one notification per event
    source_event_type text        NOT NULL,
    create_time       timestamptz NOT NULL DEFAULT now(),
    update_time       timestamptz NOT NULL DEFAULT now(),
    send_time         timestamptz,
    next_attempt_time timestamptz,                              -- due time (or lease end) while PENDING
    CHECK ((status = 'PENDING') = (next_attempt_time IS NOT NULL))
);

-- ListNotifications: newest first, optionally by recipient, user, status or kind.
CREATE INDEX notifications_newest_idx ON notifications.notifications (create_time DESC, id DESC);
CREATE INDEX notifications_recipient_idx ON notifications.notifications (lower(recipient), create_time DESC, id DESC);
CREATE INDEX notifications_user_idx ON notifications.notifications (recipient_user_id, create_time DESC, id DESC)
    WHERE recipient_user_id IS NOT NULL;
-- The sender: due notifications.
CREATE INDEX notifications_due_idx ON notifications.notifications (next_attempt_time) WHERE status = 'PENDING';
