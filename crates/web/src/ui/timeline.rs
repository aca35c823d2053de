//! The conversation timeline: messages, internal notes and events in time order, each event
//! told as a sentence ("Ann changed status from open to solved").

use crate::fmt;
use serde_json::Value;
use std::collections::HashMap;
use steward_engine::conversation::Detail;
use steward_engine::sanitize::text_to_html;

pub struct FileLink {
    pub id: i64,
    pub name: String,
    pub size: String,
}

pub struct Item {
    /// The message's id (0 for events).
    pub id: i64,
    /// `message`, `note` or `event`.
    pub kind: &'static str,
    pub author: String,
    /// customer, agent, bot or system: shown on every message.
    pub author_kind: String,
    pub channel: String,
    pub time: String,
    pub time_iso: String,
    /// Safe HTML: sanitized at intake, or escaped text.
    pub html: String,
    pub text: String,
    pub files: Vec<FileLink>,
    /// Earlier messages and the signature folded out of an inbound mail (escaped HTML).
    pub quoted: String,
    /// For mail Steward sends: queued, sending, sent or failed, with the reason.
    pub delivery: String,
    pub delivery_error: String,
    /// Whether the message travelled by mail, so its original can be downloaded.
    pub original: bool,
    /// Who the mail was copied to.
    pub copied: String,
    /// `spf=… dkim=… dmarc=…` for inbound mail that was checked.
    pub auth: String,
    /// The sender could not be verified: shown as a warning.
    pub auth_failed: bool,
}

fn size(bytes: i64) -> String {
    match bytes {
        0..=1023 => format!("{bytes} B"),
        1024..=1_048_575 => format!("{:.0} KB", bytes as f64 / 1024.0),
        _ => format!("{:.1} MB", bytes as f64 / 1_048_576.0),
    }
}

fn word(v: &Value) -> String {
    match v {
        Value::Null => "nothing".into(),
        Value::String(s) => s.replace('_', " "),
        Value::Array(a) if a.is_empty() => "none".into(),
        Value::Array(a) => a.iter().map(word).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

/// An event as a sentence, or `None` for events the timeline shows otherwise (messages).
fn sentence(
    kind: &str,
    data: &Value,
    users: &HashMap<i64, String>,
    teams: &HashMap<i64, String>,
) -> Option<String> {
    let name = |map: &HashMap<i64, String>, v: &Value| match v.as_i64() {
        Some(id) => map.get(&id).cloned().unwrap_or_else(|| format!("#{id}")),
        None => "nobody".to_string(),
    };
    let (b, a) = (&data["before"], &data["after"]);
    let metric = || word(&data["metric"]);
    let sentence = match kind {
        "conversation.created" => match a.get("follow_up_of").and_then(Value::as_i64) {
            Some(_) => "opened this as a follow-up to a closed conversation".into(),
            None => format!("opened the conversation on {}", word(&a["channel"])),
        },
        "message.created" => return None,
        "status.changed" => {
            let mut s = format!("changed status from {} to {}", word(b), word(a));
            if let Some(ms) = data["resolution_ms"].as_i64() {
                s.push_str(&format!(" (resolved in {})", fmt::duration(ms)));
            }
            s
        }
        "first_response" => format!(
            "answered first after {}",
            fmt::duration(a["first_response_ms"].as_i64().unwrap_or(0))
        ),
        "priority.changed" => format!("changed priority from {} to {}", word(b), word(a)),
        "subject.changed" => format!("changed the subject to “{}”", word(a)),
        "assignee.changed" => format!("assigned it to {} (was {})", name(users, a), name(users, b)),
        "team.changed" => format!(
            "moved it to team {} (was {})",
            name(teams, a),
            name(teams, b)
        ),
        "tags.changed" => format!("set tags to {}", word(a)),
        "custom_fields.changed" => {
            let obj = a.as_object().cloned().unwrap_or_default();
            let parts: Vec<String> = obj
                .iter()
                .map(|(k, v)| format!("{k} = {}", word(v)))
                .collect();
            format!(
                "set fields: {}",
                if parts.is_empty() {
                    "all cleared".into()
                } else {
                    parts.join(", ")
                }
            )
        }
        "followers.changed" => {
            let list = a
                .as_array()
                .map(|l| {
                    l.iter()
                        .map(|v| name(users, v))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            format!(
                "set followers to {}",
                if list.is_empty() {
                    "nobody".into()
                } else {
                    list
                }
            )
        }
        "mail.retried" => "sent a failed email again".to_string(),
        "conversation.merged" => format!("merged this into #{}", a["number"]),
        "conversation.merged_in" => format!(
            "merged #{} into this ({} messages moved)",
            a["number"], a["messages_moved"]
        ),
        "follow_up.created" => format!(
            "the customer wrote again after it closed: follow-up #{}",
            a["number"]
        ),
        "sla.warning" => format!(
            "SLA warning: {} is due {}",
            metric(),
            data["due_at"]
                .as_i64()
                .map(fmt::datetime)
                .unwrap_or_default()
        ),
        "sla.breached" => format!(
            "SLA breached: the {} target of “{}” was missed",
            metric(),
            word(&data["policy"])
        ),
        "conversation.transferred" => format!(
            "transferred it to {}{}",
            a["assignee_id"].as_i64().map_or_else(
                || format!("team {}", name(teams, &a["team_id"])),
                |_| name(users, &a["assignee_id"])
            ),
            data["reason"]
                .as_str()
                .map(|_| String::new())
                .unwrap_or_default()
        ),
        "task.created" => format!(
            "added a follow-up for {}: {}",
            name(users, &a["user_id"]),
            word(&a["title"])
        ),
        "task.due" => format!(
            "follow-up due for {}: {}",
            name(users, &a["user_id"]),
            word(&a["title"])
        ),
        "task.done" => format!("finished the follow-up: {}", word(&a["title"])),
        "task.reopened" => format!("reopened the follow-up: {}", word(&a["title"])),
        "automation.applied" => format!(
            "automation “{}” acted on {}",
            word(&data["rule"]),
            word(&data["trigger"]).replace('.', " ")
        ),
        "sla.escalated" => format!("escalated under the SLA policy “{}”", word(&data["policy"])),
        "csat.sent" => format!(
            "sent the satisfaction survey to {}",
            data["to"].as_str().unwrap_or("the customer")
        ),
        "csat.rated" => {
            let scale = steward_domain::csat::Scale::parse(data["scale"].as_str().unwrap_or(""))
                .unwrap_or(steward_domain::csat::Scale::GoodBad);
            let rating = scale.word(data["rating"].as_i64().unwrap_or(0));
            let verb = if data["changed"].as_bool() == Some(true) {
                "changed their satisfaction rating to"
            } else {
                "rated the support"
            };
            match data["comment"].as_str() {
                Some(c) => format!("{verb} {rating}: “{c}”"),
                None => format!("{verb} {rating}"),
            }
        }
        "csat.opted_out" => "asked not to get satisfaction surveys".into(),
        other => other.replace(['.', '_'], " "),
    };
    Some(match data["reason"].as_str() {
        Some(r) => format!("{sentence}: {r}"),
        None => sentence,
    })
}

pub fn build(
    d: &Detail,
    users: &HashMap<i64, String>,
    teams: &HashMap<i64, String>,
    now: i64,
) -> Vec<Item> {
    let mut items: Vec<(i64, i64, Item)> = Vec::new();
    for m in &d.messages {
        let files = d
            .attachments
            .iter()
            .filter(|a| a.message_id == m.id)
            .map(|a| FileLink {
                id: a.id,
                name: a.filename.clone(),
                size: size(a.size),
            })
            .collect();
        let html = m
            .body_html
            .clone()
            .unwrap_or_else(|| text_to_html(&m.body_text));
        let mail = d.mail.get(&m.id);
        let quoted = mail
            .and_then(|e| e.quoted_text.as_deref())
            .map(text_to_html)
            .unwrap_or_default();
        let delivery = mail
            .and_then(|e| e.delivery_status.clone())
            .unwrap_or_default();
        let delivery_error = mail
            .and_then(|e| e.delivery_error.clone())
            .unwrap_or_default();
        let original = mail.is_some();
        let copied = mail.map(|e| e.cc_addresses.clone()).unwrap_or_default();
        let auth = mail
            .and_then(|e| e.authentication.clone())
            .unwrap_or_default();
        let auth_failed = mail.is_some_and(|e| e.auth_failed != 0);
        items.push((
            m.created_at,
            0,
            Item {
                id: m.id,
                original,
                copied,
                auth,
                auth_failed,
                kind: if m.visibility == steward_domain::Visibility::Internal {
                    "note"
                } else {
                    "message"
                },
                author: m
                    .author_name
                    .clone()
                    .unwrap_or_else(|| m.author_kind.to_string()),
                author_kind: m.author_kind.to_string(),
                channel: m.channel.to_string(),
                time: fmt::ago(m.created_at, now),
                time_iso: fmt::rfc3339(m.created_at),
                html,
                text: String::new(),
                files,
                quoted,
                delivery,
                delivery_error,
            },
        ));
    }
    for e in &d.events {
        let data: Value = serde_json::from_str(&e.data).unwrap_or(Value::Null);
        let Some(text) = sentence(&e.kind, &data, users, teams) else {
            continue;
        };
        items.push((
            e.at,
            1,
            Item {
                kind: "event",
                author: e.actor_name.clone().unwrap_or_else(|| "Steward".into()),
                author_kind: e.actor_kind.clone(),
                channel: String::new(),
                time: fmt::ago(e.at, now),
                time_iso: fmt::rfc3339(e.at),
                html: String::new(),
                text,
                files: Vec::new(),
                quoted: String::new(),
                delivery: String::new(),
                delivery_error: String::new(),
                id: 0,
                original: false,
                copied: String::new(),
                auth: String::new(),
                auth_failed: false,
            },
        ));
    }
    items.sort_by_key(|(at, order, _)| (*at, *order));
    items.into_iter().map(|(_, _, i)| i).collect()
}
