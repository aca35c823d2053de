//! Live chat's public side: the visitor's WebSocket (`socket.rs`), the hub that routes live
//! events to visitors' sockets (`hub.rs`), and the widget's script, file upload and download,
//! and the demo shop page (`widget.rs`).

pub mod hub;
pub mod socket;
pub mod widget;

use std::sync::Arc;

/// The hub, started with the first visitor socket.
#[derive(Default)]
pub struct ChatHub {
    pub hub: Arc<hub::Hub>,
    started: std::sync::OnceLock<()>,
}

impl ChatHub {
    /// Starts reading the live bus for visitors, once.
    pub fn start(&self, s: &crate::AppState) {
        self.started.get_or_init(|| {
            tokio::spawn(
                self.hub
                    .clone()
                    .run(s.engine.bus.clone(), s.stopping.clone()),
            );
        });
    }
}

/// The visitor-facing routes: socket, script, upload, files, demo page.
pub fn routes(body_limit: usize) -> axum::Router<crate::AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/chat/ws", get(socket::socket))
        .route("/widget.js", get(widget::script))
        .route("/chat/upload", post(widget::upload))
        .route("/chat/files/{id}", get(widget::file))
        .route("/demo/site", get(widget::demo_site))
        .layer(axum::extract::DefaultBodyLimit::max(body_limit))
}
