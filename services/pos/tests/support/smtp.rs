//! A real SMTP server for tests: it accepts every message on a free loopback port and keeps it in memory.
//!
//! The protocol (commands, replies, dot-unstuffing, AUTH) is the `mailin` crate's; this file only moves lines
//! between a tokio socket and a `mailin::Session` and decodes the stored messages with `mail-parser`
//! (quoted-printable, base64, encoded words).
//!
//! ```ignore
//! let sink = SmtpSink::start().await;
//! // POS_SMTP_URL = sink.url()
//! let mail = sink.wait_for("owner@shop.test", Duration::from_secs(10)).await;
//! assert!(mail.text_body.contains("123456"));
//! ```

#![allow(dead_code, reason = "each test suite uses a different part of the sink")]

use std::io;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mail_parser::MessageParser;
use mailin::{Action, AuthMechanism, Handler, Response, SessionBuilder};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Notify;

/// One message the sink accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ReceivedMail {
    /// The envelope sender (`MAIL FROM`).
    pub(crate) from: String,
    /// The envelope recipients (`RCPT TO`), in order.
    pub(crate) to: Vec<String>,
    /// The decoded `Subject` header ("" when absent).
    pub(crate) subject: String,
    /// The decoded first text part, line ends as `\n` ("" when the message has none; an HTML-only message's
    /// text rendering).
    pub(crate) text_body: String,
    /// The decoded first text/html part, line ends as `\n`, if the message has one.
    pub(crate) html_body: Option<String>,
    /// The user name the client authenticated as, if it did.
    pub(crate) auth_user: Option<String>,
    /// The message exactly as received (after dot-unstuffing).
    pub(crate) raw: Vec<u8>,
}

/// A running SMTP server on `127.0.0.1:<free port>`; it stops when the test's runtime ends.
pub(crate) struct SmtpSink {
    address: SocketAddr,
    shared: Arc<Shared>,
}

struct Shared {
    mails: Mutex<Vec<ReceivedMail>>,
    arrived: Notify,
    /// How many of the next messages to refuse with a transient `421` at the end of DATA.
    reject_next: AtomicUsize,
}

impl SmtpSink {
    /// Starts the server on a free loopback port; it takes mail without authentication.
    pub(crate) async fn start() -> SmtpSink {
        SmtpSink::start_with(false).await
    }

    /// Starts a server that requires AUTH (PLAIN or LOGIN, offered over plain TCP) before it takes mail; it
    /// accepts any user name and password and records the user name in [`ReceivedMail::auth_user`].
    pub(crate) async fn start_requiring_auth() -> SmtpSink {
        SmtpSink::start_with(true).await
    }

    async fn start_with(requires_auth: bool) -> SmtpSink {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind the SMTP sink to a free port");
        let address = listener.local_addr().expect("the SMTP sink's address");
        let shared = Arc::new(Shared {
            mails: Mutex::new(Vec::new()),
            arrived: Notify::new(),
            reject_next: AtomicUsize::new(0),
        });
        let mut builder = SessionBuilder::new("smtp-sink.test");
        if requires_auth {
            builder
                .enable_auth(AuthMechanism::Plain)
                .enable_auth(AuthMechanism::Login)
                .insecure_enable_plaintext_auth();
        }
        let accepting = Arc::clone(&shared);
        tokio::spawn(async move {
            loop {
                let Ok((stream, peer)) = listener.accept().await else {
                    continue;
                };
                let session = Session::new(&builder, peer.ip(), Arc::clone(&accepting));
                tokio::spawn(session.run(stream));
            }
        });
        SmtpSink { address, shared }
    }

    /// `smtp://127.0.0.1:<port>`: plain SMTP, what `POS_SMTP_URL` takes.
    pub(crate) fn url(&self) -> String {
        format!("smtp://{}", self.address)
    }

    /// The address the server listens on.
    pub(crate) fn address(&self) -> SocketAddr {
        self.address
    }

    /// Every message accepted so far, oldest first.
    pub(crate) fn messages(&self) -> Vec<ReceivedMail> {
        self.shared.mails.lock().expect("the sink's mailbox").clone()
    }

    /// The messages accepted so far for `to` (an envelope recipient, compared case-insensitively).
    pub(crate) fn messages_to(&self, to: &str) -> Vec<ReceivedMail> {
        self.messages()
            .into_iter()
            .filter(|mail| is_for(mail, to))
            .collect()
    }

    /// Refuses the next `count` messages at the end of DATA with `421` and closes the connection (a transient
    /// failure a sender should retry).
    pub(crate) fn reject_next(&self, count: usize) {
        self.shared.reject_next.store(count, Ordering::SeqCst);
    }

    /// The first message for `to` (an envelope recipient, compared case-insensitively); waits for it up to
    /// `timeout` and panics, listing what did arrive, if none does.
    pub(crate) async fn wait_for(&self, to: &str, timeout: Duration) -> ReceivedMail {
        self.wait_for_count(to, 1, timeout).await.swap_remove(0)
    }

    /// The first `count` messages for `to`; waits for them up to `timeout` and panics if fewer arrive.
    pub(crate) async fn wait_for_count(
        &self,
        to: &str,
        count: usize,
        timeout: Duration,
    ) -> Vec<ReceivedMail> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Register interest before looking, so that an arrival in between is not missed.
            let arrived = self.shared.arrived.notified();
            let mut found = self.messages_to(to);
            if found.len() >= count {
                found.truncate(count);
                return found;
            }
            if tokio::time::timeout_at(deadline, arrived).await.is_err() {
                let seen: Vec<String> = self
                    .messages()
                    .iter()
                    .map(|mail| format!("to {:?}: {:?}", mail.to, mail.subject))
                    .collect();
                panic!(
                    "the SMTP sink got {} of {count} message(s) for {to} within {timeout:?}; it holds {}: {seen:#?}",
                    found.len(),
                    self.messages().len(),
                );
            }
        }
    }
}

fn is_for(mail: &ReceivedMail, to: &str) -> bool {
    mail.to.iter().any(|recipient| recipient.eq_ignore_ascii_case(to))
}

/// One SMTP connection.
struct Session {
    session: mailin::Session<Collector>,
}

impl Session {
    fn new(builder: &SessionBuilder, peer: IpAddr, shared: Arc<Shared>) -> Session {
        let collector = Collector {
            shared,
            auth_user: None,
            from: String::new(),
            to: Vec::new(),
            data: Vec::new(),
        };
        Session {
            session: builder.build(peer, collector),
        }
    }

    async fn run(mut self, stream: TcpStream) {
        // A client that goes away mid-session is not the sink's failure: the error is dropped.
        let _ = self.serve(stream).await;
    }

    async fn serve(&mut self, stream: TcpStream) -> io::Result<()> {
        let (reader, mut writer) = stream.into_split();
        let mut reader = BufReader::new(reader);
        writer.write_all(&self.session.greeting().buffer()?).await?;
        let mut line = Vec::with_capacity(128);
        loop {
            line.clear();
            if reader.read_until(b'\n', &mut line).await? == 0 {
                return Ok(());
            }
            let response: Response = self.session.process(&line);
            match response.action {
                Action::NoReply => {}
                Action::Reply => writer.write_all(&response.buffer()?).await?,
                // STARTTLS is not offered, so an upgrade request ends the session like a close does.
                Action::Close | Action::UpgradeTls => {
                    writer.write_all(&response.buffer()?).await?;
                    return writer.shutdown().await;
                }
            }
        }
    }
}

/// Collects one message at a time and stores it, decoded, at the end of DATA.
struct Collector {
    shared: Arc<Shared>,
    auth_user: Option<String>,
    from: String,
    to: Vec<String>,
    data: Vec<u8>,
}

impl Handler for Collector {
    fn data_start(&mut self, _domain: &str, from: &str, _is8bit: bool, to: &[String]) -> Response {
        self.from = from.to_owned();
        self.to = to.to_vec();
        self.data.clear();
        mailin::response::OK
    }

    fn data(&mut self, buf: &[u8]) -> io::Result<()> {
        self.data.extend_from_slice(buf);
        Ok(())
    }

    fn data_end(&mut self) -> Response {
        let raw = std::mem::take(&mut self.data);
        let refuse = self
            .shared
            .reject_next
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |left| left.checked_sub(1))
            .is_ok();
        if refuse {
            // 421 closes the session; a 4xx that keeps it open would leave `mailin` in its DATA state.
            return mailin::response::NO_SERVICE;
        }
        let parsed = MessageParser::default().parse(&raw);
        let (subject, text_body, html_body) = match &parsed {
            Some(message) => (
                message.subject().unwrap_or_default().to_owned(),
                message
                    .body_text(0)
                    .map(|text| text.replace("\r\n", "\n"))
                    .unwrap_or_default(),
                message
                    .html_bodies()
                    .find(|part| part.is_text_html())
                    .and_then(|part| part.text_contents())
                    .map(|html| html.replace("\r\n", "\n")),
            ),
            None => (String::new(), String::new(), None),
        };
        let mail = ReceivedMail {
            from: std::mem::take(&mut self.from),
            to: std::mem::take(&mut self.to),
            subject,
            text_body,
            html_body,
            auth_user: self.auth_user.clone(),
            raw,
        };
        self.shared.mails.lock().expect("the sink's mailbox").push(mail);
        self.shared.arrived.notify_waiters();
        mailin::response::OK
    }

    fn auth_plain(&mut self, _authorization_id: &str, authentication_id: &str, _password: &str) -> Response {
        self.auth_user = Some(authentication_id.to_owned());
        mailin::response::AUTH_OK
    }

    fn auth_login(&mut self, username: &str, _password: &str) -> Response {
        self.auth_user = Some(username.to_owned());
        mailin::response::AUTH_OK
    }
}
