//! Reference ceilings measured in the same run: what an empty HTTP handler serves on this
//! machine through the same client, and how many small durable SQLite transactions the same
//! disk commits. Every scenario is also shown as a fraction of these.

use crate::load::{self, Mode, Stats};
use anyhow::Context;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Serves `GET /` with an empty 200 until killed (run as a child process by `ceiling`).
pub async fn empty_server(bind: &str) -> anyhow::Result<()> {
    let app = axum::Router::new().route("/", axum::routing::get(|| async { "" }));
    let listener = tokio::net::TcpListener::bind(bind).await?;
    axum::serve(listener, app).await?;
    Ok(())
}

pub async fn http_ceiling(concurrency: usize, duration: Duration) -> anyhow::Result<Stats> {
    let port = crate::server::free_port()?;
    let exe = std::env::current_exe()?;
    let mut child = Command::new(exe)
        .arg("empty-server")
        .arg("--bind")
        .arg(format!("127.0.0.1:{port}"))
        .stdout(Stdio::null())
        .spawn()
        .context("cannot start the empty server")?;
    let url = format!("http://127.0.0.1:{port}/");
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if client.get(&url).send().await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = load::run(Mode::Closed { concurrency }, duration, move |_| {
        let (c, u) = (client.clone(), url.clone());
        async move { load::check(c.get(u).send().await, 200).await }
    })
    .await;
    let _ = child.kill();
    let _ = child.wait();
    Ok(stats)
}

/// Durable (WAL, synchronous=FULL) two-row transactions per second in `dir`, one at a time.
pub async fn sqlite_ceiling(dir: &Path, duration: Duration) -> anyhow::Result<f64> {
    let path = dir.join("ceiling.db");
    let _ = std::fs::remove_file(&path);
    let store = steward_store::Store::open(
        &format!("sqlite://{}?mode=rwc", path.display()),
        &dir.join("ceiling-data"),
    )
    .await?;
    let exec = |sql: &str| steward_store::sql::Sql::new(sql);
    exec("CREATE TABLE t (a BIGINT, b TEXT)")
        .query()
        .execute(store.pool())
        .await?;
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < duration {
        let mut tx = store.write().await?;
        for _ in 0..2 {
            let mut q = exec("INSERT INTO t (a, b) VALUES (");
            q.bind(n as i64).push(", ").bind("row").push(")");
            q.query().execute(&mut *tx).await?;
        }
        tx.commit().await?;
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    store.close().await;
    let _ = std::fs::remove_file(&path);
    let _ = std::fs::remove_dir_all(dir.join("ceiling-data"));
    Ok(rate)
}
