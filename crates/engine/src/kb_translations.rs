//! Translations: an article in another language names the original it translates. Every
//! translation points at the original itself (never at another translation), and a group has
//! at most one article per language. The help center shows a reader the version in their
//! language when there is one, and links the others.

use crate::{Engine, EngineError, Result};
use steward_domain::Actor;
use steward_store::Conn;
use steward_store::kb::{self, Reach, Title};

impl Engine {
    /// Checks that article `id` (new when `None`) may translate `of` into `locale`; returns
    /// the original to store and the original's category (a translation given none takes it).
    pub(crate) async fn check_translation(
        &self,
        conn: &mut Conn,
        id: Option<i64>,
        of: Option<i64>,
        locale: &str,
    ) -> Result<Option<(i64, Option<i64>)>> {
        let Some(of) = of else {
            return Ok(None);
        };
        let target = kb::article(conn, of, Reach::Everything)
            .await?
            .ok_or_else(|| {
                EngineError::invalid("translation_of", format!("there is no article {of}"))
            })?;
        let root = target.translation_of.unwrap_or(target.id);
        let root_category = match target.translation_of {
            None => target.category_id,
            Some(r) => kb::article(conn, r, Reach::Everything)
                .await?
                .and_then(|a| a.category_id),
        };
        if Some(root) == id {
            return Err(EngineError::invalid(
                "translation_of",
                "an article cannot translate itself",
            ));
        }
        if let Some(id) = id {
            let has_translations = kb::translations(conn, id, Reach::Everything)
                .await?
                .iter()
                .any(|t| t.id != id);
            if has_translations {
                return Err(EngineError::invalid(
                    "translation_of",
                    "this article has translations of its own; it stays an original",
                ));
            }
        }
        let clash = kb::translations(conn, root, Reach::Everything)
            .await?
            .into_iter()
            .find(|t| t.locale == locale && Some(t.id) != id);
        if let Some(other) = clash {
            return Err(EngineError::conflict(format!(
                "article {} is already the {locale} version of this article",
                other.id
            )));
        }
        Ok(Some((root, root_category)))
    }

    /// The versions of the article whose group root is `root`, as `by` may see them.
    pub async fn kb_translations(&self, by: Option<&Actor>, root: i64) -> Result<Vec<Title>> {
        let mut conn = self.store.pool().acquire().await?;
        Ok(kb::translations(&mut conn, root, crate::kb::reach(by)).await?)
    }
}
