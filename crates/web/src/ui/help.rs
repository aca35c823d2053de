//! The public help center: categories and published public articles at clean addresses
//! (`/help`, `/help/categories/{slug}`, `/help/articles/{id}-{slug}`), search with the
//! matched words marked in a snippet, "Was this helpful?", and `/sitemap.xml`. No session:
//! everything here reads through the public reach, so drafts and internal articles are never
//! found or shown.

use super::help_lang::{languages, one_article_per_group, one_per_group, reader_language};
use super::render;
use crate::AppState;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use steward_store::kb::{Article, Category, Title};

pub struct ArticleLink {
    pub url: String,
    pub title: String,
    /// Runs of (text, is a match).
    pub snippet: Vec<(String, bool)>,
}

fn link(a: &Article, query: &str) -> ArticleLink {
    let text = steward_engine::sanitize::html_to_text(&a.body_html);
    ArticleLink {
        url: format!("/help/articles/{}-{}", a.id, a.slug),
        title: a.title.clone(),
        snippet: steward_domain::kb::snippet(&text, query, 180),
    }
}

fn title_link(t: &Title) -> ArticleLink {
    ArticleLink {
        url: format!("/help/articles/{}-{}", t.id, t.slug),
        title: t.title.clone(),
        snippet: Vec::new(),
    }
}

pub struct Section {
    pub category: Category,
    pub articles: Vec<ArticleLink>,
    /// Its sections with their articles.
    pub subsections: Vec<(Category, Vec<ArticleLink>)>,
    /// The category a section sits in (a section's own page).
    pub parent: Option<Category>,
}

/// `tops` with their articles and sections' articles from `titles`, leaving out empty ones.
fn sections_of(tops: Vec<Category>, all: &[Category], titles: &[Title]) -> Vec<Section> {
    let in_cat = |id: i64| -> Vec<ArticleLink> {
        titles
            .iter()
            .filter(|a| a.category_id == Some(id))
            .map(title_link)
            .collect()
    };
    tops.into_iter()
        .map(|c| Section {
            articles: in_cat(c.id),
            subsections: all
                .iter()
                .filter(|x| x.parent_id == Some(c.id))
                .map(|x| (x.clone(), in_cat(x.id)))
                .filter(|(_, list)| !list.is_empty())
                .collect(),
            parent: c
                .parent_id
                .and_then(|p| all.iter().find(|x| x.id == p).cloned()),
            category: c,
        })
        .filter(|sec| !sec.articles.is_empty() || !sec.subsections.is_empty())
        .collect()
}

#[derive(Template)]
#[template(path = "help_home.html")]
struct HomePage {
    brand: crate::ui::brand::Brand,
    title: String,
    /// The page's language (the `lang` attribute) and the language links (home only).
    lang: String,
    languages: Vec<(String, String, bool)>,
    q: String,
    sections: Vec<Section>,
}

#[derive(Template)]
#[template(path = "help_search.html")]
struct SearchPage {
    brand: crate::ui::brand::Brand,
    title: String,
    /// The page's language (the `lang` attribute) and the language links (home only).
    lang: String,
    languages: Vec<(String, String, bool)>,
    q: String,
    results: Vec<ArticleLink>,
}

#[derive(Template)]
#[template(path = "help_article.html")]
struct ArticlePage {
    brand: crate::ui::brand::Brand,
    title: String,
    /// The page's language (the `lang` attribute) and the language links (home only).
    lang: String,
    languages: Vec<(String, String, bool)>,
    q: String,
    id: i64,
    html: String,
    category: Option<Category>,
    /// The category the article's section sits in.
    parent: Option<Category>,
    updated: String,
    thanked: bool,
    related: Vec<ArticleLink>,
    /// The article in other languages: (address, language name).
    also: Vec<(String, String)>,
}

/// The help center's front page: each category with its articles.
pub async fn home(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let lang = reader_language(&headers);
    let all = s.engine.kb_titles(None, None).await?;
    let languages = languages(&all, &lang);
    let articles = one_per_group(all, &lang);
    let categories = s.engine.kb_categories().await?;
    let tops = categories
        .iter()
        .filter(|c| c.parent_id.is_none())
        .cloned()
        .collect();
    let sections = sections_of(tops, &categories, &articles);
    Ok(render(&HomePage {
        lang,
        languages,
        title: format!("Help center · {}", s.public_brand().name),
        brand: s.public_brand(),
        q: String::new(),
        sections,
    }))
}

pub async fn category(
    State(s): State<AppState>,
    headers: HeaderMap,
    Path(slug): Path<String>,
) -> Result<Response, PageError> {
    let lang = reader_language(&headers);
    let c = s.engine.kb_category_by_slug(&slug).await?;
    let categories = s.engine.kb_categories().await?;
    // The category's own articles and its sections'.
    let mut all = s.engine.kb_titles(None, Some(c.id)).await?;
    for sub in categories.iter().filter(|x| x.parent_id == Some(c.id)) {
        all.extend(s.engine.kb_titles(None, Some(sub.id)).await?);
    }
    let languages = languages(&all, &lang);
    let articles = one_per_group(all, &lang);
    let title = format!("{} · {}", c.name, s.public_brand().name);
    let mut sections = sections_of(vec![c.clone()], &categories, &articles);
    if sections.is_empty() {
        sections.push(Section {
            parent: c
                .parent_id
                .and_then(|p| categories.iter().find(|x| x.id == p).cloned()),
            category: c,
            articles: Vec::new(),
            subsections: Vec::new(),
        });
    }
    Ok(render(&HomePage {
        lang,
        languages,
        title,
        brand: s.public_brand(),
        q: String::new(),
        sections,
    }))
}

#[derive(Deserialize)]
pub struct SearchQuery {
    #[serde(default)]
    q: String,
}

pub async fn search(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let lang = reader_language(&headers);
    let text: String = q.q.chars().take(200).collect();
    let found = s.engine.kb_search(None, &text, 20).await?;
    let results = one_article_per_group(found, &lang)
        .iter()
        .map(|a| link(a, &text))
        .collect();
    Ok(render(&SearchPage {
        lang,
        languages: Vec::new(),
        title: format!("Search · {}", s.public_brand().name),
        brand: s.public_brand(),
        q: text,
        results,
    }))
}

#[derive(Deserialize)]
pub struct ArticleQuery {
    #[serde(default)]
    thanks: Option<String>,
}

/// An article at `/help/articles/{id}-{slug}`; other spellings of the slug redirect there.
pub async fn article(
    State(s): State<AppState>,
    Path(id_slug): Path<String>,
    Query(q): Query<ArticleQuery>,
) -> Result<Response, PageError> {
    let id: i64 = id_slug
        .split('-')
        .next()
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| PageError(Problem::not_found("article")))?;
    let a = s.engine.kb_article(None, id).await?;
    let canonical = format!("{}-{}", a.id, a.slug);
    if id_slug != canonical {
        return Ok(Redirect::permanent(&format!("/help/articles/{canonical}")).into_response());
    }
    if q.thanks.is_none() {
        s.engine.kb_viewed(a.id).await?;
    }
    let category = match a.category_id {
        Some(c) => s.engine.kb_category(c).await?,
        None => None,
    };
    let parent = match category.as_ref().and_then(|c| c.parent_id) {
        Some(p) => s.engine.kb_category(p).await?,
        None => None,
    };
    let related = s
        .engine
        .kb_related(None, &a, 5)
        .await?
        .iter()
        .map(title_link)
        .collect();
    let also = s
        .engine
        .kb_translations(None, a.translation_of.unwrap_or(a.id))
        .await?
        .into_iter()
        .filter(|t| t.id != a.id)
        .map(|t| {
            (
                format!("/help/articles/{}-{}", t.id, t.slug),
                steward_domain::kb::language_name(&t.locale),
            )
        })
        .collect();
    Ok(render(&ArticlePage {
        parent,
        lang: a.locale.clone(),
        languages: Vec::new(),
        also,
        title: format!("{} · {}", a.title, s.public_brand().name),
        brand: s.public_brand(),
        q: String::new(),
        id: a.id,
        html: a.body_html,
        category,
        updated: crate::fmt::datetime(a.updated_at),
        thanked: q.thanks.is_some(),
        related,
    }))
}

/// "Was this helpful?": counts the answer; a comment goes to the feedback list.
pub async fn helpful(
    State(s): State<AppState>,
    Path(id): Path<i64>,
    form: super::form::FormData,
) -> Result<Response, PageError> {
    let yes = match form.get("helpful") {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(PageError(Problem::bad_request("helpful must be yes or no")));
        }
    };
    let a = s
        .engine
        .kb_helpful(id, yes, form.opt("comment").unwrap_or(""))
        .await?;
    Ok(Redirect::to(&format!("/help/articles/{}-{}?thanks=1", a.id, a.slug)).into_response())
}

/// `sitemap.xml`: the help center's pages, published public articles only.
pub async fn sitemap(State(s): State<AppState>) -> Result<Response, PageError> {
    let base = s
        .engine
        .email
        .workspace_url
        .trim_end_matches('/')
        .to_string();
    let esc = |t: &str| {
        t.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    };
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n",
    );
    xml.push_str(&format!(
        "<url><loc>{}</loc></url>\n",
        esc(&format!("{base}/help"))
    ));
    for c in s.engine.kb_categories().await? {
        xml.push_str(&format!(
            "<url><loc>{}</loc></url>\n",
            esc(&format!("{base}/help/categories/{}", c.slug))
        ));
    }
    for a in s.engine.kb_titles(None, None).await? {
        xml.push_str(&format!(
            "<url><loc>{}</loc><lastmod>{}</lastmod></url>\n",
            esc(&format!("{base}/help/articles/{}-{}", a.id, a.slug)),
            crate::fmt::rfc3339(a.updated_at)
        ));
    }
    xml.push_str("</urlset>\n");
    Ok((
        StatusCode::OK,
        [(header::CONTENT_TYPE, "application/xml; charset=utf-8")],
        xml,
    )
        .into_response())
}

/// Articles for what a customer is typing, as JSON for the portal form and the chat widget:
/// published public articles only.
pub async fn suggest(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let found = s.engine.suggest_articles(&q.q, 5).await?;
    let articles: Vec<serde_json::Value> = found
        .iter()
        .map(|a| {
            let l = link(a, &q.q);
            serde_json::json!({
                "id": a.id,
                "title": l.title,
                "url": l.url,
                "snippet": l.snippet.iter().map(|(t, _)| t.as_str()).collect::<String>(),
            })
        })
        .collect();
    // The chat widget asks from the company's own site; the answer is public.
    Ok((
        [
            (header::CACHE_CONTROL, "no-store"),
            (header::ACCESS_CONTROL_ALLOW_ORIGIN, "*"),
        ],
        axum::Json(serde_json::json!({ "articles": articles })),
    )
        .into_response())
}

#[derive(Deserialize)]
pub struct DeflectionBody {
    article_id: i64,
    source: String,
    #[serde(default)]
    query: String,
}

/// "This answered my question" from the widget or the help center (no customer known): counts
/// a deflection. JSON, or a plain form so the widget on another site can send it without a
/// preflight. The portal posts to `/portal/deflect`, which knows the customer.
pub async fn deflected(
    State(s): State<AppState>,
    axum::extract::ConnectInfo(addr): axum::extract::ConnectInfo<std::net::SocketAddr>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> Result<Response, Problem> {
    // Public and unsigned: a limit per client address keeps the report honest.
    let key = format!("deflect:{}", addr.ip());
    if !s.feedback_limiter.allowed(&key) {
        return Err(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            "Too many requests",
            "this address has counted many answers in the last hour; try again later",
        ));
    }
    let form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let b: DeflectionBody = if form {
        serde_urlencoded::from_bytes(&body).map_err(|e| Problem::bad_request(e.to_string()))?
    } else {
        serde_json::from_slice(&body).map_err(|e| Problem::bad_request(e.to_string()))?
    };
    if b.source == "portal" {
        return Err(Problem::invalid(
            "source",
            "the portal counts through /portal/deflect",
        ));
    }
    s.engine
        .record_deflection(b.article_id, &b.source, None, &b.query)
        .await?;
    s.feedback_limiter.fail(&key);
    Ok((
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        StatusCode::NO_CONTENT,
    )
        .into_response())
}
