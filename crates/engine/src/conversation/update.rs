//! Changing a conversation's fields: subject, status, priority, assignee, team, tags, custom
//! fields and followers. Every changed field is one event with its before and after.

use super::message::{record_status, status_changes};
use super::record;
use crate::{Engine, EngineError, Result};
use serde_json::{Map, Value, json};
use steward_domain::automation::Trigger;
use steward_domain::custom_field::{self, FieldDef, FieldKind};
use steward_domain::{Actor, Priority, Status, validate};
use steward_store::conversations::{self, Changes};
use steward_store::events::Doer;
use steward_store::models::Conversation;
use steward_store::{Conn, fields, now_ms, search, tags, users};

/// A partial change. `None` leaves a field alone; for assignee and team, `Some(None)` clears.
#[derive(Debug, Clone, Default)]
pub struct Patch {
    pub subject: Option<String>,
    pub status: Option<Status>,
    pub priority: Option<Priority>,
    pub assignee_id: Option<Option<i64>>,
    pub team_id: Option<Option<i64>>,
    /// Replaces the tags.
    pub tags: Option<Vec<String>>,
    /// Merged into the current values; a `null` value clears that field.
    pub custom_fields: Option<Map<String, Value>>,
    /// Replaces the followers.
    pub followers: Option<Vec<i64>>,
    /// When it happened, for imports and sample data; now when `None`.
    pub at: Option<i64>,
}

pub(crate) fn check_tags(input: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for t in input {
        let t = validate::tag(t)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    if out.len() > 50 {
        return Err(EngineError::invalid("tags", "at most 50 tags"));
    }
    Ok(out)
}

/// Checks `input` against the field definitions and merges it into `current`.
pub(crate) async fn check_custom_fields(
    conn: &mut Conn,
    input: &Map<String, Value>,
    current: Map<String, Value>,
) -> Result<Map<String, Value>> {
    let defs: Vec<FieldDef> = fields::list(conn)
        .await?
        .into_iter()
        .filter_map(|d| {
            Some(FieldDef {
                options: d.options_list(),
                kind: FieldKind::parse(&d.kind).ok()?,
                key: d.key,
            })
        })
        .collect();
    merge_fields(&defs, input, current)
}

fn merge_fields(
    defs: &[FieldDef],
    input: &Map<String, Value>,
    mut current: Map<String, Value>,
) -> Result<Map<String, Value>> {
    for (key, value) in input {
        let def = defs.iter().find(|d| &d.key == key).ok_or_else(|| {
            EngineError::invalid(&format!("custom_fields.{key}"), "no such custom field")
        })?;
        match custom_field::check_value(def, value)? {
            Some(v) => current.insert(key.clone(), v),
            None => current.remove(key),
        };
    }
    Ok(current)
}

/// Checks that the team and the assignee exist and the assignee is active.
pub(crate) async fn resolve_assignment(
    tx: &mut Conn,
    team_id: Option<i64>,
    assignee_id: Option<i64>,
) -> Result<()> {
    if let Some(t) = team_id
        && users::team(tx, t).await?.is_none()
    {
        return Err(EngineError::invalid(
            "team_id",
            format!("team {t} does not exist"),
        ));
    }
    if let Some(u) = assignee_id {
        match users::get(tx, u).await? {
            Some(user) if user.active != 0 => {}
            Some(_) => {
                return Err(EngineError::invalid(
                    "assignee_id",
                    format!("agent {u} is deactivated"),
                ));
            }
            None => {
                return Err(EngineError::invalid(
                    "assignee_id",
                    format!("agent {u} does not exist"),
                ));
            }
        }
    }
    Ok(())
}

impl Engine {
    pub async fn update_conversation(
        &self,
        by: &Actor,
        id: i64,
        patch: Patch,
    ) -> Result<Conversation> {
        let subject = patch
            .subject
            .as_deref()
            .map(|s| validate::required("subject", s, validate::MAX_SUBJECT))
            .transpose()?;
        let tag_names = patch.tags.as_deref().map(check_tags).transpose()?;
        let at = patch.at.unwrap_or_else(now_ms);
        let doer = Doer::User(by.user_id);
        let mut tx = self.store.write().await?;
        let c = conversations::get_for_update(&mut tx, self.store.backend(), id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        super::authorize(&mut tx, by, &c).await?;
        if c.merged_into.is_some() {
            return Err(EngineError::conflict(
                "this conversation was merged into another; change that one",
            ));
        }
        let mut changes = Changes::default();
        if let Some(s) = patch.status {
            let next = c.status.transition(s)?;
            status_changes(&c, next, at, &mut changes);
        }
        record_status(&mut tx, doer, &c, &changes, at).await?;
        if let Some(s) = subject.filter(|s| *s != c.subject) {
            record(
                &mut tx,
                doer,
                id,
                "subject.changed",
                json!({"before": c.subject, "after": s}),
                at,
            )
            .await?;
            search::reindex_subject(&mut tx, id, &s).await?;
            changes.subject = Some(s);
        }
        if let Some(p) = patch.priority.filter(|p| *p != c.priority) {
            record(
                &mut tx,
                doer,
                id,
                "priority.changed",
                json!({"before": c.priority, "after": p}),
                at,
            )
            .await?;
            changes.priority = Some(p);
        }
        let new_team = patch.team_id.unwrap_or(c.team_id);
        let new_assignee = patch.assignee_id.unwrap_or(c.assignee_id);
        resolve_assignment(
            &mut tx,
            patch.team_id.flatten(),
            patch.assignee_id.flatten(),
        )
        .await?;
        if new_team != c.team_id {
            record(
                &mut tx,
                doer,
                id,
                "team.changed",
                json!({"before": c.team_id, "after": new_team}),
                at,
            )
            .await?;
            changes.team_id = Some(new_team);
        }
        if new_assignee != c.assignee_id {
            record(
                &mut tx,
                doer,
                id,
                "assignee.changed",
                json!({"before": c.assignee_id, "after": new_assignee}),
                at,
            )
            .await?;
            changes.assignee_id = Some(new_assignee);
            if let Some(previous) = c.assignee_id {
                crate::routing::queue_drains_for(&mut tx, previous).await?;
            }
            if let Some(assignee) = new_assignee {
                self.notify_assigned(&mut tx, &c, assignee, by, at).await?;
            }
        }
        if let Some(input) = &patch.custom_fields {
            let before = c.custom_fields_json();
            let after = check_custom_fields(&mut tx, input, before.clone()).await?;
            if after != before {
                record(
                    &mut tx,
                    doer,
                    id,
                    "custom_fields.changed",
                    json!({"before": before, "after": after}),
                    at,
                )
                .await?;
                changes.custom_fields = Some(Value::Object(after).to_string());
            }
        }
        if let Some(names) = tag_names {
            let before: Vec<String> = conversations::tags_of(&mut tx, &[id])
                .await?
                .into_iter()
                .map(|(_, n)| n)
                .collect();
            let mut sorted = names.clone();
            sorted.sort();
            if sorted != before {
                let mut ids = Vec::new();
                for n in &names {
                    ids.push(tags::ensure(&mut tx, n, at).await?);
                }
                conversations::set_tags(&mut tx, id, &ids).await?;
                record(
                    &mut tx,
                    doer,
                    id,
                    "tags.changed",
                    json!({"before": before, "after": sorted}),
                    at,
                )
                .await?;
            }
        }
        if let Some(mut followers) = patch.followers.clone() {
            followers.sort_unstable();
            followers.dedup();
            for u in &followers {
                if users::get(&mut tx, *u).await?.is_none() {
                    return Err(EngineError::invalid(
                        "followers",
                        format!("agent {u} does not exist"),
                    ));
                }
            }
            let before = conversations::followers(&mut tx, id).await?;
            if before != followers {
                conversations::set_followers(&mut tx, id, &followers).await?;
                record(
                    &mut tx,
                    doer,
                    id,
                    "followers.changed",
                    json!({"before": before, "after": followers}),
                    at,
                )
                .await?;
            }
        }
        conversations::update(&mut tx, id, &changes, at, false, 0).await?;
        let mut after = conversations::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        self.settle(&mut tx, &mut after, Trigger::Updated).await?;
        tx.commit().await?;
        if changes.assignee_id.is_some() && self.email.has_inboxes() {
            self.email.outbox_wake.notify_one();
        }
        self.announce(&after, Some(&c), "updated", Some(by.user_id))
            .await;
        Ok(after)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_custom_field_is_refused() {
        let defs = vec![FieldDef {
            key: "order".into(),
            kind: FieldKind::Text,
            options: vec![],
        }];
        let mut input = Map::new();
        input.insert("nope".into(), json!("x"));
        assert!(merge_fields(&defs, &input, Map::new()).is_err());
    }

    #[test]
    fn null_removes_a_custom_field_value() {
        let defs = vec![FieldDef {
            key: "order".into(),
            kind: FieldKind::Text,
            options: vec![],
        }];
        let mut current = Map::new();
        current.insert("order".into(), json!("A1"));
        let mut input = Map::new();
        input.insert("order".into(), Value::Null);
        assert!(
            merge_fields(&defs, &input, current)
                .unwrap_or_default()
                .is_empty()
        );
    }

    #[test]
    fn duplicate_tags_collapse() {
        let tags = check_tags(&["VIP".into(), "vip".into()]).unwrap_or_default();
        assert_eq!(tags, vec!["vip".to_string()]);
    }
}
