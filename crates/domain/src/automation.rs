//! Automations: rules that act on conversations when something happens (created, updated, a
//! customer message, an SLA warning or breach) or when time passes (hours without an update,
//! hours pending). A rule has conditions on the conversation and a list of actions.
//!
//! Loop protection is in two parts. At save, a rule that fires on updates or on time must have
//! an action that makes its own conditions false (set a priority or status they exclude, add a
//! tag they forbid, remove the tags they ask for), or it would fire again on its own change or
//! on every sweep: such a rule is refused with the reason. At run time each rule acts at most
//! once per change, and the updates rules make re-run the update rules at most a few times.

use crate::kinds::word_enum;
use crate::sla::{Conditions, Facts};
use crate::{DomainError, Priority, Status};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::BTreeMap;

word_enum!(
    /// What sets a rule off.
    Trigger, "trigger" {
        Created => "conversation.created", Updated => "conversation.updated",
        CustomerMessage => "message.received", SlaWarning => "sla.warning",
        SlaBreached => "sla.breached", Idle => "time.idle", Pending => "time.pending",
    }
);

impl Trigger {
    /// Fired by the clock rather than by a change.
    pub fn is_timed(self) -> bool {
        matches!(self, Trigger::Idle | Trigger::Pending)
    }
}

/// What a rule looks at. Empty lists and `None` match anything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RuleConditions {
    /// Priority, channel, tags (any of), organization, customer tier.
    #[serde(flatten)]
    pub base: Conditions,
    pub statuses: Vec<Status>,
    /// None of these tags.
    pub without_tags: Vec<String>,
    /// The subject or the latest message contains one of these (any case).
    pub text: Vec<String>,
    /// Assigned to someone (true) or waiting (false).
    pub assigned: Option<bool>,
    /// For time triggers: hours since the last update, or since it went pending.
    pub hours: Option<i64>,
    /// Arrived through one of these inboxes (addresses, any case).
    pub inboxes: Vec<String>,
    /// In one of these teams.
    pub team_ids: Vec<i64>,
    /// Assigned to one of these agents.
    pub assignee_ids: Vec<i64>,
    /// The customer's email address ends with one of these domains (any case).
    pub customer_domains: Vec<String>,
    /// Custom fields: each key holds this value (text in any case; `null` means empty).
    pub fields: BTreeMap<String, Value>,
    /// Now is within (true) or outside (false) the conversation's business hours.
    pub business_hours: Option<bool>,
}

/// The conversation as conditions see it.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub facts: Facts<'a>,
    pub status: Status,
    pub assigned: bool,
    /// Subject and latest message, lower-cased.
    pub text: &'a str,
    /// Hours since the event a time trigger counts from.
    pub hours_since: i64,
    /// The inbox it arrived through (lower case).
    pub inbox: Option<&'a str>,
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub customer_email: Option<&'a str>,
    pub fields: &'a Map<String, Value>,
    /// Whether now is within its business hours (around the clock without a calendar).
    pub in_business_hours: bool,
}

/// Whether a custom field's value is the one a condition asks for.
fn field_is(has: Option<&Value>, wanted: &Value) -> bool {
    let empty = |v: Option<&Value>| match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    };
    match (has, wanted) {
        (h, Value::Null) => empty(h),
        (Some(Value::String(h)), Value::String(w)) => h.eq_ignore_ascii_case(w),
        // 12 and 12.0 are the same number.
        (Some(Value::Number(h)), Value::Number(w)) => h.as_f64() == w.as_f64(),
        (Some(h), w) => h == w,
        (None, _) => false,
    }
}

fn ends_with_domain(email: &str, domain: &str) -> bool {
    let domain = domain.trim_start_matches('@').to_ascii_lowercase();
    let email = email.to_ascii_lowercase();
    email
        .rsplit_once('@')
        .is_some_and(|(_, d)| d == domain || d.ends_with(&format!(".{domain}")))
}

impl RuleConditions {
    pub fn matches(&self, s: &Subject) -> bool {
        self.base.matches(&s.facts)
            && (self.statuses.is_empty() || self.statuses.contains(&s.status))
            && !self
                .without_tags
                .iter()
                .any(|t| s.facts.tags.iter().any(|x| x == t))
            && (self.text.is_empty()
                || self.text.iter().any(|t| s.text.contains(&t.to_lowercase())))
            && self.assigned.is_none_or(|a| a == s.assigned)
            && self.hours.is_none_or(|h| s.hours_since >= h)
            && (self.inboxes.is_empty()
                || s.inbox
                    .is_some_and(|i| self.inboxes.iter().any(|x| x.eq_ignore_ascii_case(i))))
            && (self.team_ids.is_empty() || s.team_id.is_some_and(|t| self.team_ids.contains(&t)))
            && (self.assignee_ids.is_empty()
                || s.assignee_id
                    .is_some_and(|a| self.assignee_ids.contains(&a)))
            && (self.customer_domains.is_empty()
                || s.customer_email
                    .is_some_and(|e| self.customer_domains.iter().any(|d| ends_with_domain(e, d))))
            && self
                .fields
                .iter()
                .all(|(k, v)| field_is(s.fields.get(k), v))
            && self.business_hours.is_none_or(|b| b == s.in_business_hours)
    }
}

/// What a rule does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Action {
    SetPriority {
        priority: Priority,
    },
    SetStatus {
        status: Status,
    },
    AssignTeam {
        team_id: i64,
    },
    AssignAgent {
        user_id: i64,
    },
    AddTags {
        tags: Vec<String>,
    },
    RemoveTags {
        tags: Vec<String>,
    },
    /// An internal note (placeholders filled).
    Note {
        body: String,
    },
    /// A public reply to the customer, marked as automatic (placeholders filled).
    Reply {
        body: String,
    },
    /// Email these agents.
    Notify {
        user_ids: Vec<i64>,
        message: String,
    },
    /// Send the rule's firing to a webhook subscription.
    CallWebhook {
        webhook_id: i64,
    },
}

impl Action {
    /// Whether this action, once done, leaves a conversation outside `c`.
    fn falsifies(&self, c: &RuleConditions) -> bool {
        match self {
            Action::SetPriority { priority } => {
                !c.base.priorities.is_empty() && !c.base.priorities.contains(priority)
            }
            Action::SetStatus { status } => !c.statuses.is_empty() && !c.statuses.contains(status),
            Action::AddTags { tags } => tags.iter().any(|t| c.without_tags.contains(t)),
            Action::RemoveTags { tags } => {
                !c.base.tags.is_empty() && c.base.tags.iter().all(|t| tags.contains(t))
            }
            Action::AssignTeam { team_id } => {
                c.assigned == Some(false)
                    || (!c.team_ids.is_empty() && !c.team_ids.contains(team_id))
            }
            Action::AssignAgent { user_id } => {
                c.assigned == Some(false)
                    || (!c.assignee_ids.is_empty() && !c.assignee_ids.contains(user_id))
            }
            _ => false,
        }
    }
}

/// Refuses a rule that would fire again on its own change (update and time triggers), one
/// with no action, and a time rule without hours.
pub fn check(trigger: Trigger, c: &RuleConditions, actions: &[Action]) -> Result<(), DomainError> {
    if actions.is_empty() {
        return Err(DomainError::invalid(
            "actions",
            "must not be empty: a rule needs at least one action",
        ));
    }
    if trigger.is_timed() && !c.hours.is_some_and(|h| (1..=24 * 366).contains(&h)) {
        return Err(DomainError::invalid(
            "conditions.hours",
            "must be set for a time rule: the hours to wait, 1 to 8784",
        ));
    }
    let repeats = matches!(trigger, Trigger::Updated) || trigger.is_timed();
    if repeats && !actions.iter().any(|a| a.falsifies(c)) {
        return Err(DomainError::invalid(
            "actions",
            format!(
                "would loop: on {} the rule would fire again after its own change; add a \
                 condition one of its actions makes false (for example \"without tag X\" \
                 and the action \"add tag X\")",
                trigger.as_str()
            ),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Channel;

    fn subject<'a>(
        tags: &'a [String],
        text: &'a str,
        fields: &'a Map<String, Value>,
    ) -> Subject<'a> {
        Subject {
            facts: Facts {
                priority: Priority::Normal,
                channel: Channel::Email,
                tags,
                organization_id: None,
                customer_tier: None,
            },
            status: Status::Open,
            assigned: false,
            text,
            hours_since: 30,
            inbox: Some("billing@example.com"),
            team_id: Some(4),
            assignee_id: None,
            customer_email: Some("ana@shop.example.org"),
            fields,
            in_business_hours: false,
        }
    }

    #[test]
    fn conditions_look_at_status_tags_text_assignment_and_hours() {
        let tags = vec!["refund".to_string()];
        let fields = Map::new();
        let s = subject(&tags, "where is my refund?", &fields);
        let mut c = RuleConditions {
            statuses: vec![Status::Open],
            text: vec!["Refund".into()],
            assigned: Some(false),
            hours: Some(24),
            ..Default::default()
        };
        assert!(c.matches(&s));
        c.without_tags = vec!["refund".into()];
        assert!(!c.matches(&s));
        c.without_tags.clear();
        c.hours = Some(48);
        assert!(!c.matches(&s));
    }

    #[test]
    fn conditions_look_at_inbox_team_customer_domain_custom_fields_and_business_hours() {
        let mut fields = Map::new();
        fields.insert("plan".into(), Value::String("Gold".into()));
        fields.insert("seats".into(), Value::from(12));
        let s = subject(&[], "", &fields);
        let all = RuleConditions {
            inboxes: vec!["Billing@example.com".into()],
            team_ids: vec![4, 5],
            customer_domains: vec!["example.org".into()],
            fields: [
                ("plan".to_string(), Value::String("gold".into())),
                // Stored as 12, asked as 12.0: the same number.
                ("seats".to_string(), Value::from(12.0)),
                ("region".to_string(), Value::Null),
            ]
            .into_iter()
            .collect(),
            business_hours: Some(false),
            ..Default::default()
        };
        assert!(all.matches(&s));
        let each_alone_fails: Vec<RuleConditions> = vec![
            RuleConditions {
                inboxes: vec!["sales@example.com".into()],
                ..all.clone()
            },
            RuleConditions {
                team_ids: vec![9],
                ..all.clone()
            },
            RuleConditions {
                assignee_ids: vec![1],
                ..all.clone()
            },
            RuleConditions {
                customer_domains: vec!["ample.org".into()],
                ..all.clone()
            },
            RuleConditions {
                fields: [("plan".to_string(), Value::String("silver".into()))]
                    .into_iter()
                    .collect(),
                ..all.clone()
            },
            RuleConditions {
                fields: [("plan".to_string(), Value::Null)].into_iter().collect(),
                ..all.clone()
            },
            RuleConditions {
                business_hours: Some(true),
                ..all.clone()
            },
        ];
        for c in each_alone_fails {
            assert!(!c.matches(&s), "{c:?}");
        }
    }

    #[test]
    fn an_update_rule_that_does_not_undo_its_own_conditions_is_refused_as_a_loop() {
        let tag = Action::AddTags {
            tags: vec!["seen".into()],
        };
        let loose = RuleConditions::default();
        let err = check(Trigger::Updated, &loose, std::slice::from_ref(&tag)).expect_err("loop");
        assert!(err.to_string().contains("would loop"));
        let guarded = RuleConditions {
            without_tags: vec!["seen".into()],
            ..Default::default()
        };
        assert!(check(Trigger::Updated, &guarded, &[tag]).is_ok());
        let raise = Action::SetPriority {
            priority: Priority::Urgent,
        };
        let only_high = RuleConditions {
            base: Conditions {
                priorities: vec![Priority::High],
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(check(Trigger::Updated, &only_high, &[raise]).is_ok());
        // A rule on creation runs once per conversation: no guard needed.
        let note = Action::Note { body: "Hi".into() };
        assert!(check(Trigger::Created, &loose, &[note]).is_ok());
    }

    #[test]
    fn time_rules_need_hours_and_a_guard() {
        let solve = Action::SetStatus {
            status: Status::Solved,
        };
        let pending = RuleConditions {
            statuses: vec![Status::Pending],
            ..Default::default()
        };
        assert!(check(Trigger::Pending, &pending, std::slice::from_ref(&solve)).is_err());
        let waited = RuleConditions {
            hours: Some(72),
            ..pending
        };
        assert!(check(Trigger::Pending, &waited, &[solve]).is_ok());
        assert!(check(Trigger::Created, &RuleConditions::default(), &[]).is_err());
    }

    #[test]
    fn actions_read_and_write_as_tagged_json() {
        let a: Action =
            serde_json::from_str(r#"{"type": "add_tags", "tags": ["vip"]}"#).expect("action");
        assert_eq!(
            a,
            Action::AddTags {
                tags: vec!["vip".into()]
            }
        );
        assert!(serde_json::from_str::<Action>(r#"{"type": "explode"}"#).is_err());
    }
}
