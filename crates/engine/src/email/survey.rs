//! The satisfaction survey as mail: the question, one link per rating, and a link to stop
//! getting surveys, queued in the outbox like any automatic mail.

use super::outbox::from_inbox;
use crate::{Engine, EngineError, Result};
use steward_channels::email::outbound::{OutboundEmail, compose};
use steward_channels::email::parse::Mailbox;
use steward_domain::csat::Scale;
use steward_store::Tx;
use steward_store::email::{self, NewOutbound};
use steward_store::models::Conversation;

/// What the survey mail says and links to.
pub(crate) struct SurveyMail<'a> {
    pub to: &'a str,
    pub question: &'a str,
    pub scale: Scale,
    /// The survey page, `…/survey/<token>`.
    pub link: &'a str,
}

pub(crate) fn html_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

impl Engine {
    /// Queues `m` for conversation `c`, from the inbox it came through (or the first inbox).
    /// Returns false when no inbox is set up.
    pub(crate) async fn queue_survey_mail(
        &self,
        tx: &mut Tx,
        c: &Conversation,
        m: &SurveyMail<'_>,
        at: i64,
    ) -> Result<bool> {
        let inboxes = self.email.all_inboxes();
        let Some(inbox) = c
            .inbox
            .as_deref()
            .and_then(|a| inboxes.iter().find(|i| i.address.eq_ignore_ascii_case(a)))
            .or(inboxes.first())
        else {
            return Ok(false);
        };
        let token = self.token(tx, c.id, &inbox.address, at).await?;
        let mut text = format!("{}\n\n", m.question);
        let mut html = format!("<p>{}</p><p>", html_escape(m.question));
        for (rating, label) in m.scale.ratings().iter().rev() {
            let url = format!("{}?rating={rating}", m.link);
            text.push_str(&format!("  {label}: {url}\n"));
            html.push_str(&format!(
                "<a href=\"{}\" style=\"display:inline-block;margin:0 .5em .5em 0;padding:.4em .8em;border:1px solid #888;border-radius:4px;text-decoration:none\">{}</a>",
                html_escape(&url),
                html_escape(label)
            ));
        }
        let opt_out = format!("{}/opt-out", m.link);
        text.push_str(&format!(
            "\nAbout your request #{}: {}\nNo more of these questions: {opt_out}\n",
            c.number, c.subject
        ));
        html.push_str(&format!(
            "</p><p style=\"color:#888\">About your request #{}: {}<br><a href=\"{}\">No more of these questions</a></p>",
            c.number,
            html_escape(&c.subject),
            html_escape(&opt_out)
        ));
        let rfc_id = self.message_id(&format!("survey.{}", c.id));
        let mail = OutboundEmail {
            to: vec![Mailbox {
                name: None,
                address: m.to.to_string(),
            }],
            subject: format!("How did we do? [#{}] {}", c.number, c.subject),
            message_id: rfc_id.clone(),
            text,
            html: Some(html),
            automatic: true,
            ..from_inbox(inbox, &token)
        };
        let raw = compose(&mail).map_err(|e| EngineError::invalid("email", e.to_string()))?;
        email::enqueue(
            tx,
            &NewOutbound {
                kind: "survey",
                conversation_id: Some(c.id),
                message_id: None,
                rfc_message_id: &rfc_id,
                sender: &inbox.address,
                recipients: &[m.to.to_string()],
                raw: &raw,
            },
            at,
        )
        .await?;
        Ok(true)
    }
}
