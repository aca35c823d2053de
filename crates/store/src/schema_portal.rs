//! Migration 25, for the customer portal: emailed one-time links (sign-in and email-address
//! confirmation; only their SHA-256 is kept), customers' portal sessions (apart from agents'
//! sessions, so a customer's cookie can never act as an agent), the web forms admins define per
//! topic, and deflections (a customer said an article answered their question, so no request
//! was opened). `schema` runs it in order with the rest.

pub(crate) const V25: &str = r#"
CREATE TABLE portal_links (
    id {pk},
    token_sha256 TEXT NOT NULL UNIQUE,
    purpose TEXT NOT NULL,
    email TEXT NOT NULL,
    customer_id BIGINT REFERENCES customers (id),
    next_path TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT
);
CREATE INDEX portal_links_email ON portal_links (email, created_at);
CREATE TABLE portal_sessions (
    token_sha256 TEXT PRIMARY KEY,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX portal_sessions_customer ON portal_sessions (customer_id);
CREATE TABLE web_forms (
    id {pk},
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    description TEXT NOT NULL,
    team_id BIGINT REFERENCES teams (id),
    tags TEXT NOT NULL,
    fields TEXT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE deflections (
    id {pk},
    article_id BIGINT NOT NULL,
    source TEXT NOT NULL,
    customer_id BIGINT,
    query TEXT NOT NULL,
    at BIGINT NOT NULL
);
CREATE INDEX deflections_at ON deflections (at);
"#;

/// Migration 29: a customer's optional portal password (argon2id), beside the emailed links.
pub(crate) const V29: &str = r#"
CREATE TABLE portal_passwords (
    customer_id BIGINT PRIMARY KEY REFERENCES customers (id),
    hash TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
"#;
