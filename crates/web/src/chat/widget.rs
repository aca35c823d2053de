//! The widget's HTTP side: its script (`/widget.js`, hand-written, no third-party code), file
//! upload (`POST /chat/upload`, a multipart form with the inbox, the visitor's token and the
//! browser's sequence number, so a retried upload is a duplicate), a visitor's files
//! (`/chat/files/{id}`, only the visitor's own), and the example shop page the demo serves
//! at `/demo/site`. Upload and files answer any origin: the widget runs on the company's site.

use crate::AppState;
use crate::error::{PageError, Problem};
use axum::Json;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

const WIDGET: &str = include_str!("../../static/widget.js");

pub async fn script() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        WIDGET,
    )
        .into_response()
}

fn any_origin(mut r: Response) -> Response {
    r.headers_mut().insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    r
}

/// Stores the file and posts it as the visitor's message numbered `cseq`.
pub async fn upload(State(s): State<AppState>, mp: Multipart) -> Response {
    let max = s.engine.limits.max_attachment_bytes;
    let result = async {
        let (fields, files) = crate::ui::conversation::read_multipart(mp, max).await?;
        if files.len() != 1 {
            return Err(PageError(Problem::bad_request("send exactly one file")));
        }
        let field = |n: &str| fields.get(n).map(String::as_str).unwrap_or("");
        let cseq: i64 = field("cseq")
            .parse()
            .map_err(|_| PageError(Problem::bad_request("cseq must be a number")))?;
        let (inbox, _) = s.engine.chat_inbox_for_widget(field("inbox")).await?;
        let mut session = s.engine.chat_session(inbox, Some(field("visitor"))).await?;
        if session.visitor.is_none() || session.token != field("visitor") {
            return Err(PageError(Problem::bad_request(
                "start the chat with a message before sending files",
            )));
        }
        let sent = s
            .engine
            .chat_send(&mut session, cseq, "", None, files)
            .await?;
        Ok(Json(
            serde_json::json!({"seq": sent.seq, "chat": sent.chat, "cseq": cseq}),
        ))
    }
    .await;
    any_origin(match result {
        Ok(j) => j.into_response(),
        Err(PageError(p)) => p.into_response(),
    })
}

#[derive(Deserialize)]
pub struct FileQuery {
    #[serde(default)]
    inbox: String,
    #[serde(default)]
    visitor: String,
}

/// One of the visitor's files; 404 for anyone else's.
pub async fn file(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    Query(q): Query<FileQuery>,
) -> Response {
    let result = async {
        let (inbox, _) = s.engine.chat_inbox_for_widget(&q.inbox).await?;
        let session = s.engine.chat_session(inbox, Some(&q.visitor)).await?;
        let (a, bytes) = s.engine.chat_file(&session, id).await?;
        Ok::<_, steward_engine::EngineError>(crate::ui::download(&a, bytes))
    }
    .await;
    any_origin(match result {
        Ok(r) => r,
        Err(e) => Problem::from(e).into_response(),
    })
}

/// An example shop page with the widget, for trying the chat at once (`demo` turns it on).
pub async fn demo_site(State(s): State<AppState>) -> Result<Response, PageError> {
    if !s.demo_site {
        return Err(PageError(Problem::not_found("page")));
    }
    let inbox = s
        .engine
        .chat_inboxes()
        .await?
        .into_iter()
        .find(|i| i.enabled == 1)
        .ok_or_else(|| PageError(Problem::not_found("chat inbox")))?;
    let page = include_str!("../../static/demo_site.html").replace("{{inbox}}", &inbox.key);
    Ok(Html(page).into_response())
}
