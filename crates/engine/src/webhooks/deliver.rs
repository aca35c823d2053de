//! One delivery attempt: the payload is signed the Standard Webhooks way (`webhook-id`,
//! `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`
//! keyed by the secret after its `whsec_` prefix, base64-decoded), posted, and the answer
//! recorded in the delivery log in the same commit that finishes or reschedules the job.
//! A 2xx answer is delivered; anything else is retried with backoff until the attempts run
//! out, then the delivery is marked failed (an admin may send it again).

use crate::{Engine, EngineError, Result, scheduler};
use base64::Engine as _;
use steward_store::jobs::{self, Job};
use steward_store::now_ms;
use steward_store::webhooks::{self, Attempt};

/// Kept of a receiver's answer, for the delivery log.
const KEEP_RESPONSE: usize = 1024;

/// The Standard Webhooks signature of `body` for message `id` at `timestamp`.
pub fn sign(secret: &str, id: &str, timestamp: i64, body: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let raw = secret.strip_prefix("whsec_").unwrap_or(secret);
    let key_bytes = b64.decode(raw).unwrap_or_else(|_| raw.as_bytes().to_vec());
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key_bytes);
    let tag = ring::hmac::sign(&key, format!("{id}.{timestamp}.{body}").as_bytes());
    format!("v1,{}", b64.encode(tag.as_ref()))
}

/// How an attempt went: the receiver's status and the start of its answer, or why there
/// was no answer.
type Answer = std::result::Result<(u16, String), String>;

async fn read_some(mut res: reqwest::Response) -> String {
    let mut kept = Vec::new();
    while kept.len() < KEEP_RESPONSE {
        match res.chunk().await {
            Ok(Some(chunk)) => kept.extend_from_slice(&chunk),
            _ => break,
        }
    }
    kept.truncate(KEEP_RESPONSE);
    String::from_utf8_lossy(&kept).into_owned()
}

fn describe(e: &reqwest::Error) -> String {
    let mut msg = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        msg = format!("{msg}: {s}");
        source = s.source();
    }
    msg
}

impl Engine {
    async fn post_webhook(
        &self,
        url: &str,
        id: &str,
        event: &str,
        secret: &str,
        body: &str,
    ) -> Answer {
        if let Some(why) = self.refuse_target(url) {
            return Err(why);
        }
        let timestamp = now_ms() / 1000;
        let sent = self
            .webhook_client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", sign(secret, id, timestamp, body))
            .header("x-steward-event", event)
            .body(body.to_string())
            .send()
            .await;
        match sent {
            Ok(res) => {
                let status = res.status().as_u16();
                Ok((status, read_some(res).await))
            }
            Err(e) => Err(describe(&e)),
        }
    }

    /// The `webhook.deliver` job.
    pub(crate) async fn deliver_webhook(&self, job: &Job) -> Result<()> {
        let payload: serde_json::Value = serde_json::from_str(&job.payload)
            .map_err(|e| EngineError::invalid("job", e.to_string()))?;
        let delivery_id = payload["delivery"].as_i64().unwrap_or(0);
        let (delivery, hook) = {
            let mut conn = self.store.pool().acquire().await?;
            let d = webhooks::delivery(&mut conn, delivery_id).await?;
            let h = match &d {
                Some(d) => webhooks::get(&mut conn, d.webhook_id).await?,
                None => None,
            };
            (d, h)
        };
        let node = self.scheduler.node.to_string();
        let (Some(delivery), Some(hook)) = (delivery, hook) else {
            // The webhook was removed with its log: nothing to send.
            let mut tx = self.store.write().await?;
            self.finish_job(&mut tx, job).await?;
            tx.commit().await?;
            return Ok(());
        };
        let answer = if hook.is_active() {
            self.post_webhook(
                &hook.url,
                &format!("dlv_{}", delivery.id),
                &delivery.event,
                &hook.secret,
                &delivery.payload,
            )
            .await
        } else {
            Err("the webhook is paused".to_string())
        };
        let settings = &self.webhook_settings;
        let delivered = matches!(answer, Ok((status, _)) if (200..300).contains(&status));
        let give_up = !hook.is_active() || job.attempts >= settings.max_attempts;
        let (response_status, response_body, error) = match &answer {
            Ok((status, body)) => (
                Some(i64::from(*status)),
                Some(body.as_str()),
                (!delivered).then(|| format!("the receiver answered {status}")),
            ),
            Err(e) => (None, None, Some(e.clone())),
        };
        let status = if delivered {
            "delivered"
        } else if give_up {
            "failed"
        } else {
            "pending"
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        webhooks::record_attempt(
            &mut tx,
            delivery.id,
            &Attempt {
                status,
                response_status,
                response_body,
                error: error.as_deref(),
                node: &node,
            },
            at,
        )
        .await?;
        if status == "pending" {
            let again = at + scheduler::backoff_ms(settings.first_retry_ms, job.attempts);
            let reason = error.as_deref().unwrap_or("not delivered");
            if !jobs::retry_later(&mut tx, job.id, &job.lease, again, reason).await? {
                return Err(EngineError::conflict("the job was taken over"));
            }
        } else {
            self.finish_job(&mut tx, job).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::sign;

    /// The example from the Standard Webhooks specification's reference libraries.
    #[test]
    fn signatures_follow_the_standard_webhooks_example() {
        let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
        let id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
        let body = r#"{"test": 2432232314}"#;
        assert_eq!(
            sign(secret, id, 1614265330, body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
    }
}
