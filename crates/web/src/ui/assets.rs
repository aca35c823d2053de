//! The workspace's own static files, compiled into the binary. No third-party code.

use axum::extract::Path;
use axum::http::header;
use axum::response::{IntoResponse, Response};

pub async fn asset(Path(file): Path<String>) -> Response {
    let (body, ct) = match file.as_str() {
        "app.css" => (
            include_str!("../../static/app.css"),
            "text/css; charset=utf-8",
        ),
        "app.js" => (
            include_str!("../../static/app.js"),
            "text/javascript; charset=utf-8",
        ),
        "suggest.js" => (
            include_str!("../../static/suggest.js"),
            "text/javascript; charset=utf-8",
        ),
        "api-docs.js" => (
            include_str!("../../static/api-docs.js"),
            "text/javascript; charset=utf-8",
        ),
        _ => return crate::error::Problem::not_found("file").into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, ct),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        body,
    )
        .into_response()
}
