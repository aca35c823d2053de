//! The customer marks their own request solved in the portal ("this is solved"): the same
//! status change an agent makes, recorded as the customer's, with its survey and rules.

use super::PortalCustomer;
use crate::conversation::{record_status, status_changes};
use crate::{Engine, EngineError, Result};
use steward_domain::Status;
use steward_domain::automation::Trigger;
use steward_store::conversations::{self, Changes};
use steward_store::events::Doer;
use steward_store::models::Conversation;
use steward_store::now_ms;

impl Engine {
    /// Marks request `number` solved; a solved or closed one stays as it is.
    pub async fn portal_solve(&self, c: &PortalCustomer, number: i64) -> Result<Conversation> {
        let own = self.own_conversation(c, number).await?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = conversations::get_for_update(&mut tx, self.store.backend(), own.id)
            .await?
            .ok_or_else(|| EngineError::not_found("request"))?;
        if before.merged_into.is_some() {
            return Err(EngineError::conflict(
                "this request was merged into another; mark that one",
            ));
        }
        if matches!(before.status, Status::Solved | Status::Closed) {
            return Ok(before);
        }
        let next = before.status.transition(Status::Solved)?;
        let mut changes = Changes::default();
        status_changes(&before, next, at, &mut changes);
        record_status(
            &mut tx,
            Doer::Customer(c.customer_id),
            &before,
            &changes,
            at,
        )
        .await?;
        conversations::update(&mut tx, before.id, &changes, at, false, 0).await?;
        let mut after = conversations::get(&mut tx, before.id)
            .await?
            .ok_or_else(|| EngineError::not_found("request"))?;
        self.settle(&mut tx, &mut after, Trigger::Updated).await?;
        tx.commit().await?;
        self.announce(&after, Some(&before), "updated", None).await;
        Ok(after)
    }
}
