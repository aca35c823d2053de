//! The `steward` program as a library, so integration tests start exactly what users run:
//! configuration, start-up and shutdown, the command line, and the demo's sample data.

pub mod app;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_site;
pub mod email_config;
