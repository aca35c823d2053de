//! Request extractors whose failures are problem+json: JSON bodies (unknown fields and wrong
//! types are refused) and query strings.

use crate::error::Problem;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::StatusCode;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};

/// A JSON body; a bad one answers 400 (syntax), 415 (not JSON), 413 (too large) or 422
/// (unknown field, wrong type, missing field).
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Problem> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(ApiJson(v)),
            Err(rejection) => Err(json_problem(rejection)),
        }
    }
}

fn json_problem(r: JsonRejection) -> Problem {
    let detail = r.body_text();
    match r {
        JsonRejection::JsonDataError(_) => {
            let field = detail
                .split_once(": ")
                .map(|(head, _)| {
                    head.trim_start_matches(
                        "Failed to deserialize the JSON body into the target type",
                    )
                    .to_string()
                })
                .unwrap_or_default();
            let mut p = Problem::invalid(field.trim(), clean(&detail));
            if p.field.as_deref() == Some("") {
                p.field = None;
            }
            p
        }
        JsonRejection::JsonSyntaxError(_) => Problem::bad_request(clean(&detail)),
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "bad-request",
            "The request is malformed",
            "send the body as JSON with Content-Type: application/json",
        ),
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Too large",
            "the request body is over the size limit",
        ),
        other => Problem::bad_request(clean(&other.body_text())),
    }
}

fn clean(s: &str) -> String {
    s.replace(
        "Failed to deserialize the JSON body into the target type: ",
        "",
    )
    .replace("Failed to parse the request body as JSON: ", "")
}

/// A query string; a bad one answers 400 with the reason.
pub struct ApiQuery<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(ApiQuery(v)),
            Err(r) => Err(query_problem(r)),
        }
    }
}

fn query_problem(r: QueryRejection) -> Problem {
    Problem::bad_request(
        r.body_text()
            .replace("Failed to deserialize query string: ", "query: "),
    )
}

/// For PATCH fields where `null` (clear) differs from absent (leave alone): absent is `None`,
/// `null` is `Some(None)`. Use with `#[serde(default, deserialize_with = "double_option")]`.
pub fn double_option<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    T: Deserialize<'de>,
    D: Deserializer<'de>,
{
    Option::<T>::deserialize(d).map(Some)
}

/// A path parameter; a malformed one (`/conversations/abc`) answers 400 problem+json.
pub struct ApiPath<T>(pub T);

impl<T: DeserializeOwned + Send, S: Send + Sync> FromRequestParts<S> for ApiPath<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Problem> {
        match axum::extract::Path::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Path(v)) => Ok(ApiPath(v)),
            Err(r) => Err(Problem::bad_request(format!("bad path: {}", r.body_text()))),
        }
    }
}
