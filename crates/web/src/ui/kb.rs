//! The knowledge base in the workspace: every agent lists, searches and reads articles
//! (internal ones too) at `/kb`; supervisors and admins also see drafts and write articles in
//! a Markdown editor with a preview rendered by the server (`/kb/new`, `/kb/{id}/edit`), and
//! see when each article was last reviewed.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout};
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use steward_engine::kb::ArticleInput;
use steward_store::kb::Article;

pub struct Line {
    pub id: i64,
    pub title: String,
    pub state: String,
    pub visibility: String,
    pub category: String,
    pub reviewed: String,
    pub stale: bool,
    pub url: Option<String>,
}

#[derive(Template)]
#[template(path = "kb_list.html")]
struct ListPage {
    layout: Layout,
    q: String,
    lines: Vec<Line>,
    may_write: bool,
}

#[derive(Template)]
#[template(path = "kb_view.html")]
struct ViewPage {
    layout: Layout,
    id: i64,
    title: String,
    html: String,
    state: String,
    visibility: String,
    reviewed: String,
    stale: bool,
    url: Option<String>,
    may_write: bool,
    /// Others on the same subject.
    related: Vec<(i64, String)>,
    /// This article in other languages: (id, language name); and its original's id.
    translations: Vec<(i64, String)>,
    root: i64,
    locale: String,
}

#[derive(Template)]
#[template(path = "kb_edit.html")]
struct EditPage {
    layout: Layout,
    id: i64,
    title: String,
    body: String,
    tags: String,
    locale: String,
    /// The original's number when this is a translation, else empty.
    translation_of: String,
    categories: Vec<Choice>,
    states: Vec<Choice>,
    visibilities: Vec<Choice>,
    preview: Option<String>,
    error: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    /// Only articles due for review.
    #[serde(default)]
    stale: Option<String>,
}

fn may_write(agent: &Agent) -> bool {
    agent.actor.may_supervise().is_ok()
}

pub async fn list(
    State(s): State<AppState>,
    agent: Agent,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let now = steward_store::now_ms();
    let rows = match q.q.trim() {
        "" => s.engine.kb_articles(Some(&agent.actor), None, 500).await?,
        text => s.engine.kb_search(Some(&agent.actor), text, 100).await?,
    };
    let categories = s.engine.kb_categories().await?;
    let stale_only = q.stale.is_some();
    let lines = rows
        .into_iter()
        .filter(|a| {
            !stale_only
                || a.state == "published" && steward_engine::kb_review::is_stale(a.reviewed_at, now)
        })
        .map(|a| Line {
            stale: a.state == "published"
                && steward_engine::kb_review::is_stale(a.reviewed_at, now),
            category: a
                .category_id
                .and_then(|c| categories.iter().find(|x| x.id == c))
                .map(|c| c.name.clone())
                .unwrap_or_default(),
            reviewed: crate::fmt::ago(a.reviewed_at, now),
            url: public_url(&a),
            id: a.id,
            title: a.title,
            state: a.state,
            visibility: a.visibility,
        })
        .collect();
    Ok(render(&ListPage {
        layout: Layout::new(&agent, &s.brand, "kb"),
        q: q.q,
        lines,
        may_write: may_write(&agent),
    }))
}

fn public_url(a: &Article) -> Option<String> {
    (a.state == "published" && a.visibility == "public")
        .then(|| format!("/help/articles/{}-{}", a.id, a.slug))
}

pub async fn view(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let a = s.engine.kb_article(Some(&agent.actor), id).await?;
    let related = s
        .engine
        .kb_related(Some(&agent.actor), &a, 5)
        .await?
        .into_iter()
        .map(|r| (r.id, r.title))
        .collect();
    let root = a.translation_of.unwrap_or(a.id);
    let translations = s
        .engine
        .kb_translations(Some(&agent.actor), root)
        .await?
        .into_iter()
        .filter(|t| t.id != a.id)
        .map(|t| (t.id, steward_domain::kb::language_name(&t.locale)))
        .collect();
    Ok(render(&ViewPage {
        translations,
        root,
        locale: steward_domain::kb::language_name(&a.locale),
        related,
        stale: a.state == "published"
            && steward_engine::kb_review::is_stale(a.reviewed_at, steward_store::now_ms()),
        layout: Layout::new(&agent, &s.brand, "kb"),
        url: public_url(&a),
        reviewed: crate::fmt::datetime(a.reviewed_at),
        id: a.id,
        title: a.title,
        html: a.body_html,
        state: a.state,
        visibility: a.visibility,
        may_write: may_write(&agent),
    }))
}

async fn editor(
    s: &AppState,
    agent: &Agent,
    id: i64,
    input: &ArticleInput,
    preview: Option<String>,
    error: String,
) -> Result<Response, PageError> {
    let mut categories = vec![Choice::new(0, "No category", input.category_id.is_none())];
    let all = s.engine.kb_categories().await?;
    // Sections are named with the category they sit in.
    categories.extend(all.iter().map(|c| {
        let name = match c.parent_id.and_then(|p| all.iter().find(|x| x.id == p)) {
            Some(p) => format!("{} › {}", p.name, c.name),
            None => c.name.clone(),
        };
        Choice::new(c.id, name, input.category_id == Some(c.id))
    }));
    let pick = |v: &Option<String>, default: &str, all: &[&str]| {
        let now = v.as_deref().unwrap_or(default).to_string();
        all.iter()
            .map(|w| Choice::new(w, w, *w == now))
            .collect::<Vec<_>>()
    };
    Ok(render(&EditPage {
        layout: Layout::new(agent, &s.brand, "kb"),
        id,
        title: input.title.clone(),
        body: input.body.clone(),
        tags: input.tags.join(", "),
        locale: input.locale.clone().unwrap_or_else(|| "en".into()),
        translation_of: input
            .translation_of
            .map(|t| t.to_string())
            .unwrap_or_default(),
        categories,
        states: pick(&input.state, "draft", &["draft", "published"]),
        visibilities: pick(&input.visibility, "public", &["public", "internal"]),
        preview,
        error,
    }))
}

#[derive(Deserialize)]
pub struct NewQuery {
    /// Start a translation of this article: its text and category to translate from.
    translation_of: Option<i64>,
}

pub async fn new(
    State(s): State<AppState>,
    agent: Agent,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    agent.actor.may_supervise()?;
    let original = match q.translation_of {
        Some(id) => Some(s.engine.kb_article(Some(&agent.actor), id).await?),
        None => None,
    };
    let blank = ArticleInput {
        title: original
            .as_ref()
            .map(|a| a.title.clone())
            .unwrap_or_default(),
        body: original
            .as_ref()
            .map(|a| a.body_md.clone())
            .unwrap_or_default(),
        category_id: original.as_ref().and_then(|a| a.category_id),
        slug: None,
        state: None,
        visibility: original.as_ref().map(|a| a.visibility.clone()),
        locale: None,
        tags: original
            .as_ref()
            .map(|a| serde_json::from_str(&a.tags).unwrap_or_default())
            .unwrap_or_default(),
        translation_of: original.map(|a| a.translation_of.unwrap_or(a.id)),
    };
    editor(&s, &agent, 0, &blank, None, String::new()).await
}

pub async fn edit(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    agent.actor.may_supervise()?;
    let a = s.engine.kb_article(Some(&agent.actor), id).await?;
    let input = ArticleInput {
        tags: serde_json::from_str(&a.tags).unwrap_or_default(),
        title: a.title,
        body: a.body_md,
        category_id: a.category_id,
        slug: Some(a.slug),
        state: Some(a.state),
        visibility: Some(a.visibility),
        locale: Some(a.locale),
        translation_of: a.translation_of,
    };
    editor(&s, &agent, id, &input, None, String::new()).await
}

/// Saves the editor's form, or shows its preview (`action=preview`); a refused save shows
/// the form again with the reason and nothing lost.
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let id = form.id("id")?;
    let input = ArticleInput {
        title: form.get("title").to_string(),
        body: form.get("body").to_string(),
        category_id: form.id("category_id")?,
        slug: None,
        state: Some(form.get("state").to_string()),
        visibility: Some(form.get("visibility").to_string()),
        locale: Some(form.get("locale").to_string()),
        tags: form
            .get("tags")
            .split(',')
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect(),
        translation_of: form.id("translation_of")?,
    };
    if form.get("action") == "preview" {
        agent.actor.may_supervise()?;
        let html = steward_engine::kb::render(&input.body);
        return editor(
            &s,
            &agent,
            id.unwrap_or(0),
            &input,
            Some(html),
            String::new(),
        )
        .await;
    }
    match s.engine.save_kb_article(&agent.actor, id, &input).await {
        Ok(a) => Ok(Redirect::to(&format!("/kb/{}", a.id)).into_response()),
        Err(e) => {
            let p = crate::error::Problem::from(e);
            if p.status.is_client_error() && p.status != axum::http::StatusCode::FORBIDDEN {
                let reason = match p.field {
                    Some(f) => format!("{f} {}", p.detail),
                    None => p.detail,
                };
                editor(&s, &agent, id.unwrap_or(0), &input, None, reason).await
            } else {
                Err(PageError(p))
            }
        }
    }
}
