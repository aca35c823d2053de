//! Feedback items (`feedback`) and their tags (`feedback_tags`), and the counts reports read.

use crate::sql::Sql;
use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Item {
    pub id: i64,
    pub customer_id: Option<i64>,
    pub name: String,
    pub email: Option<String>,
    pub kind: String,
    pub body: String,
    pub source: String,
    pub status: String,
    pub created_at: i64,
    pub updated_at: i64,
}

const SELECT: &str = "SELECT f.id, f.customer_id, f.name, f.email, f.kind, f.body, f.source, \
    f.status, f.created_at, f.updated_at FROM feedback f";

pub struct NewItem<'a> {
    pub customer_id: Option<i64>,
    pub name: &'a str,
    pub email: Option<&'a str>,
    pub kind: &'a str,
    pub body: &'a str,
    pub source: &'a str,
    pub at: i64,
}

pub async fn insert(tx: &mut Conn, n: &NewItem<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO feedback (customer_id, name, email, kind, body, source, status, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, 'new', $7, $7) RETURNING id",
    )
    .bind(n.customer_id)
    .bind(n.name.to_string())
    .bind(n.email.map(str::to_string))
    .bind(n.kind.to_string())
    .bind(n.body.to_string())
    .bind(n.source.to_string())
    .bind(n.at)
    .fetch_one(tx)
    .await?)
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Item>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE f.id = ").bind(id);
    Ok(q.query_as().fetch_optional(conn).await?)
}

/// Which items to list.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub kind: Option<String>,
    pub status: Option<String>,
    pub tag: Option<String>,
    pub customer_id: Option<i64>,
}

/// Items, newest first, before id `before` when given.
pub async fn list(
    conn: &mut Conn,
    f: &Filter,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<Item>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE 1 = 1");
    if let Some(k) = &f.kind {
        q.push(" AND f.kind = ").bind(k.as_str());
    }
    if let Some(s) = &f.status {
        q.push(" AND f.status = ").bind(s.as_str());
    }
    if let Some(c) = f.customer_id {
        q.push(" AND f.customer_id = ").bind(c);
    }
    if let Some(t) = &f.tag {
        q.push(
            " AND f.id IN (SELECT ft.feedback_id FROM feedback_tags ft JOIN tags t ON t.id = ft.tag_id \
             WHERE t.name = ",
        )
        .bind(t.as_str())
        .push(")");
    }
    if let Some(b) = before {
        q.push(" AND f.id < ").bind(b);
    }
    q.push(" ORDER BY f.id DESC LIMIT ").bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// Tag names per item, for a page of items.
pub async fn tags_of(conn: &mut Conn, ids: &[i64]) -> Result<Vec<(i64, String)>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let mut q = Sql::new(
        "SELECT ft.feedback_id, t.name FROM feedback_tags ft JOIN tags t ON t.id = ft.tag_id \
         WHERE ft.feedback_id IN ",
    );
    q.bind_list(ids).push(" ORDER BY t.name");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn set_tags(tx: &mut Conn, id: i64, tag_ids: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM feedback_tags WHERE feedback_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for tag in tag_ids {
        sqlx::query("INSERT INTO feedback_tags (feedback_id, tag_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*tag)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

pub async fn set_status(tx: &mut Conn, id: i64, status: &str, at: i64) -> Result<()> {
    sqlx::query("UPDATE feedback SET status = $2, updated_at = $3 WHERE id = $1")
        .bind(id)
        .bind(status.to_string())
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

/// Items received in `[from, to)` by kind.
pub async fn count_by_kind(conn: &mut Conn, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT kind, COUNT(*) FROM feedback WHERE created_at >= $1 AND created_at < $2 \
         GROUP BY kind ORDER BY kind",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}

/// Items received in `[from, to)` by tag, most first.
pub async fn count_by_tag(conn: &mut Conn, from: i64, to: i64) -> Result<Vec<(String, i64)>> {
    Ok(sqlx::query_as(
        "SELECT t.name, COUNT(*) AS n FROM feedback f JOIN feedback_tags ft ON ft.feedback_id = f.id \
         JOIN tags t ON t.id = ft.tag_id WHERE f.created_at >= $1 AND f.created_at < $2 \
         GROUP BY t.name ORDER BY n DESC, t.name",
    )
    .bind(from)
    .bind(to)
    .fetch_all(conn)
    .await?)
}
