//! Start-up and shutdown: open the store, migrate, build the engine and the web app, listen,
//! and stop cleanly on a signal. Tests use `start` too, so they run the real thing.

use crate::config::Config;
use anyhow::Context;
use std::net::SocketAddr;
use steward_engine::{Engine, Limits};
use steward_store::Store;
use steward_web::AppState;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// Opens the database named by the config and brings its schema up to date.
pub async fn open_store(config: &Config) -> anyhow::Result<Store> {
    let store = Store::open(&config.database_url(), &config.data).await?;
    store
        .migrate()
        .await
        .context("cannot bring the database schema up to date")?;
    Ok(store)
}

pub fn engine(store: Store, config: &Config) -> anyhow::Result<Engine> {
    Ok(Engine::new(
        store,
        Limits {
            max_attachment_bytes: config.max_attachment_bytes,
            offline_after_ms: (config.offline_after_seconds * 1000.0) as i64,
            ..Limits::default()
        },
    )
    .with_email({
        let mut email = config.email.settings()?;
        if email.workspace_url.is_empty() {
            email.workspace_url = format!("http://{}", config.bind);
        }
        email
    })
    .with_webhooks(config.webhooks.settings()))
}

/// A running server.
pub struct Running {
    pub addr: SocketAddr,
    /// Where the inbound SMTP listener listens, when it is on.
    pub smtp_addr: Option<SocketAddr>,
    pub engine: Engine,
    pub stop: CancellationToken,
    pub task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Stops accepting, lets requests in flight finish, and closes the database.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        self.stop.cancel();
        self.task.await.context("server task failed")??;
        self.engine.store.close().await;
        Ok(())
    }
}

/// Binds and serves. Returns once the socket is listening.
pub async fn start(config: &Config, store: Store) -> anyhow::Result<Running> {
    config.check()?;
    let engine = engine(store, config)?;
    let mut state = AppState::new(engine.clone());
    state.brand = config.brand.clone();
    state.secure_cookies = config.secure_cookies;
    state.demo_site = config.demo_site;
    // Public pages read the branding without waiting; the first copy is read here.
    if let Err(e) = engine.branding().await {
        tracing::warn!(error = %e, "cannot read the branding");
    }
    let listener = tokio::net::TcpListener::bind(&config.bind)
        .await
        .with_context(|| format!("cannot listen on {}", config.bind))?;
    let addr = listener.local_addr()?;
    let stop = CancellationToken::new();
    let signal = stop.clone();
    let task = tokio::spawn(steward_web::serve(listener, state, async move {
        signal.cancelled().await
    }));
    engine
        .load_managed_inboxes()
        .await
        .context("cannot load the inboxes")?;
    let smtp_addr = match &config.email.smtp {
        Some(smtp) => {
            let tls = match (&smtp.certificate, &smtp.private_key) {
                (Some(cert), Some(key)) => Some(
                    steward_channels::email::smtp_server::tls_acceptor(cert, key)
                        .map_err(|e| anyhow::anyhow!("email.smtp: {e}"))?,
                ),
                _ => None,
            };
            let listener = tokio::net::TcpListener::bind(&smtp.bind)
                .await
                .with_context(|| format!("cannot listen for SMTP on {}", smtp.bind))?;
            let smtp_addr = listener.local_addr()?;
            let smtp_config = steward_channels::email::smtp_server::SmtpConfig {
                hostname: config.email.hostname.clone(),
                max_size: smtp.max_message_bytes,
                tls,
            };
            let sink = std::sync::Arc::new(steward_engine::email::SmtpIntake {
                engine: engine.clone(),
            });
            tokio::spawn(steward_channels::email::smtp_server::serve(
                listener,
                smtp_config,
                sink,
                stop.clone(),
            ));
            Some(smtp_addr)
        }
        None => None,
    };
    // Admins may add inboxes at any time: the outbox and the IMAP readers always run.
    tokio::spawn(steward_engine::email::run_outbox(
        engine.clone(),
        stop.clone(),
    ));
    tokio::spawn(steward_engine::email::run_imap_supervisor(
        engine.clone(),
        stop.clone(),
    ));
    tokio::spawn(steward_engine::scheduler::run_scheduler(
        engine.clone(),
        stop.clone(),
    ));
    tokio::spawn(steward_engine::webhooks::run_webhook_fanout(
        engine.clone(),
        stop.clone(),
    ));
    tokio::spawn(steward_engine::live::run_live_bridge(
        engine.clone(),
        stop.clone(),
    ));
    Ok(Running {
        addr,
        smtp_addr,
        engine,
        stop,
        task,
    })
}

/// Waits for Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}
