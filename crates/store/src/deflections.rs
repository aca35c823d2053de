//! Deflections (`deflections`): a customer said an article answered their question while they
//! were writing a request, so none was opened. Reports count them.

use crate::{Conn, Result};

pub struct NewDeflection<'a> {
    pub article_id: i64,
    /// Where it happened: `portal`, `widget` or `help`.
    pub source: &'a str,
    pub customer_id: Option<i64>,
    /// What the customer had typed.
    pub query: &'a str,
    pub at: i64,
}

pub async fn insert(tx: &mut Conn, d: &NewDeflection<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO deflections (article_id, source, customer_id, query, at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(d.article_id)
    .bind(d.source.to_string())
    .bind(d.customer_id)
    .bind(d.query.to_string())
    .bind(d.at)
    .fetch_one(tx)
    .await?)
}

/// Deflections in `[from, to)`, per source.
pub async fn count_by_source(conn: &mut Conn, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT source, COUNT(*) FROM deflections WHERE at >= $1 AND at < $2 GROUP BY source ORDER BY source",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// The articles that deflected most in `[from, to)`: (article id, count), most first.
pub async fn top_articles(
    conn: &mut Conn,
    from: i64,
    to: i64,
    limit: i64,
) -> Result<Vec<(i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT article_id, COUNT(*) AS n FROM deflections WHERE at >= $1 AND at < $2 \
         GROUP BY article_id ORDER BY n DESC, article_id LIMIT $3",
    )
    .bind(from)
    .bind(to)
    .bind(limit)
    .fetch_all(conn)
    .await?)
}
