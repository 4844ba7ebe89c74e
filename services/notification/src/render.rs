//! The emails: what each notification says, as plain text and as HTML (every value escaped).
//!
//! A [`Content`] holds the values a body is rendered from, minus the one-time secret: it is stored
//! with the notification (column `params`) so a resend can render the mail again. The secret (a
//! verification code or a reset/invitation token) is passed in only when sending.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::kind::Kind;

/// How a password was changed (the values of `pos.auth.v1.PasswordChangeMethod` the mail tells apart).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum ChangeMethod {
    /// With the current password, signed in.
    Change,
    /// With a reset or invitation link.
    Reset,
    /// Not said.
    Unknown,
}

/// What a notification says, without its secret.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "template", rename_all = "snake_case")]
pub(crate) enum Content {
    /// A verification code (secret) for a new or changed email.
    VerifyEmail {
        first_name: String,
        expire_time: Option<DateTime<Utc>>,
        store_name: String,
    },
    /// The email was verified.
    Welcome { first_name: String },
    /// A password reset link (secret).
    PasswordReset {
        first_name: String,
        expire_time: Option<DateTime<Utc>>,
        client_ip: String,
    },
    /// A set-password invitation link (secret).
    Invitation {
        first_name: String,
        expire_time: Option<DateTime<Utc>>,
        inviter_name: String,
        merchant_name: String,
    },
    /// Someone tried to register with the email of an existing account.
    DuplicateRegistration {
        first_name: String,
        client_ip: String,
        time: Option<DateTime<Utc>>,
    },
    /// The password changed.
    PasswordChanged {
        first_name: String,
        method: ChangeMethod,
        client_ip: String,
        time: Option<DateTime<Utc>>,
    },
    /// Too many failed logins locked the account.
    AccountLocked {
        first_name: String,
        failed_attempts: i32,
        until: Option<DateTime<Utc>>,
        client_ip: String,
    },
    /// A refresh token was used twice: the sessions were revoked.
    SessionStolen {
        first_name: String,
        time: Option<DateTime<Utc>>,
    },
    /// An admin moved the owner's merchant to another status (`approved`, `rejected`,
    /// `suspended`, `reactivated`), with the admin's reason.
    MerchantStatus {
        first_name: String,
        merchant_name: String,
        change: String,
        reason: String,
    },
    /// An admin reviewed one of the merchant's documents (`approved` or `rejected`), with a note.
    DocumentReviewed {
        first_name: String,
        merchant_name: String,
        file_name: String,
        decision: String,
        note: String,
    },
}

/// A mail ready to send.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Rendered {
    pub(crate) subject: String,
    pub(crate) text: String,
    pub(crate) html: String,
}

/// Why a mail cannot be rendered.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum RenderError {
    /// A secret-bearing mail without its secret (it is never stored).
    #[error("the one-time code or link of this email is not kept, so it cannot be rendered again")]
    SecretMissing,
}

/// One paragraph of a mail.
enum Block {
    /// Prose.
    Text(String),
    /// A code to type, set apart.
    Code(String),
    /// A link to follow.
    Link(String),
}

impl Content {
    /// The kind of notification this content makes.
    pub(crate) fn kind(&self) -> Kind {
        match self {
            Content::VerifyEmail { .. } => Kind::VerifyEmail,
            Content::Welcome { .. } => Kind::Welcome,
            Content::PasswordReset { .. } => Kind::PasswordReset,
            Content::Invitation { .. } => Kind::Invitation,
            Content::DuplicateRegistration { .. }
            | Content::PasswordChanged { .. }
            | Content::AccountLocked { .. }
            | Content::SessionStolen { .. } => Kind::SecurityAlert,
            Content::MerchantStatus { .. } => Kind::MerchantStatus,
            Content::DocumentReviewed { .. } => Kind::DocumentReviewed,
        }
    }

    /// The name the mail greets (also the recipient's display name).
    pub(crate) fn first_name(&self) -> &str {
        match self {
            Content::VerifyEmail { first_name, .. }
            | Content::Welcome { first_name }
            | Content::PasswordReset { first_name, .. }
            | Content::Invitation { first_name, .. }
            | Content::DuplicateRegistration { first_name, .. }
            | Content::PasswordChanged { first_name, .. }
            | Content::AccountLocked { first_name, .. }
            | Content::SessionStolen { first_name, .. }
            | Content::MerchantStatus { first_name, .. }
            | Content::DocumentReviewed { first_name, .. } => first_name,
        }
    }

    /// The subject line; it never holds the secret (subjects are stored and listed).
    pub(crate) fn subject(&self) -> String {
        match self {
            Content::VerifyEmail { .. } => "Your POS verification code".to_owned(),
            Content::Welcome { .. } => "Welcome to POS".to_owned(),
            Content::PasswordReset { .. } => "Reset your POS password".to_owned(),
            Content::Invitation { merchant_name, .. } if !merchant_name.is_empty() => {
                format!("You are invited to join {merchant_name} on POS")
            }
            Content::Invitation { .. } => "You are invited to POS".to_owned(),
            Content::DuplicateRegistration { .. } => "Someone tried to sign up with your email".to_owned(),
            Content::PasswordChanged { .. } => "Your POS password was changed".to_owned(),
            Content::AccountLocked { .. } => "Your POS account is locked for a while".to_owned(),
            Content::SessionStolen { .. } => "We signed you out of POS to protect your account".to_owned(),
            Content::MerchantStatus {
                merchant_name,
                change,
                ..
            } => format!("{merchant_name} was {change} on POS"),
            Content::DocumentReviewed {
                merchant_name,
                decision,
                ..
            } => format!("A document of {merchant_name} was {decision}"),
        }
    }

    /// The mail, with `secret` (the code or token) for the kinds that carry one; links start at
    /// `public_url`.
    pub(crate) fn render(&self, secret: Option<&str>, public_url: &str) -> Result<Rendered, RenderError> {
        let base = public_url.trim_end_matches('/');
        let secret = || {
            secret
                .filter(|secret| !secret.is_empty())
                .ok_or(RenderError::SecretMissing)
        };
        let forgot = format!("{base}/forgot-password");
        let mut blocks = vec![Block::Text(format!("Hello {},", display_name(self.first_name())))];
        match self {
            Content::VerifyEmail {
                expire_time,
                store_name,
                ..
            } => {
                let purpose = if store_name.is_empty() {
                    "To confirm your email address for POS, enter this code in the app:".to_owned()
                } else {
                    format!(
                        "To confirm your email address and finish opening {store_name} on POS, enter this code in the app:"
                    )
                };
                blocks.push(Block::Text(purpose));
                blocks.push(Block::Code(secret()?.to_owned()));
                blocks.push(Block::Text(format!(
                    "The code works once and expires {}. If it has expired, ask the app for a new one.",
                    when(*expire_time)
                )));
                blocks.push(Block::Text(
                    "If you did not sign up for POS, ignore this email: nobody can use the account without this code."
                        .to_owned(),
                ));
            }
            Content::Welcome { .. } => {
                blocks.push(Block::Text(
                    "Your email address is confirmed and your POS account is ready. Sign in here:".to_owned(),
                ));
                blocks.push(Block::Link(format!("{base}/login")));
            }
            Content::PasswordReset {
                expire_time,
                client_ip,
                ..
            } => {
                blocks.push(Block::Text(format!(
                    "We received a request to reset the password of your POS account{}. To choose a new password, open this link:",
                    from_address(client_ip)
                )));
                blocks.push(Block::Link(link(base, "reset-password", secret()?)));
                blocks.push(Block::Text(format!(
                    "The link works once and expires {}. If it has expired, ask for a new one at {forgot}.",
                    when(*expire_time)
                )));
                blocks.push(Block::Text(
                    "If you did not ask for this, ignore this email: your password stays as it is."
                        .to_owned(),
                ));
            }
            Content::Invitation {
                expire_time,
                inviter_name,
                merchant_name,
                ..
            } => {
                let who = if inviter_name.is_empty() {
                    "Your administrator".to_owned()
                } else {
                    inviter_name.clone()
                };
                let to = if merchant_name.is_empty() {
                    "POS, the point-of-sale system".to_owned()
                } else {
                    format!("{merchant_name} on POS, the point-of-sale system")
                };
                blocks.push(Block::Text(format!(
                    "{who} created an account for you at {to}. To start, choose your password with this link:"
                )));
                blocks.push(Block::Link(link(base, "accept-invitation", secret()?)));
                blocks.push(Block::Text(format!(
                    "The link works once and expires {}. If it has expired, ask {} to invite you again, or ask for a new link at {forgot}.",
                    when(*expire_time),
                    if inviter_name.is_empty() { "your administrator" } else { inviter_name }
                )));
                blocks.push(Block::Text(
                    "If you were not expecting this, ignore this email.".to_owned(),
                ));
            }
            Content::DuplicateRegistration { client_ip, time, .. } => {
                blocks.push(Block::Text(format!(
                    "Someone tried to sign up for POS with your email address {}{}. You already have an account, so nothing was created.",
                    when(*time),
                    from_address(client_ip)
                )));
                blocks.push(Block::Text(format!(
                    "If it was you, sign in at {base}/login, or choose a new password at {forgot} if you forgot it."
                )));
                blocks.push(Block::Text(
                    "If it was not you, nothing changed and you do not need to do anything.".to_owned(),
                ));
            }
            Content::PasswordChanged {
                method,
                client_ip,
                time,
                ..
            } => {
                let how = match method {
                    ChangeMethod::Change => " from your account settings",
                    ChangeMethod::Reset => " with a password reset link",
                    ChangeMethod::Unknown => "",
                };
                blocks.push(Block::Text(format!(
                    "The password of your POS account was changed{how} {}{}.",
                    when(*time),
                    from_address(client_ip)
                )));
                blocks.push(Block::Text(format!(
                    "If it was you, there is nothing to do. If it was not, choose a new password now at {forgot} and tell your administrator."
                )));
            }
            Content::AccountLocked {
                failed_attempts,
                until,
                client_ip,
                ..
            } => {
                blocks.push(Block::Text(format!(
                    "After {failed_attempts} failed sign-in attempts on your POS account, the last one{}, we blocked sign-ins until {}.",
                    from_address(client_ip),
                    until.map_or_else(|| "a few minutes from now".to_owned(), format_time)
                )));
                blocks.push(Block::Text(format!(
                    "If it was you, wait and try again, or choose a new password at {forgot}. If it was not you, someone may be guessing your password: choose a new one and tell your administrator."
                )));
            }
            Content::SessionStolen { time, .. } => {
                blocks.push(Block::Text(format!(
                    "A sign-in of your POS account was used twice {}, which can mean that someone copied it. To protect your account, we signed out the affected devices.",
                    when(*time)
                )));
                blocks.push(Block::Text(format!(
                    "Sign in again at {base}/login. If you notice anything unusual, choose a new password at {forgot} and tell your administrator."
                )));
            }
            Content::MerchantStatus {
                merchant_name,
                change,
                reason,
                ..
            } => {
                let what = match change.as_str() {
                    "approved" => format!("{merchant_name} was approved: it can now sell on POS."),
                    "reactivated" => format!("{merchant_name} was reactivated: it can sell on POS again."),
                    "suspended" => {
                        format!("{merchant_name} was suspended: it cannot sell until it is reactivated.")
                    }
                    "rejected" => format!("{merchant_name} was not approved."),
                    other => format!("{merchant_name} was {other}."),
                };
                blocks.push(Block::Text(what));
                if !reason.is_empty() {
                    blocks.push(Block::Text(format!("The reason given: {reason}")));
                }
                blocks.push(Block::Text(format!("Sign in at {base}/login for the details.")));
            }
            Content::DocumentReviewed {
                merchant_name,
                file_name,
                decision,
                note,
                ..
            } => {
                let document = if file_name.is_empty() {
                    "A verification document".to_owned()
                } else {
                    format!("The verification document {file_name}")
                };
                blocks.push(Block::Text(format!(
                    "{document} of {merchant_name} was {decision}."
                )));
                if !note.is_empty() {
                    blocks.push(Block::Text(format!("The reviewer's note: {note}")));
                }
                if decision == "rejected" {
                    blocks.push(Block::Text(format!(
                        "You can upload a new document after signing in at {base}/login."
                    )));
                }
            }
        }
        blocks.push(Block::Text("— POS".to_owned()));
        Ok(Rendered {
            subject: self.subject(),
            text: to_text(&blocks),
            html: to_html(&self.subject(), &blocks),
        })
    }
}

fn display_name(first_name: &str) -> &str {
    if first_name.trim().is_empty() {
        "there"
    } else {
        first_name.trim()
    }
}

/// `"at 2026-11-27 14:05 UTC"`, or `"soon"` when the time is unknown.
fn when(time: Option<DateTime<Utc>>) -> String {
    time.map_or_else(|| "soon".to_owned(), |time| format!("at {}", format_time(time)))
}

fn format_time(time: DateTime<Utc>) -> String {
    time.format("%Y-%m-%d %H:%M UTC").to_string()
}

/// `" from the address 203.0.113.7"`, or nothing when unknown.
fn from_address(client_ip: &str) -> String {
    if client_ip.is_empty() {
        String::new()
    } else {
        format!(" from the address {client_ip}")
    }
}

/// `{base}/{page}?token={token}`, the token percent-encoded.
fn link(base: &str, page: &str, token: &str) -> String {
    format!("{base}/{page}?token={}", percent_encode(token))
}

fn percent_encode(value: &str) -> String {
    let mut encoded = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            encoded.push(char::from(byte));
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

fn to_text(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(|block| match block {
            Block::Text(text) | Block::Link(text) => text.clone(),
            Block::Code(code) => format!("    {code}"),
        })
        .collect::<Vec<_>>()
        .join("\n\n")
        + "\n"
}

fn to_html(subject: &str, blocks: &[Block]) -> String {
    let mut html = format!(
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>{}</title></head><body>\n",
        escape(subject)
    );
    for block in blocks {
        match block {
            Block::Text(text) => html.push_str(&format!("<p>{}</p>\n", escape(text))),
            Block::Code(code) => html.push_str(&format!(
                "<p style=\"font-size:24px;font-family:monospace;letter-spacing:4px\"><strong>{}</strong></p>\n",
                escape(code)
            )),
            Block::Link(url) => {
                let url = escape(url);
                html.push_str(&format!("<p><a href=\"{url}\">{url}</a></p>\n"));
            }
        }
    }
    html.push_str("</body></html>\n");
    html
}

/// Escapes text for HTML content and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone as _;

    use super::*;

    const URL: &str = "https://pos.example.test/";

    fn at(hour: u32, minute: u32) -> Option<DateTime<Utc>> {
        Some(Utc.with_ymd_and_hms(2026, 11, 27, hour, minute, 0).unwrap())
    }

    #[test]
    fn a_verification_mail_shows_the_code_and_its_expiry_but_its_subject_does_not() {
        let content = Content::VerifyEmail {
            first_name: "Ana".into(),
            expire_time: at(14, 5),
            store_name: String::new(),
        };
        let mail = content.render(Some("493817"), URL).unwrap();
        assert_eq!(mail.subject, "Your POS verification code");
        assert!(mail.text.starts_with("Hello Ana,\n\n"));
        assert!(mail.text.contains("\n    493817\n"));
        assert!(mail.text.contains("expires at 2026-11-27 14:05 UTC"));
        assert!(mail.html.contains("<strong>493817</strong>"));
        assert!(!mail.subject.contains("493817"));
    }

    #[test]
    fn a_secret_bearing_mail_cannot_be_rendered_without_its_secret() {
        let content = Content::PasswordReset {
            first_name: "Ana".into(),
            expire_time: at(9, 0),
            client_ip: String::new(),
        };
        assert_eq!(content.render(None, URL), Err(RenderError::SecretMissing));
        assert_eq!(content.render(Some(""), URL), Err(RenderError::SecretMissing));
    }

    #[test]
    fn a_reset_mail_links_to_the_reset_page_with_the_token_and_shows_the_client_address() {
        let content = Content::PasswordReset {
            first_name: "Ana".into(),
            expire_time: at(9, 30),
            client_ip: "203.0.113.7".into(),
        };
        let mail = content.render(Some("a+b/c="), URL).unwrap();
        assert!(
            mail.text
                .contains("https://pos.example.test/reset-password?token=a%2Bb%2Fc%3D")
        );
        assert!(mail.text.contains("from the address 203.0.113.7"));
        assert!(mail.text.contains("expires at 2026-11-27 09:30 UTC"));
    }

    #[test]
    fn an_invitation_names_the_inviter_and_the_merchant_and_links_to_the_invitation_page() {
        let content = Content::Invitation {
            first_name: "Bo".into(),
            expire_time: at(10, 0),
            inviter_name: "Carla Diaz".into(),
            merchant_name: "Corner Café".into(),
        };
        let mail = content.render(Some("tok_en-1"), URL).unwrap();
        assert_eq!(mail.subject, "You are invited to join Corner Café on POS");
        assert!(
            mail.text
                .contains("Carla Diaz created an account for you at Corner Café on POS")
        );
        assert!(
            mail.text
                .contains("https://pos.example.test/accept-invitation?token=tok_en-1")
        );
    }

    #[test]
    fn values_are_escaped_in_html_and_left_as_they_are_in_text() {
        let content = Content::Welcome {
            first_name: "<script>alert('x')</script> & Co".into(),
        };
        let mail = content.render(None, URL).unwrap();
        assert!(
            mail.html
                .contains("Hello &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; Co,")
        );
        assert!(!mail.html.contains("<script>"));
        assert!(mail.text.contains("Hello <script>alert('x')</script> & Co,"));
    }

    #[test]
    fn security_alerts_are_security_alerts_and_need_no_secret() {
        let alerts = [
            Content::DuplicateRegistration {
                first_name: "A".into(),
                client_ip: "198.51.100.1".into(),
                time: at(1, 2),
            },
            Content::PasswordChanged {
                first_name: "A".into(),
                method: ChangeMethod::Change,
                client_ip: String::new(),
                time: at(1, 2),
            },
            Content::AccountLocked {
                first_name: "A".into(),
                failed_attempts: 5,
                until: at(1, 17),
                client_ip: "x".into(),
            },
            Content::SessionStolen {
                first_name: "A".into(),
                time: None,
            },
        ];
        for alert in alerts {
            assert_eq!(alert.kind(), Kind::SecurityAlert);
            let mail = alert.render(None, URL).unwrap();
            assert!(mail.text.contains("https://pos.example.test/"), "{}", mail.text);
        }
    }

    #[test]
    fn content_round_trips_through_its_stored_form() {
        let content = Content::AccountLocked {
            first_name: "A".into(),
            failed_attempts: 5,
            until: at(1, 17),
            client_ip: "x".into(),
        };
        let stored = serde_json::to_value(&content).unwrap();
        assert_eq!(stored["template"], "account_locked");
        assert_eq!(serde_json::from_value::<Content>(stored).unwrap(), content);
    }
}
