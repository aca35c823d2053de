//! Net Promoter Score: campaigns that ask chosen customers "how likely are you to recommend
//! us" on a 0–10 scale with a "why", how an answer is grouped (detractor 0–6, passive 7–8,
//! promoter 9–10) and the score: the percentage of promoters minus the percentage of
//! detractors, from −100 to 100.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// Where an answer puts the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Group {
    Detractor,
    Passive,
    Promoter,
}

impl Group {
    pub fn of(score: i64) -> Group {
        match score {
            9.. => Group::Promoter,
            7..=8 => Group::Passive,
            _ => Group::Detractor,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Group::Detractor => "detractor",
            Group::Passive => "passive",
            Group::Promoter => "promoter",
        }
    }
}

/// Checks an answer: a whole number from 0 to 10.
pub fn check_score(score: i64) -> Result<i64, DomainError> {
    if (0..=10).contains(&score) {
        Ok(score)
    } else {
        Err(DomainError::invalid("score", "must be from 0 to 10"))
    }
}

/// The answers of a period counted by group, and the score.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Figures {
    pub answers: i64,
    pub promoters: i64,
    pub passives: i64,
    pub detractors: i64,
    /// % promoters − % detractors; `None` without answers.
    pub nps: Option<f64>,
}

/// Counts `scores` and works out the NPS.
pub fn figures(scores: impl IntoIterator<Item = i64>) -> Figures {
    let mut f = Figures::default();
    for s in scores {
        f.answers += 1;
        match Group::of(s) {
            Group::Promoter => f.promoters += 1,
            Group::Passive => f.passives += 1,
            Group::Detractor => f.detractors += 1,
        }
    }
    if f.answers > 0 {
        f.nps = Some((f.promoters - f.detractors) as f64 * 100.0 / f.answers as f64);
    }
    f
}

/// Which customers a campaign asks. Every rule set must hold; an empty rule holds for all.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Audience {
    /// Customers who opened a conversation within this many days (0: any customer).
    pub contacted_within_days: i64,
    /// Customers with at least this many conversations.
    pub min_conversations: i64,
    /// Customers with an email address at one of these domains.
    pub email_domains: Vec<String>,
    /// Customers of one of these organizations.
    pub organization_ids: Vec<i64>,
}

/// What an admin sets on a campaign.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Campaign {
    pub name: String,
    /// Sending while active; a paused campaign still takes answers to what it sent.
    pub active: bool,
    /// The question, with `{{customer.name}}` and `{{company}}` placeholders.
    pub question: String,
    pub audience: Audience,
    /// No customer is asked (by any campaign) more often than once in this many days.
    pub interval_days: i64,
    /// A detractor's answer opens a conversation with the customer to follow it up.
    pub follow_up_detractors: bool,
    /// The team that follow-up conversation goes to (routing decides without one).
    pub follow_up_team_id: Option<i64>,
    /// The inbox the mail goes from (the first inbox without one).
    pub inbox: Option<String>,
}

impl Default for Campaign {
    fn default() -> Campaign {
        Campaign {
            name: String::new(),
            active: false,
            question: "How likely are you to recommend {{company}} to a friend or colleague?"
                .into(),
            audience: Audience::default(),
            interval_days: 90,
            follow_up_detractors: false,
            follow_up_team_id: None,
            inbox: None,
        }
    }
}

impl Campaign {
    /// Checks the campaign and tidies its names (trimmed, domains in lower case).
    pub fn check(mut self) -> Result<Campaign, DomainError> {
        self.name = crate::validate::required("name", &self.name, 100)?;
        self.question = crate::validate::required("question", &self.question, 500)?;
        let names = crate::placeholder::names(&self.question)
            .map_err(|e| DomainError::invalid("question", e.to_string()))?;
        if let Some(n) = names
            .iter()
            .find(|n| !["customer.name", "company"].contains(n))
        {
            return Err(DomainError::invalid(
                "question",
                format!("unknown placeholder {{{{{n}}}}}; use customer.name or company"),
            ));
        }
        if !(1..=3650).contains(&self.interval_days) {
            return Err(DomainError::invalid(
                "interval_days",
                "must be from 1 to 3650 days",
            ));
        }
        let a = &mut self.audience;
        if !(0..=3650).contains(&a.contacted_within_days) {
            return Err(DomainError::invalid(
                "audience.contacted_within_days",
                "must be from 0 (any time) to 3650 days",
            ));
        }
        if !(0..=100_000).contains(&a.min_conversations) {
            return Err(DomainError::invalid(
                "audience.min_conversations",
                "must be from 0 to 100000",
            ));
        }
        let mut domains = Vec::new();
        for d in &a.email_domains {
            let d = d.trim().trim_start_matches('@').to_lowercase();
            if d.is_empty() {
                continue;
            }
            if d.len() > 253
                || !d.contains('.')
                || d.contains(|c: char| c.is_whitespace() || c == '@')
            {
                return Err(DomainError::invalid(
                    "audience.email_domains",
                    format!("must be domains like example.com, not {d:?}"),
                ));
            }
            if !domains.contains(&d) {
                domains.push(d);
            }
        }
        a.email_domains = domains;
        a.organization_ids.sort_unstable();
        a.organization_ids.dedup();
        self.inbox = self
            .inbox
            .map(|i| i.trim().to_lowercase())
            .filter(|i| !i.is_empty());
        Ok(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_group_as_detractors_passives_and_promoters() {
        assert_eq!(Group::of(0), Group::Detractor);
        assert_eq!(Group::of(6), Group::Detractor);
        assert_eq!(Group::of(7), Group::Passive);
        assert_eq!(Group::of(8), Group::Passive);
        assert_eq!(Group::of(9), Group::Promoter);
        assert_eq!(Group::of(10), Group::Promoter);
        assert!(check_score(11).is_err());
        assert!(check_score(-1).is_err());
    }

    #[test]
    fn the_score_is_promoters_minus_detractors_in_percent() {
        // 4 promoters, 3 passives, 3 detractors of 10: 40 % − 30 % = 10.
        let f = figures([10, 9, 9, 10, 7, 8, 8, 0, 6, 3]);
        assert_eq!((f.promoters, f.passives, f.detractors), (4, 3, 3));
        assert_eq!(f.nps, Some(10.0));
        assert_eq!(figures([0, 1]).nps, Some(-100.0));
        assert_eq!(figures([]).nps, None);
    }

    #[test]
    fn a_campaign_is_checked_and_tidied() {
        let c = Campaign {
            name: " Quarterly ".into(),
            audience: Audience {
                email_domains: vec!["@Example.COM".into(), "example.com".into(), "".into()],
                ..Default::default()
            },
            ..Default::default()
        }
        .check()
        .expect("a valid campaign");
        assert_eq!(c.name, "Quarterly");
        assert_eq!(c.audience.email_domains, vec!["example.com"]);
        let bad = Campaign {
            name: "x".into(),
            interval_days: 0,
            ..Default::default()
        };
        assert!(bad.check().is_err());
        let bad = Campaign {
            name: "x".into(),
            audience: Audience {
                email_domains: vec!["not a domain".into()],
                ..Default::default()
            },
            ..Default::default()
        };
        assert!(bad.check().is_err());
    }
}
