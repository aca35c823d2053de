//! The company's look on public pages (help center, portal, feedback form): the name shown,
//! the header's colour and whether there is a logo (served at `/brand/logo`).

use crate::AppState;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub struct Brand {
    pub name: String,
    pub colour: String,
    pub logo: bool,
}

impl std::fmt::Display for Brand {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.name)
    }
}

impl AppState {
    /// The branding an admin set, over the configured product name and the default colour.
    pub fn public_brand(&self) -> Brand {
        let b = self.engine.branding_now();
        Brand {
            name: if b.name.is_empty() {
                self.brand.clone()
            } else {
                b.name
            },
            colour: if b.colour.is_empty() {
                "#1b2a41".into()
            } else {
                b.colour
            },
            logo: b.logo_sha256.is_some(),
        }
    }
}

/// `/brand/logo`: the logo, public.
pub async fn logo(State(s): State<AppState>) -> Result<Response, crate::error::PageError> {
    let (content_type, bytes) = s.engine.brand_logo().await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=300".to_string()),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_string()),
        ],
        bytes,
    )
        .into_response())
}
