//! Sending over SMTP with lettre, from `POS_SMTP_URL` and `POS_MAIL_FROM`.
//!
//! `smtp://host:port` is plain SMTP (a local relay), `smtps://user:pass@host:465` TLS from the
//! start, `smtp://user:pass@host:587?tls=required` STARTTLS (`?tls=opportunistic` when offered);
//! user and password are percent-decoded. Certificates are checked against the Mozilla roots.

use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport as _, Message, Tokio1Executor};

use crate::render::Rendered;

/// How long one SMTP command may take.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);

/// Longest error text kept in `last_error`.
const MAX_ERROR_CHARS: usize = 500;

/// Why a send failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SendError {
    /// The SMTP reply or connection error, for `last_error`.
    pub(crate) message: String,
    /// Whether trying again cannot help (a 5xx reply, a bad address, a bad configuration).
    pub(crate) permanent: bool,
}

impl SendError {
    fn permanent(message: impl Into<String>) -> Self {
        SendError {
            message: truncate(message.into()),
            permanent: true,
        }
    }
}

/// The SMTP transport and the sender address.
pub(crate) struct Mailer {
    /// The transport, or why the configuration cannot give one.
    transport: Result<AsyncSmtpTransport<Tokio1Executor>, String>,
    from: Result<Mailbox, String>,
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The transport holds the SMTP credentials: never printed.
        f.debug_struct("Mailer")
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl Mailer {
    /// A mailer for `smtp_url` sending as `mail_from`. A bad setting is reported (once, here, without the
    /// URL, which may hold a password) and makes every send fail for good with the reason.
    pub(crate) fn new(smtp_url: &str, mail_from: &str) -> Mailer {
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(smtp_url)
            .map(|builder| builder.timeout(Some(COMMAND_TIMEOUT)).build())
            .map_err(|error| format!("POS_SMTP_URL is not a usable SMTP URL: {error}"));
        let from = mail_from
            .parse::<Mailbox>()
            .map_err(|error| format!("POS_MAIL_FROM is not an email address: {error}"));
        for problem in [transport.as_ref().err(), from.as_ref().err()]
            .into_iter()
            .flatten()
        {
            tracing::error!(problem = %problem, "the notification module cannot send email");
        }
        Mailer { transport, from }
    }

    /// Sends `mail` to `recipient` (greeted as `name`).
    pub(crate) async fn send(&self, recipient: &str, name: &str, mail: &Rendered) -> Result<(), SendError> {
        let transport = self.transport.as_ref().map_err(SendError::permanent)?;
        let from = self.from.as_ref().map_err(SendError::permanent)?;
        let address = recipient.parse().map_err(|error| {
            SendError::permanent(format!("the recipient is not an email address: {error}"))
        })?;
        let name = name.trim();
        let to = Mailbox::new((!name.is_empty()).then(|| name.to_owned()), address);
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(mail.subject.clone())
            .multipart(MultiPart::alternative_plain_html(
                mail.text.clone(),
                mail.html.clone(),
            ))
            .map_err(|error| SendError::permanent(format!("the message cannot be built: {error}")))?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|error| SendError {
                permanent: error.is_permanent(),
                message: truncate(error.to_string()),
            })
    }
}

fn truncate(mut message: String) -> String {
    if let Some((cut, _)) = message.char_indices().nth(MAX_ERROR_CHARS) {
        message.truncate(cut);
        message.push('…');
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail() -> Rendered {
        Rendered {
            subject: "s".into(),
            text: "t".into(),
            html: "<p>t</p>".into(),
        }
    }

    #[tokio::test]
    async fn a_bad_smtp_url_fails_every_send_for_good_without_showing_the_url() {
        let mailer = Mailer::new(
            "imap://user:hunter2@mail.example.test",
            "POS <no-reply@example.test>",
        );
        let error = mailer.send("a@example.test", "A", &mail()).await.unwrap_err();
        assert!(error.permanent);
        assert!(
            error.message.starts_with("POS_SMTP_URL is not a usable SMTP URL"),
            "{}",
            error.message
        );
        assert!(!error.message.contains("hunter2"));
    }

    #[tokio::test]
    async fn a_bad_sender_or_recipient_fails_for_good() {
        let mailer = Mailer::new("smtp://127.0.0.1:1", "not an address");
        assert!(
            mailer
                .send("a@example.test", "A", &mail())
                .await
                .unwrap_err()
                .permanent
        );
        let mailer = Mailer::new("smtp://127.0.0.1:1", "POS <no-reply@example.test>");
        let error = mailer.send("not an address", "A", &mail()).await.unwrap_err();
        assert!(error.permanent);
        assert!(error.message.starts_with("the recipient is not an email address"));
    }

    #[tokio::test]
    async fn an_unreachable_server_is_a_transient_failure() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let mailer = Mailer::new(&format!("smtp://127.0.0.1:{port}"), "POS <no-reply@example.test>");
        let error = mailer.send("a@example.test", "A", &mail()).await.unwrap_err();
        assert!(!error.permanent, "{error:?}");
        assert!(!error.message.is_empty());
    }

    #[test]
    fn long_errors_are_cut() {
        assert_eq!(truncate("é".repeat(600)).chars().count(), MAX_ERROR_CHARS + 1);
        assert_eq!(truncate("short".into()), "short");
    }
}
