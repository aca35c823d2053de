//! The knowledge base: categories and articles written in Markdown, rendered to HTML and
//! sanitized on save (so script in Markdown never reaches a reader), indexed for search
//! (title and text). Supervisors and admins write; agents read published articles, public and
//! internal; the public help center (no actor) reads published public articles only. Every
//! read goes through `steward_store::kb::Reach`, worked out here from the actor.

use crate::sanitize::{clean_html, html_to_text};
use crate::{Engine, EngineError, Result};
use serde::Deserialize;
use steward_domain::Actor;
use steward_domain::kb::{self as rules, Reach as Visibility, State};
use steward_store::kb::{self, Article, ArticleFields, Category, CategoryFields, Reach, Title};
use steward_store::now_ms;

/// What an editor sends for an article.
#[derive(Debug, Clone, Deserialize)]
pub struct ArticleInput {
    pub title: String,
    /// Markdown.
    pub body: String,
    pub category_id: Option<i64>,
    /// Made from the title when absent.
    pub slug: Option<String>,
    pub state: Option<String>,
    pub visibility: Option<String>,
    pub locale: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// The article this one translates into `locale`.
    #[serde(default)]
    pub translation_of: Option<i64>,
}

/// What an editor sends for a category.
#[derive(Debug, Clone, Deserialize)]
pub struct CategoryInput {
    pub name: String,
    #[serde(default)]
    pub description: String,
    pub slug: Option<String>,
    #[serde(default)]
    pub position: i64,
    /// Makes it a section of this top-level category.
    #[serde(default)]
    pub parent_id: Option<i64>,
}

/// Markdown as sanitized HTML.
pub fn render(md: &str) -> String {
    use pulldown_cmark::{Options, Parser, html};
    let parser = Parser::new_ext(md, Options::ENABLE_TABLES | Options::ENABLE_STRIKETHROUGH);
    let mut out = String::new();
    html::push_html(&mut out, parser);
    clean_html(&out)
}

/// What a reader may see: nobody signed in, the public; agents, published articles;
/// supervisors and admins, drafts too.
pub(crate) fn reach(by: Option<&Actor>) -> Reach {
    match by {
        None => Reach::Public,
        Some(a) if a.may_supervise().is_ok() => Reach::Everything,
        Some(_) => Reach::Agents,
    }
}

impl Engine {
    pub async fn kb_categories(&self) -> Result<Vec<Category>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(kb::categories(&mut conn).await?)
    }

    pub async fn kb_category(&self, id: i64) -> Result<Option<Category>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(kb::category(&mut conn, id).await?)
    }

    pub async fn kb_category_by_slug(&self, slug: &str) -> Result<Category> {
        let mut conn = self.store.pool().acquire().await?;
        kb::category_by_slug(&mut conn, slug)
            .await?
            .ok_or_else(|| EngineError::not_found("category"))
    }

    /// Creates (`id` none) or changes a category. Supervisors and admins.
    pub async fn save_kb_category(
        &self,
        by: &Actor,
        id: Option<i64>,
        input: &CategoryInput,
    ) -> Result<Category> {
        by.may_supervise()?;
        let name = steward_domain::validate::required("name", &input.name, 100)?;
        let description =
            steward_domain::validate::bounded("description", &input.description, 500)?;
        let slug = rules::slug(input.slug.as_deref().unwrap_or(&name));
        let fields = CategoryFields {
            slug: &slug,
            name: &name,
            description: &description,
            position: input.position,
            parent_id: input.parent_id,
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        if let Some(parent) = input.parent_id {
            // One level: a section sits in a top-level category and has no sections itself.
            let p = kb::category(&mut tx, parent).await?.ok_or_else(|| {
                EngineError::invalid("parent_id", format!("category {parent} does not exist"))
            })?;
            if p.parent_id.is_some() || Some(parent) == id {
                return Err(EngineError::invalid(
                    "parent_id",
                    "must be a top-level category (sections hold no sections)",
                ));
            }
            if let Some(id) = id
                && kb::categories(&mut tx)
                    .await?
                    .iter()
                    .any(|c| c.parent_id == Some(id))
            {
                return Err(EngineError::invalid(
                    "parent_id",
                    "this category has sections; it stays top-level",
                ));
            }
        }
        let saved = match id {
            None => kb::insert_category(&mut tx, &fields, at).await,
            Some(id) => match kb::update_category(&mut tx, id, &fields, at).await {
                Ok(true) => Ok(id),
                Ok(false) => return Err(EngineError::not_found("category")),
                Err(e) => Err(e),
            },
        };
        let id = match saved {
            Ok(id) => id,
            Err(e) if e.is_unique_violation() => {
                return Err(EngineError::conflict(format!(
                    "another category has the address {slug:?}"
                )));
            }
            Err(e) => return Err(e.into()),
        };
        let row = kb::category(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("category"))?;
        tx.commit().await?;
        Ok(row)
    }

    /// Deletes an empty category. Supervisors and admins.
    pub async fn delete_kb_category(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_supervise()?;
        let mut tx = self.store.write().await?;
        kb::category(&mut tx, id)
            .await?
            .ok_or_else(|| EngineError::not_found("category"))?;
        if !kb::delete_empty_category(&mut tx, id).await? {
            return Err(EngineError::conflict(
                "the category has articles or sections; move or delete them first",
            ));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Creates (`id` none) or changes an article. Supervisors and admins.
    pub async fn save_kb_article(
        &self,
        by: &Actor,
        id: Option<i64>,
        input: &ArticleInput,
    ) -> Result<Article> {
        by.may_supervise()?;
        let (title, tags) = rules::check_article(&input.title, &input.body, &input.tags)?;
        let state = State::parse(input.state.as_deref().unwrap_or("draft"))?;
        let visibility = Visibility::parse(input.visibility.as_deref().unwrap_or("public"))?;
        let locale = rules::locale(input.locale.as_deref().unwrap_or("en"))?;
        let slug = rules::slug(input.slug.as_deref().unwrap_or(&title));
        let html = render(&input.body);
        let tags_json = serde_json::to_string(&tags).unwrap_or_else(|_| "[]".into());
        let fields = ArticleFields {
            category_id: input.category_id,
            slug: &slug,
            title: &title,
            body_md: &input.body,
            body_html: &html,
            state: state.as_str(),
            visibility: visibility.as_str(),
            locale: &locale,
            tags: &tags_json,
            translation_of: None,
        };
        let at = now_ms();
        let mut tx = self.store.write().await?;
        let mut fields = fields;
        if let Some((root, category)) = self
            .check_translation(&mut tx, id, input.translation_of, &locale)
            .await?
        {
            fields.translation_of = Some(root);
            fields.category_id = fields.category_id.or(category);
        }
        if let Some(c) = input.category_id {
            kb::category(&mut tx, c).await?.ok_or_else(|| {
                EngineError::invalid("category_id", format!("category {c} does not exist"))
            })?;
        }
        let id = match id {
            None => kb::insert_article(&mut tx, &fields, Some(by.user_id), at).await?,
            Some(id) => {
                if !kb::update_article(&mut tx, id, &fields, at).await? {
                    return Err(EngineError::not_found("article"));
                }
                id
            }
        };
        kb::reindex(&mut tx, id, &format!("{title}\n{}", html_to_text(&html))).await?;
        kb::insert_version(&mut tx, id, &fields, Some(by.user_id), at).await?;
        kb::set_file_links(&mut tx, id, &crate::kb_files::linked_files(&input.body)).await?;
        if state == State::Published {
            crate::kb_review::ensure_review_job(&mut tx, at).await?;
        }
        let row = kb::article(&mut tx, id, Reach::Everything)
            .await?
            .ok_or_else(|| EngineError::not_found("article"))?;
        tx.commit().await?;
        Ok(row)
    }

    pub async fn delete_kb_article(&self, by: &Actor, id: i64) -> Result<()> {
        by.may_supervise()?;
        let mut tx = self.store.write().await?;
        if !kb::delete_article(&mut tx, id).await? {
            return Err(EngineError::not_found("article"));
        }
        tx.commit().await?;
        Ok(())
    }

    /// Article `id` as `by` may see it (`None`: the public).
    pub async fn kb_article(&self, by: Option<&Actor>, id: i64) -> Result<Article> {
        let mut conn = self.store.pool().acquire().await?;
        kb::article(&mut conn, id, reach(by))
            .await?
            .ok_or_else(|| EngineError::not_found("article"))
    }

    /// The articles `by` may see, in a category or all.
    pub async fn kb_articles(
        &self,
        by: Option<&Actor>,
        category_id: Option<i64>,
        limit: i64,
    ) -> Result<Vec<Article>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(kb::articles(&mut conn, reach(by), category_id, limit.clamp(1, 500)).await?)
    }

    /// The titles and addresses of every article `by` may see, in a category or all.
    pub async fn kb_titles(
        &self,
        by: Option<&Actor>,
        category_id: Option<i64>,
    ) -> Result<Vec<kb::Title>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(kb::titles(&mut conn, reach(by), category_id).await?)
    }

    /// The articles matching `q` that `by` may see: every word, the last also as a prefix;
    /// when that finds nothing, the forgiving query (any word, typos after the fourth letter).
    pub async fn kb_search(&self, by: Option<&Actor>, q: &str, limit: i64) -> Result<Vec<Article>> {
        let backend = self.store.backend();
        let limit = limit.clamp(1, 100);
        let mut conn = self.store.pool().acquire().await?;
        if let Some(query) = backend.search_query(q, true) {
            let found = kb::search(&mut conn, backend, &query, reach(by), limit).await?;
            if !found.is_empty() {
                return Ok(found);
            }
        }
        match backend.loose_query(q) {
            Some(query) => Ok(kb::search(&mut conn, backend, &query, reach(by), limit).await?),
            None => Ok(Vec::new()),
        }
    }

    /// The best articles for a question in the customer's own words (suggestions while they
    /// type, the answer bot): any word counts, more matching words rank higher.
    pub async fn kb_match(&self, by: Option<&Actor>, q: &str, limit: i64) -> Result<Vec<Article>> {
        let backend = self.store.backend();
        let Some(query) = backend.loose_query(q) else {
            return Ok(Vec::new());
        };
        let mut conn = self.store.pool().acquire().await?;
        Ok(kb::search(&mut conn, backend, &query, reach(by), limit.clamp(1, 100)).await?)
    }

    /// A reader says whether public article `id` helped; a comment becomes a feedback item
    /// that names the article.
    pub async fn kb_helpful(&self, id: i64, yes: bool, comment: &str) -> Result<Article> {
        let a = self.kb_article(None, id).await?;
        let mut tx = self.store.write().await?;
        kb::count_helpful(&mut tx, id, yes).await?;
        tx.commit().await?;
        let comment = comment.trim();
        if !comment.is_empty() {
            self.submit_feedback(crate::feedback::NewFeedback {
                customer_id: None,
                name: String::new(),
                email: None,
                kind: if yes {
                    steward_domain::feedback::Kind::Praise
                } else {
                    steward_domain::feedback::Kind::Problem
                },
                body: format!("About the article \"{}\": {comment}", a.title),
                source: steward_domain::feedback::Source::Web,
            })
            .await?;
        }
        Ok(a)
    }

    /// Counts a reader's view of a public article. Views are added up in memory and written
    /// through the writer at most every 2 s, so a busy article is not a durable write per view
    /// (views since the last write are lost if the process dies).
    pub async fn kb_viewed(&self, id: i64) -> Result<()> {
        let due = {
            let mut v = self.kb_views.lock().unwrap_or_else(|e| e.into_inner());
            *v.0.entry(id).or_default() += 1;
            let due =
                v.1.is_none_or(|at| at.elapsed() >= std::time::Duration::from_secs(2));
            if due {
                v.1 = Some(std::time::Instant::now());
                Some(std::mem::take(&mut v.0))
            } else {
                None
            }
        };
        let Some(counts) = due else {
            return Ok(());
        };
        let mut tx = self.store.write().await?;
        for (article, n) in counts {
            kb::add_views(&mut tx, article, n).await?;
        }
        tx.commit().await?;
        Ok(())
    }
}

impl Engine {
    /// Other articles in `a`'s category and language, most read first, as `by` may see them
    /// (an article without a category has none). An index range, cheap on every page view.
    pub async fn kb_related(
        &self,
        by: Option<&Actor>,
        a: &Article,
        limit: i64,
    ) -> Result<Vec<Title>> {
        let Some(category) = a.category_id else {
            return Ok(Vec::new());
        };
        let mut conn = self.store.pool().acquire().await?;
        let root = a.translation_of.unwrap_or(a.id);
        Ok(
            kb::in_category(&mut conn, category, a.id, reach(by), limit * 2)
                .await?
                .into_iter()
                .filter(|t| {
                    t.root() != root && steward_domain::kb::same_language(&t.locale, &a.locale)
                })
                .take(limit as usize)
                .collect(),
        )
    }
}
