//! Deflection: while a customer writes a request (portal form, chat widget, help center),
//! published public articles matching what they typed are suggested; when they say one
//! answered their question, no request is opened and a deflection is counted for reports.

use crate::{Engine, EngineError, Result};
use steward_store::deflections::{self, NewDeflection};
use steward_store::kb::Article;
use steward_store::now_ms;

/// Where a deflection happened.
pub const SOURCES: &[&str] = &["portal", "widget", "help"];

/// Fewer characters than this suggest nothing (every short word matches too much).
const MIN_QUERY: usize = 3;

impl Engine {
    /// Up to `limit` published public articles for what the customer has typed so far.
    pub async fn suggest_articles(&self, typed: &str, limit: i64) -> Result<Vec<Article>> {
        let typed: String = typed.chars().take(300).collect();
        if typed.trim().chars().count() < MIN_QUERY {
            return Ok(Vec::new());
        }
        self.kb_match(None, &typed, limit.clamp(1, 10)).await
    }

    /// Counts that article `article_id` answered a customer's question in `source`.
    pub async fn record_deflection(
        &self,
        article_id: i64,
        source: &str,
        customer_id: Option<i64>,
        query: &str,
    ) -> Result<()> {
        if !SOURCES.contains(&source) {
            return Err(EngineError::invalid(
                "source",
                format!("must be one of: {}", SOURCES.join(", ")),
            ));
        }
        // Only an article the public may read can have answered.
        self.kb_article(None, article_id).await?;
        let query: String = query.trim().chars().take(300).collect();
        let mut tx = self.store.write().await?;
        deflections::insert(
            &mut tx,
            &NewDeflection {
                article_id,
                source,
                customer_id,
                query: &query,
                at: now_ms(),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
