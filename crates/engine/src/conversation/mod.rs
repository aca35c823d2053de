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
pub(crate) use attachments::{clean_content_type, clean_filename};
pub use create::{ChatLink, NewConversationCmd};
pub use message::NewMessageCmd;
pub(crate) use message::{record_status, status_changes};
pub use read::{Detail, MailByMessage};
pub use update::Patch;
pub(crate) use update::{check_tags, resolve_assignment};

use crate::Result;
use serde_json::Value;
use steward_domain::Actor;
use steward_store::Conn;
use steward_store::events::{self, Doer, NewEvent};
use steward_store::models::Conversation;

/// Whether `by` may see and work on `c`. The policy decides; whether `by` follows it is looked
/// up only when nothing else lets them in.
pub(crate) async fn authorize(conn: &mut Conn, by: &Actor, c: &Conversation) -> Result<()> {
    let mut access = c.access();
    if !by.can_see(access) {
        access.followed = steward_store::conversations::followers(conn, c.id)
            .await?
            .contains(&by.user_id);
    }
    Ok(by.may_work_on(access)?)
}

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
