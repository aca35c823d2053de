//! Automations: admins keep an ordered list of rules (`automations` table). Saving checks a
//! rule against `steward_domain::automation` (no action, a loop, a time rule without hours
//! are refused with the reason) and against what exists (teams, agents, webhooks, placeholders,
//! tags). A dry run shows which open conversations a rule's conditions match now.
//!
//! `run` carries rules out: on each change to a conversation, in the change's transaction,
//! and for time rules in a sweep job once a minute.

mod run;

use crate::directory::log;
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::json;
use steward_domain::automation::{self, Action, RuleConditions, Trigger};
use steward_domain::{Actor, placeholder, validate};
use steward_store::automations::{self as store, RuleFields, RuleRow};
use steward_store::models::Conversation;
use steward_store::{Conn, conversations, now_ms, users};

/// How often time rules are looked at.
const SWEEP_MS: i64 = 60_000;

#[derive(Debug, Clone)]
pub struct RuleInput {
    pub name: String,
    pub active: bool,
    pub trigger: Trigger,
    pub conditions: RuleConditions,
    pub actions: Vec<Action>,
}

#[derive(Debug, Clone)]
pub struct RuleView {
    pub id: i64,
    pub position: i64,
    pub input: RuleInput,
    pub updated_at: i64,
}

impl RuleView {
    pub(crate) fn from_row(r: &RuleRow) -> Option<RuleView> {
        Some(RuleView {
            id: r.id,
            position: r.position,
            input: RuleInput {
                name: r.name.clone(),
                active: r.active != 0,
                trigger: Trigger::parse(&r.trigger_kind).ok()?,
                conditions: serde_json::from_str(&r.conditions).ok()?,
                actions: serde_json::from_str(&r.actions).ok()?,
            },
            updated_at: r.updated_at,
        })
    }
}

fn tags(field: &str, list: &[String]) -> Result<Vec<String>> {
    list.iter()
        .map(|t| {
            validate::tag(t).map_err(|_| EngineError::invalid(field, format!("{t:?} is not a tag")))
        })
        .collect()
}

/// Refuses conditions that name teams, agents, custom fields or inboxes that do not exist.
async fn check_names(conn: &mut Conn, c: &mut RuleConditions, inboxes: &[String]) -> Result<()> {
    for t in &c.team_ids {
        if users::team(conn, *t).await?.is_none() {
            return Err(EngineError::invalid(
                "conditions.team_ids",
                format!("must name teams that exist; there is no team {t}"),
            ));
        }
    }
    for u in &c.assignee_ids {
        if users::get(conn, *u).await?.is_none() {
            return Err(EngineError::invalid(
                "conditions.assignee_ids",
                format!("must name agents that exist; there is no agent {u}"),
            ));
        }
    }
    let defs = steward_store::fields::list(conn).await?;
    if let Some(k) = c.fields.keys().find(|k| !defs.iter().any(|d| d.key == **k)) {
        return Err(EngineError::invalid(
            "conditions.fields",
            format!("must name custom fields that exist; there is no field {k:?}"),
        ));
    }
    for i in &mut c.inboxes {
        *i = i.trim().to_lowercase();
        if !inboxes.contains(i) {
            return Err(EngineError::invalid(
                "conditions.inboxes",
                format!("must name inboxes that exist; there is none at {i:?}"),
            ));
        }
    }
    for d in &mut c.customer_domains {
        *d = d.trim().trim_start_matches('@').to_lowercase();
        if d.is_empty() || !d.contains('.') || d.contains(char::is_whitespace) {
            return Err(EngineError::invalid(
                "conditions.customer_domains",
                format!("must be domains such as example.com, not {d:?}"),
            ));
        }
    }
    Ok(())
}

async fn check(conn: &mut Conn, mut input: RuleInput, inboxes: &[String]) -> Result<RuleInput> {
    input.name = validate::required("name", &input.name, 100)?;
    check_names(conn, &mut input.conditions, inboxes).await?;
    input.conditions.base.tags = tags("conditions.tags", &input.conditions.base.tags)?;
    input.conditions.without_tags =
        tags("conditions.without_tags", &input.conditions.without_tags)?;
    for action in &mut input.actions {
        match action {
            Action::AddTags { tags: t } | Action::RemoveTags { tags: t } => {
                *t = tags("actions.tags", t)?;
            }
            Action::AssignTeam { team_id } if users::team(conn, *team_id).await?.is_none() => {
                return Err(EngineError::invalid(
                    "actions.team_id",
                    format!("team {team_id} does not exist"),
                ));
            }
            Action::AssignAgent { user_id }
                if users::get(conn, *user_id)
                    .await?
                    .is_none_or(|u| u.active == 0) =>
            {
                return Err(EngineError::invalid(
                    "actions.user_id",
                    format!("agent {user_id} does not exist or is deactivated"),
                ));
            }
            Action::Notify { user_ids, message } => {
                placeholder::check(message)?;
                for u in user_ids.iter() {
                    if users::get(conn, *u).await?.is_none() {
                        return Err(EngineError::invalid(
                            "actions.user_ids",
                            format!("agent {u} does not exist"),
                        ));
                    }
                }
            }
            Action::Note { body } | Action::Reply { body } => {
                validate::required("actions.body", body, validate::MAX_BODY)?;
                placeholder::check(body)?;
            }
            Action::CallWebhook { webhook_id }
                if steward_store::webhooks::get(conn, *webhook_id)
                    .await?
                    .is_none() =>
            {
                return Err(EngineError::invalid(
                    "actions.webhook_id",
                    format!("webhook {webhook_id} does not exist"),
                ));
            }
            _ => {}
        }
    }
    automation::check(input.trigger, &input.conditions, &input.actions)?;
    Ok(input)
}

/// Keeps the time-rule sweep going while a time rule is on.
async fn keep_sweeping(tx: &mut Conn) -> Result<()> {
    let timed = store::list(tx)
        .await?
        .iter()
        .filter_map(RuleView::from_row)
        .any(|r| r.input.active && r.input.trigger.is_timed());
    if timed {
        scheduler::schedule(
            tx,
            "automation.sweep",
            Some("automation:sweep"),
            &json!({}),
            now_ms() + SWEEP_MS,
        )
        .await?;
    } else {
        steward_store::jobs::cancel(tx, "automation:sweep").await?;
    }
    Ok(())
}

impl Engine {
    pub async fn automations(&self) -> Result<Vec<RuleView>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(store::list(&mut conn)
            .await?
            .iter()
            .filter_map(RuleView::from_row)
            .collect())
    }

    /// Adds (`id` `None`, last in the order) or replaces a rule (admin).
    pub async fn save_automation(
        &self,
        by: &Actor,
        id: Option<i64>,
        input: RuleInput,
    ) -> Result<RuleView> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if let Some(id) = id {
            store::get(&mut tx, id)
                .await?
                .ok_or_else(|| EngineError::not_found("automation"))?;
        }
        let input = check(&mut tx, input, &self.email.addresses()).await?;
        let (conditions, actions) = (
            json!(input.conditions).to_string(),
            json!(input.actions).to_string(),
        );
        let fields = RuleFields {
            name: &input.name,
            active: input.active,
            trigger_kind: input.trigger.as_str(),
            conditions: &conditions,
            actions: &actions,
        };
        let saved = store::save(&mut tx, id, fields, at).await.map_err(|e| {
            if e.is_unique_violation() {
                EngineError::conflict(format!("an automation named {:?} exists", input.name))
            } else {
                e.into()
            }
        })?;
        log(&mut tx, Some(by), "automation", saved, if id.is_some() { "automation.updated" } else { "automation.created" },
            json!({"after": {"name": input.name, "trigger": input.trigger, "conditions": input.conditions, "actions": input.actions}}), at).await?;
        steward_store::sla::bump_version(&mut tx).await?;
        keep_sweeping(&mut tx).await?;
        let row = store::get(&mut tx, saved)
            .await?
            .ok_or_else(|| EngineError::not_found("automation"))?;
        tx.commit().await?;
        RuleView::from_row(&row).ok_or_else(|| EngineError::not_found("automation"))
    }

    /// Puts the rules in this order, first run first (admin); every rule listed once.
    pub async fn reorder_automations(&self, by: &Actor, ids: &[i64]) -> Result<()> {
        by.may_administer()?;
        let mut tx = self.store.write().await?;
        let existing: Vec<i64> = store::list(&mut tx).await?.iter().map(|r| r.id).collect();
        crate::sla::check_order(existing, ids, "automation")?;
        store::reorder(&mut tx, ids).await?;
        log(
            &mut tx,
            Some(by),
            "automation",
            0,
            "automation.reordered",
            json!({"after": ids}),
            now_ms(),
        )
        .await?;
        steward_store::sla::bump_version(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn delete_automation(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let mut tx = self.store.write().await?;
        if !store::delete(&mut tx, id).await? {
            return Err(EngineError::not_found("automation"));
        }
        log(
            &mut tx,
            Some(by),
            "automation",
            id,
            "automation.deleted",
            json!({}),
            now_ms(),
        )
        .await?;
        steward_store::sla::bump_version(&mut tx).await?;
        keep_sweeping(&mut tx).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The open conversations (of the newest 1,000) a rule's conditions match now, without
    /// acting (admin).
    pub async fn automation_dry_run(
        &self,
        by: &Actor,
        trigger: Trigger,
        conditions: &RuleConditions,
    ) -> Result<Vec<Conversation>> {
        by.may_administer()?;
        let now = now_ms();
        let mut conn = self.store.pool().acquire().await?;
        let mut out = Vec::new();
        for id in store::recent_open(&mut conn, 1000).await? {
            let Some(c) = conversations::get(&mut conn, id).await? else {
                continue;
            };
            if self
                .rule_matches(&mut conn, &c, trigger, conditions, now)
                .await?
            {
                out.push(c);
            }
        }
        Ok(out)
    }
}
