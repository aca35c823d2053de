//! Emails to agents about their work: a conversation assigned to them by someone else, a
//! mention (`@Name` or `@localpart`) in someone else's note or reply, or (for the agents an
//! SLA policy names) a missed SLA target, or a follow-up task of theirs falling due. Each agent chooses which
//! they get (both on until they change it). The mail is queued in the transaction of the
//! change and sent by the outbox; nothing is sent when no inbox is set up.

use super::Inbox;
use crate::directory::log;
use crate::{Engine, Result};
use serde_json::json;
use steward_domain::Actor;
use steward_store::email;
use steward_store::models::{Conversation, User};
use steward_store::{Conn, now_ms, users};

/// Which emails an agent wants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotificationPrefs {
    /// When a conversation is assigned to them by someone else.
    pub assigned: bool,
    /// When someone mentions them in a note or reply.
    pub mentioned: bool,
}

/// Whether `text` mentions `handle` as `@handle`, not as the start of a longer word.
fn mentions(text: &str, handle: &str) -> bool {
    if handle.is_empty() {
        return false;
    }
    let lower = text.to_lowercase();
    let needle = format!("@{}", handle.to_lowercase());
    lower.match_indices(&needle).any(|(i, _)| {
        lower[i + needle.len()..]
            .chars()
            .next()
            .is_none_or(|c| !c.is_alphanumeric() && c != '_' && c != '.')
    })
}

/// Whether `text` mentions agent `u` by name or by the local part of their address.
pub(crate) fn mentions_agent(text: &str, u: &User) -> bool {
    let local = u.email.split('@').next().unwrap_or_default();
    mentions(text, &u.name) || mentions(text, local)
}

impl Engine {
    pub async fn notification_prefs(&self, by: &Actor) -> Result<NotificationPrefs> {
        let mut conn = self.store.pool().acquire().await?;
        let (assigned, mentioned) = users::notification_prefs(&mut conn, by.user_id).await?;
        Ok(NotificationPrefs {
            assigned,
            mentioned,
        })
    }

    /// Changes the signed-in agent's own choice.
    pub async fn set_notification_prefs(&self, by: &Actor, prefs: NotificationPrefs) -> Result<()> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let (assigned, mentioned) = users::notification_prefs(&mut tx, by.user_id).await?;
        users::set_notification_prefs(&mut tx, by.user_id, prefs.assigned, prefs.mentioned).await?;
        log(
            &mut tx,
            Some(by),
            "user",
            by.user_id,
            "user.notifications_changed",
            json!({
                "before": {"assigned": assigned, "mentioned": mentioned},
                "after": {"assigned": prefs.assigned, "mentioned": prefs.mentioned},
            }),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Tells `assignee` that `by` gave them conversation `c`, if they want to know.
    pub(crate) async fn notify_assigned(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        assignee: i64,
        by: &Actor,
        at: i64,
    ) -> Result<()> {
        if assignee == by.user_id || !users::notification_prefs(tx, assignee).await?.0 {
            return Ok(());
        }
        let Some(agent) = users::get(tx, assignee).await?.filter(|u| u.active != 0) else {
            return Ok(());
        };
        let subject = format!("[#{}] Assigned to you: {}", c.number, c.subject);
        let text = format!(
            "{} assigned conversation #{} to you: \"{}\".\n\nOpen it: {}\n",
            by.name,
            c.number,
            c.subject,
            self.conversation_url(c.id)
        );
        self.queue_agent_mail(tx, c, &agent, subject, text, at)
            .await
    }

    /// Tells `agent` (a supervisor an SLA policy names) that conversation `c` missed targets.
    pub(crate) async fn notify_sla_breach(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        agent: &User,
        policy: &str,
        missed: &[steward_domain::sla::Metric],
        at: i64,
    ) -> Result<()> {
        let what: Vec<String> = missed
            .iter()
            .map(|m| m.as_str().replace('_', " "))
            .collect();
        let subject = format!("[#{}] SLA breached: {}", c.number, c.subject);
        let text = format!(
            "Conversation #{} (\"{}\") missed its {} target under the SLA policy \"{}\".\n\nOpen it: {}\n",
            c.number,
            c.subject,
            what.join(" and "),
            policy,
            self.conversation_url(c.id)
        );
        self.queue_agent_mail(tx, c, agent, subject, text, at).await
    }

    /// Tells `agent` what an automation rule asked to tell them about conversation `c`.
    pub(crate) async fn notify_automation(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        agent: &User,
        rule: &str,
        message: &str,
        at: i64,
    ) -> Result<()> {
        let subject = format!("[#{}] {}: {}", c.number, rule, c.subject);
        let text = format!(
            "{}\n\n(Sent by the automation \"{}\" about conversation #{}.)\nOpen it: {}\n",
            message.trim(),
            rule,
            c.number,
            self.conversation_url(c.id)
        );
        self.queue_agent_mail(tx, c, agent, subject, text, at).await
    }

    /// Tells `owner` that their follow-up on conversation `c` is due.
    pub(crate) async fn notify_task_due(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        owner: &User,
        title: &str,
        at: i64,
    ) -> Result<()> {
        let subject = format!("[#{}] Follow-up due: {}", c.number, title);
        let text = format!(
            "Your follow-up on conversation #{} (\"{}\") is due: {}.\nIt is now {}.\n\nOpen it: {}\n",
            c.number,
            c.subject,
            title,
            c.status.as_str().replace('_', " "),
            self.conversation_url(c.id)
        );
        self.queue_agent_mail(tx, c, owner, subject, text, at).await
    }

    /// Tells every agent that `text` by `by` mentions, if they want to know.
    pub(crate) async fn notify_mentions(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        text: &str,
        by: &Actor,
        at: i64,
    ) -> Result<()> {
        if !text.contains('@') || !self.email.has_inboxes() {
            return Ok(());
        }
        for agent in users::list(tx).await? {
            if agent.id == by.user_id || agent.active == 0 || !mentions_agent(text, &agent) {
                continue;
            }
            if !users::notification_prefs(tx, agent.id).await?.1 {
                continue;
            }
            let subject = format!("[#{}] {} mentioned you: {}", c.number, by.name, c.subject);
            let body = format!(
                "{} mentioned you in conversation #{} (\"{}\"):\n\n{}\n\nOpen it: {}\n",
                by.name,
                c.number,
                c.subject,
                text.trim(),
                self.conversation_url(c.id)
            );
            self.queue_agent_mail(tx, c, &agent, subject, body, at)
                .await?;
        }
        Ok(())
    }

    fn conversation_url(&self, id: i64) -> String {
        format!("{}/conversations/{id}", self.email.workspace_url)
    }

    /// The inbox a conversation's mail goes out from: the one it came in on, else the first.
    async fn sending_inbox(&self, tx: &mut Conn, conversation_id: i64) -> Result<Option<Inbox>> {
        let used = email::inbox_of(tx, conversation_id).await?;
        Ok(used
            .and_then(|a| self.email.inbox_for(&a))
            .or_else(|| self.email.all_inboxes().into_iter().next()))
    }

    async fn queue_agent_mail(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        agent: &User,
        subject: String,
        text: String,
        at: i64,
    ) -> Result<()> {
        let Some(inbox) = self.sending_inbox(tx, c.id).await? else {
            return Ok(());
        };
        let mail = super::AutomaticMail {
            inbox: Some(&inbox.address),
            from_suffix: " (Steward)",
            to: std::slice::from_ref(&agent.email),
            to_name: Some(&agent.name),
            conversation_id: Some(c.id),
            subject,
            text,
            html: None,
            attachments: Vec::new(),
            kind: "notification",
            what: format!("notify.{}", agent.id),
        };
        self.queue_automatic_mail(tx, mail, at).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::mentions;

    #[test]
    fn a_mention_is_a_whole_handle_after_an_at_sign() {
        assert!(mentions("Thanks @Ann, can you check?", "ann"));
        assert!(mentions("@ann.lee please look", "Ann.Lee"));
        assert!(mentions("cc @Ann Lee", "Ann Lee"));
        assert!(!mentions("@Anne will do it", "Ann"));
        assert!(!mentions("mail ann@example.com", "example"));
        assert!(!mentions("no handle here", "ann"));
    }
}
