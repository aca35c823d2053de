//! Migration 23, for live chat: the chat inboxes a site's widget names, the anonymous visitors
//! a widget remembers, each chat (a conversation on the chat channel with its visitor, topic,
//! end and read marks), and the client key that makes a resent chat message a duplicate.
//! `schema` runs it in order with the rest.

/// Chat inboxes, visitors, chats, and `messages.client_key`.
pub(crate) const V23: &str = r#"
CREATE TABLE chat_inboxes (
    id {pk},
    key TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    colour TEXT NOT NULL,
    greeting TEXT NOT NULL,
    team_id BIGINT REFERENCES teams (id),
    email_inbox TEXT,
    calendar_id BIGINT REFERENCES calendars (id),
    prechat TEXT NOT NULL,
    topics TEXT NOT NULL,
    enabled BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE chat_visitors (
    id {pk},
    token_sha256 TEXT NOT NULL UNIQUE,
    chat_inbox_id BIGINT NOT NULL REFERENCES chat_inboxes (id),
    customer_id BIGINT REFERENCES customers (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL
);
CREATE INDEX chat_visitors_customer ON chat_visitors (customer_id);
CREATE TABLE chats (
    conversation_id BIGINT PRIMARY KEY REFERENCES conversations (id),
    visitor_id BIGINT NOT NULL REFERENCES chat_visitors (id),
    chat_inbox_id BIGINT NOT NULL REFERENCES chat_inboxes (id),
    topic TEXT,
    started_at BIGINT NOT NULL,
    ended_at BIGINT,
    visitor_read BIGINT NOT NULL DEFAULT 0,
    agent_read BIGINT NOT NULL DEFAULT 0,
    bot_off BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX chats_visitor ON chats (visitor_id, started_at);
CREATE INDEX chats_waiting ON chats (chat_inbox_id, ended_at, started_at);
ALTER TABLE messages ADD COLUMN client_key TEXT;
CREATE UNIQUE INDEX messages_client_key ON messages (client_key);
"#;
