//! Storage errors. A database error is never turned into "not found": it stays an error.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("{0}")]
    Config(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("file storage error: {0}")]
    Io(#[from] std::io::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// Whether the database refused the change because of a unique constraint.
    pub fn is_unique_violation(&self) -> bool {
        match self {
            StoreError::Db(sqlx::Error::Database(e)) => {
                e.is_unique_violation() || e.message().contains("UNIQUE constraint failed")
            }
            _ => false,
        }
    }
}
