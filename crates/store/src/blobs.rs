//! Content-addressed files for attachments: stored once under `blobs/ab/cd/<sha256>` in the
//! data folder, written to a temporary name and renamed, so a crash never leaves half a file
//! under a real name.

use crate::Result;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct BlobStore {
    root: PathBuf,
}

impl BlobStore {
    pub fn open(root: PathBuf) -> Result<BlobStore> {
        std::fs::create_dir_all(&root).map_err(|e| {
            crate::StoreError::Config(format!(
                "cannot write to the data folder {}: {e}",
                root.display()
            ))
        })?;
        Ok(BlobStore { root })
    }

    fn path(&self, sha: &str) -> Option<PathBuf> {
        if sha.len() != 64 || !sha.chars().all(|c| c.is_ascii_hexdigit()) {
            return None;
        }
        Some(self.root.join(&sha[0..2]).join(&sha[2..4]).join(sha))
    }

    /// Stores `bytes` and returns their SHA-256 in hex.
    pub async fn put(&self, bytes: &[u8]) -> Result<String> {
        let sha = hex::encode(Sha256::digest(bytes));
        let Some(path) = self.path(&sha) else {
            return Err(crate::StoreError::Corrupt("bad digest".into()));
        };
        if tokio::fs::try_exists(&path).await? {
            return Ok(sha);
        }
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await?;
        }
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        tokio::fs::write(&tmp, bytes).await?;
        let file = tokio::fs::File::open(&tmp).await?;
        file.sync_all().await?;
        tokio::fs::rename(&tmp, &path).await?;
        Ok(sha)
    }

    pub async fn get(&self, sha: &str) -> Result<Vec<u8>> {
        let path = self
            .path(sha)
            .ok_or_else(|| crate::StoreError::Corrupt(format!("bad blob id {sha}")))?;
        Ok(tokio::fs::read(path).await?)
    }
}
