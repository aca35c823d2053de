//! The engine's errors: a domain refusal (the caller's fault, with a reason) or a storage
//! failure (ours).

use steward_domain::DomainError;
use steward_store::StoreError;
use thiserror::Error;

#[derive(Debug, Error)]
pub enum EngineError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<steward_store::SqlxError> for EngineError {
    fn from(e: steward_store::SqlxError) -> Self {
        EngineError::Store(StoreError::Db(e))
    }
}

impl EngineError {
    pub fn not_found(what: &str) -> EngineError {
        EngineError::Domain(DomainError::NotFound(what.to_string()))
    }

    pub fn conflict(msg: impl Into<String>) -> EngineError {
        EngineError::Domain(DomainError::Conflict(msg.into()))
    }

    pub fn invalid(field: &str, msg: impl Into<String>) -> EngineError {
        EngineError::Domain(DomainError::invalid(field, msg))
    }
}

pub type Result<T> = std::result::Result<T, EngineError>;
