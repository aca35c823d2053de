//! A small fixed-window limiter for sign-in attempts, per client address and per email, so
//! guessing passwords is slow without locking real users out for long.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct Limiter {
    max: u32,
    window: Duration,
    hits: Mutex<HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    pub fn new(max: u32, window: Duration) -> Limiter {
        Limiter {
            max,
            window,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Whether `key` may try again now.
    pub fn allowed(&self, key: &str) -> bool {
        let Ok(mut hits) = self.hits.lock() else {
            return true;
        };
        match hits.get(key) {
            Some((start, n)) if start.elapsed() < self.window => *n < self.max,
            Some(_) => {
                hits.remove(key);
                true
            }
            None => true,
        }
    }

    /// Counts a failed attempt.
    pub fn fail(&self, key: &str) {
        let Ok(mut hits) = self.hits.lock() else {
            return;
        };
        if hits.len() > 100_000 {
            let window = self.window;
            hits.retain(|_, (start, _)| start.elapsed() < window);
        }
        let e = hits.entry(key.to_string()).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= self.window {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
    }

    /// Forgets `key` after a success.
    pub fn reset(&self, key: &str) {
        if let Ok(mut hits) = self.hits.lock() {
            hits.remove(key);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_many_failures_block_until_the_window_passes() {
        let l = Limiter::new(2, Duration::from_secs(60));
        l.fail("a");
        assert!(l.allowed("a"));
        l.fail("a");
        assert!(!l.allowed("a"));
        assert!(l.allowed("b"));
        l.reset("a");
        assert!(l.allowed("a"));
    }
}
