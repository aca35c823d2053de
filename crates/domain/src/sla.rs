//! Service-level agreements: which policy a conversation falls under, and where its clocks
//! stand.
//!
//! A policy's conditions (priority, channel, tag, organization, customer tier) pick it; its
//! targets give first response, every next response and resolution an amount of open time,
//! counted in a calendar (business hours) or around the clock. A conversation's clocks are
//! worked out afresh from its timeline — when it was opened, each customer message, each
//! public agent reply, each status change — so a changed policy, priority or calendar applies
//! to the whole history, and nothing has to be kept in step.
//!
//! - **First response** runs from the opening of a customer's conversation to the first public
//!   agent reply.
//! - **Next response** runs from a customer message that follows an agent reply to the next
//!   public agent reply.
//! - **Resolution** runs from the opening until solved; reopening continues it.
//! - Every clock pauses while the conversation is pending or on hold (each configurable) and a
//!   solve or close fulfils the response clocks.

use crate::calendar::Calendar;
use crate::kinds::word_enum;
use crate::{Channel, DomainError, Millis, Priority, Status};
use serde::{Deserialize, Serialize};

const MINUTE: Millis = 60_000;
/// The longest target: a year of minutes.
pub const MAX_TARGET_MINUTES: i64 = 366 * 24 * 60;

word_enum!(
    /// What an SLA clock measures.
    Metric, "metric" {
        FirstResponse => "first_response", NextResponse => "next_response", Resolution => "resolution",
    }
);

/// Minutes of open time allowed for each metric; `None` means no target.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Targets {
    pub first_response: Option<i64>,
    pub next_response: Option<i64>,
    pub resolution: Option<i64>,
}

impl Targets {
    /// Refuses a target of zero or less, one over a year, and a policy with no target at all.
    pub fn check(self) -> Result<Targets, DomainError> {
        for metric in Metric::ALL {
            if let Some(m) = self.minutes(*metric) {
                let field = format!("targets.{}", metric.as_str());
                if m <= 0 {
                    return Err(DomainError::invalid(
                        &field,
                        "must be at least one minute; leave it out for no target",
                    ));
                }
                if m > MAX_TARGET_MINUTES {
                    return Err(DomainError::invalid(
                        &field,
                        format!("must be at most {MAX_TARGET_MINUTES} minutes (a year)"),
                    ));
                }
            }
        }
        if Metric::ALL.iter().all(|m| self.minutes(*m).is_none()) {
            return Err(DomainError::invalid(
                "targets",
                "must name at least one: first response, next response or resolution",
            ));
        }
        Ok(self)
    }

    pub fn minutes(self, metric: Metric) -> Option<i64> {
        match metric {
            Metric::FirstResponse => self.first_response,
            Metric::NextResponse => self.next_response,
            Metric::Resolution => self.resolution,
        }
    }

    fn ms(self, metric: Metric) -> Option<Millis> {
        self.minutes(metric).map(|m| m * MINUTE)
    }
}

/// What selects a policy. An empty list matches anything; a filled one needs one of its values.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Conditions {
    pub priorities: Vec<Priority>,
    pub channels: Vec<Channel>,
    pub tags: Vec<String>,
    pub organization_ids: Vec<i64>,
    pub customer_tiers: Vec<String>,
}

/// The facts about a conversation that conditions look at.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    pub priority: Priority,
    pub channel: Channel,
    pub tags: &'a [String],
    pub organization_id: Option<i64>,
    pub customer_tier: Option<&'a str>,
}

impl Conditions {
    pub fn matches(&self, f: &Facts) -> bool {
        fn any<T: PartialEq>(wanted: &[T], has: impl Fn(&T) -> bool) -> bool {
            wanted.is_empty() || wanted.iter().any(has)
        }
        any(&self.priorities, |p| *p == f.priority)
            && any(&self.channels, |c| *c == f.channel)
            && any(&self.tags, |t| f.tags.iter().any(|x| x == t))
            && any(&self.organization_ids, |o| Some(*o) == f.organization_id)
            && any(&self.customer_tiers, |t| {
                f.customer_tier.is_some_and(|x| x.eq_ignore_ascii_case(t))
            })
    }
}

/// Which statuses stop the clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pauses {
    pub pending: bool,
    pub on_hold: bool,
}

impl Default for Pauses {
    fn default() -> Pauses {
        Pauses {
            pending: true,
            on_hold: true,
        }
    }
}

impl Pauses {
    fn pauses(self, s: Status) -> bool {
        (s == Status::Pending && self.pending) || (s == Status::OnHold && self.on_hold)
    }
}

/// One moment of a conversation's timeline that moves its clocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// The conversation was opened in this status (`new` for a customer's request).
    Opened(Status),
    CustomerMessage,
    /// A public reply by an agent (internal notes do not count).
    AgentReply,
    Status(Status),
}

/// Where one clock stands at `now`. For next response it is the latest instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Clock {
    pub metric: Metric,
    pub target_minutes: i64,
    pub started_at: Millis,
    /// When the target was met (a reply, a solve); `None` while it runs or is paused.
    pub met_at: Option<Millis>,
    pub paused: bool,
    /// When the target runs out, while the clock runs (it may be past).
    pub due_at: Option<Millis>,
    /// Open time left at `now`; negative once overdue.
    pub remaining_ms: Millis,
    /// When the target ran out, if it has.
    pub breached_at: Option<Millis>,
    /// When the warning falls due while the clock runs: the given open time before `due_at`.
    pub warn_at: Option<Millis>,
}

impl Clock {
    /// Still to be met (running or paused).
    pub fn is_open(&self) -> bool {
        self.met_at.is_none()
    }
}

/// One instance of a clock while it is worked out.
#[derive(Debug, Clone, Copy)]
struct Run {
    started_at: Millis,
    target: Millis,
    consumed: Millis,
    running_since: Option<Millis>,
    met_at: Option<Millis>,
    breached_at: Option<Millis>,
}

impl Run {
    fn start(at: Millis, target: Millis, paused: bool) -> Run {
        Run {
            started_at: at,
            target,
            consumed: 0,
            running_since: (!paused).then_some(at),
            met_at: None,
            breached_at: None,
        }
    }

    fn stop(&mut self, at: Millis, cal: &Calendar) {
        if let Some(since) = self.running_since.take() {
            let used = cal.open_between(since, at);
            if self.breached_at.is_none() && self.consumed + used >= self.target {
                self.breached_at = cal.add_open(since, self.target - self.consumed);
            }
            self.consumed += used;
        }
    }

    fn set_paused(&mut self, paused: bool, at: Millis, cal: &Calendar) {
        if self.met_at.is_some() {
            return;
        }
        if paused {
            self.stop(at, cal);
        } else if self.running_since.is_none() {
            self.running_since = Some(at);
        }
    }

    fn meet(&mut self, at: Millis, cal: &Calendar) {
        if self.met_at.is_none() {
            self.stop(at, cal);
            self.met_at = Some(at);
        }
    }

    fn clock(mut self, metric: Metric, now: Millis, warn: Millis, cal: &Calendar) -> Clock {
        let left = self.target - self.consumed;
        let (due_at, warn_at, remaining_ms) = match self.running_since {
            Some(since) => {
                let due = cal.add_open(since, left);
                let warn_at = (warn > 0).then(|| cal.add_open(since, (left - warn).max(0)));
                (due, warn_at.flatten(), left - cal.open_between(since, now))
            }
            None => (None, None, left),
        };
        if self.breached_at.is_none() {
            self.breached_at = due_at.filter(|d| *d <= now);
        }
        Clock {
            metric,
            target_minutes: self.target / MINUTE,
            started_at: self.started_at,
            met_at: self.met_at,
            paused: self.met_at.is_none() && self.running_since.is_none(),
            due_at,
            remaining_ms,
            breached_at: self.breached_at,
            warn_at,
        }
    }
}

/// How a policy counts: its targets, the hours it counts in, what pauses it, and how long
/// before a breach it warns (minutes of open time; zero for no warning).
#[derive(Debug, Clone)]
pub struct Rules<'a> {
    pub targets: Targets,
    pub calendar: &'a Calendar,
    pub pauses: Pauses,
    pub warn_minutes: i64,
}

/// The clocks of a conversation with this timeline (in time order) at `now`, one per metric
/// the policy has a target for and the timeline has started.
pub fn clocks(timeline: &[(Millis, Mark)], rules: &Rules, now: Millis) -> Vec<Clock> {
    let cal = rules.calendar;
    let t = rules.targets;
    let mut status = Status::New;
    let mut first: Option<Run> = None;
    let mut next: Option<Run> = None;
    let mut resolution: Option<Run> = None;
    let mut replied = false;
    for &(at, mark) in timeline {
        let paused = rules.pauses.pauses(status);
        match mark {
            Mark::Opened(s) => {
                status = s;
                let paused = rules.pauses.pauses(s);
                if s == Status::New {
                    first = t
                        .ms(Metric::FirstResponse)
                        .map(|ms| Run::start(at, ms, paused));
                }
                resolution = t
                    .ms(Metric::Resolution)
                    .map(|ms| Run::start(at, ms, paused));
            }
            Mark::CustomerMessage => {
                let waiting = next.is_some_and(|r| r.met_at.is_none());
                let first_waiting = first.is_some_and(|r| r.met_at.is_none());
                if replied && !waiting && !first_waiting {
                    next = t
                        .ms(Metric::NextResponse)
                        .map(|ms| Run::start(at, ms, paused));
                }
            }
            Mark::AgentReply => {
                replied = true;
                for run in [&mut first, &mut next].into_iter().flatten() {
                    run.meet(at, cal);
                }
            }
            Mark::Status(s) => {
                let was_done = matches!(status, Status::Solved | Status::Closed);
                status = s;
                if matches!(s, Status::Solved | Status::Closed) {
                    for run in [&mut first, &mut next, &mut resolution]
                        .into_iter()
                        .flatten()
                    {
                        run.meet(at, cal);
                    }
                    continue;
                }
                if was_done && let Some(r) = resolution.as_mut() {
                    r.met_at = None;
                }
                let paused = rules.pauses.pauses(s);
                for run in [&mut first, &mut next, &mut resolution]
                    .into_iter()
                    .flatten()
                {
                    run.set_paused(paused, at, cal);
                }
            }
        }
    }
    let warn = rules.warn_minutes.max(0) * MINUTE;
    [
        (Metric::FirstResponse, first),
        (Metric::NextResponse, next),
        (Metric::Resolution, resolution),
    ]
    .into_iter()
    .filter_map(|(m, run)| Some(run?.clock(m, now, warn, cal)))
    .collect()
}

word_enum!(
    /// A conversation's SLA at a glance, for the inbox.
    State, "sla_state" {
        Ok => "ok", Warning => "warning", Breached => "breached", Paused => "paused", Met => "met",
    }
);

/// The inbox's view of a set of clocks: the soonest due time of a running clock, the first
/// breach, and the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Summary {
    pub due_at: Option<Millis>,
    pub breached_at: Option<Millis>,
    pub state: Option<State>,
}

pub fn summarize(clocks: &[Clock], now: Millis) -> Summary {
    let open: Vec<&Clock> = clocks.iter().filter(|c| c.is_open()).collect();
    let due_at = open.iter().filter_map(|c| c.due_at).min();
    let breached_at = clocks.iter().filter_map(|c| c.breached_at).min();
    let state = if clocks.is_empty() {
        None
    } else if open.is_empty() {
        Some(State::Met)
    } else if open.iter().any(|c| c.breached_at.is_some()) {
        Some(State::Breached)
    } else if open.iter().all(|c| c.paused) {
        Some(State::Paused)
    } else if open.iter().any(|c| c.warn_at.is_some_and(|w| w <= now)) {
        Some(State::Warning)
    } else {
        Some(State::Ok)
    };
    Summary {
        due_at,
        breached_at,
        state,
    }
}

#[cfg(test)]
#[path = "sla_tests.rs"]
mod tests;
