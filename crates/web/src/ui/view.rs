//! What every page shares: the signed-in agent, the CSRF token, the navigation; and the small
//! view models the templates print.

use crate::authz::Agent;
use crate::fmt;
use steward_domain::Role;
use steward_store::models::Conversation;

pub struct Layout {
    pub brand: String,
    pub user_name: String,
    pub user_id: i64,
    pub is_admin: bool,
    /// Supervisors and admins see reports.
    pub sees_reports: bool,
    pub csrf: String,
    pub nav: &'static str,
}

impl Layout {
    pub fn new(agent: &Agent, brand: &str, nav: &'static str) -> Layout {
        Layout {
            brand: brand.to_string(),
            user_name: agent.actor.name.clone(),
            user_id: agent.actor.user_id,
            is_admin: agent.actor.role == Role::Admin,
            sees_reports: matches!(agent.actor.role, Role::Admin | Role::Supervisor),
            csrf: agent.csrf.clone(),
            nav,
        }
    }
}

/// One line of a conversation list.
pub struct Row {
    pub id: i64,
    pub number: i64,
    pub subject: String,
    pub customer: String,
    pub status: String,
    pub priority: String,
    pub channel: String,
    pub assignee: String,
    pub team: String,
    pub tags: Vec<String>,
    pub activity: String,
    pub activity_iso: String,
    pub messages: i64,
    pub snippet: String,
    /// ok, warning, breached, paused or met; empty without an SLA policy.
    pub sla_state: String,
    pub sla_label: String,
}

impl Row {
    pub fn from(c: &Conversation, tags: Vec<String>, now: i64) -> Row {
        Row {
            id: c.id,
            number: c.number,
            subject: c.subject.clone(),
            customer: c.customer_name.clone(),
            status: c.status.to_string(),
            priority: c.priority.to_string(),
            channel: c.channel.to_string(),
            assignee: c.assignee_name.clone().unwrap_or_default(),
            team: c.team_name.clone().unwrap_or_default(),
            tags,
            activity: fmt::ago(c.last_activity_at, now),
            activity_iso: fmt::rfc3339(c.last_activity_at),
            messages: c.message_count,
            snippet: String::new(),
            sla_state: c.sla_state.clone().unwrap_or_default(),
            sla_label: fmt::sla_label(c.sla_state.as_deref(), c.sla_due_at, c.sla_breached_at, now),
        }
    }
}

/// An option in a select list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

impl Choice {
    pub fn new(value: impl ToString, label: impl ToString, selected: bool) -> Choice {
        Choice {
            value: value.to_string(),
            label: label.to_string(),
            selected,
        }
    }
}

/// Choices for one of the domain's word lists, with an "any" entry first.
pub fn word_choices(words: &[&str], current: &str, any: &str) -> Vec<Choice> {
    let mut out = vec![Choice::new("", any, current.is_empty())];
    out.extend(
        words
            .iter()
            .map(|w| Choice::new(w, w.replace('_', " "), *w == current)),
    );
    out
}

/// A conversation's SLA clocks beside it.
pub struct SlaCard {
    pub policy: String,
    pub hours: &'static str,
    pub state: String,
    /// Per clock: what it measures, and where it stands in words.
    pub clocks: Vec<(String, String)>,
}

impl SlaCard {
    pub fn from(v: &steward_engine::sla::SlaView) -> SlaCard {
        let clocks = v
            .clocks
            .iter()
            .map(|c| {
                let what = c.metric.as_str().replace('_', " ");
                let target = fmt::duration(c.target_minutes * 60_000);
                let late = c.breached_at.is_some();
                let standing = match (c.met_at, c.paused, c.due_at) {
                    (Some(_), _, _) if late => format!("missed ({target} target)"),
                    (Some(_), _, _) => format!("met ({target} target)"),
                    (None, true, _) => {
                        format!("paused, {} left", fmt::duration(c.remaining_ms.max(0)))
                    }
                    (None, false, Some(_)) if late => {
                        format!("overdue by {}", fmt::duration(-c.remaining_ms.min(0)))
                    }
                    (None, false, Some(d)) => format!(
                        "due {} ({} left)",
                        fmt::datetime(d),
                        fmt::duration(c.remaining_ms)
                    ),
                    (None, false, None) => "never due (calendar closed)".into(),
                };
                (what, standing)
            })
            .collect();
        SlaCard {
            policy: v.policy_name.clone(),
            hours: if v.business_hours {
                "business hours"
            } else {
                "calendar hours"
            },
            state: v.summary.state.map(|s| s.to_string()).unwrap_or_default(),
            clocks,
        }
    }
}

/// A follow-up task in a list.
pub struct TaskLine {
    pub id: i64,
    pub conversation_id: i64,
    pub number: i64,
    pub title: String,
    pub owner: String,
    /// "due in 2 h", "due 5 min ago", "when solved".
    pub due: String,
    pub overdue: bool,
    pub done: bool,
}

impl TaskLine {
    pub fn from(
        t: &steward_store::tasks::Task,
        users: &std::collections::HashMap<i64, String>,
        now: i64,
    ) -> TaskLine {
        let due = match t.due_at {
            _ if t.done_at.is_some() => "done".to_string(),
            Some(d) if d > now => format!("due in {}", fmt::duration(d - now)),
            Some(d) => format!("due {}", fmt::ago(d, now)),
            None => "due when solved".to_string(),
        };
        TaskLine {
            id: t.id,
            conversation_id: t.conversation_id,
            number: t.conversation_number,
            title: t.title.clone(),
            owner: users.get(&t.user_id).cloned().unwrap_or_default(),
            due,
            overdue: t.done_at.is_none() && t.due_at.is_some_and(|d| d <= now),
            done: t.done_at.is_some(),
        }
    }
}

/// A satisfaction survey as the conversation and customer pages show it.
pub struct SurveyLine {
    pub conversation_id: i64,
    /// "good", "4 of 5", or "" while unanswered.
    pub answer: String,
    pub satisfied: bool,
    pub comment: String,
    /// When it was answered, or sent while unanswered.
    pub when: String,
}

impl SurveyLine {
    pub fn from(s: &steward_store::surveys::Survey, now: i64) -> SurveyLine {
        SurveyLine {
            conversation_id: s.conversation_id,
            answer: steward_engine::csat::answer_word(s).unwrap_or_default(),
            satisfied: steward_engine::csat::satisfied(s).unwrap_or(false),
            comment: s.comment.clone().unwrap_or_default(),
            when: crate::fmt::ago(s.rated_at.unwrap_or(s.sent_at), now),
        }
    }
}
