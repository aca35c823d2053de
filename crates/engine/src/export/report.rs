//! A report as tables: its figures beside the previous period's, each agent's figures, the
//! backlog at each day's end and the busiest hours. Figures are written as the page shows
//! them (minutes with one decimal, percentages); in XLSX, numbers become number cells.

use super::xlsx::Cell;
use super::{Table, text};
use crate::reports::Comparison;

/// The figures as rows (name, this period, previous period), as the page and CSV show them.
pub fn figure_rows(c: &Comparison) -> Vec<(&'static str, String, String)> {
    fn n(v: i64) -> String {
        v.to_string()
    }
    fn ms(v: Option<i64>) -> String {
        v.map(|m| format!("{:.1}", m as f64 / 60_000.0))
            .unwrap_or_default()
    }
    fn dec(v: Option<f64>) -> String {
        v.map(|p| format!("{p:.2}")).unwrap_or_default()
    }
    fn one(v: Option<f64>) -> String {
        v.map(|p| format!("{p:.1}")).unwrap_or_default()
    }
    let (a, b) = (&c.current, &c.previous);
    vec![
        ("conversations created", n(a.created), n(b.created)),
        ("conversations solved", n(a.solved), n(b.solved)),
        (
            "first response, median (minutes)",
            ms(a.first_response_median_ms),
            ms(b.first_response_median_ms),
        ),
        (
            "first response, p90 (minutes)",
            ms(a.first_response_p90_ms),
            ms(b.first_response_p90_ms),
        ),
        (
            "resolution, median (minutes)",
            ms(a.resolution_median_ms),
            ms(b.resolution_median_ms),
        ),
        (
            "resolution, p90 (minutes)",
            ms(a.resolution_p90_ms),
            ms(b.resolution_p90_ms),
        ),
        (
            "first-contact resolution (%)",
            one(a.first_contact_resolution_pct),
            one(b.first_contact_resolution_pct),
        ),
        ("reopened (%)", one(a.reopen_pct), one(b.reopen_pct)),
        (
            "SLA compliance (%)",
            one(a.sla_compliance_pct),
            one(b.sla_compliance_pct),
        ),
        ("CSAT (% satisfied)", one(a.csat_pct), one(b.csat_pct)),
        ("CSAT answers", n(a.csat_answers), n(b.csat_answers)),
        ("NPS", one(a.nps), one(b.nps)),
        ("NPS answers", n(a.nps_answers), n(b.nps_answers)),
        ("feedback received", n(a.feedback), n(b.feedback)),
        ("deflections", n(a.deflections), n(b.deflections)),
        ("complaints", n(a.complaints), n(b.complaints)),
        (
            "complaints solved (%)",
            one(a.complaint_resolution_pct),
            one(b.complaint_resolution_pct),
        ),
        (
            "cost per contact",
            dec(a.cost_per_contact),
            dec(b.cost_per_contact),
        ),
        (
            "cost per resolution",
            dec(a.cost_per_resolution),
            dec(b.cost_per_resolution),
        ),
        (
            "contacts per customer",
            dec(a.contacts_per_customer),
            dec(b.contacts_per_customer),
        ),
        (
            "customers retained from the previous period (%)",
            one(a.retention_pct),
            String::new(),
        ),
    ]
}

/// Which part of a report a CSV holds (an XLSX holds them all).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    Figures,
    Agents,
    Backlog,
    Hours,
}

impl Part {
    pub const ALL: [Part; 4] = [Part::Figures, Part::Agents, Part::Backlog, Part::Hours];

    pub fn parse(s: &str) -> Result<Part, crate::EngineError> {
        match s.trim() {
            "" | "figures" => Ok(Part::Figures),
            "agents" => Ok(Part::Agents),
            "backlog" => Ok(Part::Backlog),
            "hours" => Ok(Part::Hours),
            other => Err(crate::EngineError::invalid(
                "part",
                format!("must be figures, agents, backlog or hours, not {other:?}"),
            )),
        }
    }
}

/// Weekdays, Monday first, as reports name them.
pub const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

/// One part of the report `c` for the days `first`–`last`, naming agents by `agent_name`.
pub fn table(
    c: &Comparison,
    part: Part,
    first: &str,
    last: &str,
    agent_name: &dyn Fn(i64) -> String,
) -> Table {
    let minutes = |v: Option<i64>| {
        text(
            v.map(|m| format!("{:.1}", m as f64 / 60_000.0))
                .unwrap_or_default(),
        )
    };
    let one = |v: Option<f64>| text(v.map(|p| format!("{p:.1}")).unwrap_or_default());
    match part {
        Part::Figures => {
            let period = format!("{first} to {last}");
            let mut t = Table::new("Figures", &["figure", &period, "previous period"]);
            for (name, now, before) in figure_rows(c) {
                t.rows.push(vec![text(name), text(now), text(before)]);
            }
            t
        }
        Part::Agents => {
            let mut t = Table::new(
                "Agents",
                &[
                    "agent",
                    "solved",
                    "resolution, median (minutes)",
                    "first-contact resolution (%)",
                    "CSAT (% satisfied)",
                    "CSAT answers",
                ],
            );
            for a in &c.agents {
                t.rows.push(vec![
                    text(agent_name(a.agent_id)),
                    text(a.solved.to_string()),
                    minutes(a.resolution_median_ms),
                    one(a.first_contact_resolution_pct),
                    one(a.csat_pct),
                    text(a.csat_answers.to_string()),
                ]);
            }
            t
        }
        Part::Backlog => {
            let mut t = Table::new("Backlog", &["day", "open at the day's end"]);
            for d in &c.backlog {
                t.rows
                    .push(vec![text(d.date.clone()), text(d.open.to_string())]);
            }
            t
        }
        Part::Hours => {
            let hours: Vec<String> = (0..24).map(|h| format!("{h}:00")).collect();
            let mut header = vec!["weekday"];
            header.extend(hours.iter().map(String::as_str));
            let mut t = Table::new("Busiest hours", &header);
            for (day, counts) in WEEKDAYS.iter().zip(c.busiest_hours.iter()) {
                let mut row = vec![text(*day)];
                row.extend(counts.iter().map(|n| text(n.to_string())));
                t.rows.push(row);
            }
            t
        }
    }
}

/// Every part, with figures that are numbers as number cells (for XLSX).
pub fn tables(
    c: &Comparison,
    first: &str,
    last: &str,
    agent_name: &dyn Fn(i64) -> String,
) -> Vec<Table> {
    Part::ALL
        .iter()
        .map(|p| {
            let mut t = table(c, *p, first, last, agent_name);
            for row in &mut t.rows {
                for cell in row.iter_mut().skip(1) {
                    if let Cell::Text(s) = cell
                        && let Ok(n) = s.parse::<f64>()
                    {
                        *cell = Cell::Number(n);
                    }
                }
            }
            t
        })
        .collect()
}
