//! Images and other files in articles: uploaded by those who write articles, kept in the blob
//! store with a `kb_files` row, and linked from Markdown at `/help/files/{id}/{name}` (which
//! files an article links is recorded when it is saved). The public may fetch a file only
//! while a published public article links to it; agents may fetch any (internal articles have
//! files too).

use crate::conversation::{Upload, clean_content_type, clean_filename};
use crate::{Engine, EngineError, Result};
use steward_domain::{Actor, DomainError};
use steward_store::kb::{self, KbFile};
use steward_store::now_ms;

/// A stored file and the Markdown that shows (an image) or links (anything else) it.
pub struct Uploaded {
    pub file: KbFile,
    pub url: String,
    pub markdown: String,
}

/// The ids of the files Markdown `md` links (`/help/files/{id}/`), each once.
pub fn linked_files(md: &str) -> Vec<i64> {
    let mut out: Vec<i64> = md
        .split("/help/files/")
        .skip(1)
        .filter_map(|rest| {
            let (id, _) = rest.split_once('/')?;
            id.parse().ok()
        })
        .collect();
    out.sort_unstable();
    out.dedup();
    out
}

/// The file's address: its id, then a name safe in a URL path.
pub fn file_path(f: &KbFile) -> String {
    let name: String = f
        .filename
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '-'
            }
        })
        .collect();
    format!("/help/files/{}/{}", f.id, name)
}

impl Engine {
    /// Stores a file for articles. Supervisors and admins.
    pub async fn upload_kb_file(&self, by: &Actor, u: Upload) -> Result<Uploaded> {
        by.may_supervise()?;
        if u.bytes.is_empty() {
            return Err(EngineError::invalid("file", "is empty"));
        }
        if u.bytes.len() > self.limits.max_attachment_bytes {
            return Err(EngineError::Domain(DomainError::TooLarge(format!(
                "the file is {} bytes; the limit is {} bytes",
                u.bytes.len(),
                self.limits.max_attachment_bytes
            ))));
        }
        let sha256 = self.store.blobs.put(&u.bytes).await?;
        let mut file = KbFile {
            id: 0,
            sha256,
            filename: clean_filename(&u.filename),
            content_type: clean_content_type(&u.content_type),
            size: u.bytes.len() as i64,
        };
        let mut tx = self.store.write().await?;
        file.id = kb::insert_file(&mut tx, &file, Some(by.user_id), now_ms()).await?;
        tx.commit().await?;
        let url = file_path(&file);
        let label: String = file
            .filename
            .chars()
            .filter(|c| !"[]()".contains(*c))
            .collect();
        let image = matches!(
            file.content_type.as_str(),
            "image/png" | "image/jpeg" | "image/gif" | "image/webp"
        );
        let markdown = if image {
            format!("![{label}]({url})")
        } else {
            format!("[{label}]({url})")
        };
        Ok(Uploaded {
            file,
            url,
            markdown,
        })
    }

    /// File `id` with its bytes, if `by` may fetch it (`None`: the public).
    pub async fn kb_file(&self, by: Option<&Actor>, id: i64) -> Result<(KbFile, Vec<u8>)> {
        let mut conn = self.store.pool().acquire().await?;
        let f = kb::file(&mut conn, id)
            .await?
            .ok_or_else(|| EngineError::not_found("file"))?;
        if by.is_none() && !kb::file_is_public(&mut conn, id).await? {
            return Err(EngineError::not_found("file"));
        }
        drop(conn);
        let bytes = self.store.blobs.get(&f.sha256).await?;
        Ok((f, bytes))
    }
}

#[cfg(test)]
mod tests {
    use super::linked_files;

    #[test]
    fn the_files_an_article_links_are_found_once_each() {
        let md = "![a](/help/files/7/a.png) see [b](/help/files/12/b.pdf) and ![a](/help/files/7/a.png) /help/files/x/y";
        assert_eq!(linked_files(md), vec![7, 12]);
        assert!(linked_files("no files").is_empty());
    }
}
