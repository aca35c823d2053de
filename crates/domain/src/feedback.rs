//! Customer feedback and suggestions: what kind an item is, where it came from, and where it
//! stands as the team works through it.

use crate::DomainError;
use crate::kinds::word_enum;
use serde::{Deserialize, Serialize};

word_enum!(
    /// What the customer is telling us.
    Kind, "kind" {
        Suggestion => "suggestion", Problem => "problem", Praise => "praise", Other => "other"
    }
);

word_enum!(
    /// Where the feedback was given.
    Source, "source" { Web => "web", Portal => "portal", Widget => "widget", Api => "api" }
);

word_enum!(
    /// Where an item stands.
    State, "status" {
        New => "new", Reviewed => "reviewed", Planned => "planned", Done => "done",
        Declined => "declined"
    }
);
