//! Inbound mail, from raw bytes to what intake needs. Never fails: a message the MIME parser
//! cannot read is kept with its raw bytes as the body, so nothing a customer sent is dropped.

use super::html_text;
use mail_parser::{Address, HeaderValue, MessageParser, MimeHeaders};

/// A name and an address, the address in lower case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    pub name: Option<String>,
    pub address: String,
}

/// A file carried by a message: an attachment, or an inline image an HTML body shows by
/// `cid:` link.
#[derive(Debug, Clone)]
pub struct Part {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
    /// The `Content-ID`, without angle brackets, for inline images.
    pub content_id: Option<String>,
}

/// A parsed inbound message.
#[derive(Debug, Clone, Default)]
pub struct InboundEmail {
    /// `Message-ID` without angle brackets.
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    pub from: Option<Mailbox>,
    pub reply_to: Option<Mailbox>,
    pub to: Vec<Mailbox>,
    pub cc: Vec<Mailbox>,
    pub subject: String,
    /// The plain text: the text part, or text derived from the HTML part.
    pub text: String,
    /// The HTML part as sent (unsanitized).
    pub html: Option<String>,
    pub parts: Vec<Part>,
    /// Sent by a machine (auto-reply, list or bulk mail, a bounce): never answered
    /// automatically.
    pub automated: bool,
    /// A delivery status notification (a bounce), with the Message-IDs it reports on.
    pub bounce_of: Vec<String>,
    /// The MIME parser could not read the message; `text` is the raw bytes.
    pub malformed: bool,
}

impl InboundEmail {
    /// Every Message-ID this message answers, nearest first.
    pub fn thread_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = self.in_reply_to.clone();
        for r in self.references.iter().rev() {
            if !ids.contains(r) {
                ids.push(r.clone());
            }
        }
        ids
    }
}

/// Parses `raw`. Always returns a message: mail the parser cannot read, or that trips one of
/// its internal checks (the fuzzer found inputs that do), is kept as its raw text.
pub fn parse(raw: &[u8]) -> InboundEmail {
    std::panic::catch_unwind(|| parse_mime(raw)).unwrap_or_else(|_| unreadable(raw))
}

fn unreadable(raw: &[u8]) -> InboundEmail {
    InboundEmail {
        text: String::from_utf8_lossy(raw).into_owned(),
        malformed: true,
        ..InboundEmail::default()
    }
}

fn parse_mime(raw: &[u8]) -> InboundEmail {
    let Some(msg) = MessageParser::default().parse(raw) else {
        return unreadable(raw);
    };
    let html = msg.body_html(0).map(|h| h.into_owned());
    let mut text = match msg.body_text(0) {
        Some(t) if msg.text_body_count() > 0 && !is_html_only(&msg) => t.into_owned(),
        _ => html.as_deref().map(html_text::to_text).unwrap_or_default(),
    };
    // Nothing readable came out of something that was sent: keep the bytes as they are.
    let unreadable = text.trim().is_empty() && html.is_none() && msg.attachment_count() == 0;
    if unreadable && raw.iter().any(|b| !b.is_ascii_whitespace()) {
        text = String::from_utf8_lossy(raw).into_owned();
    }
    let header_text = |name: &str| msg.header_raw(name).map(|v| v.trim().to_ascii_lowercase());
    let from = first(msg.from());
    let auto_submitted = header_text("Auto-Submitted").is_some_and(|v| v != "no");
    let precedence = header_text("Precedence")
        .is_some_and(|v| matches!(v.as_str(), "bulk" | "list" | "junk" | "auto_reply"));
    let machine_sender = from.as_ref().is_some_and(|f| {
        let local = f.address.split('@').next().unwrap_or("");
        matches!(
            local,
            "mailer-daemon" | "postmaster" | "noreply" | "no-reply"
        )
    });
    let list = msg.header_raw("List-Id").is_some() || msg.header_raw("List-Unsubscribe").is_some();
    let is_report = msg.content_type().is_some_and(|ct| {
        ct.subtype()
            .is_some_and(|s| s.eq_ignore_ascii_case("report"))
    });
    let mut parts = Vec::new();
    let mut bounce_of = Vec::new();
    if is_report {
        // Some servers return only the original's headers, as a text part.
        for part in &msg.parts {
            let returned_headers = part.content_type().is_some_and(|ct| {
                ct.ctype().eq_ignore_ascii_case("text")
                    && ct
                        .subtype()
                        .is_some_and(|s| s.eq_ignore_ascii_case("rfc822-headers"))
            });
            if returned_headers
                && let Some(id) = MessageParser::default()
                    .parse_headers(part.contents())
                    .and_then(|h| h.message_id().map(str::to_string))
            {
                bounce_of.push(id);
            }
        }
    }
    for part in msg.attachments() {
        if let Some(inner) = part.message() {
            // A returned original inside a bounce names the message that failed.
            if is_report && let Some(id) = inner.message_id() {
                bounce_of.push(id.to_string());
            }
        }
        let content_type = part.content_type().map_or_else(
            || "application/octet-stream".to_string(),
            |ct| match ct.subtype() {
                Some(sub) => format!("{}/{}", ct.ctype(), sub).to_ascii_lowercase(),
                None => ct.ctype().to_ascii_lowercase(),
            },
        );
        if is_report && content_type == "message/delivery-status" {
            continue;
        }
        let filename = part
            .attachment_name()
            .map(str::to_string)
            .unwrap_or_else(|| default_name(&content_type));
        parts.push(Part {
            filename,
            content_type,
            bytes: part.contents().to_vec(),
            content_id: part
                .content_id()
                .map(|c| c.trim_matches(['<', '>', ' ']).to_string()),
        });
    }
    InboundEmail {
        message_id: msg.message_id().map(clean_id),
        in_reply_to: ids(msg.in_reply_to()),
        references: ids(msg.references()),
        reply_to: first(msg.reply_to()),
        to: all(msg.to()),
        cc: all(msg.cc()),
        subject: msg.subject().unwrap_or("").trim().to_string(),
        text,
        html,
        parts,
        automated: auto_submitted || precedence || machine_sender || list || is_report,
        bounce_of,
        malformed: unreadable && msg.from().is_none(),
        from,
    }
}

/// A message whose only body is HTML: mail-parser then offers a text body converted from
/// it, which we derive ourselves for consistent results.
fn is_html_only(msg: &mail_parser::Message<'_>) -> bool {
    msg.text_part(0)
        .zip(msg.html_part(0))
        .is_some_and(|(t, h)| std::ptr::eq(t, h))
}

fn default_name(content_type: &str) -> String {
    let ext = content_type.split('/').nth(1).unwrap_or("bin");
    let ext: String = ext.chars().filter(char::is_ascii_alphanumeric).collect();
    format!("attachment.{}", if ext.is_empty() { "bin" } else { &ext })
}

fn clean_id(id: &str) -> String {
    id.trim().trim_matches(['<', '>']).to_string()
}

fn ids(value: &HeaderValue<'_>) -> Vec<String> {
    match value {
        HeaderValue::Text(t) => vec![clean_id(t)],
        HeaderValue::TextList(list) => list.iter().map(|t| clean_id(t)).collect(),
        _ => Vec::new(),
    }
    .into_iter()
    .filter(|id| !id.is_empty())
    .collect()
}

fn mailbox(addr: &mail_parser::Addr<'_>) -> Option<Mailbox> {
    let address = addr.address()?.trim().to_lowercase();
    if !address.contains('@') {
        return None;
    }
    Some(Mailbox {
        name: addr
            .name()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty()),
        address,
    })
}

fn all(address: Option<&Address<'_>>) -> Vec<Mailbox> {
    address
        .map(|a| a.iter().filter_map(mailbox).collect())
        .unwrap_or_default()
}

fn first(address: Option<&Address<'_>>) -> Option<Mailbox> {
    all(address).into_iter().next()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_reply_yields_its_ids_sender_and_text() {
        let raw = b"From: Olga <Olga@Example.com>\r\nTo: support@acme.test\r\nCc: Bob <bob@example.com>\r\n\
Subject: Re: [#12] Leak\r\nMessage-ID: <abc@mail.example.com>\r\nIn-Reply-To: <x1@acme.test>\r\n\
References: <x0@acme.test> <x1@acme.test>\r\n\r\nStill leaking.\r\n";
        let m = parse(raw);
        assert_eq!(m.message_id.as_deref(), Some("abc@mail.example.com"));
        assert_eq!(m.thread_ids(), vec!["x1@acme.test", "x0@acme.test"]);
        assert_eq!(
            m.from,
            Some(Mailbox {
                name: Some("Olga".into()),
                address: "olga@example.com".into()
            })
        );
        assert_eq!(m.cc[0].address, "bob@example.com");
        assert_eq!(m.subject, "Re: [#12] Leak");
        assert_eq!(m.text.trim(), "Still leaking.");
        assert!(!m.automated);
    }

    #[test]
    fn html_only_mail_gets_a_derived_text_and_encoded_words_are_decoded() {
        let raw = "From: a@example.com\r\nSubject: =?ISO-8859-1?Q?Caf=E9?=\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Hello&nbsp;<b>there</b></p><p>Second</p>".as_bytes();
        let m = parse(raw);
        assert_eq!(m.subject, "Café");
        assert_eq!(m.text, "Hello there\n\nSecond");
        assert!(
            m.html
                .as_deref()
                .is_some_and(|h| h.contains("<b>there</b>"))
        );
    }

    #[test]
    fn machine_mail_is_marked_automated() {
        for header in [
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "List-Id: <news.example.com>",
        ] {
            let raw = format!("From: a@example.com\r\n{header}\r\nSubject: x\r\n\r\nbody");
            assert!(parse(raw.as_bytes()).automated, "{header}");
        }
        let raw = b"From: MAILER-DAEMON@example.com\r\nSubject: x\r\n\r\nbody";
        assert!(parse(raw).automated);
    }

    fn bounce(returned: &str) -> Vec<u8> {
        format!(
            "From: MAILER-DAEMON@mx.example.com\r\nTo: support@acme.test\r\nSubject: Undelivered Mail\r\n\
MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"r\"\r\n\r\n\
--r\r\nContent-Type: text/plain\r\n\r\n<gone@example.com>: host mx said: 550 5.1.1 no such user\r\n\
--r\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n\
Final-Recipient: rfc822; gone@example.com\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
--r\r\n{returned}\r\n\r\nFrom: support@acme.test\r\nTo: gone@example.com\r\n\
Message-ID: <reply.7@acme.test>\r\nSubject: Re: x\r\n\r\n--r--\r\n"
        )
        .into_bytes()
    }

    #[test]
    fn a_bounce_names_the_message_it_returns_whole_or_as_headers_only() {
        for returned in [
            "Content-Type: message/rfc822",
            "Content-Type: text/rfc822-headers",
        ] {
            let m = parse(&bounce(returned));
            assert_eq!(m.bounce_of, vec!["reply.7@acme.test"], "{returned}");
            assert!(m.automated);
            assert!(m.text.contains("no such user"), "{}", m.text);
        }
    }

    #[test]
    fn a_multipart_that_trips_the_parsers_own_checks_is_kept_as_text() {
        // Found by the fuzzer (fuzz/fuzz_targets/inbound_email.rs).
        let raw = include_bytes!("../../../../fuzz/regressions/parser-invalid-part-id.eml");
        let m = parse(raw);
        assert!(!m.text.is_empty() || m.malformed);
    }

    #[test]
    fn garbage_is_kept_as_text_never_dropped() {
        let m = parse(b"");
        assert!(m.malformed);
        let m = parse(b"\xff\xfe not mail at all");
        assert!(!m.text.is_empty());
    }
}
