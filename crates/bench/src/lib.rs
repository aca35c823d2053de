//! What `steward-bench` shares with the integration tests: the throwaway Dovecot.

pub mod dovecot;
