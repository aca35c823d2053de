//! The authorization policy: who may see and change what. Every endpoint asks here (through the
//! web crate's `authz` module); no handler decides on its own.
//!
//! - admin: everything, including users, teams, tags and custom fields;
//! - supervisor: every conversation and customer; no administration;
//! - agent: the conversations of their teams, those assigned to them and those they follow
//!   (a previous owner follows what they transferred); customers; no administration.

use crate::{DomainError, Role};

/// Who is acting: an agent signed in through the workspace or an API token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user_id: i64,
    pub name: String,
    pub role: Role,
    pub team_ids: Vec<i64>,
}

/// Which conversations a list or search may show to an actor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConversationScope {
    All,
    /// Conversations assigned to `user_id`, followed by them, or belonging to one of
    /// `team_ids`.
    Limited {
        user_id: i64,
        team_ids: Vec<i64>,
    },
}

/// The facts about a conversation that decide who may see it.
#[derive(Debug, Clone, Copy)]
pub struct ConversationAccess {
    pub team_id: Option<i64>,
    pub assignee_id: Option<i64>,
    /// The actor follows the conversation.
    pub followed: bool,
}

impl Actor {
    pub fn scope(&self) -> ConversationScope {
        match self.role {
            Role::Admin | Role::Supervisor => ConversationScope::All,
            Role::Agent => ConversationScope::Limited {
                user_id: self.user_id,
                team_ids: self.team_ids.clone(),
            },
        }
    }

    pub fn can_see(&self, c: ConversationAccess) -> bool {
        match self.scope() {
            ConversationScope::All => true,
            ConversationScope::Limited { user_id, team_ids } => {
                c.assignee_id == Some(user_id)
                    || c.followed
                    || c.team_id.is_some_and(|t| team_ids.contains(&t))
            }
        }
    }

    /// Seeing a conversation is enough to work on it: reply, note, change fields, transfer.
    pub fn may_work_on(&self, c: ConversationAccess) -> Result<(), DomainError> {
        if self.can_see(c) {
            Ok(())
        } else {
            // Conversations outside an agent's scope answer as absent, so ids leak nothing.
            Err(DomainError::NotFound("conversation".into()))
        }
    }

    pub fn may_administer(&self) -> Result<(), DomainError> {
        if self.role == Role::Admin {
            Ok(())
        } else {
            Err(DomainError::Forbidden(
                "only an admin may change this".into(),
            ))
        }
    }

    /// Supervisors and admins may see every agent's work and figures.
    pub fn may_supervise(&self) -> Result<(), DomainError> {
        match self.role {
            Role::Admin | Role::Supervisor => Ok(()),
            Role::Agent => Err(DomainError::Forbidden(
                "only a supervisor or admin may do this".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn agent() -> Actor {
        Actor {
            user_id: 7,
            name: "A".into(),
            role: Role::Agent,
            team_ids: vec![1, 2],
        }
    }

    #[test]
    fn agent_sees_own_team_conversations() {
        assert!(agent().can_see(ConversationAccess {
            team_id: Some(2),
            assignee_id: None,
            followed: false,
        }));
    }

    #[test]
    fn agent_sees_conversations_assigned_to_them_in_other_teams() {
        assert!(agent().can_see(ConversationAccess {
            team_id: Some(9),
            assignee_id: Some(7),
            followed: false,
        }));
    }

    #[test]
    fn agent_cannot_see_another_teams_conversation() {
        let c = ConversationAccess {
            team_id: Some(9),
            assignee_id: Some(8),
            followed: false,
        };
        assert!(!agent().can_see(c));
        assert!(matches!(
            agent().may_work_on(c),
            Err(DomainError::NotFound(_))
        ));
    }

    #[test]
    fn agent_sees_conversations_they_follow_in_other_teams() {
        let c = ConversationAccess {
            team_id: Some(9),
            assignee_id: Some(8),
            followed: true,
        };
        assert!(agent().may_work_on(c).is_ok());
    }

    #[test]
    fn supervisor_sees_everything_but_cannot_administer() {
        let s = Actor {
            role: Role::Supervisor,
            ..agent()
        };
        assert!(s.can_see(ConversationAccess {
            team_id: None,
            assignee_id: None,
            followed: false,
        }));
        assert!(s.may_administer().is_err());
    }
}
