//! Who is looking at or replying to a conversation right now. Pages report every few
//! seconds; an entry not refreshed for 30 s is gone. Changes are announced on the live bus.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

const TTL: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, serde::Serialize, PartialEq, Eq)]
pub struct Viewer {
    pub user_id: i64,
    pub name: String,
    /// `viewing` or `replying`.
    pub state: String,
}

/// The viewers of one conversation by user id, with when each last reported.
type Viewers = HashMap<i64, (Viewer, Instant)>;

#[derive(Default)]
pub struct Presence {
    map: Mutex<HashMap<i64, Viewers>>,
}

impl Presence {
    /// Records `viewer` on `conversation_id`; returns everyone there now if that changed.
    pub fn report(
        &self,
        conversation_id: i64,
        viewer: Viewer,
        leaving: bool,
    ) -> Option<Vec<Viewer>> {
        let Ok(mut map) = self.map.lock() else {
            return None;
        };
        let entry = map.entry(conversation_id).or_default();
        let before: Vec<Viewer> = live(entry);
        if leaving {
            entry.remove(&viewer.user_id);
        } else {
            entry.insert(viewer.user_id, (viewer, Instant::now()));
        }
        entry.retain(|_, (_, at)| at.elapsed() < TTL);
        let after = live(entry);
        if entry.is_empty() {
            map.remove(&conversation_id);
        }
        (before != after).then_some(after)
    }

    pub fn viewers(&self, conversation_id: i64) -> Vec<Viewer> {
        let Ok(map) = self.map.lock() else {
            return Vec::new();
        };
        map.get(&conversation_id).map(live).unwrap_or_default()
    }
}

fn live(entry: &Viewers) -> Vec<Viewer> {
    let mut v: Vec<Viewer> = entry
        .values()
        .filter(|(_, at)| at.elapsed() < TTL)
        .map(|(v, _)| v.clone())
        .collect();
    v.sort_by_key(|x| x.user_id);
    v
}
