//! Reports emailed on a schedule: what a schedule holds (how often, when, to whom, in which
//! format, for which conversations), when it next runs, and which days each mail covers:
//! daily mail covers the day before, weekly mail the seven days before, monthly mail the
//! month before, all in the schedule's time zone.

use crate::{Channel, DomainError, Priority};
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan, Zoned};
use serde::{Deserialize, Serialize};

crate::kinds::word_enum!(
    /// How often the report goes out.
    Frequency, "frequency" { Daily => "daily", Weekly => "weekly", Monthly => "monthly" }
);

/// Which conversations the report covers (as the reports' filters).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Filter {
    pub team_id: Option<i64>,
    pub agent_id: Option<i64>,
    pub channel: Option<Channel>,
    pub priority: Option<Priority>,
    pub tag: Option<String>,
    pub inbox: Option<String>,
}

/// A report schedule as an admin or supervisor sets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Schedule {
    pub name: String,
    pub active: bool,
    pub frequency: Frequency,
    /// For weekly mail: 1 (Monday) to 7 (Sunday).
    pub weekday: i8,
    /// For monthly mail: 1 to 28.
    pub day_of_month: i8,
    /// The hour it goes out, 0–23, in `tz`.
    pub hour: i8,
    /// IANA time zone the days and the hour are in.
    pub tz: String,
    pub recipients: Vec<String>,
    /// `xlsx` (every part) or `csv` (the figures).
    pub format: String,
    pub filter: Filter,
}

impl Default for Schedule {
    fn default() -> Schedule {
        Schedule {
            name: String::new(),
            active: true,
            frequency: Frequency::Weekly,
            weekday: 1,
            day_of_month: 1,
            hour: 8,
            tz: "UTC".into(),
            recipients: Vec::new(),
            format: "xlsx".into(),
            filter: Filter::default(),
        }
    }
}

impl Schedule {
    /// Checks the schedule and tidies it (trimmed name, addresses in lower case, once each).
    pub fn check(mut self) -> Result<Schedule, DomainError> {
        self.name = crate::validate::required("name", &self.name, 100)?;
        if !(1..=7).contains(&self.weekday) {
            return Err(DomainError::invalid(
                "weekday",
                "must be from 1 (Monday) to 7 (Sunday)",
            ));
        }
        if !(1..=28).contains(&self.day_of_month) {
            return Err(DomainError::invalid("day_of_month", "must be from 1 to 28"));
        }
        if !(0..=23).contains(&self.hour) {
            return Err(DomainError::invalid("hour", "must be from 0 to 23"));
        }
        self.zone()?;
        self.format = self.format.trim().to_ascii_lowercase();
        if !matches!(self.format.as_str(), "csv" | "xlsx") {
            return Err(DomainError::invalid("format", "must be csv or xlsx"));
        }
        let mut to = Vec::new();
        for r in &self.recipients {
            if r.trim().is_empty() {
                continue;
            }
            let r = crate::validate::email("recipients", r)?;
            if !to.contains(&r) {
                to.push(r);
            }
        }
        if to.is_empty() || to.len() > 50 {
            return Err(DomainError::invalid(
                "recipients",
                "must be from 1 to 50 email addresses",
            ));
        }
        self.recipients = to;
        let f = &mut self.filter;
        f.tag = f
            .tag
            .take()
            .map(|t| t.trim().to_string())
            .filter(|t| !t.is_empty());
        f.inbox = f
            .inbox
            .take()
            .map(|t| t.trim().to_lowercase())
            .filter(|t| !t.is_empty());
        Ok(self)
    }

    pub fn zone(&self) -> Result<TimeZone, DomainError> {
        TimeZone::get(&self.tz).map_err(|_| {
            DomainError::invalid(
                "tz",
                format!("must be a time zone like Europe/Berlin, not {:?}", self.tz),
            )
        })
    }

    fn at_hour(&self, day: Date, tz: &TimeZone) -> Option<Zoned> {
        day.to_datetime(Time::new(self.hour, 0, 0, 0).ok()?)
            .to_zoned(tz.clone())
            .ok()
    }

    /// The first time it goes out after `after`.
    pub fn next_run(&self, after: Timestamp) -> Option<Timestamp> {
        let tz = self.zone().ok()?;
        let mut day = after.to_zoned(tz.clone()).date();
        // At most a month and a bit ahead.
        for _ in 0..40 {
            let due = match self.frequency {
                Frequency::Daily => true,
                Frequency::Weekly => day.weekday().to_monday_one_offset() == self.weekday,
                Frequency::Monthly => day.day() == self.day_of_month,
            };
            if due
                && let Some(z) = self.at_hour(day, &tz)
                && z.timestamp() > after
            {
                return Some(z.timestamp());
            }
            day = day.tomorrow().ok()?;
        }
        None
    }

    /// The days (first and last, included) the mail that goes out at `run` covers.
    pub fn period(&self, run: Timestamp) -> Option<(Date, Date)> {
        let tz = self.zone().ok()?;
        let today = run.to_zoned(tz).date();
        let last = today.yesterday().ok()?;
        let first = match self.frequency {
            Frequency::Daily => last,
            Frequency::Weekly => today.checked_sub(7.days()).ok()?,
            Frequency::Monthly => last.first_of_month(),
        };
        Some((first, last))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().expect("time")
    }

    fn schedule(frequency: Frequency) -> Schedule {
        Schedule {
            name: "Weekly".into(),
            frequency,
            weekday: 1,
            day_of_month: 1,
            hour: 8,
            tz: "Europe/Berlin".into(),
            recipients: vec!["Boss@Example.com".into()],
            ..Default::default()
        }
    }

    #[test]
    fn the_next_run_is_the_next_due_day_at_the_hour_in_the_schedules_zone() {
        // Tuesday 2026-11-24 10:00 UTC is 11:00 in Berlin.
        let now = ts("2026-11-24T10:00:00Z");
        let daily = schedule(Frequency::Daily);
        assert_eq!(daily.next_run(now), Some(ts("2026-11-25T07:00:00Z")));
        let weekly = schedule(Frequency::Weekly);
        assert_eq!(weekly.next_run(now), Some(ts("2026-11-30T07:00:00Z")));
        let monthly = schedule(Frequency::Monthly);
        assert_eq!(monthly.next_run(now), Some(ts("2026-12-01T07:00:00Z")));
        // Earlier the same day, today's hour is still to come.
        assert_eq!(
            daily.next_run(ts("2026-11-24T06:59:00Z")),
            Some(ts("2026-11-24T07:00:00Z"))
        );
        // In summer Berlin is two hours ahead.
        assert_eq!(
            daily.next_run(ts("2026-07-01T12:00:00Z")),
            Some(ts("2026-07-02T06:00:00Z"))
        );
    }

    #[test]
    fn each_mail_covers_the_day_the_week_or_the_month_before() {
        let run = ts("2026-12-01T07:00:00Z");
        let d = |s: &str| s.parse::<Date>().expect("date");
        assert_eq!(
            schedule(Frequency::Daily).period(run),
            Some((d("2026-11-30"), d("2026-11-30")))
        );
        assert_eq!(
            schedule(Frequency::Weekly).period(run),
            Some((d("2026-11-24"), d("2026-11-30")))
        );
        assert_eq!(
            schedule(Frequency::Monthly).period(run),
            Some((d("2026-11-01"), d("2026-11-30")))
        );
    }

    #[test]
    fn a_schedule_is_checked_and_tidied() {
        let s = schedule(Frequency::Weekly).check().expect("valid");
        assert_eq!(s.recipients, vec!["boss@example.com"]);
        for (bad, field) in [
            (
                Schedule {
                    hour: 24,
                    ..schedule(Frequency::Daily)
                },
                "hour",
            ),
            (
                Schedule {
                    tz: "Mars/Olympus".into(),
                    ..schedule(Frequency::Daily)
                },
                "tz",
            ),
            (
                Schedule {
                    recipients: vec![],
                    ..schedule(Frequency::Daily)
                },
                "recipients",
            ),
            (
                Schedule {
                    recipients: vec!["nope".into()],
                    ..schedule(Frequency::Daily)
                },
                "recipients",
            ),
            (
                Schedule {
                    format: "pdf".into(),
                    ..schedule(Frequency::Daily)
                },
                "format",
            ),
            (
                Schedule {
                    day_of_month: 31,
                    ..schedule(Frequency::Monthly)
                },
                "day_of_month",
            ),
        ] {
            let e = bad.check().expect_err(field);
            assert!(e.to_string().contains(field), "{e}");
        }
    }
}
