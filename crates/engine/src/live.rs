//! The live bus: after a change commits, a small event tells open workspace pages to refresh
//! what they show. It carries ids, kinds and the facts that decide who may hear of it (the
//! conversation's team and assignee, before and after the change, and its followers); every
//! page fetches what it shows through the normal, authorized routes. On PostgreSQL,
//! `run_live_bridge` carries each node's events to the others over LISTEN/NOTIFY, so an agent
//! on one node hears of a change made through another.

use serde::Serialize;
use steward_domain::Actor;
use steward_domain::policy::ConversationAccess;
use steward_store::models::Conversation;
use tokio::sync::{broadcast, mpsc};
use tokio_util::sync::CancellationToken;

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
    /// Where this node's events go to reach the other nodes, once the bridge runs.
    bridge: std::sync::Arc<std::sync::OnceLock<mpsc::UnboundedSender<LiveEvent>>>,
    /// This process's name on the bridge, so it skips its own events coming back.
    node: std::sync::Arc<str>,
}

impl Default for Bus {
    fn default() -> Bus {
        Bus::new()
    }
}

impl Bus {
    pub fn new() -> Bus {
        let (tx, _) = broadcast::channel(1024);
        let id: u64 = rand::random();
        Bus {
            tx,
            bridge: Default::default(),
            node: format!("{id:016x}").into(),
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<LiveEvent> {
        self.tx.subscribe()
    }

    /// Announces an event here and, with the bridge running, on the other nodes. Nobody
    /// listening is fine.
    pub fn publish(&self, event: LiveEvent) {
        if let Some(bridge) = self.bridge.get() {
            let _ = bridge.send(event.clone());
        }
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
        let detail = serde_json::Value::Null;
        self.changed(after, before, kind, user_id, detail, followers);
    }

    fn changed(
        &self,
        after: &Conversation,
        before: Option<&Conversation>,
        kind: &str,
        user_id: Option<i64>,
        detail: serde_json::Value,
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
            detail,
            audience,
            followers,
        });
    }

    /// Announces message `seq` added to `after`: a `message` event whose detail names it, so
    /// a listener that has it already need not read again.
    pub fn message_added(
        &self,
        after: &Conversation,
        seq: i64,
        user_id: Option<i64>,
        followers: Vec<i64>,
    ) {
        let detail = serde_json::json!({ "seq": seq });
        self.changed(after, None, "message", user_id, detail, followers);
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

/// The name of the PostgreSQL channel the nodes share.
const CHANNEL: &str = "steward_live";

/// A live event as it crosses nodes: everything, audience included, and who sent it.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
struct Wire {
    node: String,
    topic: String,
    conversation_id: i64,
    kind: String,
    user_id: Option<i64>,
    detail: serde_json::Value,
    audience: Vec<(Option<i64>, Option<i64>)>,
    followers: Vec<i64>,
}

/// Carries this node's live events to the other nodes and theirs to this one's listeners, over
/// PostgreSQL LISTEN/NOTIFY, until `stop`. Returns at once on SQLite (one node).
pub async fn run_live_bridge(engine: crate::Engine, stop: CancellationToken) {
    let mut listener = loop {
        match engine.store.listen(CHANNEL).await {
            Ok(Some(l)) => break l,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "live bridge: cannot listen; trying again");
                tokio::select! {
                    _ = stop.cancelled() => return,
                    _ = tokio::time::sleep(std::time::Duration::from_secs(2)) => {}
                }
            }
        }
    };
    let (tx, mut outgoing) = mpsc::unbounded_channel::<LiveEvent>();
    if engine.bus.bridge.set(tx).is_err() {
        tracing::warn!("live bridge: already running");
        return;
    }
    let node = engine.bus.node.to_string();
    // Sending and listening run apart, so a notification is never dropped half-read.
    let sender = {
        let engine = engine.clone();
        let node = node.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            loop {
                let e = tokio::select! {
                    _ = stop.cancelled() => break,
                    e = outgoing.recv() => match e { Some(e) => e, None => break },
                };
                let wire = Wire {
                    node: node.clone(),
                    topic: e.topic,
                    conversation_id: e.conversation_id,
                    kind: e.kind,
                    user_id: e.user_id,
                    detail: e.detail,
                    audience: e.audience,
                    followers: e.followers,
                };
                let payload = serde_json::to_string(&wire).unwrap_or_default();
                // PostgreSQL refuses payloads of 8,000 bytes or more.
                if payload.len() >= 7_900 {
                    tracing::warn!(
                        bytes = payload.len(),
                        "live bridge: event too large to send"
                    );
                    continue;
                }
                if let Err(err) = engine.store.notify(CHANNEL, &payload).await {
                    tracing::warn!(error = %err, "live bridge: cannot notify");
                }
            }
        })
    };
    loop {
        let got = tokio::select! {
            _ = stop.cancelled() => break,
            got = listener.recv() => got,
        };
        match got {
            Ok(payload) => {
                let Ok(w) = serde_json::from_str::<Wire>(&payload) else {
                    tracing::warn!("live bridge: unreadable notification");
                    continue;
                };
                if w.node != node {
                    let _ = engine.bus.tx.send(LiveEvent {
                        topic: w.topic,
                        conversation_id: w.conversation_id,
                        kind: w.kind,
                        user_id: w.user_id,
                        detail: w.detail,
                        audience: w.audience,
                        followers: w.followers,
                    });
                }
            }
            Err(e) => {
                tracing::warn!(error = %e, "live bridge: listening failed; reconnecting");
                tokio::time::sleep(std::time::Duration::from_millis(500)).await;
            }
        }
    }
    let _ = sender.await;
}
