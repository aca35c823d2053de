//! The one integration-test binary. Every test boots the real application (the same start-up
//! code as `steward serve`) on a free port against a fresh database, and talks to it over HTTP.
//!
//! SQLite by default; `STEWARD_TEST_BACKEND=postgres` runs the same tests on PostgreSQL
//! (`STEWARD_TEST_POSTGRES_URL`, default `postgres://postgres@127.0.0.1/postgres`), each test
//! in a database of its own.

mod answer_bot;
mod api_conversations;
mod api_directory;
mod api_errors;
mod automations;
mod branding;
mod browser;
mod browser_chat;
mod calendars;
mod chat;
mod chat_files;
mod chat_inboxes;
mod chat_nodes;
mod chat_queue;
mod chat_satisfaction;
mod cli;
mod dns;
mod email;
mod email_auth;
mod email_corpus;
mod email_crash;
mod email_imap;
mod email_outbound;
mod feedback;
mod helpers;
mod inboxes;
mod kb;
mod kb_agents;
mod kb_translations;
mod lifecycle;
mod live_nodes;
mod macros;
mod nps;
mod portal;
mod portal_feedback;
mod portal_forms;
mod portal_isolation;
mod reports;
mod routing;
mod satisfaction;
mod search;
mod security;
mod signin;
mod sla;
mod transfers;
mod webhooks;
mod workspace;
