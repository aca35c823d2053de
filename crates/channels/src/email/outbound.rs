//! Outbound mail: composing a message (text with an HTML alternative, attachments, the
//! threading headers a mail client needs) and handing raw bytes to an SMTP relay. The outbox
//! composes once and stores the bytes, so every retry sends the same message with the same
//! Message-ID.

use super::parse::{Mailbox, Part};
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};

/// A message to compose.
#[derive(Debug, Clone, Default)]
pub struct OutboundEmail {
    pub from: Option<Mailbox>,
    pub reply_to: Option<String>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    /// Without angle brackets.
    pub message_id: String,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub text: String,
    pub html: Option<String>,
    pub attachments: Vec<Part>,
    /// Sent by Steward on its own (an acknowledgement, a notification), not by a person.
    pub automatic: bool,
}

#[derive(Debug, thiserror::Error)]
#[error("cannot compose the message: {0}")]
pub struct ComposeError(String);

fn lettre_mailbox(m: &Mailbox) -> Result<lettre::message::Mailbox, ComposeError> {
    let address = m
        .address
        .parse()
        .map_err(|e| ComposeError(format!("bad address {}: {e}", m.address)))?;
    Ok(lettre::message::Mailbox::new(m.name.clone(), address))
}

/// The message as bytes ready for SMTP.
pub fn compose(mail: &OutboundEmail) -> Result<Vec<u8>, ComposeError> {
    let from = mail
        .from
        .as_ref()
        .ok_or_else(|| ComposeError("no sender".into()))?;
    let mut b = lettre::Message::builder()
        .from(lettre_mailbox(from)?)
        .subject(mail.subject.clone())
        .message_id(Some(format!("<{}>", mail.message_id)))
        .date_now();
    if let Some(r) = &mail.reply_to {
        b = b.reply_to(lettre_mailbox(&Mailbox {
            name: from.name.clone(),
            address: r.clone(),
        })?);
    }
    for t in &mail.to {
        b = b.to(lettre_mailbox(t)?);
    }
    for c in &mail.cc {
        b = b.cc(lettre_mailbox(c)?);
    }
    if let Some(r) = &mail.in_reply_to {
        b = b.in_reply_to(format!("<{r}>"));
    }
    if !mail.references.is_empty() {
        let refs: Vec<String> = mail.references.iter().map(|r| format!("<{r}>")).collect();
        b = b.references(refs.join(" "));
    }
    if mail.automatic {
        b = b.raw_header(HeaderValue::new(
            HeaderName::new_from_ascii_str("Auto-Submitted"),
            "auto-replied".into(),
        ));
    }
    let body = match &mail.html {
        Some(html) => MultiPart::alternative_plain_html(mail.text.clone(), html.clone()),
        None => MultiPart::mixed().singlepart(SinglePart::plain(mail.text.clone())),
    };
    let message = if mail.attachments.is_empty() {
        b.multipart(body)
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for a in &mail.attachments {
            let ct = ContentType::parse(&a.content_type)
                .or_else(|_| ContentType::parse("application/octet-stream"))
                .map_err(|e| ComposeError(e.to_string()))?;
            mixed = mixed.singlepart(Attachment::new(a.filename.clone()).body(a.bytes.clone(), ct));
        }
        b.multipart(mixed)
    };
    Ok(message
        .map_err(|e| ComposeError(e.to_string()))?
        .formatted())
}

/// How to reach the relay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Security {
    /// Plain text: only for a relay on loopback or a private network.
    #[default]
    None,
    /// Plain connection upgraded with STARTTLS, which must succeed.
    StartTls,
    /// TLS from the first byte (port 465).
    Tls,
}

/// An SMTP relay. Its `Debug` never shows the password.
#[derive(Clone, Default)]
pub struct Relay {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: Option<String>,
    pub password: Option<String>,
}

impl std::fmt::Debug for Relay {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Relay")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "***"))
            .finish()
    }
}

/// Why a relay did not take a message.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct SendError {
    /// The relay refused for good (a 5xx answer): retrying will not help.
    pub permanent: bool,
    pub message: String,
}

impl Relay {
    fn transport(&self) -> Result<AsyncSmtpTransport<Tokio1Executor>, SendError> {
        let fail = |e: lettre::transport::smtp::Error| SendError {
            permanent: false,
            message: e.to_string(),
        };
        let tls = match self.security {
            Security::None => Tls::None,
            Security::StartTls => {
                Tls::Required(TlsParameters::new(self.host.clone()).map_err(fail)?)
            }
            Security::Tls => Tls::Wrapper(TlsParameters::new(self.host.clone()).map_err(fail)?),
        };
        let mut b = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(self.host.clone())
            .port(self.port)
            .tls(tls)
            .timeout(Some(std::time::Duration::from_secs(30)));
        if let (Some(u), Some(p)) = (&self.username, &self.password) {
            b = b.credentials(Credentials::new(u.clone(), p.clone()));
        }
        Ok(b.build())
    }

    /// Hands `raw` to the relay for `recipients`, with `sender` as the envelope sender.
    pub async fn send(
        &self,
        sender: &str,
        recipients: &[String],
        raw: &[u8],
    ) -> Result<(), SendError> {
        let bad = |m: String| SendError {
            permanent: true,
            message: m,
        };
        let from = sender
            .parse()
            .map_err(|e| bad(format!("bad sender {sender}: {e}")))?;
        let to = recipients
            .iter()
            .map(|r| {
                r.parse()
                    .map_err(|e| bad(format!("bad recipient {r}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let envelope =
            lettre::address::Envelope::new(Some(from), to).map_err(|e| bad(e.to_string()))?;
        self.transport()?
            .send_raw(&envelope, raw)
            .await
            .map(|_| ())
            .map_err(|e| SendError {
                permanent: e.is_permanent(),
                message: e.to_string(),
            })
    }

    /// Connects and says hello, for the "test connection" button.
    pub async fn check(&self) -> Result<(), SendError> {
        match self.transport()?.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(SendError {
                permanent: false,
                message: "the relay did not answer".into(),
            }),
            Err(e) => Err(SendError {
                permanent: false,
                message: e.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::email::parse::parse;

    #[test]
    fn a_composed_reply_parses_back_with_its_threading_headers() {
        let mail = OutboundEmail {
            from: Some(Mailbox {
                name: Some("Acme Support".into()),
                address: "support@acme.test".into(),
            }),
            reply_to: Some("support+tok@acme.test".into()),
            to: vec![Mailbox {
                name: None,
                address: "olga@example.com".into(),
            }],
            subject: "Re: [#12] Leak".into(),
            message_id: "m1.abc@acme.test".into(),
            in_reply_to: Some("orig@example.com".into()),
            references: vec!["orig@example.com".into()],
            text: "Try descaling.".into(),
            html: Some("<p>Try <b>descaling</b>.</p>".into()),
            attachments: vec![Part {
                filename: "guide.pdf".into(),
                content_type: "application/pdf".into(),
                bytes: b"%PDF-1.4".to_vec(),
                content_id: None,
            }],
            automatic: true,
            ..Default::default()
        };
        let raw = compose(&mail).expect("composes");
        let back = parse(&raw);
        assert_eq!(back.message_id.as_deref(), Some("m1.abc@acme.test"));
        assert_eq!(back.in_reply_to, vec!["orig@example.com"]);
        assert_eq!(
            back.reply_to.map(|r| r.address).as_deref(),
            Some("support+tok@acme.test")
        );
        assert_eq!(back.text.trim(), "Try descaling.");
        assert!(back.html.is_some_and(|h| h.contains("<b>descaling</b>")));
        assert_eq!(back.parts.len(), 1);
        assert_eq!(back.parts[0].bytes, b"%PDF-1.4");
        assert!(back.automated, "our own automatic mail is marked as such");
    }
}
