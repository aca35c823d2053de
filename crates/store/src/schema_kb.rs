//! Migration 24, for self-service: knowledge-base categories and articles (Markdown kept as
//! written, its sanitized HTML, draft or published, public or internal, a locale, tags, view
//! and "was this helpful?" counts) and the full-text table `kb_docs` keyed by article id.
//! `schema` runs it in order with the rest.

pub(crate) const V24: &str = r#"
CREATE TABLE kb_categories (
    id {pk},
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE kb_articles (
    id {pk},
    category_id BIGINT REFERENCES kb_categories (id),
    slug TEXT NOT NULL,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    body_html TEXT NOT NULL,
    state TEXT NOT NULL,
    visibility TEXT NOT NULL,
    locale TEXT NOT NULL,
    tags TEXT NOT NULL,
    author_id BIGINT REFERENCES users (id),
    views BIGINT NOT NULL DEFAULT 0,
    helpful_yes BIGINT NOT NULL DEFAULT 0,
    helpful_no BIGINT NOT NULL DEFAULT 0,
    reviewed_at BIGINT NOT NULL,
    published_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX kb_articles_category ON kb_articles (category_id, state, visibility);
"#;

/// Migration 26: every saved state of an article (`kb_article_versions`), so an editor can see
/// the history and restore an earlier text.
pub(crate) const V26: &str = r#"
CREATE TABLE kb_article_versions (
    id {pk},
    article_id BIGINT NOT NULL,
    title TEXT NOT NULL,
    body_md TEXT NOT NULL,
    category_id BIGINT,
    state TEXT NOT NULL,
    visibility TEXT NOT NULL,
    locale TEXT NOT NULL,
    tags TEXT NOT NULL,
    author_id BIGINT,
    created_at BIGINT NOT NULL
);
CREATE INDEX kb_article_versions_article ON kb_article_versions (article_id, id);
"#;

/// Migration 27: files (images, PDFs) uploaded for articles (`kb_files`); their bytes are in the
/// blob store, and articles link to them at `/help/files/{id}/{name}`. `kb_file_links` says
/// which article links which file (written with the article), so whether the public may fetch
/// a file is one index look-up.
pub(crate) const V27: &str = r#"
CREATE TABLE kb_files (
    id {pk},
    sha256 TEXT NOT NULL,
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    uploaded_by BIGINT,
    created_at BIGINT NOT NULL
);
CREATE TABLE kb_file_links (
    article_id BIGINT NOT NULL,
    file_id BIGINT NOT NULL,
    PRIMARY KEY (article_id, file_id)
);
CREATE INDEX kb_file_links_file ON kb_file_links (file_id);
"#;

/// Migration 28: translations. An article written in another language names the article it
/// translates (`translation_of`, always the original), so the help center can offer a reader
/// their language and link the versions.
pub(crate) const V28: &str = r#"
ALTER TABLE kb_articles ADD COLUMN translation_of BIGINT;
CREATE INDEX kb_articles_translation ON kb_articles (translation_of);
"#;

/// Migration 30: sections. A category may sit inside another (`parent_id`), one level deep:
/// categories hold sections, both hold articles.
pub(crate) const V30: &str = r#"
ALTER TABLE kb_categories ADD COLUMN parent_id BIGINT;
"#;
