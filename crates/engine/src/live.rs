//! The live bus: after a change commits, a small event tells open workspace pages to refresh
//! what they show. It carries ids, kinds and the facts that decide who may hear of it (the
//! conversation's team and assignee, before and after the change, and its followers); every
//! page fetches what it shows through the normal, authorized routes. In-process for now;
//! several nodes will bridge it over PostgreSQL LISTEN/NOTIFY.

use serde::Serialize;
use steward_domain::Actor;
use steward_domain::policy::ConversationAccess;
use steward_store::models::Conversation;
use tokio::sync::broadcast;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct LiveEvent {
    /// `conversation` (something changed), `presence` (who is viewing or replying).
    pub topic: String,
    pub conversation_id: i64,
    pub kind: String,
    pub user_id: Option<i64>,
    /// Free-form detail: presence lists, for example.
    pub detail: serde_json::Value,
    /// (team, assignee) pairs: an agent who could see the conversation under any of them hears
    /// of the event.
    #[serde(skip)]
    pub audience: Vec<(Option<i64>, Option<i64>)>,
    /// The agents who follow the conversation: they hear of it wherever it is.
    #[serde(skip)]
    pub followers: Vec<i64>,
}

impl LiveEvent {
    /// Whether `actor` may hear of this event.
    pub fn visible_to(&self, actor: &Actor) -> bool {
        let followed = self.followers.contains(&actor.user_id);
        self.audience.iter().any(|(team_id, assignee_id)| {
            actor.can_see(ConversationAccess {
                team_id: *team_id,
                assignee_id: *assignee_id,
                followed,
            })
        })
    }
}

#[derive(Debug, Clone)]
pub struct Bus {
    tx: broadcast::Sender<LiveEvent>,
}

impl Default for Bus {
    fn default() -> Bus {
        Bus::new()
    }
}

impl Bus {
    pub fn new() -> Bus {
        let (tx, _) = broadcast::channel(1024);
        Bus { tx }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    /// Announces an event. Nobody listening is fine.
    pub fn publish(&self, event: LiveEvent) {
        let _ = self.tx.send(event);
    }

    /// Announces a change to `after` (whose team or assignee may have been `before`'s), which
    /// `followers` follow.
    pub fn conversation_changed(
        &self,
        after: &Conversation,
        before: Option<&Conversation>,
        kind: &str,
        user_id: Option<i64>,
        followers: Vec<i64>,
    ) {
        let mut audience = vec![(after.team_id, after.assignee_id)];
        if let Some(b) = before {
            audience.push((b.team_id, b.assignee_id));
        }
        self.publish(LiveEvent {
            topic: "conversation".into(),
            conversation_id: after.id,
            kind: kind.into(),
            user_id,
            detail: serde_json::Value::Null,
            audience,
            followers,
        });
    }

    /// How many listeners are subscribed now.
    pub fn receivers(&self) -> usize {
        self.tx.receiver_count()
    }
}

impl crate::Engine {
    /// Announces a committed change to `after` on the bus, with its followers read now (one
    /// small read; when it fails the event goes to the team and assignee only).
    pub(crate) async fn announce(
        &self,
        after: &Conversation,
        before: Option<&Conversation>,
        kind: &str,
        user_id: Option<i64>,
    ) {
        let followers = match self.store.pool().acquire().await {
            Ok(mut conn) => steward_store::conversations::followers(&mut conn, after.id)
                .await
                .unwrap_or_default(),
            Err(_) => Vec::new(),
        };
        self.bus
            .conversation_changed(after, before, kind, user_id, followers);
    }
}
