//! Conversation use cases: open one, add messages and notes, change its fields, merge two, and
//! read them back as the actor may see them. Each command checks the domain's rules and the
//! policy, then writes the change and its events in one transaction.

mod attachments;
mod create;
mod merge;
mod message;
mod read;
mod update;

pub use attachments::Upload;
pub use create::NewConversationCmd;
pub use message::NewMessageCmd;
pub use read::{Detail, MailByMessage};
pub use update::Patch;

use crate::Result;
use serde_json::Value;
use steward_store::Conn;
use steward_store::events::{self, Doer, NewEvent};

/// Appends an event about conversation `id`.
pub(crate) async fn record(
    tx: &mut Conn,
    doer: Doer,
    id: i64,
    kind: &str,
    data: Value,
    at: i64,
) -> Result<()> {
    events::append(
        tx,
        NewEvent {
            doer,
            subject_type: "conversation",
            subject_id: id,
            conversation_id: Some(id),
            kind,
            data,
            at,
        },
    )
    .await?;
    Ok(())
}
