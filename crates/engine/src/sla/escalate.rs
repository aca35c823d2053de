//! What a missed target sets off, as its policy says: the conversation moves to another team
//! (its assignee stays on as a follower), its priority goes up a step, and the chosen agents
//! (supervisors) get an email. Each action is an event with the reason, so the conversation
//! shows what the SLA did.

use super::PolicyView;
use crate::conversation::record;
use crate::{Engine, Result};
use serde_json::json;
use steward_domain::sla::Metric;
use steward_store::conversations::{self, Changes};
use steward_store::events::Doer;
use steward_store::models::Conversation;
use steward_store::{Conn, users};

const REASON: &str = "SLA breach";

impl Engine {
    /// Carries out `policy`'s escalation for the `missed` targets of `c`. Returns whether the
    /// conversation's fields changed.
    pub(super) async fn escalate(
        &self,
        tx: &mut Conn,
        c: &Conversation,
        policy: &PolicyView,
        missed: &[Metric],
        at: i64,
    ) -> Result<bool> {
        let e = &policy.input.escalation;
        let mut changes = Changes::default();
        let mut actions = Vec::new();
        if let Some(team) = e.reassign_team_id.filter(|t| c.team_id != Some(*t)) {
            changes.team_id = Some(Some(team));
            record(
                tx,
                Doer::System,
                c.id,
                "team.changed",
                json!({"before": c.team_id, "after": team, "reason": REASON}),
                at,
            )
            .await?;
            if let Some(owner) = c.assignee_id {
                changes.assignee_id = Some(None);
                conversations::add_follower(tx, c.id, owner).await?;
                record(
                    tx,
                    Doer::System,
                    c.id,
                    "assignee.changed",
                    json!({"before": owner, "after": null, "reason": REASON}),
                    at,
                )
                .await?;
            }
            actions.push(json!({"reassign_team_id": team}));
        }
        if e.raise_priority && c.priority.raised() != c.priority {
            let raised = c.priority.raised();
            changes.priority = Some(raised);
            record(
                tx,
                Doer::System,
                c.id,
                "priority.changed",
                json!({"before": c.priority, "after": raised, "reason": REASON}),
                at,
            )
            .await?;
            actions.push(json!({"priority": raised}));
        }
        let changed = changes.team_id.is_some() || changes.priority.is_some();
        if changed {
            conversations::update(tx, c.id, &changes, at, false, 0).await?;
        }
        let mut notified = Vec::new();
        for id in &e.notify_user_ids {
            if let Some(agent) = users::get(tx, *id).await?.filter(|u| u.active != 0) {
                self.notify_sla_breach(tx, c, &agent, &policy.input.name, missed, at)
                    .await?;
                notified.push(agent.id);
            }
        }
        if !notified.is_empty() {
            actions.push(json!({"notified": notified}));
        }
        if !actions.is_empty() {
            record(
                tx,
                Doer::System,
                c.id,
                "sla.escalated",
                json!({"policy": policy.input.name, "metrics": missed, "actions": actions}),
                at,
            )
            .await?;
        }
        Ok(changed)
    }
}
