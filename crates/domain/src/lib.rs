//! Steward's domain: the vocabulary of customer service and the rules that hold whatever the
//! channel or the storage. It owns conversation statuses and their allowed transitions, what a
//! customer's reply does to a conversation, how merges are validated, input limits, custom-field
//! validation, business-hours arithmetic, SLA clocks and the authorization policy.
//!
//! It must not do IO: no SQL, no HTTP, no async runtime. Callers pass in the facts (times,
//! current states, the actor) and get back decisions.

pub mod address;
pub mod automation;
pub mod bot;
pub mod calendar;
pub mod chat;
pub mod csat;
pub mod custom_field;
pub mod error;
pub mod feedback;
pub mod ics;
pub mod kb;
pub mod kinds;
pub mod lifecycle;
pub mod nps;
pub mod placeholder;
pub mod policy;
pub mod report;
pub mod report_schedule;
pub mod routing;
pub mod sla;
pub mod status;
pub mod validate;

pub use error::DomainError;
pub use kinds::{AuthorKind, Channel, Priority, Role, Visibility};
pub use policy::Actor;
pub use status::Status;

/// Milliseconds since the Unix epoch, UTC. Every stored time is one of these.
pub type Millis = i64;
