//! The point-and-click automation rule form: a rule's trigger, its conditions as checkboxes,
//! selects and comma lists, and one field per kind of action, built from a rule and read back
//! into one. Also the rule in words for the list. A rule the API gave two actions of one kind
//! (or an "empty" custom-field condition) cannot be shown here without loss, so its form is
//! left out and the page says to change it over the API.

use super::conditions_form::{
    ConditionsForm, choices, comma_list, conditions_of, describe_parts, ids,
};
use super::form::FormData;
use super::view::Choice;
use crate::error::{PageError, Problem};
use serde_json::Value;
use steward_domain::automation::{Action, RuleConditions, Trigger};
use steward_domain::custom_field::FieldKind;
use steward_domain::{Priority, Status};
use steward_engine::automations::RuleInput;

/// What the form picks from, by (id, name).
pub struct Lists {
    pub organizations: Vec<(i64, String)>,
    pub teams: Vec<(i64, String)>,
    pub agents: Vec<(i64, String)>,
    pub webhooks: Vec<(i64, String)>,
    pub inboxes: Vec<String>,
    /// (key, label, kind)
    pub fields: Vec<(String, String, FieldKind)>,
}

/// A custom field's condition: its key, label and the value asked for ("" for any).
pub struct FieldLine {
    pub key: String,
    pub label: String,
    pub value: String,
}

/// One rule's form (id 0 for a new one).
pub struct RuleForm {
    pub id: i64,
    pub name: String,
    pub active: bool,
    pub when: String,
    pub does: String,
    /// Whether the form shows the whole rule (see the module docs).
    pub editable: bool,
    pub triggers: Vec<Choice>,
    pub cf: ConditionsForm,
    pub statuses: Vec<Choice>,
    pub without_tags: String,
    pub text: String,
    pub assigned: Vec<Choice>,
    pub hours: String,
    pub inboxes: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub assignees: Vec<Choice>,
    pub domains: String,
    pub business_hours: Vec<Choice>,
    pub fields: Vec<FieldLine>,
    pub set_priority: Vec<Choice>,
    pub set_status: Vec<Choice>,
    pub assign_team: Vec<Choice>,
    pub assign_agent: Vec<Choice>,
    pub add_tags: String,
    pub remove_tags: String,
    pub note: String,
    pub reply: String,
    pub notify: Vec<Choice>,
    pub notify_message: String,
    pub webhook: Vec<Choice>,
}

/// A select with a "none" entry first.
fn select(none: &str, all: &[(i64, String)], current: Option<i64>) -> Vec<Choice> {
    let mut out = vec![Choice::new("", none, current.is_none())];
    out.extend(choices(all, |id| current == Some(id)));
    out
}

fn word_select<T: Copy + PartialEq + std::fmt::Display>(
    none: &str,
    all: &[T],
    current: Option<T>,
) -> Vec<Choice> {
    let mut out = vec![Choice::new("", none, current.is_none())];
    out.extend(all.iter().map(|x| Choice::new(*x, *x, current == Some(*x))));
    out
}

fn tri(any: &str, yes: &str, no: &str, current: Option<bool>) -> Vec<Choice> {
    vec![
        Choice::new("", any, current.is_none()),
        Choice::new("yes", yes, current == Some(true)),
        Choice::new("no", no, current == Some(false)),
    ]
}

fn field_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "yes".into(),
        Value::Bool(false) => "no".into(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn name_of(all: &[(i64, String)], id: i64) -> String {
    all.iter()
        .find(|(i, _)| *i == id)
        .map_or_else(|| format!("#{id}"), |(_, n)| n.clone())
}

fn names(all: &[(i64, String)], ids: &[i64]) -> String {
    ids.iter()
        .map(|i| name_of(all, *i))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The conditions in words.
fn when(c: &RuleConditions, lists: &Lists) -> String {
    let mut parts = describe_parts(&c.base);
    let some = |on: bool, text: String| on.then_some(text);
    let statuses: Vec<String> = c.statuses.iter().map(|s| s.to_string()).collect();
    parts.extend(
        [
            some(
                !c.statuses.is_empty(),
                format!("status {}", statuses.join(" or ")),
            ),
            some(
                !c.without_tags.is_empty(),
                format!("without tag {}", c.without_tags.join(" or ")),
            ),
            some(
                !c.text.is_empty(),
                format!("text contains {}", c.text.join(" or ")),
            ),
            c.assigned
                .map(|a| if a { "assigned" } else { "unassigned" }.to_string()),
            c.hours.map(|h| format!("after {h} hours")),
            some(
                !c.inboxes.is_empty(),
                format!("inbox {}", c.inboxes.join(" or ")),
            ),
            some(
                !c.team_ids.is_empty(),
                format!("team {}", names(&lists.teams, &c.team_ids)),
            ),
            some(
                !c.assignee_ids.is_empty(),
                format!("assigned to {}", names(&lists.agents, &c.assignee_ids)),
            ),
            some(
                !c.customer_domains.is_empty(),
                format!("customer at {}", c.customer_domains.join(" or ")),
            ),
        ]
        .into_iter()
        .flatten(),
    );
    for (k, v) in &c.fields {
        parts.push(match v {
            Value::Null => format!("{k} empty"),
            v => format!("{k} is {}", field_text(v)),
        });
    }
    if let Some(b) = c.business_hours {
        parts.push(
            if b {
                "within business hours"
            } else {
                "outside business hours"
            }
            .into(),
        );
    }
    if parts.is_empty() {
        "every conversation".into()
    } else {
        parts.join(", ")
    }
}

/// The actions in words.
fn does(actions: &[Action], lists: &Lists) -> String {
    actions
        .iter()
        .map(|a| match a {
            Action::SetPriority { priority } => format!("set priority {priority}"),
            Action::SetStatus { status } => format!("set status {status}"),
            Action::AssignTeam { team_id } => {
                format!("move to {}", name_of(&lists.teams, *team_id))
            }
            Action::AssignAgent { user_id } => {
                format!("assign to {}", name_of(&lists.agents, *user_id))
            }
            Action::AddTags { tags } => format!("add tags {}", tags.join(", ")),
            Action::RemoveTags { tags } => format!("remove tags {}", tags.join(", ")),
            Action::Note { .. } => "add a note".into(),
            Action::Reply { .. } => "reply to the customer".into(),
            Action::Notify { user_ids, .. } => {
                format!(
                    "email {}",
                    names(&lists.agents, user_ids).replace(" or ", ", ")
                )
            }
            Action::CallWebhook { webhook_id } => {
                format!("call {}", name_of(&lists.webhooks, *webhook_id))
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Whether the form can show `input` without leaving something out.
fn fits(input: &RuleInput) -> bool {
    let kinds: Vec<std::mem::Discriminant<Action>> =
        input.actions.iter().map(std::mem::discriminant).collect();
    let unique = kinds
        .iter()
        .enumerate()
        .all(|(i, k)| !kinds[..i].contains(k));
    unique && !input.conditions.fields.values().any(Value::is_null)
}

pub fn form_of(id: i64, input: &RuleInput, lists: &Lists) -> RuleForm {
    let c = &input.conditions;
    let mut f = RuleForm {
        id,
        name: input.name.clone(),
        active: input.active,
        when: when(c, lists),
        does: does(&input.actions, lists),
        editable: fits(input),
        triggers: Trigger::ALL
            .iter()
            .map(|t| Choice::new(t, t, *t == input.trigger))
            .collect(),
        cf: ConditionsForm::of(&c.base, &lists.organizations),
        statuses: Status::ALL
            .iter()
            .map(|s| Choice::new(s, s, c.statuses.contains(s)))
            .collect(),
        without_tags: c.without_tags.join(", "),
        text: c.text.join(", "),
        assigned: tri("either", "assigned", "unassigned", c.assigned),
        hours: c.hours.map(|h| h.to_string()).unwrap_or_default(),
        inboxes: lists
            .inboxes
            .iter()
            .map(|i| Choice::new(i, i, c.inboxes.contains(i)))
            .collect(),
        teams: choices(&lists.teams, |id| c.team_ids.contains(&id)),
        assignees: choices(&lists.agents, |id| c.assignee_ids.contains(&id)),
        domains: c.customer_domains.join(", "),
        business_hours: tri("any time", "within", "outside", c.business_hours),
        fields: lists
            .fields
            .iter()
            .map(|(key, label, _)| FieldLine {
                key: key.clone(),
                label: label.clone(),
                value: c.fields.get(key).map(field_text).unwrap_or_default(),
            })
            .collect(),
        set_priority: word_select("no change", Priority::ALL, None),
        set_status: word_select("no change", Status::ALL, None),
        assign_team: select("no change", &lists.teams, None),
        assign_agent: select("no change", &lists.agents, None),
        add_tags: String::new(),
        remove_tags: String::new(),
        note: String::new(),
        reply: String::new(),
        notify: choices(&lists.agents, |_| false),
        notify_message: String::new(),
        webhook: select("none", &lists.webhooks, None),
    };
    for a in &input.actions {
        match a {
            Action::SetPriority { priority } => {
                f.set_priority = word_select("no change", Priority::ALL, Some(*priority));
            }
            Action::SetStatus { status } => {
                f.set_status = word_select("no change", Status::ALL, Some(*status));
            }
            Action::AssignTeam { team_id } => {
                f.assign_team = select("no change", &lists.teams, Some(*team_id));
            }
            Action::AssignAgent { user_id } => {
                f.assign_agent = select("no change", &lists.agents, Some(*user_id));
            }
            Action::AddTags { tags } => f.add_tags = tags.join(", "),
            Action::RemoveTags { tags } => f.remove_tags = tags.join(", "),
            Action::Note { body } => f.note = body.clone(),
            Action::Reply { body } => f.reply = body.clone(),
            Action::Notify { user_ids, message } => {
                f.notify = choices(&lists.agents, |id| user_ids.contains(&id));
                f.notify_message = message.clone();
            }
            Action::CallWebhook { webhook_id } => {
                f.webhook = select("none", &lists.webhooks, Some(*webhook_id));
            }
        }
    }
    f
}

fn yes_no(form: &FormData, name: &str) -> Option<bool> {
    match form.get(name) {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    }
}

/// A custom field's value as the condition compares it: by the field's kind.
fn field_value(key: &str, kind: FieldKind, text: &str) -> Result<Value, PageError> {
    let bad = |what: &str| {
        PageError(Problem::invalid(
            &format!("conditions.fields.{key}"),
            format!("must be {what}, not {text:?}"),
        ))
    };
    Ok(match kind {
        FieldKind::Number => {
            let n: f64 = text.parse().map_err(|_| bad("a number"))?;
            serde_json::Number::from_f64(n)
                .map(|n| match n.as_f64() {
                    Some(f) if f.fract() == 0.0 && f.abs() < 9e15 => Value::from(f as i64),
                    _ => Value::Number(n),
                })
                .ok_or_else(|| bad("a number"))?
        }
        FieldKind::Checkbox => match text.to_lowercase().as_str() {
            "yes" | "true" | "on" => Value::Bool(true),
            "no" | "false" | "off" => Value::Bool(false),
            _ => return Err(bad("yes or no")),
        },
        _ => Value::String(text.to_string()),
    })
}

/// Reads a rule back from the form.
pub fn rule_of(form: &FormData, lists: &Lists) -> Result<RuleInput, PageError> {
    let mut fields = std::collections::BTreeMap::new();
    for (key, _, kind) in &lists.fields {
        let text = form.get(&format!("field.{key}")).trim();
        if !text.is_empty() {
            fields.insert(key.clone(), field_value(key, *kind, text)?);
        }
    }
    let hours = match form.get("hours").trim() {
        "" => None,
        h => Some(h.parse::<i64>().map_err(|_| {
            PageError(Problem::invalid(
                "conditions.hours",
                "must be a whole number of hours",
            ))
        })?),
    };
    let conditions = RuleConditions {
        base: conditions_of(form)?,
        statuses: form
            .all("status")
            .into_iter()
            .map(Status::parse)
            .collect::<Result<_, _>>()?,
        without_tags: comma_list(form.get("without_tags")),
        text: comma_list(form.get("text")),
        assigned: yes_no(form, "assigned"),
        hours,
        inboxes: form.all("inbox").into_iter().map(str::to_string).collect(),
        team_ids: ids(form, "team")?,
        assignee_ids: ids(form, "assignee")?,
        customer_domains: comma_list(form.get("domains")),
        fields,
        business_hours: yes_no(form, "business_hours"),
    };
    let mut actions = Vec::new();
    if let Some(p) = form.opt("set_priority").filter(|v| !v.is_empty()) {
        actions.push(Action::SetPriority {
            priority: Priority::parse(p)?,
        });
    }
    if let Some(s) = form.opt("set_status").filter(|v| !v.is_empty()) {
        actions.push(Action::SetStatus {
            status: Status::parse(s)?,
        });
    }
    if let Some(team_id) = form.id("assign_team")? {
        actions.push(Action::AssignTeam { team_id });
    }
    if let Some(user_id) = form.id("assign_agent")? {
        actions.push(Action::AssignAgent { user_id });
    }
    for (name, add) in [("add_tags", true), ("remove_tags", false)] {
        let tags = comma_list(form.get(name));
        if !tags.is_empty() {
            actions.push(if add {
                Action::AddTags { tags }
            } else {
                Action::RemoveTags { tags }
            });
        }
    }
    let text = |name: &str| Some(form.get(name).trim().to_string()).filter(|t| !t.is_empty());
    if let Some(body) = text("note") {
        actions.push(Action::Note { body });
    }
    if let Some(body) = text("reply") {
        actions.push(Action::Reply { body });
    }
    let notify = ids(form, "notify")?;
    if !notify.is_empty() {
        actions.push(Action::Notify {
            user_ids: notify,
            message: text("notify_message").unwrap_or_else(|| {
                "Conversation #{{conversation.number}} needs a look: {{conversation.subject}}"
                    .into()
            }),
        });
    }
    if let Some(webhook_id) = form.id("webhook")? {
        actions.push(Action::CallWebhook { webhook_id });
    }
    Ok(RuleInput {
        name: form.get("name").to_string(),
        active: form.opt("active").is_some(),
        trigger: Trigger::parse(form.get("trigger"))?,
        conditions,
        actions,
    })
}
