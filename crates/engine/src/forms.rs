//! Web forms: what a customer fills in to open a request in the portal, one per topic. Admins
//! define each form's name, description, the team it goes to, the tags it adds and which
//! conversation custom fields it asks for (each required or not). A form's answers become the
//! conversation's custom fields, checked like any other change to them.

use crate::conversation::check_tags;
use crate::{Engine, EngineError, Result};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use steward_domain::custom_field::FieldKind;
use steward_domain::{Actor, validate};
use steward_store::forms::{self, FormFields, FormRow};
use steward_store::models::FieldDefRow;
use steward_store::{fields, now_ms, users};

/// What an admin sends for a form.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FormInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Made from the name when absent.
    pub slug: Option<String>,
    pub team_id: Option<i64>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub fields: Vec<FormFieldInput>,
    #[serde(default)]
    pub position: i64,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FormFieldInput {
    /// A conversation custom field's key.
    pub key: String,
    #[serde(default)]
    pub required: bool,
}

/// A form as customers and the API see it, its fields with their definitions.
#[derive(Debug, Clone, Serialize)]
pub struct WebForm {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub team_id: Option<i64>,
    pub tags: Vec<String>,
    pub fields: Vec<FormField>,
    pub position: i64,
    pub active: bool,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct FormField {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub options: Vec<String>,
    pub required: bool,
}

fn resolve(row: FormRow, defs: &[FieldDefRow]) -> WebForm {
    let wanted: Vec<FormFieldInput> = serde_json::from_str(&row.fields).unwrap_or_default();
    // A field deleted since the form was saved is left out.
    let fields = wanted
        .into_iter()
        .filter_map(|w| {
            let d = defs.iter().find(|d| d.key == w.key)?;
            Some(FormField {
                key: d.key.clone(),
                label: d.label.clone(),
                kind: d.kind.clone(),
                options: d.options_list(),
                required: w.required,
            })
        })
        .collect();
    WebForm {
        id: row.id,
        slug: row.slug,
        name: row.name,
        description: row.description,
        team_id: row.team_id,
        tags: serde_json::from_str(&row.tags).unwrap_or_default(),
        fields,
        position: row.position,
        active: row.active == 1,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// A form answer as the custom field's JSON value: `None` when left empty. Numbers and
/// checkboxes arrive as text from an HTML form.
pub fn answer_value(field: &FormField, raw: &str) -> Result<Option<Value>> {
    let raw = raw.trim();
    let bad = |msg: &str| EngineError::invalid(&format!("fields.{}", field.key), msg.to_string());
    let kind = FieldKind::parse(&field.kind).map_err(|_| bad("has an unknown kind"))?;
    Ok(match kind {
        FieldKind::Checkbox => Some(Value::Bool(matches!(raw, "on" | "true" | "yes" | "1"))),
        _ if raw.is_empty() => None,
        FieldKind::Number => Some(
            raw.parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
                .ok_or_else(|| bad("must be a number"))?,
        ),
        FieldKind::Text | FieldKind::Date | FieldKind::Dropdown => Some(Value::String(raw.into())),
    })
}

/// The custom fields a form's answers fill in; a required field left empty is refused with
/// its label.
pub fn answers(form: &WebForm, raw: &[(String, String)]) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    for f in &form.fields {
        let given = raw
            .iter()
            .find(|(k, _)| *k == f.key)
            .map_or("", |(_, v)| v.as_str());
        match answer_value(f, given)? {
            Some(v) if !(f.required && v == Value::Bool(false)) => {
                out.insert(f.key.clone(), v);
            }
            _ if f.required => {
                return Err(EngineError::invalid(
                    &format!("fields.{}", f.key),
                    format!("{} is required", f.label),
                ));
            }
            _ => {}
        }
    }
    Ok(out)
}

impl Engine {
    /// The forms, active ones only when `active_only` (what customers may choose from).
    pub async fn web_forms(&self, active_only: bool) -> Result<Vec<WebForm>> {
        let mut conn = self.store.pool().acquire().await?;
        let defs = fields::list(&mut conn).await?;
        Ok(forms::list(&mut conn, active_only)
            .await?
            .into_iter()
            .map(|r| resolve(r, &defs))
            .collect())
    }

    /// Form `id`; an inactive one only when `active_only` is false.
    pub async fn web_form(&self, id: i64, active_only: bool) -> Result<WebForm> {
        let mut conn = self.store.pool().acquire().await?;
        let row = forms::get(&mut conn, id)
            .await?
            .filter(|r| !active_only || r.active == 1)
            .ok_or_else(|| EngineError::not_found("form"))?;
        let defs = fields::list(&mut conn).await?;
        Ok(resolve(row, &defs))
    }

    /// Creates (`id` none) or changes a form. Admins.
    pub async fn save_web_form(
        &self,
        by: &Actor,
        id: Option<i64>,
        input: &FormInput,
    ) -> Result<WebForm> {
        by.may_administer()?;
        let name = validate::required("name", &input.name, 100)?;
        let description = validate::bounded("description", &input.description, 2_000)?;
        let slug = steward_domain::kb::slug(input.slug.as_deref().unwrap_or(&name));
        if slug.is_empty() {
            return Err(EngineError::invalid("slug", "needs a letter or a digit"));
        }
        let tags = check_tags(&input.tags)?;
        if input.fields.len() > 30 {
            return Err(EngineError::invalid("fields", "at most 30 fields"));
        }
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if let Some(t) = input.team_id
            && users::team(&mut tx, t).await?.is_none()
        {
            return Err(EngineError::invalid(
                "team_id",
                format!("team {t} does not exist"),
            ));
        }
        let defs = fields::list(&mut tx).await?;
        let mut seen: Vec<&str> = Vec::new();
        for (i, f) in input.fields.iter().enumerate() {
            if !defs.iter().any(|d| d.key == f.key) {
                return Err(EngineError::invalid(
                    &format!("fields[{i}].key"),
                    format!("there is no custom field {:?}", f.key),
                ));
            }
            if seen.contains(&f.key.as_str()) {
                return Err(EngineError::invalid(
                    &format!("fields[{i}].key"),
                    format!("{:?} is asked twice", f.key),
                ));
            }
            seen.push(&f.key);
        }
        let tags_json = serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into());
        let fields_json = serde_json::to_string(&input.fields).unwrap_or_else(|_| "[]".into());
        let row = FormFields {
            slug: &slug,
            name: &name,
            description: &description,
            team_id: input.team_id,
            tags: &tags_json,
            fields: &fields_json,
            position: input.position,
            active: input.active.unwrap_or(true),
        };
        let saved = match id {
            None => forms::insert(&mut tx, &row, at).await,
            Some(id) => match forms::update(&mut tx, id, &row, at).await {
                Ok(true) => Ok(id),
                Ok(false) => return Err(EngineError::not_found("form")),
                Err(e) => Err(e),
            },
        };
        let id = match saved {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(EngineError::conflict(format!(
                    "another form has the address {slug:?}"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let row = forms::get(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("form"))?;
        tx.commit().await?;
        Ok(resolve(row, &defs))
    }

    /// Deletes a form. Admins. Requests opened through it keep their fields.
    pub async fn delete_web_form(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_administer()?;
        let mut tx = self.store.write().await?;
        if !forms::delete(&mut tx, id).await? {
            return Err(EngineError::not_found("form"));
        }
        tx.commit().await?;
        Ok(())
    }
}
