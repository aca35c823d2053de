//! The one schema, and the migrations that build it on either backend.
//!
//! Migrations are numbered SQL templates. `{pk}` and `{bytes}` become each backend's column
//! types (see `dialect`); the search index is the one table written twice. Each migration runs
//! in one transaction with its row in `schema_migrations`, so a failed start leaves nothing
//! half-made.

use crate::schema_chat as chat;
use crate::schema_kb as kb;
use crate::schema_measurement as measurement;
use crate::schema_portal as portal;
use crate::{Backend, Result, Store};

/// Migration 1: the core model.
const V1: &str = r#"
CREATE TABLE organizations (
    id {pk},
    name TEXT NOT NULL,
    domain TEXT,
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX organizations_name ON organizations (name);

CREATE TABLE customers (
    id {pk},
    name TEXT NOT NULL,
    organization_id BIGINT REFERENCES organizations (id),
    notes TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX customers_organization ON customers (organization_id);

CREATE TABLE customer_identities (
    id {pk},
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX customer_identities_kind_value ON customer_identities (kind, value);
CREATE INDEX customer_identities_customer ON customer_identities (customer_id);

CREATE TABLE users (
    id {pk},
    email TEXT NOT NULL,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    password_hash TEXT,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX users_email ON users (email);

CREATE TABLE teams (
    id {pk},
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX teams_name ON teams (name);

CREATE TABLE team_members (
    team_id BIGINT NOT NULL REFERENCES teams (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_user ON team_members (user_id);

CREATE TABLE conversations (
    id {pk},
    number BIGINT NOT NULL,
    subject TEXT NOT NULL,
    status TEXT NOT NULL,
    priority TEXT NOT NULL,
    channel TEXT NOT NULL,
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    assignee_id BIGINT REFERENCES users (id),
    team_id BIGINT REFERENCES teams (id),
    custom_fields TEXT NOT NULL DEFAULT '{}',
    merged_into BIGINT REFERENCES conversations (id),
    follow_up_of BIGINT REFERENCES conversations (id),
    message_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    first_response_at BIGINT,
    solved_at BIGINT,
    closed_at BIGINT
);
CREATE UNIQUE INDEX conversations_number ON conversations (number);
CREATE INDEX conversations_activity ON conversations (last_activity_at, id);
CREATE INDEX conversations_status_team ON conversations (status, team_id, last_activity_at);
CREATE INDEX conversations_assignee ON conversations (assignee_id, status, last_activity_at);
CREATE INDEX conversations_customer ON conversations (customer_id, last_activity_at);
CREATE INDEX conversations_updated ON conversations (updated_at, id);

CREATE TABLE conversation_followers (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (conversation_id, user_id)
);

CREATE TABLE tags (
    id {pk},
    name TEXT NOT NULL,
    color TEXT NOT NULL DEFAULT '#64748b',
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX tags_name ON tags (name);

CREATE TABLE conversation_tags (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    tag_id BIGINT NOT NULL REFERENCES tags (id),
    PRIMARY KEY (conversation_id, tag_id)
);
CREATE INDEX conversation_tags_tag ON conversation_tags (tag_id, conversation_id);

CREATE TABLE custom_field_defs (
    id {pk},
    key TEXT NOT NULL,
    label TEXT NOT NULL,
    kind TEXT NOT NULL,
    options TEXT NOT NULL DEFAULT '[]',
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX custom_field_defs_key ON custom_field_defs (key);

CREATE TABLE messages (
    id {pk},
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    author_kind TEXT NOT NULL,
    author_user_id BIGINT REFERENCES users (id),
    author_customer_id BIGINT REFERENCES customers (id),
    visibility TEXT NOT NULL,
    channel TEXT NOT NULL,
    body_text TEXT NOT NULL,
    body_html TEXT,
    created_at BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, id);

CREATE TABLE attachments (
    id {pk},
    message_id BIGINT NOT NULL REFERENCES messages (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL,
    size BIGINT NOT NULL,
    sha256 TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX attachments_message ON attachments (message_id);

CREATE TABLE events (
    id {pk},
    at BIGINT NOT NULL,
    actor_kind TEXT NOT NULL,
    actor_id BIGINT,
    subject_type TEXT NOT NULL,
    subject_id BIGINT NOT NULL,
    conversation_id BIGINT,
    kind TEXT NOT NULL,
    data TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_conversation ON events (conversation_id, id);
CREATE INDEX events_at ON events (at);

CREATE TABLE sessions (
    token_hash TEXT PRIMARY KEY,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);

CREATE TABLE api_tokens (
    id {pk},
    user_id BIGINT NOT NULL REFERENCES users (id),
    name TEXT NOT NULL,
    token_hash TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE UNIQUE INDEX api_tokens_hash ON api_tokens (token_hash);

CREATE TABLE idempotency_keys (
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    content_type TEXT,
    response TEXT,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (scope, key)
);

CREATE TABLE search_rows (
    id {pk},
    kind TEXT NOT NULL,
    conversation_id BIGINT NOT NULL,
    message_id BIGINT
);
CREATE INDEX search_rows_conversation ON search_rows (conversation_id, kind);

CREATE TABLE counters (
    name TEXT PRIMARY KEY,
    value BIGINT NOT NULL
);
INSERT INTO counters (name, value) VALUES ('conversation_number', 0);
"#;

/// Email: the mail behind each message, reply tokens, and the outbox.
const V2: &str = r#"
CREATE TABLE email_messages (
    message_id BIGINT PRIMARY KEY REFERENCES messages (id),
    inbox TEXT NOT NULL,
    rfc_message_id TEXT NOT NULL,
    direction TEXT NOT NULL,
    from_address TEXT NOT NULL,
    to_addresses TEXT NOT NULL,
    cc_addresses TEXT NOT NULL,
    raw_sha256 TEXT,
    quoted_text TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX email_messages_rfc ON email_messages (inbox, rfc_message_id);
CREATE INDEX email_messages_rfc_any ON email_messages (rfc_message_id);

CREATE TABLE email_tokens (
    token TEXT PRIMARY KEY,
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    inbox TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX email_tokens_conversation ON email_tokens (conversation_id);

CREATE TABLE outbox (
    id {pk},
    kind TEXT NOT NULL,
    conversation_id BIGINT REFERENCES conversations (id),
    message_id BIGINT REFERENCES messages (id),
    rfc_message_id TEXT NOT NULL,
    sender TEXT NOT NULL,
    recipients TEXT NOT NULL,
    raw {bytes} NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    claimed_at BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL,
    sent_at BIGINT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);
CREATE INDEX outbox_message ON outbox (message_id);
CREATE INDEX outbox_recipients ON outbox (recipients, created_at);
"#;

/// People copied on a conversation's mail (Cc): they get its public replies too.
const V3: &str = r#"
CREATE TABLE conversation_cc (
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    address TEXT NOT NULL,
    added_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, address)
);
"#;

/// IMAP mailboxes: how far each was read (by UID within a UIDVALIDITY) and how its last
/// attempt went.
const V4: &str = r#"
CREATE TABLE imap_mailboxes (
    mailbox TEXT PRIMARY KEY,
    uid_validity BIGINT,
    last_uid BIGINT,
    status TEXT NOT NULL,
    last_error TEXT,
    checked_at BIGINT NOT NULL,
    received BIGINT NOT NULL
);
CREATE INDEX attachments_sha256 ON attachments (sha256);
"#;

/// Which emails each agent wants about their work.
const V5: &str = r#"
ALTER TABLE users ADD COLUMN notify_assigned BIGINT NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN notify_mentioned BIGINT NOT NULL DEFAULT 1;
"#;

/// Sender authentication (SPF, DKIM, DMARC) of inbound mail.
const V6: &str = r#"
ALTER TABLE email_messages ADD COLUMN authentication TEXT;
ALTER TABLE email_messages ADD COLUMN auth_failed BIGINT NOT NULL DEFAULT 0;
"#;

/// Inboxes and IMAP mailboxes added by admins in the workspace or API (those in the config
/// file are not stored).
const V7: &str = r#"
CREATE TABLE inboxes (
    id {pk},
    address TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    team TEXT,
    acknowledge BIGINT NOT NULL,
    acknowledgement TEXT,
    imap_host TEXT,
    imap_port BIGINT,
    imap_security TEXT,
    imap_username TEXT,
    imap_password TEXT,
    imap_folder TEXT,
    imap_poll_seconds BIGINT,
    created_at BIGINT NOT NULL
);
"#;

/// Macros (canned replies): shared when `owner_id` is null, else personal.
const V8: &str = r#"
CREATE TABLE macros (
    id {pk},
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    owner_id BIGINT REFERENCES users (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX macros_owner ON macros (owner_id);
"#;

/// The durable scheduler's jobs (timers, retries, deliveries), and webhooks with their
/// delivery log. `webhook_cursor` is the last event id fanned out to webhooks; it starts at
/// the newest event, so a new install does not replay history.
const V9: &str = r#"
CREATE TABLE jobs (
    id {pk},
    kind TEXT NOT NULL,
    key TEXT,
    payload TEXT NOT NULL,
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    lease TEXT,
    lease_until BIGINT,
    last_error TEXT,
    created_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX jobs_key ON jobs (key);
CREATE INDEX jobs_due ON jobs (run_at);

CREATE TABLE webhooks (
    id {pk},
    url TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    secret TEXT NOT NULL,
    events TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id {pk},
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id BIGINT,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    status TEXT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    response_status BIGINT,
    response_body TEXT,
    last_error TEXT,
    node TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    delivered_at BIGINT
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);

INSERT INTO counters (name, value) SELECT 'webhook_cursor', COALESCE(MAX(id), 0) FROM events;
"#;

/// Business-hours calendars (weekly hours as JSON by weekday, holidays as JSON), and which
/// calendar each team works by.
const V10: &str = r#"
CREATE TABLE calendars (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    time_zone TEXT NOT NULL,
    hours TEXT NOT NULL,
    holidays TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
ALTER TABLE teams ADD COLUMN calendar_id BIGINT REFERENCES calendars (id);
"#;

/// SLA policies in the order they are tried, each conversation's SLA at a glance (the policy
/// it falls under, its soonest due time, its first breach, its state), and customer tiers.
const V11: &str = r#"
CREATE TABLE sla_policies (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    position BIGINT NOT NULL,
    conditions TEXT NOT NULL DEFAULT '{}',
    targets TEXT NOT NULL,
    calendar_id BIGINT REFERENCES calendars (id),
    pause_pending BIGINT NOT NULL DEFAULT 1,
    pause_on_hold BIGINT NOT NULL DEFAULT 1,
    warn_minutes BIGINT NOT NULL DEFAULT 0,
    escalation TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
ALTER TABLE conversations ADD COLUMN sla_policy_id BIGINT REFERENCES sla_policies (id);
ALTER TABLE conversations ADD COLUMN sla_due_at BIGINT;
ALTER TABLE conversations ADD COLUMN sla_breached_at BIGINT;
ALTER TABLE conversations ADD COLUMN sla_state TEXT;
CREATE INDEX conversations_sla_due ON conversations (sla_due_at, id);
ALTER TABLE customers ADD COLUMN tier TEXT;
"#;

/// Follow-up tasks: an agent's reminder about a conversation (the previous owner's "check
/// back with the customer" after a transfer), due at a time or when the conversation is solved.
/// `sla_version` counts changes to SLA policies and calendars, so nodes know when their cached
/// copy is stale; `conversations.sla_check_at` is when its SLA timer is set for, so a change that
/// moves nothing writes nothing.
const V12: &str = r#"
CREATE TABLE tasks (
    id {pk},
    conversation_id BIGINT NOT NULL REFERENCES conversations (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    title TEXT NOT NULL,
    due_at BIGINT,
    due_on_solve BIGINT NOT NULL DEFAULT 0,
    done_at BIGINT,
    notified_at BIGINT,
    created_by BIGINT REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX tasks_user ON tasks (user_id, done_at, due_at);
CREATE INDEX tasks_conversation ON tasks (conversation_id);
INSERT INTO counters (name, value) VALUES ('sla_version', 0);
ALTER TABLE conversations ADD COLUMN sla_check_at BIGINT;
"#;

/// Routing: how each team hands out waiting conversations, each agent's availability,
/// capacity and skills, and the rules that give conversations required skills.
const V13: &str = r#"
CREATE TABLE team_routing (
    team_id BIGINT PRIMARY KEY REFERENCES teams (id),
    mode TEXT NOT NULL DEFAULT 'manual',
    return_on_offline BIGINT NOT NULL DEFAULT 1,
    last_user_id BIGINT
);
CREATE TABLE agent_routing (
    user_id BIGINT PRIMARY KEY REFERENCES users (id),
    availability TEXT NOT NULL DEFAULT 'offline',
    capacity TEXT NOT NULL DEFAULT '{}',
    skills TEXT NOT NULL DEFAULT '[]',
    changed_at BIGINT NOT NULL
);
CREATE TABLE skill_rules (
    id {pk},
    name TEXT NOT NULL,
    position BIGINT NOT NULL,
    conditions TEXT NOT NULL DEFAULT '{}',
    skills TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX conversations_queue ON conversations (team_id, assignee_id, status);
"#;

/// Automations: rules in order, each with its trigger, conditions and actions as JSON that the
/// engine checks with `steward_domain::automation`.
const V14: &str = r#"
CREATE TABLE automations (
    id {pk},
    name TEXT NOT NULL UNIQUE,
    position BIGINT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    trigger_kind TEXT NOT NULL,
    conditions TEXT NOT NULL,
    actions TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
"#;

/// The inbox each conversation arrived through (its address; filled from the mail of the
/// earlier ones), and per-inbox settings that hold for inboxes of the config file too: the
/// calendar its conversations count business hours by, and how it routes (over its team's).
const V15: &str = r#"
ALTER TABLE conversations ADD COLUMN inbox TEXT;
UPDATE conversations SET inbox = (SELECT em.inbox FROM messages m
    JOIN email_messages em ON em.message_id = m.id
    WHERE m.conversation_id = conversations.id ORDER BY m.id LIMIT 1);
CREATE TABLE inbox_settings (
    address TEXT PRIMARY KEY,
    calendar_id BIGINT REFERENCES calendars (id),
    routing_mode TEXT
);
"#;

/// Every migration in order: (version, SQL).
fn migrations(backend: Backend) -> Vec<(i64, String)> {
    vec![
        (
            1,
            format!("{}\n{}", backend.render(V1), backend.search_schema()),
        ),
        (2, backend.render(V2)),
        (3, backend.render(V3)),
        (4, backend.render(V4)),
        (5, backend.render(V5)),
        (6, backend.render(V6)),
        (7, backend.render(V7)),
        (8, backend.render(V8)),
        (9, backend.render(V9)),
        (10, backend.render(V10)),
        (11, backend.render(V11)),
        (12, backend.render(V12)),
        (13, backend.render(V13)),
        (14, backend.render(V14)),
        (15, backend.render(V15)),
        (16, backend.render(measurement::V16)),
        (17, backend.render(measurement::V17)),
        (18, backend.render(measurement::V18)),
        (19, backend.render(measurement::V19)),
        (20, backend.render(measurement::V20)),
        (21, backend.render(measurement::V21)),
        (22, backend.render(measurement::V22)),
        (23, backend.render(chat::V23)),
        (
            24,
            format!(
                "{}\n{}",
                backend.render(kb::V24),
                backend.text_table("kb_docs")
            ),
        ),
        (25, backend.render(portal::V25)),
        (26, backend.render(kb::V26)),
        (27, backend.render(kb::V27)),
        (28, backend.render(kb::V28)),
        (29, backend.render(portal::V29)),
        (30, backend.render(kb::V30)),
    ]
}

pub(crate) async fn migrate(store: &Store) -> Result<usize> {
    let mut tx = store.write().await?;
    sqlx::raw_sql(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)",
    )
    .execute(&mut *tx)
    .await?;
    let done: Vec<i64> = sqlx::query_scalar("SELECT version FROM schema_migrations")
        .fetch_all(&mut *tx)
        .await?;
    let mut applied = 0;
    for (version, sql) in migrations(store.backend()) {
        if done.contains(&version) {
            continue;
        }
        for statement in sql.split(';').map(str::trim).filter(|s| !s.is_empty()) {
            sqlx::raw_sql(sqlx::AssertSqlSafe(statement.to_string()))
                .execute(&mut *tx)
                .await?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)")
            .bind(version)
            .bind(crate::now_ms())
            .execute(&mut *tx)
            .await?;
        applied += 1;
    }
    tx.commit().await?;
    Ok(applied)
}
