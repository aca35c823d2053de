//! Intake: who is this customer? Finds a customer by any of their identities or creates one,
//! so one person keeps one history across email, chat, web, phone and the API.

use crate::{EngineError, Result};
use serde_json::json;
use steward_domain::validate;
use steward_store::events::{self, Doer, NewEvent};
use steward_store::{Conn, Tx, customers, search};

/// How a channel names a customer. At least one identity, or an existing id.
#[derive(Debug, Clone, Default)]
pub struct CustomerRef {
    pub id: Option<i64>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub name: Option<String>,
}

/// The text that finds a customer in search: name and every identity.
pub(crate) async fn search_text(conn: &mut Conn, customer_id: i64) -> Result<String> {
    let c = customers::get(conn, customer_id)
        .await?
        .ok_or_else(|| EngineError::not_found("customer"))?;
    let mut text = c.name;
    for i in customers::identities(conn, customer_id).await? {
        text.push(' ');
        text.push_str(&i.value);
    }
    Ok(text)
}

/// Checks a phone number and keeps only `+` and digits, so every channel spells it alike.
pub(crate) fn check_phone(value: &str) -> Result<String> {
    let v = validate::required("customer.phone", value, 32)?;
    if !v
        .chars()
        .all(|c| c.is_ascii_digit() || " +-().".contains(c))
        || !v.chars().any(|c| c.is_ascii_digit())
    {
        return Err(EngineError::invalid(
            "customer.phone",
            "is not a phone number",
        ));
    }
    Ok(v.chars()
        .filter(|c| c.is_ascii_digit() || *c == '+')
        .collect())
}

/// The customer `r` names, created (with its identities and search entry) if new. Runs inside
/// the caller's transaction.
pub async fn identify(tx: &mut Tx, r: &CustomerRef, doer: Doer, at: i64) -> Result<i64> {
    if let Some(id) = r.id {
        customers::get(tx, id).await?.ok_or_else(|| {
            EngineError::invalid("customer.id", format!("customer {id} does not exist"))
        })?;
        return Ok(id);
    }
    let email = r
        .email
        .as_deref()
        .map(|e| validate::email("customer.email", e))
        .transpose()?;
    let phone = r.phone.as_deref().map(check_phone).transpose()?;
    if email.is_none() && phone.is_none() {
        return Err(EngineError::invalid(
            "customer",
            "give an id, an email or a phone number",
        ));
    }
    if let Some(e) = &email {
        customers::lock_identity(tx, "email", e).await?;
    }
    if let Some(p) = &phone {
        customers::lock_identity(tx, "phone", p).await?;
    }
    if let Some(e) = &email
        && let Some(id) = customers::find_by_identity(tx, "email", e).await?
    {
        return Ok(id);
    }
    if let Some(p) = &phone
        && let Some(id) = customers::find_by_identity(tx, "phone", p).await?
    {
        return Ok(id);
    }
    let name = match r.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => validate::bounded("customer.name", n, validate::MAX_NAME)?,
        None => email
            .as_deref()
            .and_then(|e| e.split('@').next())
            .or(phone.as_deref())
            .unwrap_or("Customer")
            .to_string(),
    };
    create(tx, &name, email.as_deref(), phone.as_deref(), doer, at).await
}

/// A new customer with these identities (checked by the caller), its search entry and its
/// `customer.created` event.
pub(crate) async fn create(
    tx: &mut Tx,
    name: &str,
    email: Option<&str>,
    phone: Option<&str>,
    doer: Doer,
    at: i64,
) -> Result<i64> {
    let id = customers::insert(tx, name, None, at).await?;
    if let Some(e) = email {
        customers::add_identity(tx, id, "email", e, at).await?;
    }
    if let Some(p) = phone {
        customers::add_identity(tx, id, "phone", p, at).await?;
    }
    let text = search_text(tx, id).await?;
    search::reindex_customer(tx, id, &text).await?;
    events::append(
        tx,
        NewEvent {
            doer,
            subject_type: "customer",
            subject_id: id,
            conversation_id: None,
            kind: "customer.created",
            data: json!({"after": {"name": name, "email": email, "phone": phone}}),
            at,
        },
    )
    .await?;
    Ok(id)
}
