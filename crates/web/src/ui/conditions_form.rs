//! The "applies to" part shared by the SLA policy, skill rule and automation forms: priority,
//! channel, organization, tags and customer tier, as checkboxes and comma lists, read back
//! into `Conditions`. Also the small readers those forms share.

use super::form::FormData;
use super::view::Choice;
use crate::error::{PageError, Problem};
use steward_domain::sla::Conditions;
use steward_domain::{Channel, Priority};

/// The conditions part of a form (`conditions_fields.html`, as `p.cf`).
pub struct ConditionsForm {
    pub priorities: Vec<Choice>,
    pub channels: Vec<Choice>,
    pub organizations: Vec<Choice>,
    pub tags: String,
    pub tiers: String,
}

impl ConditionsForm {
    pub fn of(c: &Conditions, organizations: &[(i64, String)]) -> ConditionsForm {
        ConditionsForm {
            priorities: Priority::ALL
                .iter()
                .map(|x| Choice::new(x, x, c.priorities.contains(x)))
                .collect(),
            channels: Channel::ALL
                .iter()
                .map(|x| Choice::new(x, x, c.channels.contains(x)))
                .collect(),
            organizations: choices(organizations, |id| c.organization_ids.contains(&id)),
            tags: c.tags.join(", "),
            tiers: c.customer_tiers.join(", "),
        }
    }
}

/// Reads the fields `conditions_fields.html` writes.
pub fn conditions_of(form: &FormData) -> Result<Conditions, PageError> {
    Ok(Conditions {
        priorities: form
            .all("priority")
            .into_iter()
            .map(Priority::parse)
            .collect::<Result<_, _>>()?,
        channels: form
            .all("channel")
            .into_iter()
            .map(Channel::parse)
            .collect::<Result<_, _>>()?,
        tags: comma_list(form.get("tags")),
        organization_ids: ids(form, "organization")?,
        customer_tiers: comma_list(form.get("tiers")),
    })
}

/// Checkboxes or options for `(id, name)` pairs, those `on` says checked.
pub fn choices(all: &[(i64, String)], on: impl Fn(i64) -> bool) -> Vec<Choice> {
    all.iter()
        .map(|(id, name)| Choice::new(id, name, on(*id)))
        .collect()
}

/// `a, b, c` as a list, empty entries left out.
pub fn comma_list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Every value of a repeated numeric field.
pub fn ids(form: &FormData, name: &str) -> Result<Vec<i64>, PageError> {
    form.all(name)
        .into_iter()
        .map(|v| {
            v.parse()
                .map_err(|_| PageError(Problem::invalid(name, "must be a number")))
        })
        .collect()
}

/// The conditions in words ("priority high or urgent, tag vip"); `None` when there are none.
pub fn describe(c: &Conditions) -> Option<String> {
    let parts = describe_parts(c);
    (!parts.is_empty()).then(|| parts.join(", "))
}

pub fn describe_parts(c: &Conditions) -> Vec<String> {
    fn words<T: ToString>(what: &str, v: &[T]) -> Option<String> {
        (!v.is_empty()).then(|| {
            let list: Vec<String> = v.iter().map(T::to_string).collect();
            format!("{what} {}", list.join(" or "))
        })
    }
    [
        words("priority", &c.priorities),
        words("channel", &c.channels),
        words("tag", &c.tags),
        words("organization", &c.organization_ids),
        words("customer tier", &c.customer_tiers),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// What these forms pick from by `(id, name)`: organizations, teams and active agents.
pub struct Names {
    pub organizations: Vec<(i64, String)>,
    pub teams: Vec<(i64, String)>,
    pub agents: Vec<(i64, String)>,
}

pub async fn names(engine: &steward_engine::Engine) -> Result<Names, PageError> {
    Ok(Names {
        organizations: engine
            .organizations()
            .await?
            .into_iter()
            .map(|o| (o.id, o.name))
            .collect(),
        teams: engine
            .teams()
            .await?
            .into_iter()
            .map(|t| (t.id, t.name))
            .collect(),
        agents: engine
            .agents()
            .await?
            .into_iter()
            .filter(|u| u.active != 0)
            .map(|u| (u.id, u.name))
            .collect(),
    })
}
