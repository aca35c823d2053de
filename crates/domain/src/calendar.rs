//! Business hours: a time zone, open hours for each weekday and a list of holidays, and the
//! arithmetic SLAs need on them: is it open now, when does it next open, how much open time
//! lies between two instants, and when will a given amount of open time have passed.
//!
//! Hours are local wall-clock times, turned into instants day by day through the time zone,
//! so a day when clocks change is as long as it really is: 09:00–17:00 is eight hours on
//! either side of a change, while a 24-hour day is 23 or 25 hours. A local time that does not
//! exist (skipped by a spring-forward change) means the first instant after the gap; one that
//! happens twice means the first. Instants are milliseconds since the Unix epoch.

use crate::DomainError;
use jiff::Timestamp;
use jiff::civil::{Date, Time};
use jiff::tz::TimeZone;
use std::collections::BTreeSet;

/// Days searched for open time before giving up (a calendar closed by holidays for longer is
/// treated as never open).
const HORIZON_DAYS: usize = 3700;
const DAY_MINUTES: u16 = 24 * 60;
pub const WEEKDAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// Open from `start` to `end`, minutes after local midnight (`end` may be 1440, midnight).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Span {
    pub start: u16,
    pub end: u16,
}

impl Span {
    /// Parses `"09:00"` and `"17:30"` (or `"24:00"` for the end of the day).
    pub fn parse(start: &str, end: &str) -> Result<Span, DomainError> {
        let span = Span {
            start: minutes(start)?,
            end: minutes(end)?,
        };
        if span.start >= span.end {
            return Err(DomainError::invalid(
                "hours",
                format!("{start}–{end} must end after it starts"),
            ));
        }
        Ok(span)
    }

    pub fn format(self) -> (String, String) {
        let f = |m: u16| format!("{:02}:{:02}", m / 60, m % 60);
        (f(self.start), f(self.end))
    }
}

fn minutes(s: &str) -> Result<u16, DomainError> {
    let bad = || DomainError::invalid("hours", format!("{s:?} is not a time like 09:00"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u16, u16) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if m >= 60 || h > 24 || (h == 24 && m != 0) {
        return Err(bad());
    }
    Ok(h * 60 + m)
}

/// A checked calendar.
#[derive(Debug, Clone)]
pub struct Calendar {
    tz: TimeZone,
    /// Monday first; each day's spans sorted and apart.
    week: [Vec<Span>; 7],
    holidays: BTreeSet<Date>,
}

impl Calendar {
    /// Checks the hours (each span ends after it starts; a day's spans do not overlap; some
    /// day has open hours) and builds the calendar.
    pub fn new(
        tz: TimeZone,
        mut week: [Vec<Span>; 7],
        holidays: impl IntoIterator<Item = Date>,
    ) -> Result<Calendar, DomainError> {
        for (day, spans) in week.iter_mut().enumerate() {
            spans.sort();
            for pair in spans.windows(2) {
                if pair[1].start < pair[0].end {
                    let (a, b) = (pair[0].format(), pair[1].format());
                    return Err(DomainError::invalid(
                        "hours",
                        format!(
                            "on {} {}–{} overlaps {}–{}",
                            WEEKDAYS[day], a.0, a.1, b.0, b.1
                        ),
                    ));
                }
            }
            if spans
                .iter()
                .any(|s| s.start >= s.end || s.end > DAY_MINUTES)
            {
                return Err(DomainError::invalid(
                    "hours",
                    "a span must end after it starts",
                ));
            }
        }
        if week.iter().all(Vec::is_empty) {
            return Err(DomainError::invalid(
                "hours",
                "a calendar needs open hours on at least one day of the week",
            ));
        }
        Ok(Calendar {
            tz,
            week,
            holidays: holidays.into_iter().collect(),
        })
    }

    /// Open all day, every day, in UTC (calendar hours).
    pub fn always() -> Calendar {
        let all = vec![Span {
            start: 0,
            end: DAY_MINUTES,
        }];
        Calendar {
            tz: TimeZone::UTC,
            week: std::array::from_fn(|_| all.clone()),
            holidays: BTreeSet::new(),
        }
    }

    pub fn time_zone(&self) -> &TimeZone {
        &self.tz
    }

    fn local_date(&self, at: i64) -> Date {
        let ts = Timestamp::from_millisecond(at).unwrap_or(Timestamp::UNIX_EPOCH);
        self.tz.to_datetime(ts).date()
    }

    fn instant(&self, day: Date, minute: u16) -> Option<i64> {
        let dt = if minute >= DAY_MINUTES {
            day.tomorrow().ok()?.to_datetime(Time::midnight())
        } else {
            day.to_datetime(Time::new((minute / 60) as i8, (minute % 60) as i8, 0, 0).ok()?)
        };
        self.tz.to_timestamp(dt).ok().map(Timestamp::as_millisecond)
    }

    /// The open intervals of local `day` as instants `[start, end)`; none on a holiday.
    fn open_on(&self, day: Date) -> Vec<(i64, i64)> {
        if self.holidays.contains(&day) {
            return Vec::new();
        }
        let weekday = day.weekday().to_monday_zero_offset() as usize;
        self.week[weekday]
            .iter()
            .filter_map(|s| Some((self.instant(day, s.start)?, self.instant(day, s.end)?)))
            .filter(|(s, e)| e > s)
            .collect()
    }

    /// The local days from the one holding `from`, for at most the horizon.
    fn days_from(&self, from: i64) -> impl Iterator<Item = Date> {
        let first = self
            .local_date(from)
            .yesterday()
            .unwrap_or(self.local_date(from));
        std::iter::successors(Some(first), |d| d.tomorrow().ok()).take(HORIZON_DAYS)
    }

    pub fn is_open(&self, at: i64) -> bool {
        let day = self.local_date(at);
        self.open_on(day).iter().any(|&(s, e)| s <= at && at < e)
    }

    /// The first open instant at or after `at`; `None` when closed for the whole horizon.
    pub fn next_open(&self, at: i64) -> Option<i64> {
        self.days_from(at)
            .flat_map(|d| self.open_on(d))
            .find(|&(_, e)| e > at)
            .map(|(s, _)| s.max(at))
    }

    /// Open time in `[from, to)`, in milliseconds.
    pub fn open_between(&self, from: i64, to: i64) -> i64 {
        if to <= from {
            return 0;
        }
        let mut total = 0;
        for day in self.days_from(from) {
            let intervals = self.open_on(day);
            for (s, e) in &intervals {
                total += ((*e).min(to) - (*s).max(from)).max(0);
            }
            if self.instant(day, DAY_MINUTES).is_none_or(|end| end >= to) {
                break;
            }
        }
        total
    }

    /// The instant when `open_ms` of open time has passed since `from`: `from` itself for
    /// zero, the end of an open stretch when it runs out exactly there. `None` when the
    /// calendar is closed for the whole horizon.
    pub fn add_open(&self, from: i64, open_ms: i64) -> Option<i64> {
        if open_ms <= 0 {
            return Some(from);
        }
        let mut left = open_ms;
        for day in self.days_from(from) {
            for (s, e) in self.open_on(day) {
                if e <= from {
                    continue;
                }
                let s = s.max(from);
                if e - s >= left {
                    return Some(s + left);
                }
                left -= e - s;
            }
        }
        None
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    const HOUR: i64 = 3_600_000;
    const ZONES: [&str; 7] = [
        "UTC",
        "Europe/Berlin",
        "America/New_York",
        "Australia/Lord_Howe",
        "Asia/Kolkata",
        "America/Sao_Paulo",
        "Pacific/Chatham",
    ];

    fn span(a: &str, b: &str) -> Span {
        Span::parse(a, b).expect("span")
    }

    fn office(zone: &str) -> Calendar {
        let day = vec![span("09:00", "12:30"), span("13:30", "17:00")];
        Calendar::new(
            TimeZone::get(zone).expect("zone"),
            [
                day.clone(),
                day.clone(),
                day.clone(),
                day.clone(),
                day,
                vec![span("10:00", "14:00")],
                vec![],
            ],
            [],
        )
        .expect("calendar")
    }

    fn ms(zone: &str, local: &str) -> i64 {
        let dt: jiff::civil::DateTime = local.parse().expect("datetime");
        TimeZone::get(zone)
            .expect("zone")
            .to_timestamp(dt)
            .expect("instant")
            .as_millisecond()
    }

    /// A random calendar: some days with one to three spans, a few holidays.
    pub(crate) fn random_calendar(rng: &mut StdRng) -> Calendar {
        loop {
            let week: [Vec<Span>; 7] = std::array::from_fn(|_| {
                if rng.random_bool(0.3) {
                    return Vec::new();
                }
                let mut cuts: Vec<u16> = (0..rng.random_range(1..=3) * 2)
                    .map(|_| rng.random_range(0..=96u16) * 15)
                    .collect();
                cuts.sort();
                cuts.dedup();
                cuts.chunks_exact(2)
                    .map(|c| Span {
                        start: c[0],
                        end: c[1],
                    })
                    .collect()
            });
            let zone = ZONES[rng.random_range(0..ZONES.len())];
            let holidays: Vec<Date> = (0..rng.random_range(0..6))
                .map(|_| {
                    Date::new(2026, 1, 1)
                        .expect("date")
                        .checked_add(jiff::Span::new().days(rng.random_range(0..730i64)))
                        .expect("date")
                })
                .collect();
            if let Ok(c) = Calendar::new(TimeZone::get(zone).expect("zone"), week, holidays) {
                return c;
            }
        }
    }

    fn random_instant(rng: &mut StdRng) -> i64 {
        // 2026-01-01 .. 2028-01-01, covering several clock changes in every zone.
        rng.random_range(1_767_225_600_000..1_830_297_600_000i64)
    }

    #[test]
    fn open_time_added_is_the_open_time_between_property() {
        let mut rng = StdRng::seed_from_u64(7);
        for case in 0..400 {
            let cal = random_calendar(&mut rng);
            let from = random_instant(&mut rng);
            let open = rng.random_range(0..200 * HOUR);
            let due = cal.add_open(from, open).expect("open somewhere");
            assert!(due >= from, "case {case}");
            assert_eq!(
                cal.open_between(from, due),
                open,
                "case {case}: {cal:?} from {from}"
            );
            if open > 0 {
                assert!(
                    cal.is_open(due - 1),
                    "case {case}: the last moment counted is open"
                );
            }
        }
    }

    #[test]
    fn open_time_between_adds_up_and_never_exceeds_the_elapsed_time_property() {
        let mut rng = StdRng::seed_from_u64(11);
        for case in 0..400 {
            let cal = random_calendar(&mut rng);
            let mut t = [
                random_instant(&mut rng),
                random_instant(&mut rng),
                random_instant(&mut rng),
            ];
            t.sort();
            let (ab, bc) = (cal.open_between(t[0], t[1]), cal.open_between(t[1], t[2]));
            assert_eq!(ab + bc, cal.open_between(t[0], t[2]), "case {case}");
            assert!(ab <= t[1] - t[0], "case {case}");
        }
    }

    #[test]
    fn more_open_time_is_never_due_earlier_and_next_open_is_open_property() {
        let mut rng = StdRng::seed_from_u64(23);
        for case in 0..300 {
            let cal = random_calendar(&mut rng);
            let from = random_instant(&mut rng);
            let a = rng.random_range(0..100 * HOUR);
            let b = a + rng.random_range(0..10 * HOUR);
            assert!(
                cal.add_open(from, a) <= cal.add_open(from, b),
                "case {case}"
            );
            let next = cal.next_open(from).expect("opens");
            assert!(next >= from && cal.is_open(next), "case {case}");
            assert_eq!(cal.open_between(from, next), 0, "case {case}");
        }
    }

    #[test]
    fn office_hours_are_eight_real_hours_on_the_days_clocks_change() {
        // Europe/Berlin: clocks went forward on 2026-03-29 and go back on 2026-10-25.
        let berlin = Calendar::new(
            TimeZone::get("Europe/Berlin").expect("zone"),
            std::array::from_fn(|_| vec![span("09:00", "17:00")]),
            [],
        )
        .expect("calendar");
        for day in ["2026-03-29", "2026-10-25", "2026-06-01"] {
            let from = ms("Europe/Berlin", &format!("{day}T00:00"));
            let to = ms("Europe/Berlin", &format!("{day}T23:59"));
            assert_eq!(berlin.open_between(from, to), 8 * HOUR, "{day}");
        }
        // Open all day, the same days are 23 and 25 hours long.
        let all_day = Calendar::new(
            TimeZone::get("Europe/Berlin").expect("zone"),
            std::array::from_fn(|_| vec![span("00:00", "24:00")]),
            [],
        )
        .expect("calendar");
        let day = |d: &str, next: &str| {
            all_day.open_between(
                ms("Europe/Berlin", &format!("{d}T00:00")),
                ms("Europe/Berlin", &format!("{next}T00:00")),
            )
        };
        assert_eq!(day("2026-03-29", "2026-03-30"), 23 * HOUR);
        assert_eq!(day("2026-10-25", "2026-10-26"), 25 * HOUR);
        // An hour that does not exist on the spring day is not open time.
        let night = Calendar::new(
            TimeZone::get("Europe/Berlin").expect("zone"),
            std::array::from_fn(|_| vec![span("01:00", "04:00")]),
            [],
        )
        .expect("calendar");
        let from = ms("Europe/Berlin", "2026-03-29T00:00");
        assert_eq!(night.open_between(from, from + 24 * HOUR), 2 * HOUR);
        assert_eq!(
            night.add_open(from, 2 * HOUR),
            Some(ms("Europe/Berlin", "2026-03-29T04:00"))
        );
    }

    #[test]
    fn a_target_runs_over_the_weekend_and_skips_holidays() {
        let zone = "America/New_York";
        let cal = Calendar::new(
            TimeZone::get(zone).expect("zone"),
            std::array::from_fn(|d| {
                if d < 5 {
                    vec![span("09:00", "17:00")]
                } else {
                    vec![]
                }
            }),
            [Date::new(2026, 11, 26).expect("Thanksgiving")],
        )
        .expect("calendar");
        // Wednesday 16:00 + 4 open hours: one hour on Wednesday, Thursday is a holiday,
        // three hours on Friday.
        let from = ms(zone, "2026-11-25T16:00");
        assert_eq!(
            cal.add_open(from, 4 * HOUR),
            Some(ms(zone, "2026-11-27T12:00"))
        );
        // Friday 15:00 + 4 hours runs to Monday 11:00.
        let from = ms(zone, "2026-11-27T15:00");
        assert_eq!(
            cal.add_open(from, 4 * HOUR),
            Some(ms(zone, "2026-11-30T11:00"))
        );
        assert!(!cal.is_open(ms(zone, "2026-11-26T10:00")));
        assert_eq!(
            cal.next_open(ms(zone, "2026-11-28T10:00")),
            Some(ms(zone, "2026-11-30T09:00"))
        );
        // Saturday hours in the office calendar, with its lunch break.
        let office = office(zone);
        assert_eq!(
            office.add_open(ms(zone, "2026-11-27T12:00"), 2 * HOUR),
            Some(ms(zone, "2026-11-27T15:00"))
        );
    }

    #[test]
    fn calendars_without_open_hours_or_with_overlaps_are_refused() {
        let closed = Calendar::new(TimeZone::UTC, std::array::from_fn(|_| vec![]), []);
        assert!(
            closed
                .err()
                .is_some_and(|e| e.to_string().contains("at least one day"))
        );
        let overlap = Calendar::new(
            TimeZone::UTC,
            std::array::from_fn(|_| vec![span("09:00", "12:00"), span("11:00", "13:00")]),
            [],
        );
        assert!(
            overlap
                .err()
                .is_some_and(|e| e.to_string().contains("overlaps"))
        );
        assert!(Span::parse("17:00", "09:00").is_err());
        assert!(Span::parse("9", "10:00").is_err());
        assert!(Span::parse("09:00", "24:30").is_err());
        assert_eq!(
            Span::parse("00:00", "24:00").expect("whole day"),
            Span {
                start: 0,
                end: 1440
            }
        );
    }

    #[test]
    fn a_calendar_closed_by_holidays_for_longer_than_the_horizon_is_never_due() {
        let only_one_day = Calendar::new(
            TimeZone::UTC,
            std::array::from_fn(|d| {
                if d == 0 {
                    vec![span("09:00", "10:00")]
                } else {
                    vec![]
                }
            }),
            (0..600).map(|w| {
                Date::new(2026, 11, 23)
                    .expect("a Monday")
                    .checked_add(jiff::Span::new().weeks(w))
                    .expect("date")
            }),
        )
        .expect("calendar");
        let from = ms("UTC", "2026-11-23T00:00");
        assert_eq!(only_one_day.add_open(from, HOUR), None);
        assert_eq!(only_one_day.next_open(from), None);
    }
}
