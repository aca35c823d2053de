//! Reports emailed on a schedule. Supervisors and admins save a schedule (how often, the hour,
//! the recipients, XLSX or CSV, the report's filters); its `report.send` job works out the
//! report for the days the mail covers, as the schedule's maker may see it, and mails it with
//! the file attached, then sets itself for the next time. "Send now" runs the same job at once
//! without moving the regular time.

use crate::directory::log;
use crate::email::AutomaticMail;
use crate::export::{self, report};
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::json;
use steward_channels::email::parse::Part;
use steward_domain::Actor;
use steward_domain::report_schedule::Schedule;
use steward_store::jobs::Job;
use steward_store::report_schedules::{self as store, ScheduleRow};
use steward_store::reports::ReportFilter;
use steward_store::{Conn, now_ms};

/// A schedule with its bookkeeping.
#[derive(Debug, Clone)]
pub struct ScheduleView {
    pub id: i64,
    pub schedule: Schedule,
    pub created_by: i64,
    pub last_sent_at: Option<i64>,
    pub next_run_at: Option<i64>,
}

fn view(r: ScheduleRow) -> ScheduleView {
    let mut schedule: Schedule = serde_json::from_str(&r.definition).unwrap_or_default();
    schedule.name = r.name;
    ScheduleView {
        id: r.id,
        schedule,
        created_by: r.created_by,
        last_sent_at: r.last_sent_at,
        next_run_at: r.next_run_at,
    }
}

fn job_key(id: i64) -> String {
    format!("report:{id}")
}

fn next_of(s: &Schedule, after: i64) -> Option<i64> {
    if !s.active {
        return None;
    }
    let t = jiff::Timestamp::from_millisecond(after).ok()?;
    s.next_run(t).map(|n| n.as_millisecond())
}

/// The store's filter for a schedule's.
pub fn filter_of(s: &Schedule) -> ReportFilter {
    let f = &s.filter;
    ReportFilter {
        team_id: f.team_id,
        assignee_id: f.agent_id,
        channel: f.channel.map(|c| c.as_str().to_string()),
        priority: f.priority.map(|p| p.as_str().to_string()),
        tag: f.tag.clone(),
        inbox: f.inbox.clone(),
    }
}

impl Engine {
    pub async fn report_schedules(&self, by: &Actor) -> Result<Vec<ScheduleView>> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(store::list(&mut conn)
            .await?
            .into_iter()
            .map(view)
            .collect())
    }

    async fn schedule_row(&self, conn: &mut Conn, id: i64) -> Result<ScheduleView> {
        store::get(conn, id)
            .await?
            .map(view)
            .ok_or_else(|| EngineError::not_found("report schedule"))
    }

    pub async fn report_schedule(&self, by: &Actor, id: i64) -> Result<ScheduleView> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        self.schedule_row(&mut conn, id).await
    }

    /// Sets the schedule's job for its next run (or removes it when paused).
    async fn set_timer(&self, tx: &mut Conn, id: i64, next: Option<i64>) -> Result<()> {
        match next {
            Some(at) => {
                scheduler::schedule(
                    tx,
                    "report.send",
                    Some(&job_key(id)),
                    &json!({"schedule_id": id}),
                    at,
                )
                .await
            }
            None => {
                steward_store::jobs::cancel(tx, &job_key(id)).await?;
                Ok(())
            }
        }
    }

    /// Saves a new schedule (supervisors and admins); its report is worked out as `by` sees it.
    pub async fn create_report_schedule(&self, by: &Actor, s: Schedule) -> Result<ScheduleView> {
        by.may_supervise()?;
        let s = s.check()?;
        let at = now_ms();
        let next = next_of(&s, at);
        let mut tx = self.store.write().await?;
        let id = store::insert(
            &mut tx,
            &s.name,
            &json!(s).to_string(),
            by.user_id,
            next,
            at,
        )
        .await?;
        self.set_timer(&mut tx, id, next).await?;
        log(
            &mut tx,
            Some(by),
            "report_schedule",
            id,
            "report_schedule.created",
            json!({"after": s}),
            at,
        )
        .await?;
        let saved = self.schedule_row(&mut tx, id).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn update_report_schedule(
        &self,
        by: &Actor,
        id: i64,
        s: Schedule,
    ) -> Result<ScheduleView> {
        by.may_supervise()?;
        let s = s.check()?;
        let at = now_ms();
        let next = next_of(&s, at);
        let mut tx = self.store.write().await?;
        let before = self.schedule_row(&mut tx, id).await?;
        store::update(&mut tx, id, &s.name, &json!(s).to_string(), next, at).await?;
        self.set_timer(&mut tx, id, next).await?;
        log(
            &mut tx,
            Some(by),
            "report_schedule",
            id,
            "report_schedule.updated",
            json!({"before": before.schedule, "after": s}),
            at,
        )
        .await?;
        let saved = self.schedule_row(&mut tx, id).await?;
        tx.commit().await?;
        Ok(saved)
    }

    pub async fn delete_report_schedule(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_supervise()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        self.schedule_row(&mut tx, id).await?;
        steward_store::jobs::cancel(&mut tx, &job_key(id)).await?;
        steward_store::jobs::cancel(&mut tx, &format!("report-now:{id}")).await?;
        store::delete(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "report_schedule",
            id,
            "report_schedule.deleted",
            json!({}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Mails the schedule's report now (for the days its next mail would cover).
    pub async fn send_report_now(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_supervise()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        self.schedule_row(&mut tx, id).await?;
        scheduler::schedule(
            &mut tx,
            "report.send",
            Some(&format!("report-now:{id}")),
            &json!({"schedule_id": id, "now": true}),
            at,
        )
        .await?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(())
    }

    /// The `report.send` job.
    pub(crate) async fn run_report_send(&self, job: &Job) -> Result<()> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let id = payload["schedule_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no schedule_id"))?;
        let manual = payload["now"].as_bool().unwrap_or(false);
        let v = {
            let mut conn = self.store.pool().acquire().await?;
            store::get(&mut conn, id).await?.map(view)
        };
        let at = now_ms();
        let Some(v) = v.filter(|v| manual || v.schedule.active) else {
            let mut tx = self.store.write().await?;
            self.finish_job(&mut tx, job).await?;
            tx.commit().await?;
            return Ok(());
        };
        let s = &v.schedule;
        // The report is worked out as its maker may see it; one who may no longer see reports
        // gets nothing sent in their name.
        let maker = self
            .actor(v.created_by)
            .await?
            .filter(|a| a.may_supervise().is_ok());
        let next = if manual {
            v.next_run_at
        } else {
            next_of(s, at)
        };
        let mut tx;
        let sent = match maker {
            None => {
                tracing::warn!(
                    schedule = id,
                    "report schedule's maker may no longer see reports"
                );
                tx = self.store.write().await?;
                false
            }
            Some(maker) => {
                let (attachment, text, subject) = self.scheduled_report(&maker, s, at).await?;
                tx = self.store.write().await?;
                let mail = AutomaticMail {
                    inbox: s.filter.inbox.as_deref(),
                    from_suffix: "",
                    to: &s.recipients,
                    to_name: None,
                    conversation_id: None,
                    subject,
                    text,
                    html: None,
                    attachments: vec![attachment],
                    kind: "report",
                    what: format!("report.{id}"),
                };
                self.queue_automatic_mail(&mut tx, mail, at).await?
            }
        };
        self.finish_job(&mut tx, job).await?;
        if !manual {
            self.set_timer(&mut tx, id, next).await?;
        }
        if sent {
            store::sent(&mut tx, id, at, next).await?;
            log(
                &mut tx,
                None,
                "report_schedule",
                id,
                "report.sent",
                json!({"to": s.recipients, "format": s.format, "manual": manual}),
                at,
            )
            .await?;
        }
        tx.commit().await?;
        if sent {
            self.email.outbox_wake.notify_one();
        }
        Ok(())
    }

    /// The file, the mail's text and its subject for the days the mail at `at` covers.
    async fn scheduled_report(
        &self,
        maker: &Actor,
        s: &Schedule,
        at: i64,
    ) -> Result<(Part, String, String)> {
        let tz = s.zone()?;
        let run = jiff::Timestamp::from_millisecond(at)
            .map_err(|_| EngineError::invalid("at", "is out of range"))?;
        let (first, last) = s
            .period(run)
            .ok_or_else(|| EngineError::invalid("schedule", "has no period"))?;
        let start = |d: jiff::civil::Date| -> Result<i64> {
            Ok(d.to_zoned(tz.clone())
                .map_err(|_| EngineError::invalid("schedule", "is out of range"))?
                .timestamp()
                .as_millisecond())
        };
        let from = start(first)?;
        let to = start(
            last.tomorrow()
                .map_err(|_| EngineError::invalid("schedule", "is out of range"))?,
        )?;
        let c = self
            .report_summary(maker, &filter_of(s), from, to, &tz)
            .await?;
        let everyone = {
            let mut conn = self.store.pool().acquire().await?;
            steward_store::users::list(&mut conn).await?
        };
        let name = |id: i64| {
            everyone
                .iter()
                .find(|u| u.id == id)
                .map_or_else(|| format!("#{id}"), |u| u.name.clone())
        };
        let (first, last) = (first.to_string(), last.to_string());
        let mut text = format!(
            "{}: {first} to {last} ({}), beside the period before.\n\n",
            s.name, s.tz
        );
        for (figure, now, before) in report::figure_rows(&c) {
            let now = if now.is_empty() { "—".into() } else { now };
            let before = if before.is_empty() {
                "—".into()
            } else {
                before
            };
            text.push_str(&format!("  {figure}: {now} (before: {before})\n"));
        }
        text.push_str(&format!(
            "\nThe attached {} has the figures{}.\nOpen the reports: {}/reports\n",
            s.format.to_uppercase(),
            if s.format == "xlsx" {
                ", each agent's figures, the backlog and the busiest hours"
            } else {
                ""
            },
            self.email.workspace_url
        ));
        let base = format!("steward-report-{first}-{last}");
        let part = if s.format == "csv" {
            let table = report::table(&c, report::Part::Figures, &first, &last, &name);
            Part {
                filename: format!("{base}.csv"),
                content_type: "text/csv".into(),
                bytes: export::csv(&table).into_bytes(),
                content_id: None,
            }
        } else {
            Part {
                filename: format!("{base}.xlsx"),
                content_type: export::Format::Xlsx.content_type().into(),
                bytes: export::workbook(&report::tables(&c, &first, &last, &name)),
                content_id: None,
            }
        };
        Ok((part, text, format!("{}: {first} to {last}", s.name)))
    }
}
