//! The load generator: closed loop (N workers, each sends its next request when the last
//! answers) or open loop (requests start at a fixed rate whatever the answers do, latency
//! counted from the planned start so a slow server cannot hide its queue). Latencies go into
//! HDR histograms; errors are counted by kind.

use hdrhistogram::Histogram;
use std::collections::BTreeMap;
use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::Mutex;

#[derive(Debug, Clone, Copy)]
pub enum Mode {
    Closed { concurrency: usize },
    Open { rate: u64 },
}

/// What one request did: `Ok(())`, or the kind of error (`http 500`, `connect`, …).
pub type Outcome = Result<(), String>;

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Stats {
    pub requests: u64,
    pub throughput: f64,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    pub errors: BTreeMap<String, u64>,
}

struct Shared {
    hist: Histogram<u64>,
    errors: BTreeMap<String, u64>,
}

fn record(shared: &mut Shared, micros: u64, outcome: Outcome) {
    let _ = shared.hist.record(micros.max(1));
    if let Err(kind) = outcome {
        *shared.errors.entry(kind).or_insert(0) += 1;
    }
}

/// Runs `make(i)` (the i-th request) for `duration` in `mode`.
pub async fn run<F, Fut>(mode: Mode, duration: Duration, make: F) -> Stats
where
    F: Fn(u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Outcome> + Send + 'static,
{
    let hist = Histogram::<u64>::new_with_bounds(1, 600_000_000, 3)
        .expect("constant histogram bounds are valid");
    let shared = Arc::new(Mutex::new(Shared {
        hist,
        errors: BTreeMap::new(),
    }));
    let make = Arc::new(make);
    let start = Instant::now();
    let deadline = start + duration;
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    match mode {
        Mode::Closed { concurrency } => {
            let mut workers = Vec::new();
            for _ in 0..concurrency.max(1) {
                let (shared, make, counter) = (shared.clone(), make.clone(), counter.clone());
                workers.push(tokio::spawn(async move {
                    let mut local = Histogram::<u64>::new_from(&shared.lock().await.hist);
                    let mut errors: BTreeMap<String, u64> = BTreeMap::new();
                    while Instant::now() < deadline {
                        let i = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let t = Instant::now();
                        let outcome = make(i).await;
                        let _ = local.record((t.elapsed().as_micros() as u64).max(1));
                        if let Err(kind) = outcome {
                            *errors.entry(kind).or_insert(0) += 1;
                        }
                    }
                    let mut s = shared.lock().await;
                    let _ = s.hist.add(&local);
                    for (k, v) in errors {
                        *s.errors.entry(k).or_insert(0) += v;
                    }
                }));
            }
            for w in workers {
                let _ = w.await;
            }
        }
        Mode::Open { rate } => {
            let interval = Duration::from_secs_f64(1.0 / rate.max(1) as f64);
            let mut tasks = Vec::new();
            let mut i = 0u64;
            loop {
                let planned = start + interval * i as u32;
                if planned >= deadline {
                    break;
                }
                tokio::time::sleep_until(planned.into()).await;
                let (shared, make) = (shared.clone(), make.clone());
                tasks.push(tokio::spawn(async move {
                    let outcome = make(i).await;
                    let micros = planned.elapsed().as_micros() as u64;
                    record(&mut *shared.lock().await, micros, outcome);
                }));
                i += 1;
            }
            for t in tasks {
                let _ = t.await;
            }
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    let s = shared.lock().await;
    let ms = |q: f64| s.hist.value_at_quantile(q) as f64 / 1000.0;
    Stats {
        requests: s.hist.len(),
        throughput: s.hist.len() as f64 / elapsed,
        p50_ms: ms(0.50),
        p90_ms: ms(0.90),
        p99_ms: ms(0.99),
        max_ms: s.hist.max() as f64 / 1000.0,
        errors: s.errors.clone(),
    }
}

/// Turns an HTTP answer into an outcome.
pub async fn check(res: reqwest::Result<reqwest::Response>, expect: u16) -> Outcome {
    match res {
        Ok(r) if r.status().as_u16() == expect => {
            let _ = r.bytes().await;
            Ok(())
        }
        Ok(r) => Err(format!("http {}", r.status().as_u16())),
        Err(e) if e.is_timeout() => Err("timeout".into()),
        Err(e) if e.is_connect() => Err("connect".into()),
        Err(_) => Err("other".into()),
    }
}
