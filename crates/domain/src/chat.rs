//! Live chat's rules: the frames of the visitor's wire protocol (docs/chat-protocol.md), the
//! limits a connection lives under, what a chat inbox may be set to, and the wait a visitor
//! is told. No IO.

use crate::DomainError;
use crate::validate;
use serde::{Deserialize, Serialize};

/// The largest frame a client may send, in bytes.
pub const MAX_FRAME: usize = 16 * 1024;
/// The longest chat message, in characters.
pub const MAX_TEXT: usize = 4_000;
/// Frames a client may send per second on average, and in a burst.
pub const FRAMES_PER_SECOND: f64 = 10.0;
pub const FRAME_BURST: f64 = 30.0;
/// Refused frames (malformed, too fast) after which the server closes the connection.
pub const MAX_STRIKES: u32 = 20;
/// Messages a new connection gets as history, at most.
pub const HISTORY: i64 = 100;
/// Seconds between the server's heartbeats; a connection silent for three is closed.
pub const HEARTBEAT_SECONDS: u64 = 20;

/// What the visitor fills in before a chat, when the inbox asks.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub topic: Option<String>,
}

/// A frame from the visitor's browser.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClientFrame {
    /// The first frame: which inbox, who (the token a earlier welcome gave, if any) and the
    /// last sequence number the browser has shown (0 for none).
    Hello {
        inbox: String,
        #[serde(default)]
        visitor: Option<String>,
        #[serde(default)]
        last_seq: i64,
    },
    /// A message; `cseq` is the browser's own number for it, so a resend is recognised.
    Message {
        cseq: i64,
        text: String,
        #[serde(default)]
        profile: Option<Profile>,
    },
    Typing {
        on: bool,
    },
    /// The visitor has seen everything up to `seq`.
    Read {
        seq: i64,
    },
    /// The visitor asks for a person rather than the bot.
    Handoff,
    /// The visitor ends the chat.
    End,
    /// The visitor rates the chat that ended (the scale of its `survey` frame).
    Rate {
        rating: i64,
        #[serde(default)]
        comment: Option<String>,
    },
    Ping,
}

/// One message as the visitor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MessageFrame {
    pub seq: i64,
    pub chat: i64,
    /// customer, agent, bot or system: the widget says plainly who is speaking.
    pub author: String,
    pub name: String,
    pub text: String,
    pub at: i64,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<FileRef>,
    /// The browser's own number for a message it sent, so it can match it to its draft.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cseq: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub name: String,
    pub url: String,
    pub content_type: String,
    pub size: i64,
}

/// What the widget shows of its inbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InboxInfo {
    pub name: String,
    pub colour: String,
    pub greeting: String,
    /// Within business hours; outside them a message becomes an email conversation.
    pub open: bool,
    pub prechat: String,
    pub topics: Vec<String>,
}

/// A frame from the server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame {
    Welcome {
        visitor: String,
        inbox: InboxInfo,
        /// The chat going on, if any.
        chat: Option<i64>,
        /// Whether the visitor already gave an email address (no pre-chat form again).
        known: bool,
        /// Messages after the hello's `last_seq` (or the latest, for a new page).
        messages: Vec<MessageFrame>,
    },
    Message(MessageFrame),
    /// The message the browser numbered `cseq` is stored as `seq`.
    Ack {
        cseq: i64,
        seq: i64,
        chat: i64,
    },
    Typing {
        on: bool,
        name: String,
    },
    /// An agent has seen the visitor's messages up to `seq`.
    Read {
        seq: i64,
    },
    /// Where the visitor stands: `waiting` (with place and estimated wait), `assigned`,
    /// `ended`, or `offline` (taken as an email conversation).
    Status {
        state: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        agent: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        position: Option<i64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        wait_seconds: Option<i64>,
    },
    /// After a chat ends, when satisfaction surveys are on for chat: how to rate it, and the
    /// rating given so far.
    Survey {
        chat: i64,
        question: String,
        /// The choices, as (rating, label), worst first.
        choices: Vec<(i64, String)>,
        rating: Option<i64>,
        /// Whether a rating may still be given or changed.
        open: bool,
    },
    Error {
        code: String,
        message: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        cseq: Option<i64>,
    },
    Pong,
}

impl ServerFrame {
    pub fn error(code: &str, message: impl Into<String>, cseq: Option<i64>) -> ServerFrame {
        ServerFrame::Error {
            code: code.into(),
            message: message.into(),
            cseq,
        }
    }
}

/// A token bucket: `FRAMES_PER_SECOND` on average, `FRAME_BURST` at once.
#[derive(Debug, Clone)]
pub struct RateLimit {
    tokens: f64,
    last_ms: i64,
}

impl RateLimit {
    pub fn new(now_ms: i64) -> RateLimit {
        RateLimit {
            tokens: FRAME_BURST,
            last_ms: now_ms,
        }
    }

    /// Takes one frame's token at `now_ms`; `false` when the client is too fast.
    pub fn take(&mut self, now_ms: i64) -> bool {
        let elapsed = (now_ms - self.last_ms).max(0) as f64 / 1000.0;
        self.last_ms = now_ms;
        self.tokens = (self.tokens + elapsed * FRAMES_PER_SECOND).min(FRAME_BURST);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

/// The estimated wait, in seconds, for the chat at `position` (1 = next), from how long the
/// recent chats waited for their first reply (milliseconds): each chat ahead is taken to need
/// the median wait. `None` without recent chats to go by.
pub fn estimated_wait(position: i64, recent_waits_ms: &[i64]) -> Option<i64> {
    if recent_waits_ms.is_empty() || position < 1 {
        return None;
    }
    let mut w = recent_waits_ms.to_vec();
    w.sort_unstable();
    let median = w[w.len() / 2].max(0);
    Some((median * position + 999) / 1000)
}

/// The settings an admin gives a chat inbox, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxSettings {
    pub key: String,
    pub name: String,
    pub colour: String,
    pub greeting: String,
    pub prechat: String,
    pub topics: Vec<String>,
}

impl InboxSettings {
    pub fn check(
        key: &str,
        name: &str,
        colour: &str,
        greeting: &str,
        prechat: &str,
        topics: &[String],
    ) -> Result<InboxSettings, DomainError> {
        let key = validate::required("key", key, 40)?.to_lowercase();
        if !key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(DomainError::invalid(
                "key",
                "may hold only letters, digits, '-' and '_'",
            ));
        }
        let name = validate::required("name", name, 100)?;
        let colour = colour.trim().to_lowercase();
        if !(colour.len() == 7
            && colour.starts_with('#')
            && colour[1..].chars().all(|c| c.is_ascii_hexdigit()))
        {
            return Err(DomainError::invalid(
                "colour",
                "must be a colour like #1f6feb",
            ));
        }
        let greeting = validate::bounded("greeting", greeting, 500)?;
        if !matches!(prechat, "none" | "optional" | "required") {
            return Err(DomainError::invalid(
                "prechat",
                "must be one of: none, optional, required",
            ));
        }
        if topics.len() > 20 {
            return Err(DomainError::invalid("topics", "at most 20"));
        }
        let topics = topics
            .iter()
            .map(|t| validate::required("topics", t, 60))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(InboxSettings {
            key,
            name,
            colour,
            greeting,
            prechat: prechat.to_string(),
            topics,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hello_frame_parses_with_defaults() {
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"hello","inbox":"shop"}"#).expect("valid");
        assert_eq!(
            f,
            ClientFrame::Hello {
                inbox: "shop".into(),
                visitor: None,
                last_seq: 0
            }
        );
    }

    #[test]
    fn unknown_frame_types_and_fields_are_refused() {
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"shout"}"#).is_err());
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"read","seq":1,"x":1}"#).is_err());
    }

    #[test]
    fn server_frames_carry_their_type() {
        let s = serde_json::to_string(&ServerFrame::Ack {
            cseq: 3,
            seq: 41,
            chat: 7,
        })
        .expect("valid");
        assert_eq!(s, r#"{"type":"ack","cseq":3,"seq":41,"chat":7}"#);
        let m = serde_json::to_value(ServerFrame::Message(MessageFrame {
            seq: 1,
            chat: 2,
            author: "bot".into(),
            name: "Answer bot".into(),
            text: "hi".into(),
            at: 5,
            files: vec![],
            cseq: None,
        }))
        .expect("valid");
        assert_eq!(m["type"], "message");
        assert_eq!(m["author"], "bot");
    }

    #[test]
    fn the_rate_limit_allows_a_burst_then_the_average() {
        let mut r = RateLimit::new(0);
        let burst = (0..100).filter(|_| r.take(0)).count();
        assert_eq!(burst, FRAME_BURST as usize);
        assert!(!r.take(50), "half a token after 50 ms");
        assert!(r.take(100), "one token after 100 ms");
        assert!(!r.take(100));
    }

    #[test]
    fn the_wait_is_the_median_wait_times_the_place_in_the_queue() {
        assert_eq!(estimated_wait(1, &[]), None);
        assert_eq!(estimated_wait(1, &[30_000, 90_000, 60_000]), Some(60));
        assert_eq!(estimated_wait(3, &[30_000, 90_000, 60_000]), Some(180));
        assert_eq!(estimated_wait(2, &[1_500]), Some(3));
    }

    #[test]
    fn inbox_settings_are_checked() {
        let ok = InboxSettings::check(
            "Shop",
            "Shop help",
            "#1F6FEB",
            "Hi!",
            "optional",
            &["Orders".into()],
        )
        .expect("valid");
        assert_eq!(ok.key, "shop");
        assert_eq!(ok.colour, "#1f6feb");
        let bad = |k: &str, c: &str, p: &str| InboxSettings::check(k, "n", c, "", p, &[]).is_err();
        assert!(bad("a b", "#000000", "none"));
        assert!(bad("a", "red", "none"));
        assert!(bad("a", "#00000g", "none"));
        assert!(bad("a", "#000000", "sometimes"));
    }
}
