//! One-stop ownership: transfers and follow-up tasks.
//!
//! A transfer moves a conversation to another team or agent with a reason. The previous owner
//! (the assignee, or the agent transferring an unassigned one) stays on as a follower and gets
//! a follow-up task to check back with the customer: due when the conversation is solved, or
//! after a set time. A task falls due through a `task.due` job (or the solve), which emails its
//! owner and shows on the conversation; the owner marks it done. Agents can also add follow-ups
//! for themselves.

use crate::conversation::record;
use crate::{Engine, EngineError, Result, scheduler};
use serde_json::{Value, json};
use steward_domain::automation::Trigger;
use steward_domain::{Actor, validate};
use steward_store::conversations::{self, Changes};
use steward_store::events::Doer;
use steward_store::jobs::{self, Job};
use steward_store::models::Conversation;
use steward_store::tasks::{self, NewTask, Task};
use steward_store::{Conn, now_ms, users};

const MAX_FOLLOW_UP_MINUTES: i64 = 366 * 24 * 60;

/// When a follow-up falls due.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FollowUp {
    /// No task (the previous owner still follows).
    None,
    /// When the conversation is solved.
    OnSolve,
    /// This many minutes from now.
    After(i64),
}

#[derive(Debug, Clone)]
pub struct TransferCmd {
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub reason: String,
    pub follow_up: FollowUp,
}

fn job_key(task: i64) -> String {
    format!("task:{task}")
}

fn check_follow_up(f: FollowUp) -> Result<FollowUp> {
    match f {
        FollowUp::After(m) if !(1..=MAX_FOLLOW_UP_MINUTES).contains(&m) => {
            Err(EngineError::invalid(
                "follow_up_minutes",
                format!("must be between 1 and {MAX_FOLLOW_UP_MINUTES} minutes"),
            ))
        }
        other => Ok(other),
    }
}

/// Adds a task and, for a timed one, its `task.due` job.
async fn add(tx: &mut Conn, t: NewTask<'_>, by: Doer, at: i64) -> Result<i64> {
    let id = tasks::insert(tx, t, at).await?;
    if let Some(due) = t.due_at {
        scheduler::schedule(
            tx,
            "task.due",
            Some(&job_key(id)),
            &json!({"task_id": id}),
            due,
        )
        .await?;
    }
    record(
        tx,
        by,
        t.conversation_id,
        "task.created",
        json!({"after": {"task_id": id, "user_id": t.user_id, "title": t.title,
                         "due_at": t.due_at, "due_on_solve": t.due_on_solve}}),
        at,
    )
    .await?;
    Ok(id)
}

/// The conversation was solved: tasks waiting for it fall due now.
pub(crate) async fn fall_due_on_solve(tx: &mut Conn, conversation_id: i64, at: i64) -> Result<()> {
    for id in tasks::due_on_solve(tx, conversation_id, at).await? {
        scheduler::schedule(
            tx,
            "task.due",
            Some(&job_key(id)),
            &json!({"task_id": id}),
            at,
        )
        .await?;
    }
    Ok(())
}

impl Engine {
    /// Moves conversation `id` to another team or agent with a reason; the previous owner
    /// follows it and, unless `FollowUp::None`, gets a task to check back.
    pub async fn transfer_conversation(
        &self,
        by: &Actor,
        id: i64,
        cmd: TransferCmd,
    ) -> Result<Conversation> {
        let reason = validate::required("reason", &cmd.reason, 500)?;
        let follow_up = check_follow_up(cmd.follow_up)?;
        if cmd.team_id.is_none() && cmd.assignee_id.is_none() {
            return Err(EngineError::invalid(
                "team_id",
                "or assignee_id is needed: name the team or the agent to transfer to",
            ));
        }
        let at = now_ms();
        let doer = Doer::User(by.user_id);
        let mut tx = self.store.write().await?;
        let c = conversations::get_for_update(&mut tx, self.store.backend(), id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        crate::conversation::authorize(&mut tx, by, &c).await?;
        if c.merged_into.is_some() || !c.status.is_active() {
            return Err(EngineError::conflict(
                "only open work can be transferred; reopen it first",
            ));
        }
        crate::conversation::resolve_assignment(&mut tx, cmd.team_id, cmd.assignee_id).await?;
        let team = cmd.team_id.or(c.team_id);
        // A transfer to a team alone puts it in that team's queue.
        let assignee = cmd.assignee_id;
        if team == c.team_id && assignee == c.assignee_id {
            return Err(EngineError::conflict(
                "it is already there; choose another team or agent",
            ));
        }
        let mut changes = Changes::default();
        if team != c.team_id {
            changes.team_id = Some(team);
            record(
                &mut tx,
                doer,
                id,
                "team.changed",
                json!({"before": c.team_id, "after": team, "reason": reason}),
                at,
            )
            .await?;
        }
        if assignee != c.assignee_id {
            changes.assignee_id = Some(assignee);
            record(
                &mut tx,
                doer,
                id,
                "assignee.changed",
                json!({"before": c.assignee_id, "after": assignee, "reason": reason}),
                at,
            )
            .await?;
        }
        conversations::update(&mut tx, id, &changes, at, false, 0).await?;
        let previous = c.assignee_id.unwrap_or(by.user_id);
        let mut task_id = None;
        if Some(previous) != assignee {
            conversations::add_follower(&mut tx, id, previous).await?;
            if follow_up != FollowUp::None {
                let title = format!("Check back with {} about #{}", c.customer_name, c.number);
                let task = NewTask {
                    conversation_id: id,
                    user_id: previous,
                    title: &title,
                    due_at: match follow_up {
                        FollowUp::After(m) => Some(at + m * 60_000),
                        _ => None,
                    },
                    due_on_solve: follow_up == FollowUp::OnSolve,
                    created_by: Some(by.user_id),
                };
                task_id = Some(add(&mut tx, task, doer, at).await?);
            }
        }
        record(
            &mut tx,
            doer,
            id,
            "conversation.transferred",
            json!({
                "before": {"team_id": c.team_id, "assignee_id": c.assignee_id},
                "after": {"team_id": team, "assignee_id": assignee},
                "reason": reason, "follower": previous, "task_id": task_id,
            }),
            at,
        )
        .await?;
        if let Some(a) = assignee.filter(|a| Some(*a) != c.assignee_id) {
            self.notify_assigned(&mut tx, &c, a, by, at).await?;
        }
        let mut after = conversations::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        if let Some(p) = c.assignee_id.filter(|p| Some(*p) != assignee) {
            crate::routing::queue_drains_for(&mut tx, p).await?;
        }
        self.settle(&mut tx, &mut after, Trigger::Updated).await?;
        tx.commit().await?;
        if self.email.has_inboxes() {
            self.email.outbox_wake.notify_one();
        }
        self.announce(&after, Some(&c), "updated", Some(by.user_id))
            .await;
        Ok(after)
    }

    /// Adds a follow-up for the signed-in agent on a conversation they may work on.
    pub async fn add_follow_up(
        &self,
        by: &Actor,
        conversation_id: i64,
        title: &str,
        follow_up: FollowUp,
    ) -> Result<Task> {
        let title = validate::required("title", title, 200)?;
        let follow_up = match check_follow_up(follow_up)? {
            FollowUp::None => {
                return Err(EngineError::invalid(
                    "due",
                    "must be given: after some minutes, or when solved",
                ));
            }
            f => f,
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let c = conversations::get(&mut tx, conversation_id)
            .await?
            .ok_or_else(|| EngineError::not_found("conversation"))?;
        crate::conversation::authorize(&mut tx, by, &c).await?;
        let task = NewTask {
            conversation_id,
            user_id: by.user_id,
            title: &title,
            due_at: match follow_up {
                FollowUp::After(m) => Some(at + m * 60_000),
                _ => None,
            },
            due_on_solve: follow_up == FollowUp::OnSolve,
            created_by: Some(by.user_id),
        };
        let id = add(&mut tx, task, Doer::User(by.user_id), at).await?;
        let task = tasks::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("task"))?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(task)
    }

    /// The signed-in agent's tasks: open (soonest due first) or done (latest first).
    pub async fn my_tasks(&self, by: &Actor, done: bool) -> Result<Vec<Task>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(tasks::of_user(&mut conn, by.user_id, done, 200).await?)
    }

    /// The tasks about a conversation `by` may see.
    pub async fn conversation_tasks(&self, by: &Actor, id: i64) -> Result<Vec<Task>> {
        self.conversation(by, id).await?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(tasks::of_conversation(&mut conn, id).await?)
    }

    /// Marks a task done (or open again). Its owner may, and supervisors and admins.
    pub async fn set_task_done(&self, by: &Actor, id: i64, done: bool) -> Result<Task> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let task = tasks::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("task"))?;
        if task.user_id != by.user_id {
            by.may_supervise()
                .map_err(|_| EngineError::not_found("task"))?;
        }
        if task.done_at.is_some() != done {
            tasks::set_done(&mut tx, id, done.then_some(at)).await?;
            if done {
                jobs::cancel(&mut tx, &job_key(id)).await?;
            } else if let Some(due) = task.due_at.filter(|_| task.notified_at.is_none()) {
                scheduler::schedule(
                    &mut tx,
                    "task.due",
                    Some(&job_key(id)),
                    &json!({"task_id": id}),
                    due,
                )
                .await?;
            }
            record(
                &mut tx,
                Doer::User(by.user_id),
                task.conversation_id,
                if done { "task.done" } else { "task.reopened" },
                json!({"after": {"task_id": id, "title": task.title}}),
                at,
            )
            .await?;
        }
        let task = tasks::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("task"))?;
        tx.commit().await?;
        Ok(task)
    }

    /// The `task.due` job: tells the task's owner, once, and notes it on the conversation.
    pub(crate) async fn run_task_due(&self, job: &Job) -> Result<()> {
        let payload: Value = serde_json::from_str(&job.payload).unwrap_or_default();
        let id = payload["task_id"]
            .as_i64()
            .ok_or_else(|| EngineError::invalid("payload", "no task_id"))?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        self.finish_job(&mut tx, job).await?;
        if let Some(task) = tasks::get(&mut tx, id).await?
            && task.done_at.is_none()
            && task.notified_at.is_none()
        {
            tasks::set_notified(&mut tx, id, at).await?;
            record(
                &mut tx,
                Doer::System,
                task.conversation_id,
                "task.due",
                json!({"after": {"task_id": id, "user_id": task.user_id, "title": task.title}}),
                at,
            )
            .await?;
            let conversation = conversations::get(&mut tx, task.conversation_id).await?;
            let owner = users::get(&mut tx, task.user_id).await?;
            if let (Some(c), Some(owner)) = (conversation, owner.filter(|u| u.active != 0)) {
                self.notify_task_due(&mut tx, &c, &owner, &task.title, at)
                    .await?;
            }
        }
        tx.commit().await?;
        if self.email.has_inboxes() {
            self.email.outbox_wake.notify_one();
        }
        Ok(())
    }
}
