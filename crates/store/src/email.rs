//! Email rows: the mail behind a message (`email_messages`: its Message-ID, addresses, raw
//! bytes and the quoted history folded out of its body), the reply tokens that tie a
//! plus-address to a conversation (`email_tokens`), the people copied on a conversation
//! (`conversation_cc`), and the outbox of mail to send.

use crate::sql::Sql;
use crate::{Conn, Result};
use std::collections::HashMap;

/// The mail behind a message, written in the same transaction as the message.
#[derive(Debug, Clone, Default)]
pub struct EmailRecord {
    pub inbox: String,
    /// Without angle brackets.
    pub rfc_message_id: String,
    /// `in` or `out`.
    pub direction: &'static str,
    pub from_address: String,
    pub to_addresses: Vec<String>,
    pub cc_addresses: Vec<String>,
    pub raw_sha256: Option<String>,
    /// The earlier messages and signature folded out of an inbound body.
    pub quoted_text: Option<String>,
    /// `spf=… dkim=… dmarc=…` for inbound mail that was checked.
    pub authentication: Option<String>,
    /// The sender could not be verified, and the rule says to flag it.
    pub auth_failed: bool,
}

pub async fn insert(tx: &mut Conn, message_id: i64, r: &EmailRecord, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO email_messages (message_id, inbox, rfc_message_id, direction, from_address, \
         to_addresses, cc_addresses, raw_sha256, quoted_text, created_at, authentication, auth_failed) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(message_id)
    .bind(r.inbox.clone())
    .bind(r.rfc_message_id.clone())
    .bind(r.direction)
    .bind(r.from_address.clone())
    .bind(r.to_addresses.join(", "))
    .bind(r.cc_addresses.join(", "))
    .bind(r.raw_sha256.clone())
    .bind(r.quoted_text.clone())
    .bind(at)
    .bind(r.authentication.clone())
    .bind(i64::from(r.auth_failed))
    .execute(tx)
    .await?;
    Ok(())
}

/// The conversation holding a message with one of these Message-IDs (any inbox), newest
/// message first.
pub async fn conversation_by_rfc_ids(conn: &mut Conn, ids: &[String]) -> Result<Option<i64>> {
    if ids.is_empty() {
        return Ok(None);
    }
    let mut q = Sql::new(
        "SELECT m.conversation_id FROM email_messages e JOIN messages m ON m.id = e.message_id \
         WHERE e.rfc_message_id IN (",
    );
    for (i, id) in ids.iter().take(50).enumerate() {
        if i > 0 {
            q.push(", ");
        }
        q.bind(id.clone());
    }
    q.push(") ORDER BY e.message_id DESC LIMIT 1");
    let row: Option<(i64,)> = q.query_as().fetch_optional(conn).await?;
    Ok(row.map(|r| r.0))
}

/// The message already stored for this Message-ID in this inbox, if any.
pub async fn find(
    conn: &mut Conn,
    inbox: &str,
    rfc_message_id: &str,
) -> Result<Option<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT m.id, m.conversation_id FROM email_messages e JOIN messages m ON m.id = e.message_id \
         WHERE e.inbox = $1 AND e.rfc_message_id = $2",
    )
    .bind(inbox.to_string())
    .bind(rfc_message_id.to_string())
    .fetch_optional(conn)
    .await?)
}

/// Every Message-ID of a conversation's mail, oldest first: the `References` of a reply.
pub async fn thread_ids(conn: &mut Conn, conversation_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT e.rfc_message_id FROM email_messages e JOIN messages m ON m.id = e.message_id \
         WHERE m.conversation_id = $1 ORDER BY e.message_id",
    )
    .bind(conversation_id)
    .fetch_all(conn)
    .await?)
}

/// The inbox a conversation's mail last came in on or went out from.
pub async fn inbox_of(conn: &mut Conn, conversation_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT e.inbox FROM email_messages e JOIN messages m ON m.id = e.message_id \
         WHERE m.conversation_id = $1 ORDER BY e.message_id DESC LIMIT 1",
    )
    .bind(conversation_id)
    .fetch_optional(conn)
    .await?)
}

/// Whether `address` has sent mail into or been written to in this conversation.
pub async fn is_participant(conn: &mut Conn, conversation_id: i64, address: &str) -> Result<bool> {
    // Address lists are stored as "a, b"; match whole entries, never a substring of one
    // (bob@x.test must not pass as jimbob@x.test).
    let pattern = format!("%, {},%", address.to_lowercase());
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM email_messages e JOIN messages m ON m.id = e.message_id \
         WHERE m.conversation_id = $1 AND (e.from_address = $2 \
         OR ', ' || e.to_addresses || ',' LIKE $3 OR ', ' || e.cc_addresses || ',' LIKE $3)",
    )
    .bind(conversation_id)
    .bind(address.to_lowercase())
    .bind(pattern)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

/// Copies `address` on the conversation's replies; false when it already was.
pub async fn add_cc(tx: &mut Conn, conversation_id: i64, address: &str, at: i64) -> Result<bool> {
    Ok(sqlx::query(
        "INSERT INTO conversation_cc (conversation_id, address, added_at) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(conversation_id)
    .bind(address.to_lowercase())
    .bind(at)
    .execute(tx)
    .await?
    .rows_affected()
        == 1)
}

/// The addresses copied on a conversation's replies, in the order they were added.
pub async fn cc_of(conn: &mut Conn, conversation_id: i64) -> Result<Vec<String>> {
    Ok(sqlx::query_scalar(
        "SELECT address FROM conversation_cc WHERE conversation_id = $1 ORDER BY added_at, address",
    )
    .bind(conversation_id)
    .fetch_all(conn)
    .await?)
}

/// The reply token of a conversation, if it has one.
pub async fn token_of(conn: &mut Conn, conversation_id: i64) -> Result<Option<String>> {
    Ok(sqlx::query_scalar(
        "SELECT token FROM email_tokens WHERE conversation_id = $1 ORDER BY created_at LIMIT 1",
    )
    .bind(conversation_id)
    .fetch_optional(conn)
    .await?)
}

pub async fn insert_token(
    tx: &mut Conn,
    token: &str,
    conversation_id: i64,
    inbox: &str,
    at: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO email_tokens (token, conversation_id, inbox, created_at) VALUES ($1, $2, $3, $4)")
        .bind(token.to_string())
        .bind(conversation_id)
        .bind(inbox.to_string())
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

/// The conversation a reply token belongs to (tokens are matched case-insensitively).
pub async fn conversation_by_token(conn: &mut Conn, token: &str) -> Result<Option<i64>> {
    Ok(
        sqlx::query_scalar("SELECT conversation_id FROM email_tokens WHERE token = $1")
            .bind(token.to_lowercase())
            .fetch_optional(conn)
            .await?,
    )
}

/// What the timeline shows about a message that travelled by mail.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageMail {
    pub message_id: i64,
    pub direction: String,
    pub from_address: String,
    pub to_addresses: String,
    pub cc_addresses: String,
    pub raw_sha256: Option<String>,
    pub quoted_text: Option<String>,
    /// The outbox row's state for outbound mail: queued, sending, sent or failed.
    pub delivery_status: Option<String>,
    pub delivery_error: Option<String>,
    pub delivery_attempts: Option<i64>,
    pub outbox_id: Option<i64>,
    pub authentication: Option<String>,
    pub auth_failed: i64,
}

/// Mail details for the given messages.
pub async fn for_messages(
    conn: &mut Conn,
    message_ids: &[i64],
) -> Result<HashMap<i64, MessageMail>> {
    let mut q = Sql::new(
        "SELECT e.message_id, e.direction, e.from_address, e.to_addresses, e.cc_addresses, e.raw_sha256, \
         e.quoted_text, o.status AS delivery_status, o.last_error AS delivery_error, \
         o.attempts AS delivery_attempts, o.id AS outbox_id, e.authentication, e.auth_failed \
         FROM email_messages e LEFT JOIN outbox o ON o.message_id = e.message_id AND o.kind = 'reply' \
         WHERE e.message_id IN ",
    );
    q.bind_list(message_ids);
    let rows: Vec<MessageMail> = q.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(|r| (r.message_id, r)).collect())
}

/// A message waiting in the outbox.
#[derive(Debug, Clone)]
pub struct NewOutbound<'a> {
    pub kind: &'static str,
    pub conversation_id: Option<i64>,
    pub message_id: Option<i64>,
    pub rfc_message_id: &'a str,
    pub sender: &'a str,
    pub recipients: &'a [String],
    pub raw: &'a [u8],
}

pub async fn enqueue(tx: &mut Conn, o: &NewOutbound<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO outbox (kind, conversation_id, message_id, rfc_message_id, sender, recipients, raw, \
         status, attempts, next_attempt_at, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'queued', 0, $8, $8) RETURNING id",
    )
    .bind(o.kind)
    .bind(o.conversation_id)
    .bind(o.message_id)
    .bind(o.rfc_message_id.to_string())
    .bind(o.sender.to_string())
    .bind(o.recipients.join(", "))
    .bind(o.raw.to_vec())
    .bind(at)
    .fetch_one(tx)
    .await?)
}

/// An outbox row being delivered.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Outbound {
    pub id: i64,
    pub kind: String,
    pub conversation_id: Option<i64>,
    pub sender: String,
    pub recipients: String,
    pub raw: Vec<u8>,
    pub attempts: i64,
}

impl Outbound {
    pub fn recipient_list(&self) -> Vec<String> {
        self.recipients
            .split(',')
            .map(str::trim)
            .filter(|r| !r.is_empty())
            .map(str::to_string)
            .collect()
    }
}

/// Ids of queued rows due at `now`, oldest first.
pub async fn due(conn: &mut Conn, now: i64, limit: i64) -> Result<Vec<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT id FROM outbox WHERE status = 'queued' AND next_attempt_at <= $1 ORDER BY id LIMIT $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}

/// Claims a queued row for sending (only one node wins) and returns it.
pub async fn claim(tx: &mut Conn, id: i64, now: i64) -> Result<Option<Outbound>> {
    let won = sqlx::query(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1, claimed_at = $2 \
         WHERE id = $1 AND status = 'queued'",
    )
    .bind(id)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if won == 0 {
        return Ok(None);
    }
    Ok(sqlx::query_as(
        "SELECT id, kind, conversation_id, sender, recipients, raw, attempts FROM outbox WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(tx)
    .await?)
}

pub async fn mark_sent(tx: &mut Conn, id: i64, at: i64) -> Result<()> {
    sqlx::query("UPDATE outbox SET status = 'sent', sent_at = $2, last_error = NULL WHERE id = $1")
        .bind(id)
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

/// Back to the queue for another try at `next`, or failed for good when `next` is `None`.
pub async fn mark_unsent(tx: &mut Conn, id: i64, error: &str, next: Option<i64>) -> Result<()> {
    let status = if next.is_some() { "queued" } else { "failed" };
    sqlx::query("UPDATE outbox SET status = $2, last_error = $3, next_attempt_at = COALESCE($4, next_attempt_at) WHERE id = $1")
        .bind(id)
        .bind(status)
        .bind(error.to_string())
        .bind(next)
        .execute(tx)
        .await?;
    Ok(())
}

/// Rows left in `sending` since before `before` (a node stopped while handing them to the
/// relay): marked failed with a reason, never resent on their own, since the relay may have
/// taken them.
pub async fn fail_abandoned(tx: &mut Conn, before: i64) -> Result<u64> {
    Ok(sqlx::query(
        "UPDATE outbox SET status = 'failed', last_error = 'Steward stopped while handing this message to the relay, so it may have been sent. Check with the customer, then retry by hand if it is missing.' \
         WHERE status = 'sending' AND claimed_at < $1",
    )
    .bind(before)
    .execute(tx)
    .await?
    .rows_affected())
}

/// Puts a failed row back in the queue, now.
pub async fn retry(tx: &mut Conn, id: i64, now: i64) -> Result<bool> {
    Ok(sqlx::query(
        "UPDATE outbox SET status = 'queued', next_attempt_at = $2 WHERE id = $1 AND status = 'failed'",
    )
    .bind(id)
    .bind(now)
    .execute(tx)
    .await?
    .rows_affected()
        == 1)
}

/// The bytes Steward sent (or will send) for a message.
pub async fn sent_raw(conn: &mut Conn, message_id: i64) -> Result<Option<Vec<u8>>> {
    Ok(
        sqlx::query_scalar("SELECT raw FROM outbox WHERE message_id = $1 ORDER BY id LIMIT 1")
            .bind(message_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The outbox row carrying a message's mail.
pub async fn outbox_for_message(conn: &mut Conn, message_id: i64) -> Result<Option<(i64, String)>> {
    Ok(
        sqlx::query_as("SELECT id, status FROM outbox WHERE message_id = $1 AND kind = 'reply'")
            .bind(message_id)
            .fetch_optional(conn)
            .await?,
    )
}

/// Marks the outbound mail with one of these Message-IDs failed (a bounce came back).
pub async fn bounce(tx: &mut Conn, rfc_ids: &[String], reason: &str) -> Result<u64> {
    let mut n = 0;
    for id in rfc_ids {
        n += sqlx::query(
            "UPDATE outbox SET status = 'failed', last_error = $2 WHERE rfc_message_id = $1",
        )
        .bind(id.clone())
        .bind(reason.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    Ok(n)
}

/// How many automatic mails went to `recipient` since `since`.
pub async fn automatic_sent_to(conn: &mut Conn, recipient: &str, since: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE kind = 'acknowledgement' AND recipients = $1 AND created_at >= $2",
    )
    .bind(recipient.to_string())
    .bind(since)
    .fetch_one(conn)
    .await?)
}
