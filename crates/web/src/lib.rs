//! Steward's HTTP face: the `/api/v1` JSON API (with its OpenAPI document), the server-rendered
//! agent workspace, live updates, and the health and metrics endpoints.
//!
//! It turns requests into engine calls and results into JSON or HTML. It must not contain
//! business rules; who may do what is asked of one module, `authz`.

pub mod api;
pub mod authz;
pub mod chat;
pub mod error;
pub mod extract;
pub mod fmt;
pub mod idempotency;
pub mod metrics;
pub mod ops;
pub mod presence;
pub mod ratelimit;
pub mod ui;

use axum::Router;
use std::net::SocketAddr;
use std::sync::Arc;
use steward_engine::Engine;
use tokio::net::TcpListener;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub presence: Arc<presence::Presence>,
    pub sign_in_limiter: Arc<ratelimit::Limiter>,
    /// Public feedback sent per client address.
    pub feedback_limiter: Arc<ratelimit::Limiter>,
    pub metrics: Arc<metrics::Metrics>,
    /// Whether cookies get the `Secure` flag (behind HTTPS).
    pub secure_cookies: bool,
    /// The product name shown in the workspace.
    pub brand: String,
    /// Routes live events to visitors' chat sockets.
    pub chat_hub: Arc<chat::ChatHub>,
    /// Serve the example shop page with the chat widget at `/demo/site` (the demo does).
    pub demo_site: bool,
    /// Cancelled when the server stops, so long-lived streams end and shutdown can finish.
    pub stopping: tokio_util::sync::CancellationToken,
}

impl AppState {
    pub fn new(engine: Engine) -> AppState {
        AppState {
            engine,
            presence: Arc::new(presence::Presence::default()),
            sign_in_limiter: Arc::new(ratelimit::Limiter::new(
                10,
                std::time::Duration::from_secs(15 * 60),
            )),
            feedback_limiter: Arc::new(ratelimit::Limiter::new(
                20,
                std::time::Duration::from_secs(60 * 60),
            )),
            metrics: Arc::new(metrics::Metrics::default()),
            secure_cookies: false,
            brand: "Steward".into(),
            chat_hub: Default::default(),
            demo_site: false,
            stopping: tokio_util::sync::CancellationToken::new(),
        }
    }
}

/// The whole application's routes.
pub fn router(state: AppState) -> Router {
    let body_limit = state.engine.limits.max_attachment_bytes * 2 + 1024 * 1024;
    Router::new()
        .merge(api::routes(&state, body_limit))
        .merge(ui::routes(body_limit))
        .merge(chat::routes(body_limit))
        .merge(ops::routes())
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            metrics::track,
        ))
        .with_state(state)
}

/// Serves `router` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let stopping = state.stopping.clone();
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(async move {
            shutdown.await;
            stopping.cancel();
        })
        .await
}
