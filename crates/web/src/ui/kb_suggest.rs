//! Articles for the conversation an agent has open: the knowledge base matched against the
//! subject and the customer's latest message (internal articles too, as the agent may read
//! them), each with its link (public ones) and text ready to insert into the reply.

use crate::AppState;
use crate::error::PageError;
use steward_domain::{Actor, AuthorKind};
use steward_engine::conversation::Detail;

pub struct Suggestion {
    pub id: i64,
    pub title: String,
    /// The help-center address, for published public articles only.
    pub url: Option<String>,
    /// The article as plain text, to insert into a reply.
    pub text: String,
    pub internal: bool,
    pub reviewed: String,
}

pub async fn for_conversation(
    s: &AppState,
    by: &Actor,
    d: &Detail,
) -> Result<Vec<Suggestion>, PageError> {
    let latest = d
        .messages
        .iter()
        .rev()
        .find(|m| m.author_kind == AuthorKind::Customer)
        .map_or("", |m| m.body_text.as_str());
    let question: String = format!("{}\n{}", d.conversation.subject, latest)
        .chars()
        .take(600)
        .collect();
    let base = s
        .engine
        .email
        .workspace_url
        .trim_end_matches('/')
        .to_string();
    let now = steward_store::now_ms();
    Ok(s.engine
        .kb_match(Some(by), &question, 3)
        .await?
        .into_iter()
        .filter(|a| a.state == "published")
        .map(|a| {
            let internal = a.visibility != "public";
            Suggestion {
                url: (!internal).then(|| format!("{base}/help/articles/{}-{}", a.id, a.slug)),
                text: steward_engine::sanitize::html_to_text(&a.body_html)
                    .chars()
                    .take(3000)
                    .collect(),
                reviewed: crate::fmt::ago(a.reviewed_at, now),
                id: a.id,
                title: a.title,
                internal,
            }
        })
        .collect())
}
