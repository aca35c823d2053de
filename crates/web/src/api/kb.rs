//! The knowledge base over the API: categories and articles (supervisors and admins write;
//! agents read published articles, public and internal) and search.

use super::ApiResult;
use crate::AppState;
use crate::authz::ApiActor;
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::fmt::rfc3339;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use steward_engine::kb::{ArticleInput, CategoryInput};
use steward_store::kb::{Article, Category};
use utoipa::{IntoParams, ToSchema};

#[derive(Serialize, ToSchema)]
pub struct CategoryOut {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i64,
    /// The top-level category this section sits in; absent for a top-level category.
    pub parent_id: Option<i64>,
    /// The category's page in the help center.
    pub url: String,
}

pub fn category_out(c: Category) -> CategoryOut {
    CategoryOut {
        url: format!("/help/categories/{}", c.slug),
        id: c.id,
        slug: c.slug,
        name: c.name,
        description: c.description,
        position: c.position,
        parent_id: c.parent_id,
    }
}

#[derive(Serialize, ToSchema)]
pub struct ArticleOut {
    pub id: i64,
    pub category_id: Option<i64>,
    pub slug: String,
    pub title: String,
    /// Markdown, as written.
    pub body: String,
    /// The Markdown rendered and sanitized.
    pub html: String,
    /// draft or published.
    pub state: String,
    /// public or internal.
    pub visibility: String,
    pub locale: String,
    pub tags: Vec<String>,
    pub views: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    /// When it was last written or reviewed.
    pub reviewed_at: String,
    pub updated_at: String,
    /// The article's page in the help center (public published articles only).
    pub url: Option<String>,
    /// The original this article translates; absent for an original.
    pub translation_of: Option<i64>,
}

pub fn article_out(a: Article) -> ArticleOut {
    ArticleOut {
        url: (a.state == "published" && a.visibility == "public")
            .then(|| format!("/help/articles/{}-{}", a.id, a.slug)),
        tags: serde_json::from_str(&a.tags).unwrap_or_default(),
        reviewed_at: rfc3339(a.reviewed_at),
        updated_at: rfc3339(a.updated_at),
        id: a.id,
        category_id: a.category_id,
        slug: a.slug,
        title: a.title,
        body: a.body_md,
        html: a.body_html,
        state: a.state,
        visibility: a.visibility,
        locale: a.locale,
        views: a.views,
        helpful_yes: a.helpful_yes,
        helpful_no: a.helpful_no,
        translation_of: a.translation_of,
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CategoryIn {
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Made from the name when absent.
    pub slug: Option<String>,
    #[serde(default)]
    pub position: i64,
    /// Makes it a section of this top-level category.
    pub parent_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleIn {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category_id: Option<i64>,
    /// Made from the title when absent.
    pub slug: Option<String>,
    /// draft (default) or published.
    pub state: Option<String>,
    /// public (default) or internal.
    pub visibility: Option<String>,
    /// A language tag; en by default.
    pub locale: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The article this one translates (into `locale`); absent for an original.
    pub translation_of: Option<i64>,
}

fn article_input(b: ArticleIn) -> ArticleInput {
    ArticleInput {
        title: b.title,
        body: b.body,
        category_id: b.category_id,
        slug: b.slug,
        state: b.state,
        visibility: b.visibility,
        locale: b.locale,
        tags: b.tags,
        translation_of: b.translation_of,
    }
}

fn category_input(b: CategoryIn) -> CategoryInput {
    CategoryInput {
        name: b.name,
        description: b.description,
        slug: b.slug,
        position: b.position,
        parent_id: b.parent_id,
    }
}

/// Lists the categories.
#[utoipa::path(get, path = "/api/v1/kb/categories", tag = "knowledge base",
    responses((status = 200, body = [CategoryOut])))]
pub async fn list_categories(
    State(s): State<AppState>,
    ApiActor(_actor): ApiActor,
) -> ApiResult<Json<Vec<CategoryOut>>> {
    Ok(Json(
        s.engine
            .kb_categories()
            .await?
            .into_iter()
            .map(category_out)
            .collect(),
    ))
}

/// Creates a category. Supervisors and admins.
#[utoipa::path(post, path = "/api/v1/kb/categories", request_body = CategoryIn, tag = "knowledge base",
    responses((status = 201, body = CategoryOut), (status = 403), (status = 409), (status = 422)))]
pub async fn create_category(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<CategoryIn>,
) -> ApiResult<(StatusCode, Json<CategoryOut>)> {
    let c = s
        .engine
        .save_kb_category(&actor, None, &category_input(b))
        .await?;
    Ok((StatusCode::CREATED, Json(category_out(c))))
}

/// Changes a category. Supervisors and admins.
#[utoipa::path(put, path = "/api/v1/kb/categories/{id}", request_body = CategoryIn, tag = "knowledge base",
    responses((status = 200, body = CategoryOut), (status = 404), (status = 422)))]
pub async fn update_category(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<CategoryIn>,
) -> ApiResult<Json<CategoryOut>> {
    let c = s
        .engine
        .save_kb_category(&actor, Some(id), &category_input(b))
        .await?;
    Ok(Json(category_out(c)))
}

/// Deletes an empty category (409 while it has articles).
#[utoipa::path(delete, path = "/api/v1/kb/categories/{id}", tag = "knowledge base",
    responses((status = 204), (status = 404), (status = 409)))]
pub async fn delete_category(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_kb_category(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
pub struct ArticleQuery {
    /// Only this category's.
    pub category_id: Option<i64>,
    /// Words to search for (every word; the last also as the start of a word).
    pub q: Option<String>,
    pub limit: Option<i64>,
}

/// Lists or searches the articles the caller may read: supervisors and admins see drafts;
/// agents see published articles, public and internal.
#[utoipa::path(get, path = "/api/v1/kb/articles", params(ArticleQuery), tag = "knowledge base",
    responses((status = 200, body = [ArticleOut])))]
pub async fn list_articles(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiQuery(q): ApiQuery<ArticleQuery>,
) -> ApiResult<Json<Vec<ArticleOut>>> {
    let limit = q.limit.unwrap_or(50);
    let rows = match q.q.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => s.engine.kb_search(Some(&actor), text, limit).await?,
        None => {
            s.engine
                .kb_articles(Some(&actor), q.category_id, limit)
                .await?
        }
    };
    Ok(Json(rows.into_iter().map(article_out).collect()))
}

/// Creates an article. Supervisors and admins.
#[utoipa::path(post, path = "/api/v1/kb/articles", request_body = ArticleIn, tag = "knowledge base",
    responses((status = 201, body = ArticleOut), (status = 403), (status = 422)))]
pub async fn create_article(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiJson(b): ApiJson<ArticleIn>,
) -> ApiResult<(StatusCode, Json<ArticleOut>)> {
    let a = s
        .engine
        .save_kb_article(&actor, None, &article_input(b))
        .await?;
    Ok((StatusCode::CREATED, Json(article_out(a))))
}

/// An article the caller may read.
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}", tag = "knowledge base",
    responses((status = 200, body = ArticleOut), (status = 404)))]
pub async fn get_article(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<ArticleOut>> {
    Ok(Json(article_out(
        s.engine.kb_article(Some(&actor), id).await?,
    )))
}

/// Changes an article (an edit counts as a review). Supervisors and admins.
#[utoipa::path(put, path = "/api/v1/kb/articles/{id}", request_body = ArticleIn, tag = "knowledge base",
    responses((status = 200, body = ArticleOut), (status = 404), (status = 422)))]
pub async fn update_article(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
    ApiJson(b): ApiJson<ArticleIn>,
) -> ApiResult<Json<ArticleOut>> {
    let a = s
        .engine
        .save_kb_article(&actor, Some(id), &article_input(b))
        .await?;
    Ok(Json(article_out(a)))
}

/// Deletes an article. Supervisors and admins.
#[utoipa::path(delete, path = "/api/v1/kb/articles/{id}", tag = "knowledge base",
    responses((status = 204), (status = 404)))]
pub async fn delete_article(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.delete_kb_article(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Serialize, ToSchema)]
pub struct VersionOut {
    pub id: i64,
    pub article_id: i64,
    pub title: String,
    /// Markdown, as saved.
    pub body: String,
    pub category_id: Option<i64>,
    pub state: String,
    pub visibility: String,
    pub locale: String,
    pub tags: Vec<String>,
    /// Who saved it.
    pub author_id: Option<i64>,
    pub created_at: String,
}

/// An article's saved versions, newest first. Supervisors and admins.
#[utoipa::path(get, path = "/api/v1/kb/articles/{id}/versions", tag = "knowledge base",
    responses((status = 200, body = [VersionOut]), (status = 403)))]
pub async fn list_versions(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Vec<VersionOut>>> {
    let list = s.engine.kb_versions(&actor, id).await?;
    Ok(Json(
        list.into_iter()
            .map(|v| VersionOut {
                tags: serde_json::from_str(&v.tags).unwrap_or_default(),
                created_at: rfc3339(v.created_at),
                id: v.id,
                article_id: v.article_id,
                title: v.title,
                body: v.body_md,
                category_id: v.category_id,
                state: v.state,
                visibility: v.visibility,
                locale: v.locale,
                author_id: v.author_id,
            })
            .collect(),
    ))
}

/// Saves an earlier version as the article's newest. Supervisors and admins.
#[utoipa::path(post, path = "/api/v1/kb/articles/{id}/versions/{version_id}/restore", tag = "knowledge base",
    responses((status = 200, body = ArticleOut), (status = 403), (status = 404)))]
pub async fn restore_version(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath((id, version_id)): ApiPath<(i64, i64)>,
) -> ApiResult<Json<ArticleOut>> {
    let a = s.engine.restore_kb_version(&actor, id, version_id).await?;
    Ok(Json(article_out(a)))
}

/// Records that the article was checked and is still right. Its owner, supervisors, admins.
#[utoipa::path(post, path = "/api/v1/kb/articles/{id}/reviewed", tag = "knowledge base",
    responses((status = 204), (status = 403), (status = 404)))]
pub async fn mark_reviewed(
    State(s): State<AppState>,
    ApiActor(actor): ApiActor,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<StatusCode> {
    s.engine.kb_mark_reviewed(&actor, id).await?;
    Ok(StatusCode::NO_CONTENT)
}
