//! The branding admin page: the company name, accent colour and logo of the help center, the
//! portal and the feedback form.

use super::conversation::read_multipart;
use super::render;
use super::view::Layout;
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Multipart, State};
use axum::response::{IntoResponse, Redirect, Response};
use steward_engine::branding::{BrandingInput, MAX_LOGO_BYTES};

#[derive(Template)]
#[template(path = "admin_branding.html")]
struct BrandingPage {
    layout: Layout,
    tab: &'static str,
    name: String,
    colour: String,
    logo: bool,
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent.require_admin()?;
    let b = s.engine.branding().await?;
    Ok(render(&BrandingPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "branding",
        name: b.name,
        colour: if b.colour.is_empty() {
            "#1b2a41".into()
        } else {
            b.colour
        },
        logo: b.logo_sha256.is_some(),
    }))
}

pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    mp: Multipart,
) -> Result<Response, PageError> {
    let (f, mut files) = read_multipart(mp, MAX_LOGO_BYTES).await?;
    let get = |k: &str| f.get(k).cloned().unwrap_or_default();
    agent.check_csrf(&get("_csrf"))?;
    let logo = files.pop().map(|u| (u.content_type, u.bytes));
    s.engine
        .set_branding(
            &agent.actor,
            BrandingInput {
                name: get("name"),
                colour: get("colour"),
                logo,
                remove_logo: get("remove_logo") == "on",
            },
        )
        .await?;
    Ok(Redirect::to("/admin/branding").into_response())
}
