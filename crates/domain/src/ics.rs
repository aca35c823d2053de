//! Holidays from an iCalendar file (RFC 5545), as public holiday calendars publish them: each
//! `VEVENT` gives its `DTSTART` day (and every day up to its exclusive `DTEND`) with its
//! `SUMMARY`; `RRULE:FREQ=YEARLY` repeats it (until `UNTIL`, `COUNT` times, or for ten
//! years). Folded lines are unfolded; other properties and components are ignored.

use crate::DomainError;
use jiff::civil::Date;

/// Days one event may span, and holidays one file may hold.
const MAX_EVENT_DAYS: i64 = 60;
const MAX_HOLIDAYS: usize = 2000;
const YEARLY_DEFAULT: i64 = 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Holiday {
    pub date: Date,
    pub name: String,
}

/// `20261225`, or the date part of `20261225T000000Z`.
fn date(value: &str) -> Option<Date> {
    let v = value.trim();
    let d = v.get(..8)?;
    if !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (y, m, day) = (
        d[..4].parse().ok()?,
        d[4..6].parse().ok()?,
        d[6..8].parse().ok()?,
    );
    Date::new(y, m, day).ok()
}

/// RFC 5545 text unescaping for SUMMARY.
fn unescape(s: &str) -> String {
    s.replace("\\n", " ")
        .replace("\\N", " ")
        .replace("\\,", ",")
        .replace("\\;", ";")
        .replace("\\\\", "\\")
}

#[derive(Default)]
struct Event {
    start: Option<Date>,
    end: Option<Date>,
    name: String,
    rrule: Option<String>,
}

impl Event {
    fn days(&self, line: usize) -> Result<Vec<Holiday>, DomainError> {
        let start = self.start.ok_or_else(|| {
            DomainError::invalid(
                "ics",
                format!("the event ending on line {line} has no DTSTART date"),
            )
        })?;
        let length = match self.end {
            Some(end) if end > start => (end - start).get_days() as i64,
            _ => 1,
        }
        .min(MAX_EVENT_DAYS);
        let (years, until) = match &self.rrule {
            Some(rule) => yearly(rule, line)?,
            None => (1, None),
        };
        let mut out = Vec::new();
        for year in 0..years {
            let Ok(first) = start.checked_add(jiff::Span::new().years(year)) else {
                break;
            };
            if until.is_some_and(|u| first > u) {
                break;
            }
            for d in 0..length {
                if let Ok(date) = first.checked_add(jiff::Span::new().days(d)) {
                    out.push(Holiday {
                        date,
                        name: self.name.clone(),
                    });
                }
            }
        }
        Ok(out)
    }
}

/// How many years a yearly rule covers, and its last day.
fn yearly(rule: &str, line: usize) -> Result<(i64, Option<Date>), DomainError> {
    let mut freq = None;
    let mut count = None;
    let mut until = None;
    for part in rule.split(';') {
        match part.split_once('=') {
            Some(("FREQ", f)) => freq = Some(f.to_ascii_uppercase()),
            Some(("COUNT", c)) => count = c.parse::<i64>().ok(),
            Some(("UNTIL", u)) => until = date(u),
            Some(("INTERVAL", "1")) | Some(("BYMONTH", _)) | Some(("BYMONTHDAY", _)) => {}
            Some((other, _)) => {
                return Err(DomainError::invalid(
                    "ics",
                    format!(
                        "line {line}: the repeat rule part {other} is not supported (only yearly repeats are)"
                    ),
                ));
            }
            None => {}
        }
    }
    if freq.as_deref() != Some("YEARLY") {
        return Err(DomainError::invalid(
            "ics",
            format!("line {line}: only yearly repeats (RRULE:FREQ=YEARLY) are supported"),
        ));
    }
    let years = match (count, until) {
        (Some(c), _) => c.clamp(1, 50),
        (None, Some(_)) => 50,
        (None, None) => YEARLY_DEFAULT,
    };
    Ok((years, until))
}

/// The holidays in `text`, in date order, one per day (the first name wins).
pub fn holidays(text: &str) -> Result<Vec<Holiday>, DomainError> {
    if !text.contains("BEGIN:VCALENDAR") {
        return Err(DomainError::invalid(
            "ics",
            "this is not an iCalendar file (no BEGIN:VCALENDAR)",
        ));
    }
    // Unfold: a line starting with a space or tab continues the one before.
    let mut lines: Vec<(usize, String)> = Vec::new();
    for (n, raw) in text.lines().enumerate() {
        let raw = raw.trim_end_matches('\r');
        match (
            raw.strip_prefix(' ').or_else(|| raw.strip_prefix('\t')),
            lines.last_mut(),
        ) {
            (Some(rest), Some((_, last))) => last.push_str(rest),
            _ => lines.push((n + 1, raw.to_string())),
        }
    }
    let mut out: Vec<Holiday> = Vec::new();
    let mut current: Option<Event> = None;
    for (n, line) in lines {
        let Some((head, value)) = line.split_once(':') else {
            continue;
        };
        let name = head
            .split(';')
            .next()
            .unwrap_or_default()
            .to_ascii_uppercase();
        match (name.as_str(), current.as_mut()) {
            ("BEGIN", None) if value.eq_ignore_ascii_case("VEVENT") => {
                current = Some(Event::default());
            }
            ("END", Some(e)) if value.eq_ignore_ascii_case("VEVENT") => {
                out.extend(e.days(n)?);
                current = None;
                if out.len() > MAX_HOLIDAYS {
                    return Err(DomainError::invalid(
                        "ics",
                        format!("more than {MAX_HOLIDAYS} holidays in one file"),
                    ));
                }
            }
            ("DTSTART", Some(e)) => {
                e.start = Some(date(value).ok_or_else(|| {
                    DomainError::invalid("ics", format!("line {n}: {value:?} is not a date"))
                })?);
            }
            ("DTEND", Some(e)) => e.end = date(value),
            ("SUMMARY", Some(e)) => e.name = unescape(value).trim().to_string(),
            ("RRULE", Some(e)) => e.rrule = Some(value.trim().to_ascii_uppercase()),
            _ => {}
        }
    }
    out.sort_by_key(|h| h.date);
    out.dedup_by_key(|h| h.date);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i16, m: i8, day: i8) -> Date {
        Date::new(y, m, day).expect("date")
    }

    #[test]
    fn holidays_come_from_events_with_their_names_and_spans() {
        let ics = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261225\r\n\
DTEND;VALUE=DATE:20261227\r\nSUMMARY:Christmas\\, Boxing\r\n  Day\r\nEND:VEVENT\r\n\
BEGIN:VEVENT\r\nDTSTART:20260101T000000Z\r\nSUMMARY:New Year\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n";
        let h = holidays(ics).expect("parses");
        assert_eq!(
            h,
            vec![
                Holiday {
                    date: d(2026, 1, 1),
                    name: "New Year".into()
                },
                Holiday {
                    date: d(2026, 12, 25),
                    name: "Christmas, Boxing Day".into()
                },
                Holiday {
                    date: d(2026, 12, 26),
                    name: "Christmas, Boxing Day".into()
                },
            ]
        );
    }

    #[test]
    fn yearly_rules_repeat_until_their_end() {
        let ics = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20260704\n\
RRULE:FREQ=YEARLY;COUNT=3\nSUMMARY:Independence Day\nEND:VEVENT\nEND:VCALENDAR\n";
        let dates: Vec<Date> = holidays(ics)
            .expect("parses")
            .into_iter()
            .map(|h| h.date)
            .collect();
        assert_eq!(dates, vec![d(2026, 7, 4), d(2027, 7, 4), d(2028, 7, 4)]);
        let until = ics.replace("COUNT=3", "UNTIL=20270801");
        assert_eq!(holidays(&until).expect("parses").len(), 2);
    }

    #[test]
    fn files_that_are_not_calendars_or_use_unsupported_rules_are_refused_with_the_reason() {
        assert!(holidays("hello").is_err());
        let weekly = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:20260101\nRRULE:FREQ=WEEKLY\nEND:VEVENT\nEND:VCALENDAR";
        assert!(
            holidays(weekly)
                .err()
                .is_some_and(|e| e.to_string().contains("yearly"))
        );
        let no_date = "BEGIN:VCALENDAR\nBEGIN:VEVENT\nSUMMARY:x\nEND:VEVENT\nEND:VCALENDAR";
        assert!(
            holidays(no_date)
                .err()
                .is_some_and(|e| e.to_string().contains("DTSTART"))
        );
        let bad_date =
            "BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART:2026-01-01\nEND:VEVENT\nEND:VCALENDAR";
        assert!(holidays(bad_date).is_err());
    }
}
