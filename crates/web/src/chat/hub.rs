//! Routes live events to the visitors' sockets of the chats they concern. One task reads the
//! live bus (which on PostgreSQL carries other nodes' events too) and, for each event about a
//! watched chat, raises flags on the watching connections' slots and wakes them. A slot holds
//! only flags and the latest typing and read state, so a slow visitor never makes anything
//! queue up: its connection reads what is new from the database when it gets round to it
//! (not at all when the events name only messages it has sent already).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, Weak};
use steward_engine::live::{Bus, LiveEvent};
use tokio::sync::Notify;
use tokio::sync::broadcast::error::RecvError;
use tokio_util::sync::CancellationToken;

/// New messages may be there.
pub const MESSAGES: u8 = 1;
/// The chat's state (queue, assignee, end) may have changed.
pub const STATUS: u8 = 2;
/// An agent started or stopped typing.
pub const TYPING: u8 = 4;
/// An agent's read mark moved.
pub const READ: u8 = 8;
/// New messages, the newest of them `Slot::newest`: a connection that has sent that one
/// need not read.
pub const NAMED: u8 = 16;

/// One visitor connection's mailbox.
#[derive(Default)]
pub struct Slot {
    flags: AtomicU8,
    /// The latest agent typing state: (typing, name).
    typing: Mutex<Option<(bool, String)>>,
    read: AtomicI64,
    newest: AtomicI64,
    pub wake: Notify,
}

impl Slot {
    /// Takes the raised flags, clearing them.
    pub fn take(&self) -> u8 {
        self.flags.swap(0, Ordering::AcqRel)
    }

    pub fn typing(&self) -> Option<(bool, String)> {
        self.typing.lock().ok().and_then(|mut t| t.take())
    }

    pub fn read(&self) -> i64 {
        self.read.load(Ordering::Acquire)
    }

    /// The newest message named by an event (with [`NAMED`]).
    pub fn newest(&self) -> i64 {
        self.newest.load(Ordering::Acquire)
    }

    fn raise(&self, flags: u8) {
        self.flags.fetch_or(flags, Ordering::AcqRel);
        self.wake.notify_one();
    }
}

#[derive(Default)]
pub struct Hub {
    watchers: Mutex<HashMap<i64, Vec<Weak<Slot>>>>,
}

impl Hub {
    /// `slot` hears of chat `chat_id` until it is dropped.
    pub fn watch(&self, chat_id: i64, slot: &Arc<Slot>) {
        if let Ok(mut w) = self.watchers.lock() {
            let list = w.entry(chat_id).or_default();
            list.retain(|s| s.strong_count() > 0);
            if !list
                .iter()
                .any(|s| std::ptr::eq(s.as_ptr(), Arc::as_ptr(slot)))
            {
                list.push(Arc::downgrade(slot));
            }
        }
    }

    /// How many chats have a watcher (for metrics and tests).
    pub fn watched(&self) -> usize {
        self.watchers.lock().map(|w| w.len()).unwrap_or(0)
    }

    fn slots(&self, chat_id: i64) -> Vec<Arc<Slot>> {
        let Ok(mut w) = self.watchers.lock() else {
            return Vec::new();
        };
        let Some(list) = w.get_mut(&chat_id) else {
            return Vec::new();
        };
        list.retain(|s| s.strong_count() > 0);
        let live: Vec<Arc<Slot>> = list.iter().filter_map(Weak::upgrade).collect();
        if live.is_empty() {
            w.remove(&chat_id);
        }
        live
    }

    fn dispatch(&self, e: &LiveEvent) {
        let slots = self.slots(e.conversation_id);
        if slots.is_empty() {
            return;
        }
        match (e.topic.as_str(), e.kind.as_str()) {
            ("conversation", kind) => {
                // A message from the visitor's side (no agent behind it) changes nothing the
                // visitor's status shows; anything else may.
                let message = kind == "message";
                let status = if message && e.user_id.is_none() {
                    0
                } else {
                    STATUS
                };
                let named = e.detail["seq"].as_i64().filter(|_| message);
                for s in &slots {
                    match named {
                        Some(seq) => {
                            s.newest.fetch_max(seq, Ordering::AcqRel);
                            s.raise(NAMED | status);
                        }
                        None => s.raise(MESSAGES | status),
                    }
                }
            }
            ("presence", _) => {
                // Any agent replying means "typing"; the page reports replying while its
                // agent types.
                let viewers = e.detail.as_array().cloned().unwrap_or_default();
                let typist = viewers
                    .iter()
                    .find(|v| v["state"] == "replying")
                    .and_then(|v| v["name"].as_str())
                    .map(str::to_string);
                let state = (typist.is_some(), typist.unwrap_or_default());
                for s in &slots {
                    if let Ok(mut t) = s.typing.lock() {
                        *t = Some(state.clone());
                    }
                    s.raise(TYPING);
                }
            }
            ("chat", "agent_read") => {
                let seq = e.detail["seq"].as_i64().unwrap_or(0);
                for s in &slots {
                    s.read.fetch_max(seq, Ordering::AcqRel);
                    s.raise(READ);
                }
            }
            ("chat", _) => slots.iter().for_each(|s| s.raise(STATUS)),
            _ => {}
        }
    }

    fn everyone(&self, flags: u8) {
        let all: Vec<Arc<Slot>> = self
            .watchers
            .lock()
            .map(|w| w.values().flatten().filter_map(Weak::upgrade).collect())
            .unwrap_or_default();
        all.iter().for_each(|s| s.raise(flags));
    }

    /// Reads the bus until `stop`.
    pub async fn run(self: Arc<Self>, bus: Bus, stop: CancellationToken) {
        let mut rx = bus.subscribe();
        loop {
            tokio::select! {
                _ = stop.cancelled() => return,
                got = rx.recv() => match got {
                    Ok(e) => self.dispatch(&e),
                    // Missed events: everyone looks again.
                    Err(RecvError::Lagged(_)) => self.everyone(MESSAGES | STATUS),
                    Err(RecvError::Closed) => return,
                },
            }
        }
    }
}
