//! Operations endpoints: liveness, readiness (the database answers) and metrics, plus the
//! problem-type pages and static assets.

use crate::AppState;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .route("/problems/{slug}", get(crate::error::describe_problem))
}

async fn healthz() -> impl IntoResponse {
    "ok"
}

async fn readyz(State(state): State<AppState>) -> impl IntoResponse {
    if state.engine.store.ping().await {
        (StatusCode::OK, "ready")
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
    }
}

async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let rss = resident_memory_bytes().unwrap_or(0) as f64;
    let writes = state.engine.store.write_stats().unwrap_or_default();
    let body = state.metrics.render(&[
        (
            "steward_sqlite_write_transactions",
            "Write transactions committed on SQLite since start.",
            writes.transactions as f64,
        ),
        (
            "steward_sqlite_commits",
            "SQLite COMMITs (fsyncs) since start; transactions per commit is the group-commit batch size.",
            writes.commits as f64,
        ),
        (
            "steward_sqlite_writer_held_seconds",
            "Time write transactions held SQLite's one writer since start.",
            writes.held_us as f64 / 1e6,
        ),
        (
            "steward_sqlite_committing_seconds",
            "Time their batches' COMMITs held the writer since start; with the line above, how busy the writer was.",
            writes.committing_us as f64 / 1e6,
        ),
        (
            "steward_live_subscribers",
            "Open live-update streams.",
            state.engine.bus.receivers() as f64,
        ),
        (
            "steward_chat_sockets",
            "Open visitor chat sockets.",
            state.metrics.chat_sockets() as f64,
        ),
        (
            "process_resident_memory_bytes",
            "Resident memory of the process.",
            rss,
        ),
    ]);
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], body)
}

/// The process's resident set size, from /proc on Linux.
pub fn resident_memory_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}
