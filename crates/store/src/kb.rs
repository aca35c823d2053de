//! The knowledge base's rows: categories (`kb_categories`), articles (`kb_articles`) and their
//! full-text entries (`kb_docs`, keyed by article id). Which articles a reader may see is a
//! `Reach` every listing and search takes, so the public side can never ask for drafts or
//! internal articles by mistake.

use crate::sql::Sql;
use crate::{Backend, Conn, Result};

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Category {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub position: i64,
    pub created_at: i64,
    pub updated_at: i64,
    /// The category this section sits in; `None` for a top-level category.
    pub parent_id: Option<i64>,
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Article {
    pub id: i64,
    pub category_id: Option<i64>,
    pub slug: String,
    pub title: String,
    pub body_md: String,
    pub body_html: String,
    /// `draft` or `published`.
    pub state: String,
    /// `public` or `internal`.
    pub visibility: String,
    pub locale: String,
    /// JSON array of tag names.
    pub tags: String,
    pub author_id: Option<i64>,
    pub views: i64,
    pub helpful_yes: i64,
    pub helpful_no: i64,
    pub reviewed_at: i64,
    pub published_at: Option<i64>,
    pub created_at: i64,
    pub updated_at: i64,
    /// The original this article translates; `None` for an original.
    pub translation_of: Option<i64>,
}

const CATEGORY: &str = "SELECT id, slug, name, description, position, created_at, updated_at, \
    parent_id FROM kb_categories";
const ARTICLE: &str = "SELECT a.id, a.category_id, a.slug, a.title, a.body_md, a.body_html, \
    a.state, a.visibility, a.locale, a.tags, a.author_id, a.views, a.helpful_yes, a.helpful_no, \
    a.reviewed_at, a.published_at, a.created_at, a.updated_at, a.translation_of FROM kb_articles a";

/// Which articles a reader may see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    /// The public help center: published and public only.
    Public,
    /// Agents: published articles, public or internal.
    Agents,
    /// Editors: everything, drafts too.
    Everything,
}

impl Reach {
    fn push(self, q: &mut Sql) {
        match self {
            Reach::Public => q.push(" AND a.state = 'published' AND a.visibility = 'public'"),
            Reach::Agents => q.push(" AND a.state = 'published'"),
            Reach::Everything => q,
        };
    }
}

pub struct CategoryFields<'a> {
    pub slug: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub position: i64,
    pub parent_id: Option<i64>,
}

pub async fn categories(conn: &mut Conn) -> Result<Vec<Category>> {
    Ok(sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{CATEGORY} ORDER BY position, name, id"
    )))
    .fetch_all(conn)
    .await?)
}

pub async fn category(conn: &mut Conn, id: i64) -> Result<Option<Category>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{CATEGORY} WHERE id = $1")))
            .bind(id)
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn category_by_slug(conn: &mut Conn, slug: &str) -> Result<Option<Category>> {
    Ok(
        sqlx::query_as(sqlx::AssertSqlSafe(format!("{CATEGORY} WHERE slug = $1")))
            .bind(slug.to_string())
            .fetch_optional(conn)
            .await?,
    )
}

pub async fn insert_category(tx: &mut Conn, f: &CategoryFields<'_>, at: i64) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO kb_categories (slug, name, description, position, created_at, updated_at, parent_id) \
         VALUES ($1, $2, $3, $4, $5, $5, $6) RETURNING id",
    )
    .bind(f.slug.to_string())
    .bind(f.name.to_string())
    .bind(f.description.to_string())
    .bind(f.position)
    .bind(at)
    .bind(f.parent_id)
    .fetch_one(tx)
    .await?)
}

pub async fn update_category(
    tx: &mut Conn,
    id: i64,
    f: &CategoryFields<'_>,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE kb_categories SET slug = $1, name = $2, description = $3, position = $4, \
         updated_at = $5, parent_id = $7 WHERE id = $6",
    )
    .bind(f.slug.to_string())
    .bind(f.name.to_string())
    .bind(f.description.to_string())
    .bind(f.position)
    .bind(at)
    .bind(id)
    .bind(f.parent_id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

/// Deletes a category with no articles and no sections; `false` when it has some or does not
/// exist.
pub async fn delete_empty_category(tx: &mut Conn, id: i64) -> Result<bool> {
    let done = sqlx::query(
        "DELETE FROM kb_categories WHERE id = $1 \
         AND NOT EXISTS (SELECT 1 FROM kb_articles WHERE category_id = $1) \
         AND NOT EXISTS (SELECT 1 FROM kb_categories WHERE parent_id = $1)",
    )
    .bind(id)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub struct ArticleFields<'a> {
    pub category_id: Option<i64>,
    pub slug: &'a str,
    pub title: &'a str,
    pub body_md: &'a str,
    pub body_html: &'a str,
    pub state: &'a str,
    pub visibility: &'a str,
    pub locale: &'a str,
    pub tags: &'a str,
    pub translation_of: Option<i64>,
}

pub async fn insert_article(
    tx: &mut Conn,
    f: &ArticleFields<'_>,
    author_id: Option<i64>,
    at: i64,
) -> Result<i64> {
    let published = (f.state == "published").then_some(at);
    Ok(sqlx::query_scalar(
        "INSERT INTO kb_articles (category_id, slug, title, body_md, body_html, state, visibility, \
         locale, tags, author_id, reviewed_at, published_at, created_at, updated_at, translation_of) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $11, $11, $13) RETURNING id",
    )
    .bind(f.category_id)
    .bind(f.slug.to_string())
    .bind(f.title.to_string())
    .bind(f.body_md.to_string())
    .bind(f.body_html.to_string())
    .bind(f.state.to_string())
    .bind(f.visibility.to_string())
    .bind(f.locale.to_string())
    .bind(f.tags.to_string())
    .bind(author_id)
    .bind(at)
    .bind(published)
    .bind(f.translation_of)
    .fetch_one(tx)
    .await?)
}

/// Changes an article; an edit counts as a review. The first publication sets `published_at`.
pub async fn update_article(
    tx: &mut Conn,
    id: i64,
    f: &ArticleFields<'_>,
    at: i64,
) -> Result<bool> {
    let done = sqlx::query(
        "UPDATE kb_articles SET category_id = $1, slug = $2, title = $3, body_md = $4, \
         body_html = $5, state = $6, visibility = $7, locale = $8, tags = $9, reviewed_at = $10, \
         updated_at = $10, published_at = CASE WHEN $6 = 'published' \
         THEN COALESCE(published_at, $10) ELSE published_at END, translation_of = $12 WHERE id = $11",
    )
    .bind(f.category_id)
    .bind(f.slug.to_string())
    .bind(f.title.to_string())
    .bind(f.body_md.to_string())
    .bind(f.body_html.to_string())
    .bind(f.state.to_string())
    .bind(f.visibility.to_string())
    .bind(f.locale.to_string())
    .bind(f.tags.to_string())
    .bind(at)
    .bind(id)
    .bind(f.translation_of)
    .execute(tx)
    .await?;
    Ok(done.rows_affected() > 0)
}

pub async fn delete_article(tx: &mut Conn, id: i64) -> Result<bool> {
    sqlx::query("DELETE FROM kb_file_links WHERE article_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM kb_article_versions WHERE article_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("DELETE FROM kb_docs WHERE rowid = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let done = sqlx::query("DELETE FROM kb_articles WHERE id = $1")
        .bind(id)
        .execute(tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// Puts an article's words into the full-text table (title and text), replacing earlier ones.
pub async fn reindex(tx: &mut Conn, id: i64, text: &str) -> Result<()> {
    sqlx::query("DELETE FROM kb_docs WHERE rowid = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    sqlx::query("INSERT INTO kb_docs (rowid, body) VALUES ($1, $2)")
        .bind(id)
        .bind(crate::text_index::words(text))
        .execute(tx)
        .await?;
    Ok(())
}

/// Article `id` if `reach` lets the reader see it.
pub async fn article(conn: &mut Conn, id: i64, reach: Reach) -> Result<Option<Article>> {
    let mut q = Sql::new(ARTICLE);
    q.push(" WHERE a.id = ").bind(id);
    reach.push(&mut q);
    Ok(q.query_as().fetch_optional(conn).await?)
}

/// An article's address and title, for lists and the sitemap.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Title {
    pub id: i64,
    pub category_id: Option<i64>,
    pub slug: String,
    pub title: String,
    pub updated_at: i64,
    pub locale: String,
    pub translation_of: Option<i64>,
}

impl Title {
    /// The original of this article's translations (itself when it is one).
    pub fn root(&self) -> i64 {
        self.translation_of.unwrap_or(self.id)
    }
}

/// Every article `reach` lets the reader see (in a category, or all) by title, without
/// bodies: the help center's lists and its sitemap, however many there are.
pub async fn titles(conn: &mut Conn, reach: Reach, category_id: Option<i64>) -> Result<Vec<Title>> {
    let mut q = Sql::new(
        "SELECT a.id, a.category_id, a.slug, a.title, a.updated_at, a.locale, a.translation_of \
         FROM kb_articles a WHERE 1 = 1",
    );
    reach.push(&mut q);
    if let Some(c) = category_id {
        q.push(" AND a.category_id = ").bind(c);
    }
    q.push(" ORDER BY a.title, a.id");
    Ok(q.query_as().fetch_all(conn).await?)
}

/// The articles `reach` lets the reader see, in a category or all, newest change first.
pub async fn articles(
    conn: &mut Conn,
    reach: Reach,
    category_id: Option<i64>,
    limit: i64,
) -> Result<Vec<Article>> {
    let mut q = Sql::new(ARTICLE);
    q.push(" WHERE 1 = 1");
    reach.push(&mut q);
    if let Some(c) = category_id {
        q.push(" AND a.category_id = ").bind(c);
    }
    q.push(" ORDER BY a.updated_at DESC, a.id DESC LIMIT ")
        .bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// The articles matching the full-text query `query` (already in the backend's syntax) that
/// `reach` lets the reader see, most relevant first. The index ranks the matches and only the
/// best few hundred are read as articles, so a common word costs about what a rare one does.
pub async fn search(
    conn: &mut Conn,
    backend: Backend,
    query: &str,
    reach: Reach,
    limit: i64,
) -> Result<Vec<Article>> {
    let mut q = Sql::new(ARTICLE);
    q.push(" JOIN (SELECT rowid AS doc, ");
    let n = q.next_index();
    q.push(&backend.search_rank("kb_docs", n));
    q.push(" AS score FROM kb_docs WHERE ");
    q.push(&backend.search_match("kb_docs", n));
    q.bind_placeholder_value(query.to_string(), n);
    // Drafts and internal articles may take some of the best places: look a little deeper.
    q.push(" ORDER BY score LIMIT ").bind(limit * 5 + 50);
    q.push(") m ON m.doc = a.id WHERE 1 = 1");
    reach.push(&mut q);
    q.push(" ORDER BY m.score, a.id LIMIT ").bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}

/// Adds `n` views to article `id`.
pub async fn add_views(tx: &mut Conn, id: i64, n: i64) -> Result<()> {
    sqlx::query("UPDATE kb_articles SET views = views + $1 WHERE id = $2")
        .bind(n)
        .bind(id)
        .execute(tx)
        .await?;
    Ok(())
}

/// Counts a "Was this helpful?" answer.
pub async fn count_helpful(conn: &mut Conn, id: i64, yes: bool) -> Result<()> {
    let sql = if yes {
        "UPDATE kb_articles SET helpful_yes = helpful_yes + 1 WHERE id = $1"
    } else {
        "UPDATE kb_articles SET helpful_no = helpful_no + 1 WHERE id = $1"
    };
    sqlx::query(sql).bind(id).execute(conn).await?;
    Ok(())
}

/// A published article nobody has reviewed since a given time.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaleArticle {
    pub id: i64,
    pub title: String,
    pub author_id: Option<i64>,
    pub reviewed_at: i64,
}

/// Published articles last reviewed before `before`, oldest review first.
pub async fn stale(conn: &mut Conn, before: i64) -> Result<Vec<StaleArticle>> {
    Ok(sqlx::query_as(
        "SELECT id, title, author_id, reviewed_at FROM kb_articles \
         WHERE state = 'published' AND reviewed_at < $1 ORDER BY reviewed_at, id",
    )
    .bind(before)
    .fetch_all(conn)
    .await?)
}

/// Records that someone checked article `id` is still right; false when there is none.
pub async fn mark_reviewed(tx: &mut Conn, id: i64, at: i64) -> Result<bool> {
    let done = sqlx::query("UPDATE kb_articles SET reviewed_at = $1 WHERE id = $2")
        .bind(at)
        .bind(id)
        .execute(tx)
        .await?;
    Ok(done.rows_affected() > 0)
}

/// One saved state of an article.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Version {
    pub id: i64,
    pub article_id: i64,
    pub title: String,
    pub body_md: String,
    pub category_id: Option<i64>,
    pub state: String,
    pub visibility: String,
    pub locale: String,
    pub tags: String,
    pub author_id: Option<i64>,
    pub created_at: i64,
}

/// Keeps the state article `id` was just saved in.
pub async fn insert_version(
    tx: &mut Conn,
    id: i64,
    f: &ArticleFields<'_>,
    author_id: Option<i64>,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO kb_article_versions (article_id, title, body_md, category_id, state, \
         visibility, locale, tags, author_id, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
    )
    .bind(id)
    .bind(f.title.to_string())
    .bind(f.body_md.to_string())
    .bind(f.category_id)
    .bind(f.state.to_string())
    .bind(f.visibility.to_string())
    .bind(f.locale.to_string())
    .bind(f.tags.to_string())
    .bind(author_id)
    .bind(at)
    .fetch_one(tx)
    .await?)
}

const VERSION: &str = "SELECT id, article_id, title, body_md, category_id, state, visibility, \
    locale, tags, author_id, created_at FROM kb_article_versions";

/// Article `id`'s saved states, newest first.
pub async fn versions(conn: &mut Conn, id: i64) -> Result<Vec<Version>> {
    let mut q = Sql::new(VERSION);
    q.push(" WHERE article_id = ")
        .bind(id)
        .push(" ORDER BY id DESC");
    Ok(q.query_as().fetch_all(conn).await?)
}

pub async fn version(conn: &mut Conn, id: i64) -> Result<Option<Version>> {
    let mut q = Sql::new(VERSION);
    q.push(" WHERE id = ").bind(id);
    Ok(q.query_as().fetch_optional(conn).await?)
}

/// A file uploaded for articles.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct KbFile {
    pub id: i64,
    pub sha256: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
}

pub async fn insert_file(
    tx: &mut Conn,
    f: &KbFile,
    uploaded_by: Option<i64>,
    at: i64,
) -> Result<i64> {
    Ok(sqlx::query_scalar(
        "INSERT INTO kb_files (sha256, filename, content_type, size, uploaded_by, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(f.sha256.clone())
    .bind(f.filename.clone())
    .bind(f.content_type.clone())
    .bind(f.size)
    .bind(uploaded_by)
    .bind(at)
    .fetch_one(tx)
    .await?)
}

pub async fn file(conn: &mut Conn, id: i64) -> Result<Option<KbFile>> {
    Ok(sqlx::query_as(
        "SELECT id, sha256, filename, content_type, size FROM kb_files WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?)
}

/// Records which files article `id` links (replacing what it linked before).
pub async fn set_file_links(tx: &mut Conn, id: i64, files: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM kb_file_links WHERE article_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    for f in files {
        sqlx::query("INSERT INTO kb_file_links (article_id, file_id) VALUES ($1, $2)")
            .bind(id)
            .bind(*f)
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Whether a published public article links to file `id`.
pub async fn file_is_public(conn: &mut Conn, id: i64) -> Result<bool> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT l.article_id FROM kb_file_links l JOIN kb_articles a ON a.id = l.article_id \
         WHERE l.file_id = $1 AND a.state = 'published' AND a.visibility = 'public' LIMIT 1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(found.is_some())
}

/// The articles of translation group `root` (the original and its translations) that `reach`
/// lets the reader see: two index look-ups (by id, by `translation_of`).
pub async fn translations(conn: &mut Conn, root: i64, reach: Reach) -> Result<Vec<Title>> {
    const COLUMNS: &str = "SELECT a.id, a.category_id, a.slug, a.title, a.updated_at, a.locale, \
        a.translation_of FROM kb_articles a WHERE ";
    let mut q = Sql::new(COLUMNS);
    q.push("a.id = ").bind(root);
    reach.push(&mut q);
    q.push(" UNION ALL ")
        .push(COLUMNS)
        .push("a.translation_of = ")
        .bind(root);
    reach.push(&mut q);
    let mut found: Vec<Title> = q.query_as().fetch_all(conn).await?;
    found.sort_by(|a, b| a.locale.cmp(&b.locale).then(a.id.cmp(&b.id)));
    Ok(found)
}

/// Other articles of category `category_id` that `reach` lets the reader see, most read
/// first (the help center's "Related articles").
pub async fn in_category(
    conn: &mut Conn,
    category_id: i64,
    except: i64,
    reach: Reach,
    limit: i64,
) -> Result<Vec<Title>> {
    let mut q = Sql::new(
        "SELECT a.id, a.category_id, a.slug, a.title, a.updated_at, a.locale, a.translation_of \
         FROM kb_articles a WHERE a.category_id = ",
    );
    q.bind(category_id).push(" AND a.id <> ").bind(except);
    reach.push(&mut q);
    q.push(" ORDER BY a.views DESC, a.id LIMIT ").bind(limit);
    Ok(q.query_as().fetch_all(conn).await?)
}
