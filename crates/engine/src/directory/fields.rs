//! Custom field definitions for conversations.

use super::log;
use crate::{Engine, EngineError, Result};
use serde_json::json;
use steward_domain::custom_field::{FieldKind, check_key};
use steward_domain::{Actor, validate};
use steward_store::fields;
use steward_store::models::FieldDefRow;
use steward_store::now_ms;

impl Engine {
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
