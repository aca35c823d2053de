//! SLA policies: admins keep an ordered list; the first whose conditions match a conversation
//! sets its targets. Saving checks everything a policy names (targets of at least a minute,
//! the calendar, the teams and agents of its escalation) and refuses with the reason.
//! Every change to the policies (or to the calendars they count in) works out the SLAs of
//! the open conversations again, in the background (`sla.reapply` jobs of 200 at a time).
//!
//! `clocks` works a conversation's SLA out on every change and when its timers fall due;
//! `escalate` carries out a policy's escalation when a target is missed; `cache` keeps the
//! parsed policies and calendars while their version stands.

mod cache;
mod clocks;
mod escalate;

pub use cache::Cache;
pub use clocks::SlaView;

use crate::directory::log;
use crate::{Engine, EngineError, Result, scheduler};
use serde::{Deserialize, Serialize};
use serde_json::json;
use steward_domain::sla::{Conditions, MAX_TARGET_MINUTES, Pauses, Targets};
use steward_domain::{Actor, validate};
use steward_store::sla::{self, PolicyFields, PolicyRow};
use steward_store::{Conn, calendars, customers, now_ms, users};

/// What happens when a target is missed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Escalation {
    /// Move the conversation to this team (and out of its assignee's hands).
    pub reassign_team_id: Option<i64>,
    /// Raise the priority one step (low → normal → high → urgent).
    pub raise_priority: bool,
    /// Email these agents (typically supervisors).
    pub notify_user_ids: Vec<i64>,
}

/// A policy as an admin writes it.
#[derive(Debug, Clone, Default)]
pub struct PolicyInput {
    pub name: String,
    pub conditions: Conditions,
    pub targets: Targets,
    /// Count in this calendar's business hours (a conversation's team calendar wins when its
    /// team has one); `None` counts around the clock.
    pub calendar_id: Option<i64>,
    pub pauses: Pauses,
    /// Warn this many minutes (of counted time) before a target runs out; 0 for no warning.
    pub warn_minutes: i64,
    pub escalation: Escalation,
}

/// A saved policy.
#[derive(Debug, Clone)]
pub struct PolicyView {
    pub id: i64,
    pub position: i64,
    pub input: PolicyInput,
    pub updated_at: i64,
}

impl PolicyView {
    pub(crate) fn from_row(row: &PolicyRow) -> PolicyView {
        PolicyView {
            id: row.id,
            position: row.position,
            input: PolicyInput {
                name: row.name.clone(),
                conditions: serde_json::from_str(&row.conditions).unwrap_or_default(),
                targets: serde_json::from_str(&row.targets).unwrap_or_default(),
                calendar_id: row.calendar_id,
                pauses: Pauses {
                    pending: row.pause_pending != 0,
                    on_hold: row.pause_on_hold != 0,
                },
                warn_minutes: row.warn_minutes,
                escalation: serde_json::from_str(&row.escalation).unwrap_or_default(),
            },
            updated_at: row.updated_at,
        }
    }
}

/// Checks `input` against the domain's rules and what exists; returns it cleaned.
async fn check(conn: &mut Conn, mut input: PolicyInput) -> Result<PolicyInput> {
    input.name = validate::required("name", &input.name, 100)?;
    input.targets = input.targets.check()?;
    let shortest = steward_domain::sla::Metric::ALL
        .iter()
        .filter_map(|m| input.targets.minutes(*m))
        .min()
        .unwrap_or(MAX_TARGET_MINUTES);
    if input.warn_minutes < 0 || (input.warn_minutes > 0 && input.warn_minutes >= shortest) {
        return Err(EngineError::invalid(
            "warn_minutes",
            format!(
                "must be between 0 (no warning) and less than the shortest target ({shortest} minutes)"
            ),
        ));
    }
    let mut tags = Vec::new();
    for t in &input.conditions.tags {
        let t = validate::tag(t)?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    input.conditions.tags = tags;
    input.conditions.customer_tiers = input
        .conditions
        .customer_tiers
        .iter()
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty())
        .collect();
    for o in &input.conditions.organization_ids {
        if customers::organization(conn, *o).await?.is_none() {
            return Err(EngineError::invalid(
                "conditions.organization_ids",
                format!("organization {o} does not exist"),
            ));
        }
    }
    if let Some(c) = input.calendar_id
        && calendars::get(conn, c).await?.is_none()
    {
        return Err(EngineError::invalid(
            "calendar_id",
            format!("calendar {c} does not exist"),
        ));
    }
    if let Some(t) = input.escalation.reassign_team_id
        && users::team(conn, t).await?.is_none()
    {
        return Err(EngineError::invalid(
            "escalation.reassign_team_id",
            format!("team {t} does not exist"),
        ));
    }
    input.escalation.notify_user_ids.sort_unstable();
    input.escalation.notify_user_ids.dedup();
    for u in &input.escalation.notify_user_ids {
        if users::get(conn, *u).await?.is_none_or(|u| u.active == 0) {
            return Err(EngineError::invalid(
                "escalation.notify_user_ids",
                format!("agent {u} does not exist or is deactivated"),
            ));
        }
    }
    Ok(input)
}

fn fields_json(input: &PolicyInput) -> (String, String, String) {
    (
        json!(input.conditions).to_string(),
        json!(input.targets).to_string(),
        json!(input.escalation).to_string(),
    )
}

/// Refuses a new order that does not list every one of `existing` exactly once.
pub(crate) fn check_order(mut existing: Vec<i64>, ids: &[i64], what: &str) -> Result<()> {
    let mut wanted = ids.to_vec();
    existing.sort_unstable();
    wanted.sort_unstable();
    if existing != wanted {
        return Err(EngineError::invalid(
            "ids",
            format!("must list every {what} exactly once"),
        ));
    }
    Ok(())
}

/// Records that policies or calendars changed (so every node's cached copy is stale) and asks
/// for the SLAs of every open conversation to be worked out again, from the first.
pub(crate) async fn queue_reapply(tx: &mut Conn) -> Result<()> {
    sla::bump_version(tx).await?;
    scheduler::schedule(
        tx,
        "sla.reapply",
        Some("sla:reapply"),
        &json!({"after": 0}),
        now_ms(),
    )
    .await
}

impl Engine {
    /// Every policy in the order they are tried.
    pub async fn sla_policies(&self) -> Result<Vec<PolicyView>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(sla::list(&mut conn)
            .await?
            .iter()
            .map(PolicyView::from_row)
            .collect())
    }

    pub async fn sla_policy(&self, id: i64) -> Result<PolicyView> {
        let mut conn = self.store.pool().acquire().await?;
        let row = sla::get(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("SLA policy"))?;
        Ok(PolicyView::from_row(&row))
    }

    /// Adds (`id` `None`, last in the order) or replaces a policy (admin).
    pub async fn save_sla_policy(
        &self,
        by: &Actor,
        id: Option<i64>,
        input: PolicyInput,
    ) -> Result<PolicyView> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = match id {
            Some(id) => Some(
                sla::get(&mut tx, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("SLA policy"))?,
            ),
            None => None,
        };
        let input = check(&mut tx, input).await?;
        if sla::list(&mut tx)
            .await?
            .iter()
            .any(|p| p.name.eq_ignore_ascii_case(&input.name) && Some(p.id) != id)
        {
            return Err(EngineError::conflict(format!(
                "an SLA policy named {:?} exists",
                input.name
            )));
        }
        let (conditions, targets, escalation) = fields_json(&input);
        let fields = PolicyFields {
            name: &input.name,
            conditions: &conditions,
            targets: &targets,
            calendar_id: input.calendar_id,
            pause_pending: input.pauses.pending,
            pause_on_hold: input.pauses.on_hold,
            warn_minutes: input.warn_minutes,
            escalation: &escalation,
        };
        let id = match id {
            Some(id) => {
                sla::update(&mut tx, id, fields, at).await?;
                id
            }
            None => sla::insert(&mut tx, fields, at).await?,
        };
        log(
            &mut tx,
            Some(by),
            "sla_policy",
            id,
            if before.is_some() {
                "sla_policy.updated"
            } else {
                "sla_policy.created"
            },
            json!({
                "before": before.map(|b| json!({"name": b.name, "targets": b.targets, "conditions": b.conditions})),
                "after": {"name": input.name, "targets": targets, "conditions": conditions},
            }),
            at,
        )
        .await?;
        queue_reapply(&mut tx).await?;
        let row = sla::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("SLA policy"))?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(PolicyView::from_row(&row))
    }

    /// Removes a policy (admin); its conversations fall to the next matching policy.
    pub async fn delete_sla_policy(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = sla::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("SLA policy"))?;
        sla::delete(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "sla_policy",
            id,
            "sla_policy.deleted",
            json!({"before": {"name": before.name}}),
            at,
        )
        .await?;
        queue_reapply(&mut tx).await?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(())
    }

    /// Puts the policies in this order, first tried first (admin). Every policy must be named
    /// once.
    pub async fn reorder_sla_policies(&self, by: &Actor, ids: &[i64]) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let existing: Vec<i64> = sla::list(&mut tx).await?.iter().map(|p| p.id).collect();
        check_order(existing, ids, "SLA policy")?;
        sla::reorder(&mut tx, ids).await?;
        log(
            &mut tx,
            Some(by),
            "sla_policy",
            0,
            "sla_policy.reordered",
            json!({"after": ids}),
            at,
        )
        .await?;
        queue_reapply(&mut tx).await?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(())
    }
}
