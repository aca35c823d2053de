//! What messages and merges do to a conversation's status, and the service times they record.
//!
//! - A customer reply to a solved conversation reopens it; to a pending or on-hold one it
//!   makes it open again (the customer answered); to a closed one it starts a follow-up
//!   conversation linked to the closed one.
//! - An agent's first public reply to a new conversation opens it and records the first
//!   response time.
//! - Solving records the resolution time (from creation to the latest solve).

use crate::{DomainError, Millis, Status};

/// What a customer's message does to the conversation it threads into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CustomerReply {
    /// Append it; the status stays.
    Append,
    /// Append it and move the conversation to this status.
    AppendAndSet(Status),
    /// The conversation is closed: open a new one, linked to it, and put the message there.
    StartFollowUp,
}

pub fn on_customer_reply(current: Status) -> CustomerReply {
    match current {
        Status::New | Status::Open => CustomerReply::Append,
        Status::Pending | Status::OnHold | Status::Solved => {
            CustomerReply::AppendAndSet(Status::Open)
        }
        Status::Closed => CustomerReply::StartFollowUp,
    }
}

/// The status an agent's public reply leaves behind when the agent asks for none.
pub fn on_agent_reply(current: Status) -> Status {
    match current {
        Status::New => Status::Open,
        other => other,
    }
}

/// Milliseconds from `from` to `to`, never negative (clocks of different machines may differ).
pub fn elapsed(from: Millis, to: Millis) -> Millis {
    (to - from).max(0)
}

/// The facts about one side of a merge that the rule needs.
#[derive(Debug, Clone, Copy)]
pub struct MergeSide {
    pub id: i64,
    pub status: Status,
    pub merged_into: Option<i64>,
}

/// Checks that `source` may be merged into `target`: two different conversations, neither
/// already merged away, and a target that can still take messages.
pub fn check_merge(source: MergeSide, target: MergeSide) -> Result<(), DomainError> {
    if source.id == target.id {
        return Err(DomainError::invalid(
            "target",
            "a conversation cannot be merged into itself",
        ));
    }
    if source.merged_into.is_some() {
        return Err(DomainError::Conflict(
            "this conversation was already merged into another".into(),
        ));
    }
    if target.merged_into.is_some() {
        return Err(DomainError::Conflict(
            "the target was itself merged into another conversation; merge into that one".into(),
        ));
    }
    if target.status == Status::Closed {
        return Err(DomainError::Conflict(
            "the target conversation is closed".into(),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customer_reply_to_solved_conversation_reopens_it() {
        assert_eq!(
            on_customer_reply(Status::Solved),
            CustomerReply::AppendAndSet(Status::Open)
        );
    }

    #[test]
    fn customer_reply_to_closed_conversation_starts_a_follow_up() {
        assert_eq!(
            on_customer_reply(Status::Closed),
            CustomerReply::StartFollowUp
        );
    }

    #[test]
    fn customer_reply_to_new_conversation_keeps_it_new() {
        assert_eq!(on_customer_reply(Status::New), CustomerReply::Append);
    }

    #[test]
    fn agent_reply_opens_a_new_conversation_only() {
        assert_eq!(on_agent_reply(Status::New), Status::Open);
        assert_eq!(on_agent_reply(Status::Pending), Status::Pending);
    }

    #[test]
    fn merging_into_itself_is_invalid() {
        let side = MergeSide {
            id: 1,
            status: Status::Open,
            merged_into: None,
        };
        assert!(matches!(
            check_merge(side, side),
            Err(DomainError::Invalid { .. })
        ));
    }

    #[test]
    fn merging_into_a_closed_conversation_conflicts() {
        let a = MergeSide {
            id: 1,
            status: Status::Open,
            merged_into: None,
        };
        let b = MergeSide {
            id: 2,
            status: Status::Closed,
            merged_into: None,
        };
        assert!(matches!(check_merge(a, b), Err(DomainError::Conflict(_))));
    }

    #[test]
    fn elapsed_is_never_negative() {
        assert_eq!(elapsed(10, 5), 0);
        assert_eq!(elapsed(5, 10), 5);
    }
}
