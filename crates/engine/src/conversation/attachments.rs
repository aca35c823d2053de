//! Files attached to a message: checked against the limits before anything is stored, then
//! kept in the content-addressed blob store and linked to the message in the transaction.

use crate::{Engine, EngineError, Result};
use steward_domain::DomainError;
use steward_store::Conn;
use steward_store::messages::{self, NewAttachment};

#[derive(Debug, Clone)]
pub struct Upload {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

/// An upload whose bytes are in the blob store, waiting to be linked.
pub(crate) struct Stored {
    filename: String,
    content_type: String,
    size: i64,
    sha256: String,
}

pub(crate) fn clean_filename(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    let cleaned = cleaned.trim().to_string();
    if cleaned.is_empty() || cleaned == "." || cleaned == ".." {
        "attachment".to_string()
    } else {
        cleaned
    }
}

pub(crate) fn clean_content_type(ct: &str) -> String {
    let ct = ct.trim().to_ascii_lowercase();
    let ok = ct.len() <= 100
        && ct
            .split_once('/')
            .is_some_and(|(a, b)| !a.is_empty() && !b.is_empty())
        && ct
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "/.+-_".contains(c));
    if ok {
        ct
    } else {
        "application/octet-stream".to_string()
    }
}

impl Engine {
    /// Checks every upload against the limits, then stores their bytes. Nothing is stored if
    /// any is refused.
    pub(crate) async fn store_uploads(&self, uploads: Vec<Upload>) -> Result<Vec<Stored>> {
        if uploads.len() > self.limits.max_attachments_per_message {
            return Err(EngineError::invalid(
                "attachments",
                format!(
                    "at most {} files per message",
                    self.limits.max_attachments_per_message
                ),
            ));
        }
        for u in &uploads {
            if u.bytes.len() > self.limits.max_attachment_bytes {
                return Err(EngineError::Domain(DomainError::TooLarge(format!(
                    "{} is {} bytes; the limit is {} bytes",
                    clean_filename(&u.filename),
                    u.bytes.len(),
                    self.limits.max_attachment_bytes
                ))));
            }
        }
        let mut stored = Vec::with_capacity(uploads.len());
        for u in uploads {
            let sha256 = self.store.blobs.put(&u.bytes).await?;
            stored.push(Stored {
                filename: clean_filename(&u.filename),
                content_type: clean_content_type(&u.content_type),
                size: u.bytes.len() as i64,
                sha256,
            });
        }
        Ok(stored)
    }
}

pub(crate) async fn link(tx: &mut Conn, message_id: i64, files: &[Stored], at: i64) -> Result<()> {
    for f in files {
        messages::insert_attachment(
            tx,
            &NewAttachment {
                message_id,
                filename: &f.filename,
                content_type: &f.content_type,
                size: f.size,
                sha256: &f.sha256,
                at,
            },
        )
        .await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_stripped_from_file_names() {
        assert_eq!(clean_filename("../../etc/passwd"), "passwd");
        assert_eq!(clean_filename("C:\\x\\report.pdf"), "report.pdf");
        assert_eq!(clean_filename(".."), "attachment");
    }

    #[test]
    fn odd_content_types_become_octet_stream() {
        assert_eq!(
            clean_content_type("text/html; charset=x"),
            "application/octet-stream"
        );
        assert_eq!(clean_content_type("Image/PNG"), "image/png");
    }
}
