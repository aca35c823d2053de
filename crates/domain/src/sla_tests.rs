use super::*;
use crate::calendar::Span;
use crate::calendar::tests::random_calendar;
use jiff::tz::TimeZone;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const HOUR: Millis = 3_600_000;

fn office(zone: &str, holidays: &[&str]) -> Calendar {
    let day = vec![Span::parse("09:00", "17:00").expect("span")];
    let week = std::array::from_fn(|d| if d < 5 { day.clone() } else { Vec::new() });
    Calendar::new(
        TimeZone::get(zone).expect("zone"),
        week,
        holidays.iter().map(|d| d.parse().expect("date")),
    )
    .expect("calendar")
}

fn ms(zone: &str, local: &str) -> Millis {
    let dt: jiff::civil::DateTime = local.parse().expect("datetime");
    TimeZone::get(zone)
        .expect("zone")
        .to_timestamp(dt)
        .expect("instant")
        .as_millisecond()
}

fn targets(first: Option<i64>, next: Option<i64>, resolution: Option<i64>) -> Targets {
    Targets {
        first_response: first,
        next_response: next,
        resolution,
    }
}

fn rules(t: Targets, calendar: &Calendar) -> Rules<'_> {
    Rules {
        targets: t,
        calendar,
        pauses: Pauses::default(),
        warn_minutes: 0,
    }
}

fn clock(clocks: &[Clock], metric: Metric) -> Clock {
    *clocks
        .iter()
        .find(|c| c.metric == metric)
        .expect("clock for the metric")
}

#[test]
fn a_friday_afternoon_request_is_due_on_monday_across_the_spring_clock_change() {
    let cal = office("Europe/Berlin", &[]);
    let opened = ms("Europe/Berlin", "2027-03-26T16:00");
    let timeline = [(opened, Mark::Opened(Status::New))];
    let r = rules(targets(Some(240), None, None), &cal);
    let c = clock(&clocks(&timeline, &r, opened), Metric::FirstResponse);
    // One hour on Friday, three on Monday; clocks went forward on Sunday the 28th.
    assert_eq!(c.due_at, Some(ms("Europe/Berlin", "2027-03-29T12:00")));
    assert_eq!(c.remaining_ms, 4 * HOUR);
    assert!(c.breached_at.is_none());
}

#[test]
fn a_target_in_calendar_hours_counts_the_extra_hour_of_the_autumn_change() {
    let cal = Calendar::always();
    let opened = ms("Europe/Berlin", "2026-10-25T00:30");
    let timeline = [(opened, Mark::Opened(Status::New))];
    let r = rules(targets(None, None, Some(24 * 60)), &cal);
    let c = clock(&clocks(&timeline, &r, opened), Metric::Resolution);
    // Twenty-four real hours end at 23:30 local time: the day had 25 hours.
    assert_eq!(c.due_at, Some(ms("Europe/Berlin", "2026-10-25T23:30")));
}

#[test]
fn a_holiday_is_skipped() {
    let cal = office("America/New_York", &["2026-11-26"]);
    let opened = ms("America/New_York", "2026-11-25T15:00");
    let timeline = [(opened, Mark::Opened(Status::New))];
    let r = rules(targets(Some(4 * 60), None, None), &cal);
    let c = clock(&clocks(&timeline, &r, opened), Metric::FirstResponse);
    assert_eq!(c.due_at, Some(ms("America/New_York", "2026-11-27T11:00")));
}

#[test]
fn pending_time_does_not_count_unless_the_policy_says_so() {
    let cal = Calendar::always();
    let timeline = [
        (0, Mark::Opened(Status::New)),
        (10 * 60_000, Mark::Status(Status::Pending)),
        (40 * 60_000, Mark::Status(Status::Open)),
    ];
    let mut r = rules(targets(None, None, Some(60)), &cal);
    let paused = clock(&clocks(&timeline, &r, 45 * 60_000), Metric::Resolution);
    assert_eq!(paused.due_at, Some(90 * 60_000));
    assert_eq!(paused.remaining_ms, 45 * 60_000);
    r.pauses.pending = false;
    let counted = clock(&clocks(&timeline, &r, 45 * 60_000), Metric::Resolution);
    assert_eq!(counted.due_at, Some(60 * 60_000));
}

#[test]
fn a_paused_clock_has_no_due_time_and_keeps_what_is_left() {
    let cal = Calendar::always();
    let timeline = [
        (0, Mark::Opened(Status::New)),
        (20 * 60_000, Mark::Status(Status::OnHold)),
    ];
    let r = rules(targets(Some(60), None, None), &cal);
    let all = clocks(&timeline, &r, 500 * 60_000);
    let c = clock(&all, Metric::FirstResponse);
    assert!(c.paused);
    assert_eq!(c.due_at, None);
    assert_eq!(c.remaining_ms, 40 * 60_000);
    assert!(c.breached_at.is_none());
    assert_eq!(summarize(&all, 500 * 60_000).state, Some(State::Paused));
}

#[test]
fn the_first_reply_meets_first_response_and_a_late_one_is_a_breach() {
    let cal = Calendar::always();
    let timeline = [
        (0, Mark::Opened(Status::New)),
        (90 * 60_000, Mark::AgentReply),
    ];
    let r = rules(targets(Some(60), None, None), &cal);
    let c = clock(&clocks(&timeline, &r, 100 * 60_000), Metric::FirstResponse);
    assert_eq!(c.met_at, Some(90 * 60_000));
    assert_eq!(c.breached_at, Some(60 * 60_000));
    assert_eq!(c.due_at, None);
}

#[test]
fn next_response_starts_at_the_customers_message_after_a_reply() {
    let cal = Calendar::always();
    let timeline = [
        (0, Mark::Opened(Status::New)),
        (5 * 60_000, Mark::AgentReply),
        (10 * 60_000, Mark::CustomerMessage),
        (12 * 60_000, Mark::CustomerMessage),
    ];
    let r = rules(targets(Some(60), Some(30), None), &cal);
    let all = clocks(&timeline, &r, 15 * 60_000);
    let next = clock(&all, Metric::NextResponse);
    assert_eq!(
        next.started_at,
        10 * 60_000,
        "the oldest unanswered message"
    );
    assert_eq!(next.due_at, Some(40 * 60_000));
    let summary = summarize(&all, 15 * 60_000);
    assert_eq!(summary.due_at, Some(40 * 60_000));
    assert_eq!(summary.state, Some(State::Ok));
}

#[test]
fn a_customer_message_before_any_reply_does_not_start_next_response() {
    let cal = Calendar::always();
    let timeline = [
        (0, Mark::Opened(Status::New)),
        (10 * 60_000, Mark::CustomerMessage),
    ];
    let r = rules(targets(Some(60), Some(30), None), &cal);
    let all = clocks(&timeline, &r, 15 * 60_000);
    assert!(all.iter().all(|c| c.metric != Metric::NextResponse));
}

#[test]
fn an_agents_outbound_conversation_has_no_first_response_clock() {
    let cal = Calendar::always();
    let timeline = [(0, Mark::Opened(Status::Open))];
    let r = rules(targets(Some(60), None, Some(600)), &cal);
    let all = clocks(&timeline, &r, 0);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].metric, Metric::Resolution);
}

#[test]
fn solving_stops_resolution_and_reopening_continues_it() {
    let cal = Calendar::always();
    let timeline = [
        (0, Mark::Opened(Status::New)),
        (30 * 60_000, Mark::Status(Status::Solved)),
        (100 * 60_000, Mark::Status(Status::Open)),
    ];
    let r = rules(targets(None, None, Some(60)), &cal);
    let solved = clock(&clocks(&timeline[..2], &r, 50 * 60_000), Metric::Resolution);
    assert_eq!(solved.met_at, Some(30 * 60_000));
    let reopened = clock(&clocks(&timeline, &r, 100 * 60_000), Metric::Resolution);
    assert_eq!(reopened.met_at, None);
    assert_eq!(reopened.due_at, Some(130 * 60_000));
}

#[test]
fn a_warning_falls_due_the_given_open_time_before_the_target() {
    let cal = Calendar::always();
    let timeline = [(0, Mark::Opened(Status::New))];
    let mut r = rules(targets(Some(60), None, None), &cal);
    r.warn_minutes = 15;
    let all = clocks(&timeline, &r, 50 * 60_000);
    assert_eq!(
        clock(&all, Metric::FirstResponse).warn_at,
        Some(45 * 60_000)
    );
    assert_eq!(summarize(&all, 50 * 60_000).state, Some(State::Warning));
    let late = clocks(&timeline, &r, 61 * 60_000);
    let summary = summarize(&late, 61 * 60_000);
    assert_eq!(summary.state, Some(State::Breached));
    assert_eq!(summary.breached_at, Some(60 * 60_000));
}

#[test]
fn targets_of_zero_or_none_at_all_are_refused() {
    let zero = targets(Some(0), None, None).check().expect_err("zero");
    assert!(zero.to_string().contains("targets.first_response"));
    let none = targets(None, None, None).check().expect_err("none");
    assert!(none.to_string().contains("must name at least one"));
    assert!(targets(None, Some(10), None).check().is_ok());
    assert!(
        targets(None, None, Some(MAX_TARGET_MINUTES + 1))
            .check()
            .is_err()
    );
}

#[test]
fn conditions_need_one_value_of_each_filled_list() {
    let tags = vec!["billing".to_string()];
    let facts = Facts {
        priority: Priority::High,
        channel: Channel::Email,
        tags: &tags,
        organization_id: Some(7),
        customer_tier: Some("Gold"),
    };
    assert!(Conditions::default().matches(&facts));
    let vip = Conditions {
        priorities: vec![Priority::High, Priority::Urgent],
        customer_tiers: vec!["gold".into()],
        ..Default::default()
    };
    assert!(vip.matches(&facts));
    let chat = Conditions {
        channels: vec![Channel::Chat],
        ..Default::default()
    };
    assert!(!chat.matches(&facts));
    let other_org = Conditions {
        organization_ids: vec![8],
        tags: vec!["billing".into()],
        ..Default::default()
    };
    assert!(!other_org.matches(&facts));
}

/// The resolution clock worked out the plain way: add up the open time of every stretch of
/// the timeline whose status counts, up to `now`.
fn counted_open_time(
    timeline: &[(Millis, Mark)],
    cal: &Calendar,
    pauses: Pauses,
    now: Millis,
) -> Millis {
    let mut total = 0;
    for (i, (at, mark)) in timeline.iter().enumerate() {
        let (Mark::Opened(s) | Mark::Status(s)) = *mark else {
            continue;
        };
        let end = timeline.get(i + 1).map_or(now, |(t, _)| *t).min(now);
        if !pauses.pauses(s) && !matches!(s, Status::Solved | Status::Closed) {
            total += cal.open_between(*at, end);
        }
    }
    total
}

#[test]
fn resolution_counts_exactly_the_open_time_outside_pauses_across_clock_changes_property() {
    let mut rng = StdRng::seed_from_u64(11);
    let statuses = [
        Status::Open,
        Status::Pending,
        Status::OnHold,
        Status::Solved,
    ];
    let (mut breached, mut running) = (0, 0);
    for case in 0..300 {
        let cal = random_calendar(&mut rng);
        let pauses = Pauses {
            pending: rng.random_bool(0.7),
            on_hold: rng.random_bool(0.7),
        };
        // 2026-01-01 .. 2028-01-01: several clock changes in every zone.
        let mut at = rng.random_range(1_767_225_600_000..1_830_297_600_000i64);
        let mut timeline = vec![(at, Mark::Opened(Status::New))];
        for _ in 0..rng.random_range(0..8) {
            at += rng.random_range(0..72 * HOUR);
            let s = statuses[rng.random_range(0..statuses.len())];
            timeline.push((at, Mark::Status(s)));
        }
        let now = at + rng.random_range(0..200 * HOUR);
        let target_minutes = rng.random_range(1..5000);
        let r = Rules {
            targets: targets(None, None, Some(target_minutes)),
            calendar: &cal,
            pauses,
            warn_minutes: 0,
        };
        let c = clock(&clocks(&timeline, &r, now), Metric::Resolution);
        let used = counted_open_time(&timeline, &cal, pauses, now);
        let target = target_minutes * 60_000;
        assert_eq!(c.remaining_ms, target - used, "case {case}");
        assert_eq!(c.breached_at.is_some(), used >= target, "case {case}");
        if let Some(b) = c.breached_at {
            breached += 1;
            assert_eq!(
                counted_open_time(&timeline, &cal, pauses, b),
                target,
                "case {case}: the breach falls when the target is used up"
            );
        }
        if let (Some(due), true) = (c.due_at, c.remaining_ms > 0) {
            running += 1;
            assert_eq!(
                cal.open_between(now, due),
                c.remaining_ms,
                "case {case}: what is left runs out at the due time"
            );
        }
    }
    assert!(breached > 30 && running > 30, "both outcomes are exercised");
}
