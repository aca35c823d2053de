//! Keeping the knowledge base current: every article shows when it was last reviewed (an edit
//! counts, and so does "Mark as reviewed"); a published article unreviewed for
//! `REVIEW_AFTER_DAYS` is stale, and once a week its owner (the agent who wrote it) gets one
//! mail listing their stale articles (the `kb.review` job, seeded when an article is
//! published). Stale articles without an owner, or whose owner left, go to the admins.

use crate::email::AutomaticMail;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use std::collections::BTreeMap;
use steward_domain::{Actor, Role};
use steward_store::jobs::{self, Job};
use steward_store::kb::{self, StaleArticle};
use steward_store::{Conn, now_ms, users};

/// After this long without a review, a published article is stale.
pub const REVIEW_AFTER_DAYS: i64 = 180;
const DAY_MS: i64 = 24 * 3_600_000;
const JOB_KEY: &str = "kb:review";

/// Whether an article last reviewed at `reviewed_at` is stale at `now`.
pub fn is_stale(reviewed_at: i64, now: i64) -> bool {
    now - reviewed_at > REVIEW_AFTER_DAYS * DAY_MS
}

/// Makes sure the weekly review job exists (called when an article is published).
pub(crate) async fn ensure_review_job(tx: &mut Conn, at: i64) -> Result<()> {
    jobs::schedule_if_absent(tx, "kb.review", JOB_KEY, "{}", at + DAY_MS, at).await?;
    Ok(())
}

impl Engine {
    /// Records that `by` checked article `id` is still right. Supervisors, admins and the
    /// article's owner.
    pub async fn kb_mark_reviewed(&self, by: &Actor, id: i64) -> Result<()> {
        let a = self.kb_article(Some(by), id).await?;
        if by.may_supervise().is_err() && a.author_id != Some(by.user_id) {
            return Err(EngineError::Domain(steward_domain::DomainError::Forbidden(
                "only its owner, supervisors and admins may mark an article reviewed".into(),
            )));
        }
        let mut tx = self.store.write().await?;
        kb::mark_reviewed(&mut tx, id, now_ms()).await?;
        crate::directory::log(
            &mut tx,
            Some(by),
            "kb_article",
            id,
            "kb.reviewed",
            json!({}),
            now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails each owner the list of their stale articles; returns how many mails were queued.
    pub async fn send_kb_review_reminders(&self) -> Result<usize> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let stale = kb::stale(&mut tx, at - REVIEW_AFTER_DAYS * DAY_MS).await?;
        let active: Vec<_> = users::list(&mut tx)
            .await?
            .into_iter()
            .filter(|u| u.active == 1)
            .collect();
        let admins: Vec<String> = active
            .iter()
            .filter(|u| u.role == Role::Admin)
            .map(|u| u.email.clone())
            .collect();
        let mut by_owner: BTreeMap<String, Vec<StaleArticle>> = BTreeMap::new();
        for a in stale {
            match active.iter().find(|u| Some(u.id) == a.author_id) {
                Some(u) => by_owner.entry(u.email.clone()).or_default().push(a),
                None => {
                    for email in &admins {
                        by_owner.entry(email.clone()).or_default().push(a.clone());
                    }
                }
            }
        }
        let base = self.email.workspace_url.trim_end_matches('/').to_string();
        let mut sent = 0;
        for (email, list) in &by_owner {
            let lines: Vec<String> = list
                .iter()
                .map(|a| {
                    format!(
                        "- {} (last reviewed {} days ago): {base}/kb/{}",
                        a.title,
                        (at - a.reviewed_at) / DAY_MS,
                        a.id
                    )
                })
                .collect();
            let text = format!(
                "These knowledge-base articles have not been reviewed for over {REVIEW_AFTER_DAYS} days. Please check they are still right, then edit them or press \"Mark as reviewed\":\n\n{}\n",
                lines.join("\n")
            );
            let to = [email.clone()];
            let mail = AutomaticMail {
                inbox: None,
                from_suffix: " (Steward)",
                to: &to,
                to_name: None,
                conversation_id: None,
                subject: format!(
                    "{} knowledge-base article{} to review",
                    list.len(),
                    if list.len() == 1 { "" } else { "s" }
                ),
                text,
                html: None,
                attachments: Vec::new(),
                kind: "kb_review",
                what: format!("kb-review.{at}.{sent}"),
            };
            if self.queue_automatic_mail(&mut tx, mail, at).await? {
                sent += 1;
            }
        }
        tx.commit().await?;
        if sent > 0 {
            self.email.outbox_wake.notify_one();
        }
        Ok(sent)
    }

    /// The weekly `kb.review` job.
    pub(crate) async fn run_kb_review(&self, job: &Job) -> Result<()> {
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        let at = now_ms();
        crate::scheduler::schedule(
            &mut tx,
            "kb.review",
            Some(JOB_KEY),
            &json!({}),
            at + 7 * DAY_MS,
        )
        .await?;
        tx.commit().await?;
        let sent = self.send_kb_review_reminders().await?;
        tracing::info!(sent, "knowledge-base review reminders");
        Ok(())
    }
}
