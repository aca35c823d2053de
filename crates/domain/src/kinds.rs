//! Small closed vocabularies: priority, channel, role, who wrote a message and who may see it.
//! Each parses from and prints to the lower-case word used in the API, the database and the UI.

use crate::DomainError;
use serde::{Deserialize, Serialize};

macro_rules! word_enum {
    ($(#[$meta:meta])* $name:ident, $field:literal { $($variant:ident => $word:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $word),+ }
            }

            pub fn parse(s: &str) -> Result<Self, DomainError> {
                match s {
                    $($word => Ok($name::$variant),)+
                    other => Err(DomainError::invalid(
                        $field,
                        format!("'{}' is not one of: {}", other, [$($word),+].join(", ")),
                    )),
                }
            }
        }

        impl TryFrom<String> for $name {
            type Error = DomainError;
            fn try_from(s: String) -> Result<Self, DomainError> {
                $name::parse(&s)
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use word_enum;

word_enum!(
    /// How urgent a conversation is; orders queues and, later, selects SLA targets.
    Priority, "priority" { Low => "low", Normal => "normal", High => "high", Urgent => "urgent" }
);

word_enum!(
    /// Where a conversation or message came from, or goes out on.
    Channel, "channel" {
        Email => "email", Chat => "chat", Web => "web", Phone => "phone",
        Sms => "sms", Social => "social", Api => "api",
    }
);

word_enum!(
    /// An agent's role: admin does everything, supervisor sees every conversation, agent sees
    /// the conversations of their teams and those assigned to them.
    Role, "role" { Admin => "admin", Supervisor => "supervisor", Agent => "agent" }
);

word_enum!(
    /// Who wrote a message. Shown on every message so a customer always knows whether a bot or
    /// a person is speaking.
    AuthorKind, "author_kind" { Customer => "customer", Agent => "agent", Bot => "bot", System => "system" }
);

word_enum!(
    /// A public reply goes to the customer; an internal note is for agents only.
    Visibility, "visibility" { Public => "public", Internal => "internal" }
);

impl Priority {
    /// One step more urgent; urgent stays urgent.
    pub fn raised(self) -> Priority {
        match self {
            Priority::Low => Priority::Normal,
            Priority::Normal => Priority::High,
            Priority::High | Priority::Urgent => Priority::Urgent,
        }
    }

    /// Sort key: higher is more urgent.
    pub fn rank(self) -> i64 {
        match self {
            Priority::Low => 0,
            Priority::Normal => 1,
            Priority::High => 2,
            Priority::Urgent => 3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_round_trips() {
        for c in Channel::ALL {
            assert_eq!(Channel::parse(c.as_str()), Ok(*c));
        }
        for p in Priority::ALL {
            assert_eq!(Priority::parse(p.as_str()), Ok(*p));
        }
    }

    #[test]
    fn unknown_word_names_the_choices() {
        let err = Priority::parse("asap").expect_err("refused");
        assert!(err.to_string().contains("low, normal, high, urgent"));
    }
}
