//! Errors as people and programs see them: RFC 9457 `application/problem+json` on the API,
//! a friendly page in the workspace. One mapping from the engine's error kinds to status
//! codes and stable problem types; internal details go to the log, never to the client.

use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use serde_json::json;
use steward_domain::DomainError;
use steward_engine::EngineError;

/// A problem, with its stable type slug (`/problems/<slug>`).
#[derive(Debug)]
pub struct Problem {
    pub status: StatusCode,
    pub slug: &'static str,
    pub title: &'static str,
    pub detail: String,
    pub field: Option<String>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Problem {
        Problem {
            status,
            slug,
            title,
            detail: detail.into(),
            field: None,
        }
    }

    pub fn unauthorized(detail: &str) -> Problem {
        Problem::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Authentication required",
            detail,
        )
    }

    pub fn bad_request(detail: impl Into<String>) -> Problem {
        Problem::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "The request is malformed",
            detail,
        )
    }

    pub fn invalid(field: &str, detail: impl Into<String>) -> Problem {
        let mut p = Problem::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "validation",
            "A value is not valid",
            detail,
        );
        p.field = Some(field.to_string());
        p
    }

    pub fn not_found(what: &str) -> Problem {
        Problem::new(
            StatusCode::NOT_FOUND,
            "not-found",
            "Not found",
            format!("{what} not found"),
        )
    }

    pub fn internal() -> Problem {
        Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Something went wrong on our side",
            "the error was logged; try again, and tell the administrator if it persists",
        )
    }

    pub fn body(&self) -> serde_json::Value {
        let mut v = json!({
            "type": format!("/problems/{}", self.slug),
            "title": self.title,
            "status": self.status.as_u16(),
            "detail": self.detail,
        });
        if let Some(f) = &self.field {
            v["field"] = json!(f);
        }
        v
    }
}

impl From<EngineError> for Problem {
    fn from(e: EngineError) -> Problem {
        match e {
            EngineError::Domain(d) => d.into(),
            // Two requests made the same new thing at the same moment; the loser may retry.
            EngineError::Store(s) if s.is_unique_violation() => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "The change conflicts with the current state",
                "a change made at the same moment conflicts with this one; retry",
            ),
            EngineError::Store(s) => {
                tracing::error!(error = %s, "storage error");
                Problem::internal()
            }
        }
    }
}

impl From<DomainError> for Problem {
    fn from(d: DomainError) -> Problem {
        match d {
            DomainError::NotFound(what) => Problem::not_found(&what),
            DomainError::Conflict(msg) => Problem::new(
                StatusCode::CONFLICT,
                "conflict",
                "The change conflicts with the current state",
                msg,
            ),
            DomainError::Forbidden(msg) => {
                Problem::new(StatusCode::FORBIDDEN, "forbidden", "Not allowed", msg)
            }
            DomainError::Invalid { field, message } => {
                Problem::invalid(&field, format!("{field} {message}"))
            }
            DomainError::TooLarge(msg) => {
                Problem::new(StatusCode::PAYLOAD_TOO_LARGE, "too-large", "Too large", msg)
            }
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut res = (self.status, axum::Json(self.body())).into_response();
        res.headers_mut().insert(
            header::CONTENT_TYPE,
            header::HeaderValue::from_static("application/problem+json"),
        );
        if self.status == StatusCode::UNAUTHORIZED {
            res.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                header::HeaderValue::from_static("Bearer"),
            );
        }
        res
    }
}

/// A workspace error: the same problem, as a page a person can act on.
#[derive(Debug)]
pub struct PageError(pub Problem);

impl<E: Into<Problem>> From<E> for PageError {
    fn from(e: E) -> PageError {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let p = self.0;
        let esc = steward_engine::sanitize::escape;
        let page = format!(
            "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · Steward</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
             <body><main class=\"narrow\"><h1>{title}</h1><p class=\"problem\">{detail}</p>\
             <p><a href=\"javascript:history.back()\">Go back</a> · <a href=\"/inbox\">Inbox</a></p></main></body></html>",
            title = esc(p.title),
            detail = esc(&p.detail),
        );
        (p.status, Html(page)).into_response()
    }
}

/// `/problems/<slug>`: what each problem type means.
pub async fn describe_problem(axum::extract::Path(slug): axum::extract::Path<String>) -> Response {
    let text = match slug.as_str() {
        "unauthorized" => {
            "The request has no valid API token or session. Send Authorization: Bearer <token>."
        }
        "forbidden" => "The token's user may not do this; an admin may.",
        "not-found" => "No such resource, or it is outside what this user may see.",
        "bad-request" => "The body is not valid JSON, or the request is malformed.",
        "validation" => {
            "A field is missing, of the wrong type, unknown, too long or not allowed; `field` names it."
        }
        "conflict" => {
            "The change is not allowed in the current state (for example a status transition)."
        }
        "too-large" => "The request or an attachment is over the size limit.",
        "idempotency" => {
            "The Idempotency-Key was used for a different request, or that request is still running."
        }
        "rate-limited" => "Too many attempts; wait and retry.",
        "internal" => "An error on the server. It was logged.",
        _ => return Problem::not_found("problem type").into_response(),
    };
    Html(format!(
        "<!doctype html><title>{slug}</title><h1>{slug}</h1><p>{text}</p>"
    ))
    .into_response()
}
