//! What an inbox adds to its team's way of working (admin): the calendar its conversations
//! count business hours by (after the team's own) and a routing mode that overrides the team's
//! for conversations that arrived through it. Inboxes of the config file have settings too.

use super::assign::queue_drain;
use crate::directory::log;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::Actor;
use steward_domain::routing::Mode;
use steward_store::inboxes::{self, InboxSettings};
use steward_store::{now_ms, users};

/// An inbox's settings; `None` leaves each to the team.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InboxOperations {
    pub calendar_id: Option<i64>,
    pub routing: Option<Mode>,
}

impl InboxOperations {
    fn from_row(r: &InboxSettings) -> InboxOperations {
        InboxOperations {
            calendar_id: r.calendar_id,
            routing: r.routing_mode.as_deref().and_then(|m| Mode::parse(m).ok()),
        }
    }
}

impl Engine {
    fn known_inbox(&self, address: &str) -> Result<String> {
        let address = address.trim().to_lowercase();
        if self.email.addresses().contains(&address) {
            Ok(address)
        } else {
            Err(EngineError::not_found("inbox"))
        }
    }

    /// Every inbox's settings by address (inboxes without any are left out).
    pub async fn inbox_operations(&self) -> Result<Vec<(String, InboxOperations)>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(inboxes::all_settings(&mut conn)
            .await?
            .iter()
            .map(|r| (r.address.clone(), InboxOperations::from_row(r)))
            .collect())
    }

    pub async fn inbox_operations_of(&self, address: &str) -> Result<InboxOperations> {
        let address = self.known_inbox(address)?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(inboxes::settings(&mut conn, &address)
            .await?
            .map(|r| InboxOperations::from_row(&r))
            .unwrap_or_default())
    }

    /// Sets an inbox's calendar and routing (admin). SLAs are worked out again by the new
    /// calendar; the queues are handed out at once by the new routing.
    pub async fn set_inbox_operations(
        &self,
        by: &Actor,
        address: &str,
        ops: InboxOperations,
    ) -> Result<InboxOperations> {
        by.may_administer()?;
        let address = self.known_inbox(address)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if let Some(id) = ops.calendar_id
            && steward_store::calendars::get(&mut tx, id).await?.is_none()
        {
            return Err(EngineError::invalid(
                "calendar_id",
                format!("must name a calendar that exists; there is no calendar {id}"),
            ));
        }
        let before = inboxes::settings(&mut tx, &address)
            .await?
            .map(|r| InboxOperations::from_row(&r))
            .unwrap_or_default();
        let row = InboxSettings {
            address: address.clone(),
            calendar_id: ops.calendar_id,
            routing_mode: ops.routing.map(|m| m.as_str().to_string()),
        };
        inboxes::set_settings(&mut tx, &row).await?;
        if before.calendar_id != ops.calendar_id {
            crate::sla::queue_reapply(&mut tx).await?;
        }
        if before.routing != ops.routing {
            for team in users::teams(&mut tx).await? {
                queue_drain(&mut tx, team.id).await?;
            }
        }
        // Inboxes of the config file have no row: their events carry the address only.
        let id = inboxes::get(&mut tx, &address).await?.map_or(0, |r| r.id);
        log(
            &mut tx,
            Some(by),
            "inbox",
            id,
            "inbox.operations_changed",
            json!({
                "address": address,
                "before": {"calendar_id": before.calendar_id, "routing": before.routing.map(Mode::as_str)},
                "after": {"calendar_id": ops.calendar_id, "routing": ops.routing.map(Mode::as_str)},
            }),
            at,
        )
        .await?;
        tx.commit().await?;
        self.scheduler.wake();
        Ok(ops)
    }
}
