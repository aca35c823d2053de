//! NPS campaigns (`nps_campaigns`, their definition as JSON) and the questions they sent
//! (`nps_responses`): who was asked, when, the answer once given, and the follow-up
//! conversation a detractor's answer opened. Also the customers a campaign's rules pick.

use crate::sql::Sql;
use crate::{Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: i64,
    pub name: String,
    /// JSON of `steward_domain::nps::Campaign`.
    pub definition: String,
    pub active: i64,
    pub created_at: i64,
    pub updated_at: i64,
    pub sent: i64,
    pub answered: i64,
}

const CAMPAIGN: &str = "SELECT c.id, c.name, c.definition, c.active, c.created_at, c.updated_at, \
    (SELECT COUNT(*) FROM nps_responses r WHERE r.campaign_id = c.id) AS sent, \
    (SELECT COUNT(*) FROM nps_responses r WHERE r.campaign_id = c.id AND r.score IS NOT NULL) AS answered \
    FROM nps_campaigns c";

pub async fn campaigns(conn: &mut Conn) -> Result<Vec<CampaignRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{CAMPAIGN} ORDER BY c.id")))
            .fetch_all(conn)
            .await?,
    )
}

pub async fn campaign(conn: &mut Conn, id: i64) -> Result<Option<CampaignRow>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{CAMPAIGN} WHERE c.id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn insert_campaign(
    tx: &mut Conn,
    name: &str,
    definition: &str,
    active: bool,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO nps_campaigns (name, definition, active, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) RETURNING id",
    )
    .bind(name.to_string())
    .bind(definition.to_string())
    .bind(i64::from(active))
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn update_campaign(
    tx: &mut Conn,
    id: i64,
    name: &str,
    definition: &str,
    active: bool,
    at: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE nps_campaigns SET name = $2, definition = $3, active = $4, updated_at = $5 WHERE id = $1",
    )
    .bind(id)
    .bind(name.to_string())
    .bind(definition.to_string())
    .bind(i64::from(active))
    .bind(at)
    .execute(tx)
    .await?;
    Ok(())
}

/// Removes a campaign that never sent anything.
pub async fn delete_campaign(tx: &mut Conn, id: i64) -> Result<()> {
    sqlx::query("DELETE FROM nps_campaigns WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The rules of a campaign's audience, as the store applies them.
#[derive(Debug, Clone, Default)]
pub struct AudienceQuery {
    /// Opened a conversation at or after this time.
    pub contacted_since: Option<i64>,
    pub min_conversations: i64,
    /// Lower-case domains.
    pub email_domains: Vec<String>,
    pub organization_ids: Vec<i64>,
    /// Not asked (by any campaign) at or after this time.
    pub not_asked_since: i64,
}

/// A customer to ask: id, name and email address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recipient {
    pub id: i64,
    pub name: String,
    pub email: String,
}

/// Up to `limit` customers the rules pick who have an email address, did not opt out of
/// surveys and were not asked recently, lowest id first.
pub async fn audience(conn: &mut Conn, a: &AudienceQuery, limit: i64) -> Result<Vec<Recipient>> {
    let mut q = Sql::new(
        "SELECT cu.id, cu.name, (SELECT ci.value FROM customer_identities ci \
           WHERE ci.customer_id = cu.id AND ci.kind = 'email' ORDER BY ci.id LIMIT 1) AS email \
         FROM customers cu WHERE cu.surveys_opt_out = 0 \
         AND EXISTS (SELECT 1 FROM customer_identities ci WHERE ci.customer_id = cu.id AND ci.kind = 'email') \
         AND NOT EXISTS (SELECT 1 FROM nps_responses r WHERE r.customer_id = cu.id AND r.sent_at >= ",
    );
    q.bind(a.not_asked_since).push(")");
    if let Some(since) = a.contacted_since {
        q.push(
            " AND EXISTS (SELECT 1 FROM conversations c WHERE c.customer_id = cu.id \
             AND c.merged_into IS NULL AND c.created_at >= ",
        )
        .bind(since)
        .push(")");
    }
    if a.min_conversations > 0 {
        q.push(
            " AND (SELECT COUNT(*) FROM conversations c WHERE c.customer_id = cu.id \
             AND c.merged_into IS NULL) >= ",
        )
        .bind(a.min_conversations);
    }
    if !a.email_domains.is_empty() {
        q.push(
            " AND EXISTS (SELECT 1 FROM customer_identities ci WHERE ci.customer_id = cu.id \
             AND ci.kind = 'email' AND (",
        );
        for (i, d) in a.email_domains.iter().enumerate() {
            if i > 0 {
                q.push(" OR ");
            }
            q.push("LOWER(ci.value) LIKE ").bind(format!("%@{d}"));
        }
        q.push("))");
    }
    if !a.organization_ids.is_empty() {
        q.push(" AND cu.organization_id IN ")
            .bind_list(&a.organization_ids);
    }
    q.push(" ORDER BY cu.id LIMIT ").bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// Whether the customer was asked (by any campaign) at or after `since`.
pub async fn asked_since(conn: &mut Conn, customer_id: i64, since: i64) -> Result<bool> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM nps_responses WHERE customer_id = $1 AND sent_at >= $2",
    )
    .bind(customer_id)
    .bind(since)
    .fetch_one(conn)
    .await?;
    Ok(n > 0)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Response {
    pub id: i64,
    pub campaign_id: i64,
    pub campaign_name: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub sent_to: String,
    pub sent_at: i64,
    pub score: Option<i64>,
    pub reason: Option<String>,
    pub answered_at: Option<i64>,
    pub follow_up_conversation_id: Option<i64>,
}

const RESPONSE: &str = "SELECT r.id, r.campaign_id, c.name AS campaign_name, r.customer_id, \
    cu.name AS customer_name, r.sent_to, r.sent_at, r.score, r.reason, r.answered_at, \
    r.follow_up_conversation_id FROM nps_responses r \
    JOIN nps_campaigns c ON c.id = r.campaign_id JOIN customers cu ON cu.id = r.customer_id";

pub struct NewResponse<'a> {
    pub campaign_id: i64,
    pub customer_id: i64,
    pub token_sha256: &'a str,
    pub sent_to: &'a str,
    pub at: i64,
}

pub async fn insert_response(tx: &mut Conn, r: &NewResponse<'_>) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO nps_responses (campaign_id, customer_id, token_sha256, sent_to, sent_at) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(r.campaign_id)
    .bind(r.customer_id)
    .bind(r.token_sha256.to_string())
    .bind(r.sent_to.to_string())
    .bind(r.at)
    .fetch_one(tx)
    .await?)
}

pub async fn by_token(conn: &mut Conn, token_sha256: &str) -> Result<Option<Response>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{RESPONSE} WHERE r.token_sha256 = $1"
    )))
    .bind(token_sha256.to_string())
    .fetch_optional(conn)
    .await?)
}

/// Which responses to list.
#[derive(Debug, Clone, Default)]
pub struct ResponseFilter {
    pub campaign_id: Option<i64>,
    pub customer_id: Option<i64>,
    pub answered_only: bool,
}

/// Responses, newest first.
pub async fn responses(conn: &mut Conn, f: &ResponseFilter, limit: i64) -> Result<Vec<Response>> {
    let mut q = Sql::new(RESPONSE);
    q.push(" WHERE 1 = 1");
    if let Some(c) = f.campaign_id {
        q.push(" AND r.campaign_id = ").bind(c);
    }
    if let Some(c) = f.customer_id {
        q.push(" AND r.customer_id = ").bind(c);
    }
    if f.answered_only {
        q.push(" AND r.score IS NOT NULL");
    }
    q.push(" ORDER BY COALESCE(r.answered_at, r.sent_at) DESC, r.id DESC LIMIT ")
        .bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn answer(
    tx: &mut Conn,
    id: i64,
    score: i64,
    reason: Option<&str>,
    at: i64,
) -> Result<()> {
    sqlx::query("UPDATE nps_responses SET score = $2, reason = $3, answered_at = $4 WHERE id = $1")
        .bind(id)
        .bind(score)
        .bind(reason.map(str::to_string))
        .bind(at)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn set_follow_up(tx: &mut Conn, id: i64, conversation_id: i64) -> Result<()> {
    sqlx::query("UPDATE nps_responses SET follow_up_conversation_id = $2 WHERE id = $1")
        .bind(id)
        .bind(conversation_id)
        .execute(tx)
        .await?;
    Ok(())
}

/// The scores answered in `[from, to)`, optionally of one campaign.
pub async fn scores_between(
    conn: &mut Conn,
    campaign_id: Option<i64>,
    from: i64,
    to: i64,
) -> Result<Vec<i64>> {
    let mut q =
        Sql::new("SELECT score FROM nps_responses WHERE score IS NOT NULL AND answered_at >= ");
    q.bind(from).push(" AND answered_at < ").bind(to);
    if let Some(c) = campaign_id {
        q.push(" AND campaign_id = ").bind(c);
    }
    let rows: Vec<(i64,)> = q.query_as().fetch_all(conn).await?;
    Ok(rows.into_iter().map(|(s,)| s).collect())
}
