//! Conversation status and the transitions an agent may make.
//!
//! `new` is only ever the first status. `closed` is final: a customer who writes again gets a
//! follow-up conversation linked to the closed one (see `lifecycle`). A solved conversation can
//! be reopened or closed.

use crate::DomainError;
use crate::kinds::word_enum;
use serde::{Deserialize, Serialize};

word_enum!(
    /// Where a conversation stands.
    Status, "status" {
        New => "new", Open => "open", Pending => "pending", OnHold => "on_hold",
        Solved => "solved", Closed => "closed",
    }
);

impl Status {
    /// Whether an agent may move a conversation from `self` to `to`. Staying put is allowed.
    pub fn can_become(self, to: Status) -> bool {
        use Status::*;
        if self == to {
            return true;
        }
        match (self, to) {
            (_, New) => false,
            (Closed, _) => false,
            (Solved, Closed | Open) => true,
            (Solved, _) => false,
            (_, Closed) => false,
            (New | Open | Pending | OnHold, Open | Pending | OnHold | Solved) => true,
        }
    }

    /// Checks a requested transition and explains a refusal.
    pub fn transition(self, to: Status) -> Result<Status, DomainError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(DomainError::Conflict(format!(
                "a {} conversation cannot become {}",
                self.as_str(),
                to.as_str()
            )))
        }
    }

    /// Open work: counted in backlogs and shown in the default inbox views.
    pub fn is_active(self) -> bool {
        matches!(
            self,
            Status::New | Status::Open | Status::Pending | Status::OnHold
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Status::*;

    #[test]
    fn closed_is_final() {
        for s in super::Status::ALL {
            assert_eq!(Closed.can_become(*s), *s == Closed);
        }
    }

    #[test]
    fn nothing_returns_to_new() {
        for s in [Open, Pending, OnHold, Solved, Closed] {
            assert!(!s.can_become(New));
        }
    }

    #[test]
    fn only_solved_conversations_close() {
        assert!(Solved.can_become(Closed));
        assert!(!Open.can_become(Closed));
        assert!(!New.can_become(Closed));
    }

    #[test]
    fn solved_can_be_reopened_but_not_parked() {
        assert!(Solved.can_become(Open));
        assert!(!Solved.can_become(Pending));
    }

    #[test]
    fn refusal_names_both_statuses() {
        let err = Closed.transition(Open).expect_err("refused");
        assert_eq!(
            err.to_string(),
            "conflict: a closed conversation cannot become open"
        );
    }
}
