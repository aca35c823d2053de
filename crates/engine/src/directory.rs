//! The directory: customers and organizations, teams, tags, custom field definitions, agents
//! and search. Reads are open to every agent; changes to teams, tags and fields are an admin's.

use crate::intake::search_text;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::custom_field::{FieldKind, check_key};
use steward_domain::{Actor, validate};
use steward_store::events::{self, Doer, NewEvent};
use steward_store::models::{Customer, FieldDefRow, Identity, Organization, Tag, Team, User};
use steward_store::search::Hit;
use steward_store::{Conn, customers, fields, now_ms, search, tags, users};

async fn log(
    tx: &mut Conn,
    by: Option<&Actor>,
    subject_type: &str,
    id: i64,
    kind: &str,
    data: serde_json::Value,
    at: i64,
) -> Result<()> {
    events::append(
        tx,
        NewEvent {
            doer: by.map_or(Doer::System, |a| Doer::User(a.user_id)),
            subject_type,
            subject_id: id,
            conversation_id: None,
            kind,
            data,
            at,
        },
    )
    .await?;
    Ok(())
}

fn check_color(color: &str) -> Result<String> {
    let c = color.trim();
    let ok = c.len() == 7 && c.starts_with('#') && c[1..].chars().all(|ch| ch.is_ascii_hexdigit());
    if ok {
        Ok(c.to_lowercase())
    } else {
        Err(EngineError::invalid("color", "use a colour like #1d4ed8"))
    }
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
            customers::update(&mut tx, id, &c.name, organization_id, &c.notes, at).await?;
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
        name: Option<&str>,
        organization_id: Option<Option<i64>>,
        notes: Option<&str>,
    ) -> Result<Customer> {
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = customers::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("customer"))?;
        let name = match name {
            Some(n) => validate::required("name", n, validate::MAX_NAME)?,
            None => before.name.clone(),
        };
        let org = organization_id.unwrap_or(before.organization_id);
        if let Some(o) = org
            && customers::organization(&mut tx, o).await?.is_none()
        {
            return Err(EngineError::invalid(
                "organization_id",
                format!("organization {o} does not exist"),
            ));
        }
        let notes = match notes {
            Some(n) => validate::bounded("notes", n, 10_000)?,
            None => before.notes.clone(),
        };
        customers::update(&mut tx, id, &name, org, &notes, at).await?;
        let text = search_text(&mut tx, id).await?;
        search::reindex_customer(&mut tx, id, &text).await?;
        log(&mut tx, Some(by), "customer", id, "customer.updated", json!({
            "before": {"name": before.name, "organization_id": before.organization_id, "notes": before.notes},
            "after": {"name": name, "organization_id": org, "notes": notes},
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

    pub async fn agents(&self) -> Result<Vec<User>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(users::list(&mut conn).await?)
    }

    pub async fn agent(&self, id: i64) -> Result<(User, Vec<i64>)> {
        let mut conn = self.store.pool().acquire().await?;
        let u = users::get(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("agent"))?;
        let teams = users::team_ids(&mut conn, id).await?;
        Ok((u, teams))
    }

    pub async fn teams(&self) -> Result<Vec<Team>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(users::teams(&mut conn).await?)
    }

    pub async fn team(&self, id: i64) -> Result<(Team, Vec<i64>)> {
        let mut conn = self.store.pool().acquire().await?;
        let t = users::team(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("team"))?;
        let members = users::members(&mut conn, id).await?;
        Ok((t, members))
    }

    /// Creates or changes a team (admin). `id` `None` creates.
    pub async fn save_team(
        &self,
        by: Option<&Actor>,
        id: Option<i64>,
        name: &str,
        description: &str,
        members: Option<&[i64]>,
    ) -> Result<Team> {
        if let Some(a) = by {
            a.may_administer()?;
        }
        let name = validate::required("name", name, validate::MAX_NAME)?;
        let description = validate::bounded("description", description, 2_000)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let unique = |e: steward_store::StoreError| {
            if e.is_unique_violation() {
                EngineError::conflict(format!("a team called {name} exists"))
            } else {
                e.into()
            }
        };
        let (id, kind, before) = match id {
            Some(id) => {
                let before = users::team(&mut tx, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("team"))?;
                users::update_team(&mut tx, id, &name, &description)
                    .await
                    .map_err(unique)?;
                (
                    id,
                    "team.updated",
                    json!({"name": before.name, "description": before.description}),
                )
            }
            None => (
                users::insert_team(&mut tx, &name, &description, at)
                    .await
                    .map_err(unique)?,
                "team.created",
                json!(null),
            ),
        };
        if let Some(m) = members {
            for u in m {
                if users::get(&mut tx, *u).await?.is_none() {
                    return Err(EngineError::invalid(
                        "members",
                        format!("agent {u} does not exist"),
                    ));
                }
            }
            users::set_members(&mut tx, id, m).await?;
        }
        log(&mut tx, by, "team", id, kind, json!({"before": before, "after": {"name": name, "description": description, "members": members}}), at).await?;
        let team = users::team(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("team"))?;
        tx.commit().await?;
        Ok(team)
    }

    pub async fn tags(&self) -> Result<Vec<Tag>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(tags::list(&mut conn).await?)
    }

    /// Creates or renames/recolours a tag (admin).
    pub async fn save_tag(
        &self,
        by: &Actor,
        id: Option<i64>,
        name: &str,
        color: &str,
    ) -> Result<Tag> {
        by.may_administer()?;
        let name = validate::tag(name)?;
        let color = check_color(color)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let unique = |e: steward_store::StoreError| {
            if e.is_unique_violation() {
                EngineError::conflict(format!("a tag called {name} exists"))
            } else {
                e.into()
            }
        };
        let id = match id {
            Some(id) => {
                let before = tags::get(&mut tx, id)
                    .await?
                    .ok_or_else(|| EngineError::not_found("tag"))?;
                tags::update(&mut tx, id, &name, &color)
                    .await
                    .map_err(unique)?;
                log(&mut tx, Some(by), "tag", id, "tag.updated", json!({"before": {"name": before.name, "color": before.color}, "after": {"name": name, "color": color}}), at).await?;
                id
            }
            None => {
                let id = tags::insert(&mut tx, &name, &color, at)
                    .await
                    .map_err(unique)?;
                log(
                    &mut tx,
                    Some(by),
                    "tag",
                    id,
                    "tag.created",
                    json!({"after": {"name": name, "color": color}}),
                    at,
                )
                .await?;
                id
            }
        };
        let tag = tags::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("tag"))?;
        tx.commit().await?;
        Ok(tag)
    }

    pub async fn delete_tag(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = tags::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("tag"))?;
        tags::delete(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "tag",
            id,
            "tag.deleted",
            json!({"before": {"name": before.name, "usage": before.usage}}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn custom_fields(&self) -> Result<Vec<FieldDefRow>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(fields::list(&mut conn).await?)
    }

    /// Creates a custom field definition (admin). A dropdown needs at least one option.
    pub async fn create_custom_field(
        &self,
        by: &Actor,
        key: &str,
        label: &str,
        kind: &str,
        options: &[String],
    ) -> Result<FieldDefRow> {
        by.may_administer()?;
        check_key(key)?;
        let label = validate::required("label", label, validate::MAX_NAME)?;
        let kind = FieldKind::parse(kind)?;
        let options = check_options(kind, options)?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let position = fields::list(&mut tx).await?.len() as i64;
        let options_json = serde_json::to_string(&options).unwrap_or_else(|_| "[]".into());
        let id = fields::insert(
            &mut tx,
            key,
            &label,
            kind.as_str(),
            &options_json,
            position,
            at,
        )
        .await
        .map_err(|e| {
            if e.is_unique_violation() {
                EngineError::conflict(format!("a field with key {key} exists"))
            } else {
                e.into()
            }
        })?;
        log(
            &mut tx,
            Some(by),
            "custom_field",
            id,
            "custom_field.created",
            json!({"after": {"key": key, "label": label, "kind": kind, "options": options}}),
            at,
        )
        .await?;
        let f = fields::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("custom field"))?;
        tx.commit().await?;
        Ok(f)
    }

    pub async fn update_custom_field(
        &self,
        by: &Actor,
        id: i64,
        label: Option<&str>,
        options: Option<&[String]>,
        position: Option<i64>,
    ) -> Result<FieldDefRow> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = fields::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("custom field"))?;
        let kind = FieldKind::parse(&before.kind)?;
        let label = match label {
            Some(l) => validate::required("label", l, validate::MAX_NAME)?,
            None => before.label.clone(),
        };
        let options = match options {
            Some(o) => check_options(kind, o)?,
            None => before.options_list(),
        };
        let options_json = serde_json::to_string(&options).unwrap_or_else(|_| "[]".into());
        fields::update(
            &mut tx,
            id,
            &label,
            &options_json,
            position.unwrap_or(before.position),
        )
        .await?;
        log(&mut tx, Some(by), "custom_field", id, "custom_field.updated", json!({"before": {"label": before.label, "options": before.options_list()}, "after": {"label": label, "options": options}}), at).await?;
        let f = fields::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("custom field"))?;
        tx.commit().await?;
        Ok(f)
    }

    pub async fn delete_custom_field(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let before = fields::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("custom field"))?;
        fields::delete(&mut tx, id).await?;
        log(
            &mut tx,
            Some(by),
            "custom_field",
            id,
            "custom_field.deleted",
            json!({"before": {"key": before.key, "label": before.label}}),
            at,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

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

fn check_options(kind: FieldKind, options: &[String]) -> Result<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for o in options {
        let o = validate::required("options", o, validate::MAX_NAME)?;
        if !out.contains(&o) {
            out.push(o);
        }
    }
    match kind {
        FieldKind::Dropdown if out.is_empty() => Err(EngineError::invalid(
            "options",
            "a dropdown needs at least one option",
        )),
        FieldKind::Dropdown => Ok(out),
        _ => Ok(Vec::new()),
    }
}
