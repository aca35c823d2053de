//! Customers, their identities and organizations.

use super::log;
use crate::intake::search_text;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::{Actor, validate};
use steward_store::events::Doer;
use steward_store::models::{Customer, Identity, Organization};
use steward_store::now_ms;
use steward_store::{customers, search};

/// A change to a customer: `None` leaves a field alone; a tier of `Some(None)` or an empty one
/// clears it.
#[derive(Debug, Clone, Copy, Default)]
pub struct CustomerPatch<'a> {
    pub name: Option<&'a str>,
    pub organization_id: Option<Option<i64>>,
    pub notes: Option<&'a str>,
    pub tier: Option<Option<&'a str>>,
}

/// A tier is a short lower-case word such as "vip"; empty means none.
fn check_tier(tier: Option<&str>) -> Result<Option<String>> {
    let Some(t) = tier.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > 40 || t.chars().any(char::is_control) {
        return Err(EngineError::invalid(
            "tier",
            "must be at most 40 characters on one line",
        ));
    }
    Ok(Some(t.to_lowercase()))
}

impl Engine {
    pub async fn customer(&self, id: i64) -> Result<(Customer, Vec<Identity>)> {
        let mut conn = self.store.pool().acquire().await?;
        let c = customers::get(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer"))?;
        let ids = customers::identities(&mut conn, id).await?;
        Ok((c, ids))
    }

    pub async fn list_customers(
        &self,
        q: Option<&str>,
        organization_id: Option<i64>,
        after: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Customer>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(customers::list(&mut conn, q, organization_id, after, limit).await?)
    }

    /// Creates a customer from a name and at least one identity; an identity someone already
    /// has is a conflict.
    pub async fn create_customer(
        &self,
        by: &Actor,
        r: crate::intake::CustomerRef,
        organization_id: Option<i64>,
    ) -> Result<Customer> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if let Some(e) = r.email.as_deref() {
            let e = validate::email("email", e)?;
            if let Some(owner) = customers::find_by_identity(&mut tx, "email", &e).await? {
                return Err(EngineError::conflict(format!(
                    "{e} already belongs to customer {owner}"
                )));
            }
        }
        if let Some(p) = r.phone.as_deref() {
            let p = crate::intake::check_phone(p)?;
            if let Some(owner) = customers::find_by_identity(&mut tx, "phone", &p).await? {
                return Err(EngineError::conflict(format!(
                    "{p} already belongs to customer {owner}"
                )));
            }
        }
        if let Some(o) = organization_id
            && customers::organization(&mut tx, o).await?.is_none()
        {
            return Err(EngineError::invalid(
                "organization_id",
                format!("organization {o} does not exist"),
            ));
        }
        let id = crate::intake::identify(&mut tx, &r, Doer::User(by.user_id), at).await?;
        if organization_id.is_some() {
            let c = customers::get(&mut tx, id)
                .await?
                .ok_or_else(|| EngineError::not_found("customer"))?;
            let fields = customers::Fields {
                name: &c.name,
                organization_id,
                notes: &c.notes,
                tier: c.tier.as_deref(),
            };
            customers::update(&mut tx, id, fields, at).await?;
            log(&mut tx, Some(by), "customer", id, "customer.updated", json!({
                "before": {"organization_id": null}, "after": {"organization_id": organization_id},
            }), at)
            .await?;
        }
        let c = customers::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer"))?;
        tx.commit().await?;
        Ok(c)
    }

    pub async fn update_customer(
        &self,
        by: &Actor,
        id: i64,
        patch: CustomerPatch<'_>,
    ) -> Result<Customer> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = customers::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer"))?;
        let name = match patch.name {
            Some(n) => validate::required("name", n, validate::MAX_NAME)?,
            None => before.name.clone(),
        };
        let org = patch.organization_id.unwrap_or(before.organization_id);
        if let Some(o) = org
            && customers::organization(&mut tx, o).await?.is_none()
        {
            return Err(EngineError::invalid(
                "organization_id",
                format!("organization {o} does not exist"),
            ));
        }
        let notes = match patch.notes {
            Some(n) => validate::bounded("notes", n, 10_000)?,
            None => before.notes.clone(),
        };
        let tier = match patch.tier {
            Some(t) => check_tier(t)?,
            None => before.tier.clone(),
        };
        let fields = customers::Fields {
            name: &name,
            organization_id: org,
            notes: &notes,
            tier: tier.as_deref(),
        };
        customers::update(&mut tx, id, fields, at).await?;
        let text = search_text(&mut tx, id).await?;
        search::reindex_customer(&mut tx, id, &text).await?;
        log(&mut tx, Some(by), "customer", id, "customer.updated", json!({
            "before": {"name": before.name, "organization_id": before.organization_id, "notes": before.notes, "tier": before.tier},
            "after": {"name": name, "organization_id": org, "notes": notes, "tier": tier},
        }), at)
        .await?;
        let after = customers::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer"))?;
        tx.commit().await?;
        Ok(after)
    }

    /// Adds an identity (email, phone, chat visitor id, social handle) to a customer.
    pub async fn add_identity(
        &self,
        by: &Actor,
        customer_id: i64,
        kind: &str,
        value: &str,
    ) -> Result<Identity> {
        let value = match kind {
            "email" => validate::email("value", value)?,
            "phone" => crate::intake::check_phone(value)?,
            "chat" | "social" => validate::required("value", value, 200)?,
            _ => {
                return Err(EngineError::invalid(
                    "kind",
                    "must be one of: email, phone, chat, social",
                ));
            }
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        customers::get(&mut tx, customer_id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer"))?;
        if let Some(owner) = customers::find_by_identity(&mut tx, kind, &value).await? {
            return Err(EngineError::conflict(format!(
                "{kind} {value} already belongs to customer {owner}"
            )));
        }
        let id = customers::add_identity(&mut tx, customer_id, kind, &value, at).await?;
        let text = search_text(&mut tx, customer_id).await?;
        search::reindex_customer(&mut tx, customer_id, &text).await?;
        log(
            &mut tx,
            Some(by),
            "customer",
            customer_id,
            "identity.added",
            json!({"after": {"kind": kind, "value": value}}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(Identity {
            id,
            customer_id,
            kind: kind.to_string(),
            value,
        })
    }

    pub async fn organizations(&self) -> Result<Vec<Organization>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(customers::organizations(&mut conn).await?)
    }

    pub async fn organization(&self, id: i64) -> Result<Organization> {
        let mut conn = self.store.pool().acquire().await?;
        customers::organization(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("organization"))
    }

    pub async fn create_organization(
        &self,
        by: Option<&Actor>,
        name: &str,
        domain: Option<&str>,
    ) -> Result<Organization> {
        let name = validate::required("name", name, validate::MAX_NAME)?;
        let domain = domain
            .map(|d| validate::bounded("domain", d, 253))
            .transpose()?
            .filter(|d| !d.is_empty());
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let id = customers::insert_organization(&mut tx, &name, domain.as_deref(), at)
            .await
            .map_err(|e| {
                if e.is_unique_violation() {
                    EngineError::conflict(format!("an organization called {name} exists"))
                } else {
                    e.into()
                }
            })?;
        log(
            &mut tx,
            by,
            "organization",
            id,
            "organization.created",
            json!({"after": {"name": name, "domain": domain}}),
            at,
        )
        .await?;
        let org = customers::organization(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("organization"))?;
        tx.commit().await?;
        Ok(org)
    }
}
