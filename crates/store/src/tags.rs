//! Tags: the admin's list with colours and usage counts. A tag named on a conversation that
//! does not exist yet is created on the spot, as agents expect.

use crate::models::Tag;
use crate::{Conn, Result};

const SELECT: &str = "SELECT t.id, t.name, t.color, \
    (SELECT COUNT(*) FROM conversation_tags ct WHERE ct.tag_id = t.id) AS usage FROM tags t";

pub async fn list(conn: &mut Conn) -> Result<Vec<Tag>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} ORDER BY t.name")))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Tag>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{SELECT} WHERE t.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

/// The id of the tag called `name`, creating it if needed.
pub async fn ensure(tx: &mut Conn, name: &str, at: i64) -> Result<i64> {
    if let Some(id) = sqlx::query_scalar("SELECT id FROM tags WHERE name = $1")
        .bind(name.to_string())
        .fetch_optional(&mut *tx)
        .await?
    {
        return Ok(id);
    }
    insert(tx, name, "#64748b", at).await
}

pub async fn insert(tx: &mut Conn, name: &str, color: &str, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO tags (name, color, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name.to_string())
    .bind(color.to_string())
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn update(tx: &mut Conn, id: i64, name: &str, color: &str) -> Result<()> {
    sqlx::query("UPDATE tags SET name = $1, color = $2 WHERE id = $3")
        .bind(name.to_string())
        .bind(color.to_string())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    // A tag renamed to or from `complaint` changes what its conversations count as.
    recount_complaints(tx, id).await
}

async fn recount_complaints(tx: &mut Conn, tag_id: i64) -> Result<()> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "UPDATE conversations SET {} WHERE id IN \
         (SELECT conversation_id FROM conversation_tags WHERE tag_id = $1)",
        crate::conversations::COMPLAINT
    )))
    .bind(tag_id)
    .execute(tx)
    .await?;
    Ok(())
}

/// Removes a tag from every conversation and feedback item, and from the list.
pub async fn delete(tx: &mut Conn, id: i64) -> Result<()> {
    let tagged: Vec<i64> =
        sqlx::query_scalar("SELECT conversation_id FROM conversation_tags WHERE tag_id = $1")
            .bind(id)
            .fetch_all(&mut *tx)
            .await?;
    sqlx::query("DELETE FROM conversation_tags WHERE tag_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for c in tagged {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "UPDATE conversations SET {} WHERE id = $1",
            crate::conversations::COMPLAINT
        )))
        .bind(c)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query("DELETE FROM feedback_tags WHERE tag_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM tags WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}
