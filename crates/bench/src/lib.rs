//! What `steward-bench` shares with the integration tests: the throwaway Dovecot and a
//! self-signed certificate.

pub mod certificate;
pub mod dovecot;
