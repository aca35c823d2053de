//! The web forms admin page: the forms customers open requests with in the portal, each with
//! its team, tags and the custom fields it asks (not asked, optional or required).

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use steward_engine::forms::{FormFieldInput, FormInput, WebForm};

/// One custom field's row in a form's editor.
pub struct FieldChoice {
    pub key: String,
    pub label: String,
    /// "", "optional" or "required".
    pub asked: &'static str,
}

pub struct FormEditor {
    pub id: i64,
    pub name: String,
    pub description: String,
    pub tags: String,
    pub position: i64,
    pub active: bool,
    pub teams: Vec<Choice>,
    pub fields: Vec<FieldChoice>,
}

#[derive(Template)]
#[template(path = "admin_forms.html")]
struct FormsPage {
    layout: Layout,
    tab: &'static str,
    forms: Vec<FormEditor>,
    new: FormEditor,
}

async fn editor(s: &AppState, f: Option<&WebForm>) -> Result<FormEditor, PageError> {
    let team = f.and_then(|f| f.team_id);
    let mut teams = vec![Choice::new(0, "No team", team.is_none())];
    teams.extend(
        s.engine
            .teams()
            .await?
            .into_iter()
            .map(|t| Choice::new(t.id, t.name, Some(t.id) == team)),
    );
    let fields = s
        .engine
        .custom_fields()
        .await?
        .into_iter()
        .map(|d| {
            let asked = f
                .and_then(|f| f.fields.iter().find(|x| x.key == d.key))
                .map_or("", |x| if x.required { "required" } else { "optional" });
            FieldChoice {
                key: d.key,
                label: d.label,
                asked,
            }
        })
        .collect();
    Ok(FormEditor {
        id: f.map_or(0, |f| f.id),
        name: f.map(|f| f.name.clone()).unwrap_or_default(),
        description: f.map(|f| f.description.clone()).unwrap_or_default(),
        tags: f.map(|f| f.tags.join(", ")).unwrap_or_default(),
        position: f.map_or(0, |f| f.position),
        active: f.is_none_or(|f| f.active),
        teams,
        fields,
    })
}

pub async fn page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    agent.actor.may_administer()?;
    let mut forms = Vec::new();
    for f in s.engine.web_forms(false).await? {
        forms.push(editor(&s, Some(&f)).await?);
    }
    Ok(render(&FormsPage {
        layout: Layout::new(&agent, &s.brand, "admin"),
        tab: "forms",
        forms,
        new: editor(&s, None).await?,
    }))
}

/// Adds a form, or changes one (with `id`).
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let fields = form
        .with_prefix("field.")
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| FormFieldInput {
            key: k.to_string(),
            required: v == "required",
        })
        .collect();
    let input = FormInput {
        name: form.get("name").to_string(),
        description: form.get("description").to_string(),
        slug: None,
        team_id: form.id("team_id")?,
        tags: form
            .get("tags")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        fields,
        position: form.get("position").parse().unwrap_or(0),
        active: Some(form.get("active") == "on"),
    };
    s.engine
        .save_web_form(&agent.actor, form.id("id")?, &input)
        .await?;
    Ok(Redirect::to("/admin/forms").into_response())
}

pub async fn delete(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    s.engine
        .delete_web_form(&agent.actor, form.required_id("id")?)
        .await?;
    Ok(Redirect::to("/admin/forms").into_response())
}
