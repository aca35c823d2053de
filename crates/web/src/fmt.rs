//! Formatting times and durations for JSON (RFC 3339, UTC) and for people ("3 h ago").

use jiff::Timestamp;

/// RFC 3339 in UTC with milliseconds, as the API prints times.
pub fn rfc3339(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(|_| String::new(), |t| format!("{t:.3}"))
}

pub fn rfc3339_opt(ms: Option<i64>) -> Option<String> {
    ms.map(rfc3339)
}

/// Parses an RFC 3339 time or a number of milliseconds since the epoch.
pub fn parse_time(s: &str) -> Option<i64> {
    if let Ok(n) = s.parse::<i64>() {
        return Some(n);
    }
    s.parse::<Timestamp>().ok().map(|t| t.as_millisecond())
}

/// "2026-11-23 14:05" in UTC.
pub fn datetime(ms: i64) -> String {
    Timestamp::from_millisecond(ms).map_or_else(
        |_| String::new(),
        |t| t.strftime("%Y-%m-%d %H:%M UTC").to_string(),
    )
}

/// How long ago `ms` was, compactly.
pub fn ago(ms: i64, now: i64) -> String {
    let s = ((now - ms) / 1000).max(0);
    match s {
        0..=59 => "just now".into(),
        60..=3599 => format!("{} min ago", s / 60),
        3600..=86_399 => format!("{} h ago", s / 3600),
        _ => format!("{} d ago", s / 86_400),
    }
}

/// A duration in words: "42 min", "3 h 5 min", "2 d 4 h".
pub fn duration(ms: i64) -> String {
    let m = ms / 60_000;
    match m {
        0 => format!("{} s", ms / 1000),
        1..=59 => format!("{m} min"),
        60..=1439 => format!("{} h {} min", m / 60, m % 60),
        _ => format!("{} d {} h", m / 1440, (m % 1440) / 60),
    }
}

/// A conversation's SLA in a few words for lists: "due in 2 h 5 min", "breached 12 min ago",
/// "paused", "met"; empty without a policy.
pub fn sla_label(
    state: Option<&str>,
    due_at: Option<i64>,
    breached_at: Option<i64>,
    now: i64,
) -> String {
    match (state, due_at, breached_at) {
        (Some("breached"), _, Some(b)) => format!("SLA breached {}", ago(b, now)),
        (Some("ok" | "warning"), Some(d), _) if d > now => {
            format!("SLA due in {}", duration(d - now))
        }
        (Some("ok" | "warning"), Some(_), _) => "SLA due now".into(),
        (Some(s), _, _) => format!("SLA {s}"),
        (None, _, _) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_round_trip_through_rfc3339() {
        let s = rfc3339(1_700_000_000_123);
        assert_eq!(s, "2023-11-14T22:13:20.123Z");
        assert_eq!(parse_time(&s), Some(1_700_000_000_123));
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(duration(42 * 60_000), "42 min");
        assert_eq!(duration(185 * 60_000), "3 h 5 min");
    }
}
