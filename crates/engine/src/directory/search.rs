//! Search across conversations and customers, within what the actor may see.

use crate::{Engine, Result};
use steward_domain::{Actor, validate};
use steward_store::models::Customer;
use steward_store::search::{self, Hit};

impl Engine {
    /// Conversations and customers matching `q`, within what `by` may see.
    pub async fn search(
        &self,
        by: &Actor,
        q: &str,
        status: Option<&str>,
        limit: i64,
    ) -> Result<(Vec<Hit>, Vec<Customer>)> {
        let q = validate::bounded("q", q, 500)?;
        let mut conn = self.store.pool().acquire().await?;
        let backend = self.store.backend();
        let hits =
            search::conversations(&mut conn, backend, &q, &by.scope(), status, limit).await?;
        let people = search::customers(&mut conn, backend, &q, 10).await?;
        Ok((hits, people))
    }
}
