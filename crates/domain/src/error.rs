//! The domain's error kinds. Every layer above maps these to its own surface (problem+json,
//! a UI page, a CLI message); `Internal` is the only kind that is the system's fault.

use thiserror::Error;

#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum DomainError {
    #[error("{0} not found")]
    NotFound(String),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("invalid {field}: {message}")]
    Invalid { field: String, message: String },
    #[error("too large: {0}")]
    TooLarge(String),
}

impl DomainError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        DomainError::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}
