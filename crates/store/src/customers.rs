//! Customers, their identities (email, phone, chat visitor id, social handle) and
//! organizations. One customer keeps one history across every channel: intake finds them by
//! any identity.

use crate::models::{Customer, Identity, Organization};
use crate::sql::Sql;
use crate::{Conn, Result};

const SELECT: &str = "SELECT cu.id, cu.name, cu.organization_id, o.name AS organization_name, cu.notes, \
    (SELECT ci.value FROM customer_identities ci WHERE ci.customer_id = cu.id AND ci.kind = 'email' ORDER BY ci.id LIMIT 1) AS email, \
    cu.tier, cu.surveys_opt_out, cu.created_at, cu.updated_at FROM customers cu LEFT JOIN organizations o ON o.id = cu.organization_id";

pub async fn get(conn: &mut Conn, id: i64) -> Result<Option<Customer>> {
    let mut q = Sql::new(SELECT);
    q.push(" WHERE cu.id = ").bind(id);
    Ok(q.query_as().fetch_optional(conn).await?)
}

/// The customer who owns an identity, if any.
/// Makes concurrent transactions that look up or create the same identity wait for each other
/// until commit, so two first messages from one new address make one customer. PostgreSQL
/// only: SQLite's write transactions already run one at a time.
pub async fn lock_identity(tx: &mut crate::Tx, kind: &str, value: &str) -> Result<()> {
    if tx.backend() == crate::Backend::Postgres {
        sqlx::query("SELECT 1 FROM (SELECT pg_advisory_xact_lock(hashtextextended($1, 0))) l")
            .bind(format!("{kind}:{value}"))
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

pub async fn find_by_identity(conn: &mut Conn, kind: &str, value: &str) -> Result<Option<i64>> {
    Ok(sqlx::query_scalar(
        "SELECT customer_id FROM customer_identities WHERE kind = $1 AND value = $2",
    )
    .bind(kind.to_string())
    .bind(value.to_string())
    .fetch_optional(conn)
    .await?)
}

pub async fn insert(
    tx: &mut Conn,
    name: &str,
    organization_id: Option<i64>,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO customers (name, organization_id, created_at, updated_at) VALUES ($1, $2, $3, $3) RETURNING id",
    )
    .bind(name.to_string())
    .bind(organization_id)
    .bind(at)
    .fetch_one(tx)
    .await?)
}

/// A customer's editable fields, all written at once.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub name: &'a str,
    pub organization_id: Option<i64>,
    pub notes: &'a str,
    pub tier: Option<&'a str>,
}

pub async fn update(tx: &mut Conn, id: i64, f: Fields<'_>, at: i64) -> Result<()> {
    sqlx::query("UPDATE customers SET name = $1, organization_id = $2, notes = $3, tier = $4, updated_at = $5 WHERE id = $6")
        .bind(f.name.to_string())
        .bind(f.organization_id)
        .bind(f.notes.to_string())
        .bind(f.tier.map(str::to_string))
        .bind(at)
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

/// Records whether the customer asked not to be surveyed.
pub async fn set_surveys_opt_out(tx: &mut Conn, id: i64, out: bool, at: i64) -> Result<()> {
    sqlx::query("UPDATE customers SET surveys_opt_out = $1, updated_at = $2 WHERE id = $3")
        .bind(i64::from(out))
        .bind(at)
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

pub async fn add_identity(
    tx: &mut Conn,
    customer_id: i64,
    kind: &str,
    value: &str,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO customer_identities (customer_id, kind, value, created_at) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(customer_id)
    .bind(kind.to_string())
    .bind(value.to_string())
    .bind(at)
    .fetch_one(tx)
    .await?)
}

/// Makes the customer's identity `value` of `kind` their first one (the first email is where
/// replies go) by swapping values with the current first; both stay the customer's.
pub async fn make_first_identity(
    tx: &mut Conn,
    customer_id: i64,
    kind: &str,
    value: &str,
) -> Result<()> {
    let rows: Vec<(i64, String)> = sqlx::query_as(
        "SELECT id, value FROM customer_identities WHERE customer_id = $1 AND kind = $2 ORDER BY id",
    )
    .bind(customer_id)
    .bind(kind.to_string())
    .fetch_all(&mut *tx)
    .await?;
    let Some((first_id, first_value)) = rows.first().cloned() else {
        return Ok(());
    };
    let Some((target_id, _)) = rows.iter().find(|(_, v)| v == value).cloned() else {
        return Ok(());
    };
    if target_id == first_id {
        return Ok(());
    }
    // Through a placeholder: (kind, value) is unique at every step.
    for (id, v) in [
        (target_id, format!("\u{1}swap.{target_id}")),
        (first_id, value.to_string()),
        (target_id, first_value),
    ] {
        sqlx::query("UPDATE customer_identities SET value = $1 WHERE id = $2")
            .bind(v)
            .bind(id)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

pub async fn identities(conn: &mut Conn, customer_id: i64) -> Result<Vec<Identity>> {
    Ok(sqlx::query_as(
        "SELECT id, customer_id, kind, value FROM customer_identities WHERE customer_id = $1 ORDER BY kind, id",
    )
    .bind(customer_id)
    .fetch_all(conn)
    .await?)
}

/// A page of customers by id, optionally only those whose name or identity contains `q`, or
/// those of one organization.
pub async fn list(
    conn: &mut Conn,
    q: Option<&str>,
    organization_id: Option<i64>,
    after: Option<i64>,
    limit: i64,
) -> Result<Vec<Customer>> {
    let mut s = Sql::new(SELECT);
    s.push(" WHERE 1 = 1");
    if let Some(text) = q.filter(|t| !t.is_empty()) {
        // Case-insensitive on both backends (ASCII letters on SQLite); % and _ match themselves.
        let escaped = text
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let pattern = format!("%{escaped}%");
        s.push(" AND (LOWER(cu.name) LIKE ")
            .bind(pattern.clone())
            .push(" ESCAPE '\\'");
        s.push(" OR EXISTS (SELECT 1 FROM customer_identities ci WHERE ci.customer_id = cu.id AND LOWER(ci.value) LIKE ")
            .bind(pattern)
            .push(" ESCAPE '\\'))");
    }
    if let Some(o) = organization_id {
        s.push(" AND cu.organization_id = ").bind(o);
    }
    if let Some(a) = after {
        s.push(" AND cu.id > ").bind(a);
    }
    s.push(" ORDER BY cu.id LIMIT ").bind(limit);
    Ok(s.query_as().fetch_all(conn).await?)
}

const SELECT_ORG: &str = "SELECT o.id, o.name, o.domain, o.notes, \
    (SELECT COUNT(*) FROM customers cu WHERE cu.organization_id = o.id) AS customer_count, o.created_at \
    FROM organizations o";

pub async fn organizations(conn: &mut Conn) -> Result<Vec<Organization>> {
    let q = Sql::new(&format!("{SELECT_ORG} ORDER BY o.name"));
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn organization(conn: &mut Conn, id: i64) -> Result<Option<Organization>> {
    let mut q = Sql::new(SELECT_ORG);
    q.push(" WHERE o.id = ").bind(id);
    Ok(q.query_as().fetch_optional(conn).await?)
}

pub async fn insert_organization(
    tx: &mut Conn,
    name: &str,
    domain: Option<&str>,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO organizations (name, domain, created_at) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(name.to_string())
    .bind(domain.map(str::to_string))
    .bind(at)
    .fetch_one(tx)
    .await?)
}
