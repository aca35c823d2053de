//! `Idempotency-Key` on API POSTs: the first request with a key runs and its answer is kept;
//! a retry with the same key and body gets that answer again instead of making a second
//! conversation or message. Keys are scoped to the caller's credentials and the path.

use crate::AppState;
use crate::error::Problem;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use steward_store::idempotency::{self, Claim};

pub async fn idempotent(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if req.method() != Method::POST {
        return next.run(req).await;
    }
    let Some(key) = req
        .headers()
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
    else {
        return next.run(req).await;
    };
    if key.is_empty() || key.len() > 255 {
        return Problem::bad_request("Idempotency-Key must be 1 to 255 characters").into_response();
    }
    let auth = req
        .headers()
        .get(header::AUTHORIZATION)
        .map(|v| v.as_bytes().to_vec())
        .unwrap_or_default();
    let scope = format!(
        "{}:{}",
        hex::encode(Sha256::digest(&auth)),
        req.uri().path()
    );
    let (parts, body) = req.into_parts();
    let limit = state.engine.limits.max_attachment_bytes * 2 + 1024 * 1024;
    let Ok(bytes) = to_bytes(body, limit).await else {
        return Problem::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Too large",
            "the request body is over the size limit",
        )
        .into_response();
    };
    let request_hash = hex::encode(Sha256::digest(&bytes));
    let claimed = async {
        let mut tx = state.engine.store.write().await?;
        let c = idempotency::claim(
            &mut tx,
            &scope,
            &key,
            &request_hash,
            steward_store::now_ms(),
        )
        .await?;
        tx.commit().await?;
        Ok::<_, steward_store::StoreError>(c)
    }
    .await;
    match claimed {
        Err(e) => {
            tracing::error!(error = %e, "idempotency claim failed");
            return Problem::internal().into_response();
        }
        Ok(Claim::Mismatch) => {
            return Problem::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "idempotency",
                "Idempotency-Key reused",
                "this Idempotency-Key was used for a different request",
            )
            .into_response();
        }
        Ok(Claim::InProgress) => {
            return Problem::new(
                StatusCode::CONFLICT,
                "idempotency",
                "Request in progress",
                "a request with this Idempotency-Key is still running; retry shortly",
            )
            .into_response();
        }
        Ok(Claim::Replay {
            status,
            content_type,
            body,
        }) => {
            let mut res = Response::new(Body::from(body));
            *res.status_mut() = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
            if let Ok(v) = HeaderValue::from_str(&content_type) {
                res.headers_mut().insert(header::CONTENT_TYPE, v);
            }
            res.headers_mut()
                .insert("idempotent-replayed", HeaderValue::from_static("true"));
            return res;
        }
        Ok(Claim::Fresh) => {}
    }
    let res = next
        .run(Request::from_parts(parts, Body::from(bytes)))
        .await;
    let status = res.status();
    let (res_parts, res_body) = res.into_parts();
    let out = to_bytes(res_body, usize::MAX).await.unwrap_or_default();
    let keep = status.as_u16() < 500
        && status != StatusCode::UNAUTHORIZED
        && status != StatusCode::TOO_MANY_REQUESTS;
    let ct = res_parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let saved = async {
        let mut tx = state.engine.store.write().await?;
        if keep {
            idempotency::finish(
                &mut tx,
                &scope,
                &key,
                status.as_u16(),
                &ct,
                &String::from_utf8_lossy(&out),
            )
            .await?;
        } else {
            idempotency::release(&mut tx, &scope, &key).await?;
        }
        tx.commit().await?;
        Ok::<_, steward_store::StoreError>(())
    }
    .await;
    if let Err(e) = saved {
        tracing::error!(error = %e, "could not record an idempotent response");
    }
    Response::from_parts(res_parts, Body::from(out))
}
