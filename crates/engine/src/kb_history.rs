//! An article's history: every save keeps the state it was saved in (`kb_article_versions`),
//! and restoring one saves it again as the newest, so nothing is lost either way. Those who
//! write articles (supervisors and admins) read and restore.

use crate::kb::ArticleInput;
use crate::{Engine, EngineError, Result};
use steward_domain::Actor;
use steward_store::kb::{self, Article, Version};

impl Engine {
    /// Article `id`'s saved states, newest first.
    pub async fn kb_versions(&self, by: &Actor, id: i64) -> Result<Vec<Version>> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        Ok(kb::versions(&mut conn, id).await?)
    }

    /// Saves version `version_id` of article `id` as its newest state. A category deleted
    /// since is left empty.
    pub async fn restore_kb_version(
        &self,
        by: &Actor,
        id: i64,
        version_id: i64,
    ) -> Result<Article> {
        by.may_supervise()?;
        let mut conn = self.store.pool().acquire().await?;
        let v = kb::version(&mut conn, version_id)
            .await?
            .filter(|v| v.article_id == id)
            .ok_or_else(|| EngineError::not_found("version"))?;
        let category_id = match v.category_id {
            Some(c) => kb::category(&mut conn, c).await?.map(|c| c.id),
            None => None,
        };
        let current = self.kb_article(Some(by), id).await?;
        drop(conn);
        let input = ArticleInput {
            title: v.title,
            body: v.body_md,
            category_id,
            slug: Some(current.slug),
            state: Some(v.state),
            visibility: Some(v.visibility),
            locale: Some(v.locale),
            tags: serde_json::from_str(&v.tags).unwrap_or_default(),
            translation_of: current.translation_of,
        };
        self.save_kb_article(by, Some(id), &input).await
    }
}
