//! IMAP mailbox progress (`imap_mailboxes`): the UIDVALIDITY and the last UID stored, so a
//! restart resumes where it stopped, and the status the inbox page shows (ok or the last
//! error, when it was checked, how many messages came in).

use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailboxState {
    pub mailbox: String,
    pub uid_validity: Option<i64>,
    pub last_uid: Option<i64>,
    /// `ok` or `error`.
    pub status: String,
    pub last_error: Option<String>,
    pub checked_at: i64,
    pub received: i64,
}

const SELECT: &str = "SELECT mailbox, uid_validity, last_uid, status, last_error, checked_at, received FROM imap_mailboxes";

pub async fn get(conn: &mut Conn, mailbox: &str) -> Result<Option<MailboxState>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE mailbox = $1")))
            .bind(mailbox.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn all(conn: &mut Conn) -> Result<Vec<MailboxState>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY mailbox")))
            .fetch_all(conn)
            .await?,
    )
}

/// Records that the message `last_uid` (under `uid_validity`) was stored: the position moves
/// on and the count grows. Written after the message is committed: a crash in between
/// fetches it again, and its Message-ID makes that a duplicate.
pub async fn advance(
    tx: &mut Conn,
    mailbox: &str,
    uid_validity: i64,
    last_uid: i64,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO imap_mailboxes (mailbox, uid_validity, last_uid, status, last_error, checked_at, received) \
         VALUES ($1, $2, $3, 'ok', NULL, $4, 1) \
         ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, \
           last_uid = excluded.last_uid, status = 'ok', last_error = NULL, \
           checked_at = excluded.checked_at, received = imap_mailboxes.received + 1",
    )
    .bind(mailbox.to_string())
    .bind(uid_validity)
    .bind(last_uid)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Starts over under a new UIDVALIDITY (the server renumbered the folder): every message is
/// looked at again, and the Message-IDs already stored keep them from being stored twice.
pub async fn restart(tx: &mut Conn, mailbox: &str, uid_validity: i64, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO imap_mailboxes (mailbox, uid_validity, last_uid, status, last_error, checked_at, received) \
         VALUES ($1, $2, 0, 'ok', NULL, $3, 0) \
         ON CONFLICT (mailbox) DO UPDATE SET uid_validity = excluded.uid_validity, last_uid = 0, \
           status = 'ok', last_error = NULL, checked_at = excluded.checked_at",
    )
    .bind(mailbox.to_string())
    .bind(uid_validity)
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a check that went well, without moving the position.
pub async fn checked(tx: &mut Conn, mailbox: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO imap_mailboxes (mailbox, status, checked_at, received) VALUES ($1, 'ok', $2, 0) \
         ON CONFLICT (mailbox) DO UPDATE SET status = 'ok', last_error = NULL, checked_at = excluded.checked_at",
    )
    .bind(mailbox.to_string())
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Records a failed attempt with its reason; the position is kept.
pub async fn failed(tx: &mut Conn, mailbox: &str, error: &str, at: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO imap_mailboxes (mailbox, status, last_error, checked_at, received) \
         VALUES ($1, 'error', $2, $3, 0) \
         ON CONFLICT (mailbox) DO UPDATE SET status = 'error', last_error = excluded.last_error, \
           checked_at = excluded.checked_at",
    )
    .bind(mailbox.to_string())
    .bind(error.to_string())
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}
