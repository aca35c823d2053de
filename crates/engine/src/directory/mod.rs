//! The directory: customers and organizations, teams, tags, custom field definitions, agents
//! and search. Reads are open to every agent; changes to teams, tags and fields are an admin's.
//! Every change is logged in the event log with its actor.

mod customers;
pub use customers::CustomerPatch;
mod fields;
mod search;
mod teams;

use crate::Result;
use steward_domain::Actor;
use steward_store::Conn;
use steward_store::events::{self, Doer, NewEvent};

pub(crate) async fn log(
    tx: &mut Conn,
    by: Option<&Actor>,
    subject_type: &str,
    id: i64,
    kind: &str,
    data: serde_json::Value,
    at: i64,
) -> Result<()> {
    events::append(
        tx,
        NewEvent {
            doer: by.map_or(Doer::System, |a| Doer::User(a.user_id)),
            subject_type,
            subject_id: id,
            conversation_id: None,
            kind,
            data,
            at,
        },
    )
    .await?;
    Ok(())
}
