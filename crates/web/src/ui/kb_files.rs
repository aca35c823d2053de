//! Files in articles: uploading one from the editor (JSON for the editor's script, a page
//! with the Markdown to paste otherwise) and serving them at `/help/files/{id}/{name}` (the
//! public only while a published public article links to the file; agents always).

use super::conversation::read_multipart;
use super::send_file;
use crate::AppState;
use crate::authz::{Agent, signed_in_agent};
use crate::error::{PageError, Problem};
use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{Html, IntoResponse, Response};

pub async fn upload(
    State(s): State<AppState>,
    agent: Agent,
    headers: HeaderMap,
    mp: Multipart,
) -> Result<Response, PageError> {
    let (f, mut files) = read_multipart(mp, s.engine.limits.max_attachment_bytes).await?;
    agent.check_csrf(f.get("_csrf").map(String::as_str).unwrap_or(""))?;
    let file = files
        .pop()
        .ok_or_else(|| PageError(Problem::invalid("file", "choose a file")))?;
    let up = s.engine.upload_kb_file(&agent.actor, file).await?;
    let wants_json = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"));
    if wants_json {
        return Ok(axum::Json(serde_json::json!({
            "id": up.file.id, "url": up.url, "markdown": up.markdown,
        }))
        .into_response());
    }
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    Ok(Html(format!(
        "<!doctype html><meta charset=utf-8><title>File uploaded</title><link rel=stylesheet href=/static/app.css>\
         <main class=\"narrow card\"><h1>File uploaded</h1><p>Paste this into the article's text:</p>\
         <pre class=markdown>{}</pre><p><a href=\"javascript:history.back()\">Back to the editor</a></p></main>",
        esc(&up.markdown)
    ))
    .into_response())
}

pub async fn file(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path((id, _name)): Path<(i64, String)>,
) -> Result<Response, PageError> {
    let agent = signed_in_agent(&headers, &s).await;
    let (f, bytes) = s.engine.kb_file(agent.as_ref(), id).await?;
    Ok(send_file(&f.filename, &f.content_type, bytes))
}
