//! PostgreSQL LISTEN/NOTIFY, so events cross nodes that share a database: one listening
//! connection per node, and notifications sent over the pool (delivered at commit, in order,
//! to every listening session). SQLite is one node, so there is nothing to listen to.

use crate::{Backend, Result, Store};

/// A connection that listens on one channel.
pub struct Listener {
    inner: sqlx::postgres::PgListener,
}

impl Listener {
    /// The next notification's payload. After a lost connection it reconnects and listens
    /// again; what was sent meanwhile is not seen.
    pub async fn recv(&mut self) -> Result<String> {
        Ok(self.inner.recv().await?.payload().to_string())
    }
}

impl Store {
    /// Listens on `channel`; `None` on SQLite.
    pub async fn listen(&self, channel: &str) -> Result<Option<Listener>> {
        if self.backend != Backend::Postgres {
            return Ok(None);
        }
        let mut inner = sqlx::postgres::PgListener::connect(&self.url).await?;
        inner.listen(channel).await?;
        Ok(Some(Listener { inner }))
    }

    /// Sends `payload` (under 8,000 bytes) to every session listening on `channel`.
    pub async fn notify(&self, channel: &str, payload: &str) -> Result<()> {
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(channel.to_string())
            .bind(payload.to_string())
            .execute(self.pool())
            .await?;
        Ok(())
    }
}
