//! Prometheus metrics: request counts and time per route and status, and live subscribers.
//! Text exposition format, written by hand; no metrics library needed.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

/// (method, route, status) → (count, seconds).
type RequestTable = BTreeMap<(String, String, u16), (u64, f64)>;

#[derive(Default)]
pub struct Metrics {
    requests: Mutex<RequestTable>,
    chat_sockets: std::sync::atomic::AtomicI64,
}

impl Metrics {
    /// A visitor socket opened (+1) or closed (-1).
    pub fn chat_connected(&self, delta: i64) {
        self.chat_sockets
            .fetch_add(delta, std::sync::atomic::Ordering::Relaxed);
    }

    /// Visitor sockets open now.
    pub fn chat_sockets(&self) -> i64 {
        self.chat_sockets.load(std::sync::atomic::Ordering::Relaxed)
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        if let Ok(mut map) = self.requests.lock() {
            let e = map
                .entry((method.to_string(), route.to_string(), status))
                .or_insert((0, 0.0));
            e.0 += 1;
            e.1 += seconds;
        }
    }

    /// The metrics in Prometheus text format.
    pub fn render(&self, extra: &[(&str, &str, f64)]) -> String {
        let mut out = String::new();
        out.push_str("# HELP steward_http_requests_total HTTP requests by method, route and status.\n# TYPE steward_http_requests_total counter\n");
        let map = self.requests.lock().map(|m| m.clone()).unwrap_or_default();
        for ((m, r, s), (n, _)) in &map {
            let _ = writeln!(
                out,
                "steward_http_requests_total{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {n}"
            );
        }
        out.push_str("# HELP steward_http_request_seconds_sum Time spent answering, by method, route and status.\n# TYPE steward_http_request_seconds_sum counter\n");
        for ((m, r, s), (_, t)) in &map {
            let _ = writeln!(
                out,
                "steward_http_request_seconds_sum{{method=\"{m}\",route=\"{r}\",status=\"{s}\"}} {t:.6}"
            );
        }
        for (name, help, value) in extra {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} gauge\n{name} {value}"
            );
        }
        out
    }
}

/// Middleware: counts every request under its route pattern (never the raw path, so ids do
/// not explode the label set).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    let method = req.method().to_string();
    let start = Instant::now();
    let res = next.run(req).await;
    state.metrics.observe(
        &method,
        &route,
        res.status().as_u16(),
        start.elapsed().as_secs_f64(),
    );
    res
}
