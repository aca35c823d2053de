//! Routing: which agent a waiting conversation goes to.
//!
//! A team routes by hand (`manual`), in turn (`round_robin`: the next available agent after
//! the last one given work) or by load (`load_balanced`: the available agent with the fewest
//! open conversations). Either way only agents who are online, have every skill the
//! conversation needs, and are under their capacity for its channel are candidates.
//! Conversations wait in a queue ordered by priority, then SLA due time, then age.

use crate::kinds::word_enum;
use crate::{Channel, DomainError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

word_enum!(
    /// How a team hands out its waiting conversations.
    Mode, "routing" { Manual => "manual", RoundRobin => "round_robin", LoadBalanced => "load_balanced" }
);

word_enum!(
    /// Whether an agent takes new work.
    Availability, "availability" { Online => "online", Away => "away", Offline => "offline" }
);

/// Open conversations an agent takes per channel when nothing is set.
pub const DEFAULT_CAPACITY: i64 = 20;

/// How many open conversations an agent takes: per channel, with `*` for the others.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Capacity(pub BTreeMap<String, i64>);

impl Capacity {
    /// Refuses unknown channels and limits outside 0..=1000.
    pub fn check(self) -> Result<Capacity, DomainError> {
        for (channel, limit) in &self.0 {
            if channel != "*" {
                Channel::parse(channel).map_err(|_| {
                    DomainError::invalid(
                        "capacity",
                        format!("'{channel}' is not a channel (or * for the others)"),
                    )
                })?;
            }
            if !(0..=1000).contains(limit) {
                return Err(DomainError::invalid(
                    "capacity",
                    format!("{channel}: must be between 0 and 1000"),
                ));
            }
        }
        Ok(self)
    }

    pub fn limit(&self, channel: Channel) -> i64 {
        self.0
            .get(channel.as_str())
            .or_else(|| self.0.get("*"))
            .copied()
            .unwrap_or(DEFAULT_CAPACITY)
    }
}

/// An agent who might take the conversation.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub user_id: i64,
    pub availability: Availability,
    pub skills: Vec<String>,
    pub capacity: Capacity,
    /// Open conversations assigned to them, in all channels.
    pub open: i64,
    /// Open conversations assigned to them on the conversation's channel.
    pub open_on_channel: i64,
}

/// The agent to give a conversation on `channel` needing `skills` to, if any can take it.
/// `last` is the agent the team's round robin gave work to last.
pub fn choose(
    mode: Mode,
    channel: Channel,
    skills: &[String],
    candidates: &[Candidate],
    last: Option<i64>,
) -> Option<i64> {
    let mut able: Vec<&Candidate> = candidates
        .iter()
        .filter(|c| c.availability == Availability::Online)
        .filter(|c| {
            skills
                .iter()
                .all(|s| c.skills.iter().any(|h| h.eq_ignore_ascii_case(s)))
        })
        .filter(|c| c.open_on_channel < c.capacity.limit(channel))
        .collect();
    able.sort_by_key(|c| c.user_id);
    match mode {
        Mode::Manual => None,
        Mode::RoundRobin => able
            .iter()
            .find(|c| last.is_none_or(|l| c.user_id > l))
            .or_else(|| able.first())
            .map(|c| c.user_id),
        Mode::LoadBalanced => able
            .iter()
            .min_by_key(|c| (c.open, c.user_id))
            .map(|c| c.user_id),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent(id: i64, open: i64) -> Candidate {
        Candidate {
            user_id: id,
            availability: Availability::Online,
            skills: vec!["german".into(), "billing".into()],
            capacity: Capacity::default(),
            open,
            open_on_channel: open,
        }
    }

    #[test]
    fn round_robin_takes_the_next_agent_after_the_last_and_wraps() {
        let team = [agent(3, 0), agent(1, 0), agent(2, 0)];
        assert_eq!(
            choose(Mode::RoundRobin, Channel::Email, &[], &team, None),
            Some(1)
        );
        assert_eq!(
            choose(Mode::RoundRobin, Channel::Email, &[], &team, Some(1)),
            Some(2)
        );
        assert_eq!(
            choose(Mode::RoundRobin, Channel::Email, &[], &team, Some(3)),
            Some(1)
        );
        assert_eq!(choose(Mode::Manual, Channel::Email, &[], &team, None), None);
    }

    #[test]
    fn load_balancing_picks_the_fewest_open_conversations() {
        let team = [agent(1, 5), agent(2, 2), agent(3, 2)];
        assert_eq!(
            choose(Mode::LoadBalanced, Channel::Email, &[], &team, None),
            Some(2)
        );
    }

    #[test]
    fn only_online_agents_with_the_skills_and_room_on_the_channel_are_chosen() {
        let mut away = agent(1, 0);
        away.availability = Availability::Away;
        let mut unskilled = agent(2, 0);
        unskilled.skills = vec!["german".into()];
        let mut full = agent(3, 0);
        full.capacity = Capacity([("chat".to_string(), 2)].into_iter().collect());
        full.open_on_channel = 2;
        let able = agent(4, 9);
        let skills = vec!["Billing".to_string()];
        let team = [away, unskilled, full.clone(), able];
        assert_eq!(
            choose(Mode::LoadBalanced, Channel::Chat, &skills, &team, None),
            Some(4)
        );
        assert_eq!(
            choose(Mode::LoadBalanced, Channel::Chat, &skills, &team[..3], None),
            None
        );
        // The chat limit does not bind email.
        assert_eq!(
            choose(Mode::LoadBalanced, Channel::Email, &skills, &[full], None),
            Some(3)
        );
    }

    #[test]
    fn capacities_name_real_channels_and_sane_limits() {
        let ok = Capacity([("chat".into(), 3), ("*".into(), 25)].into_iter().collect());
        assert_eq!(ok.clone().check().map(|c| c.limit(Channel::Sms)), Ok(25));
        assert_eq!(ok.limit(Channel::Chat), 3);
        let bad = Capacity([("fax".into(), 3)].into_iter().collect());
        assert!(bad.check().is_err());
        let huge = Capacity([("*".into(), 5000)].into_iter().collect());
        assert!(huge.check().is_err());
    }
}
