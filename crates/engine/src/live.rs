//! The live bus: after a change commits, a small event tells open workspace pages to refresh
//! what they show. It carries ids and kinds only; every page fetches what it may see through
//! the normal, authorized routes. In-process for now; several nodes will bridge it over
//! PostgreSQL LISTEN/NOTIFY.

use serde::Serialize;
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

    /// Announces a change. Nobody listening is fine.
    pub fn publish(&self, event: LiveEvent) {
        let _ = self.tx.send(event);
    }

    pub fn conversation_changed(&self, conversation_id: i64, kind: &str, user_id: Option<i64>) {
        self.publish(LiveEvent {
            topic: "conversation".into(),
            conversation_id,
            kind: kind.into(),
            user_id,
            detail: serde_json::Value::Null,
        });
    }
}

impl Bus {
    /// How many listeners are subscribed now.
    pub fn receivers(&self) -> usize {
        self.tx.receiver_count()
    }
}
