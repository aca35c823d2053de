//! Migrations 16–22, for feedback and measurement: workspace settings and CSAT surveys, the
//! facts and covering indexes reports read, NPS campaigns, report schedules and customer
//! feedback. `schema` runs them in order with the rest.

/// Workspace settings by name (JSON the engine checks), CSAT surveys (one per conversation,
/// found by the digest of the token in its links; the rating and comment once answered, with
/// the team and agent it rates), and customers who asked not to be surveyed.
pub(crate) const V16: &str = r#"
CREATE TABLE settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE surveys (
    id {pk},
    conversation_id BIGINT NOT NULL UNIQUE REFERENCES conversations (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    token_sha256 TEXT NOT NULL UNIQUE,
    scale TEXT NOT NULL,
    channel TEXT NOT NULL,
    team_id BIGINT,
    assignee_id BIGINT,
    sent_at BIGINT NOT NULL,
    rating BIGINT,
    comment TEXT,
    rated_at BIGINT,
    first_rated_at BIGINT
);
CREATE INDEX surveys_customer ON surveys (customer_id, sent_at);
CREATE INDEX surveys_rated ON surveys (rated_at);
ALTER TABLE customers ADD COLUMN surveys_opt_out BIGINT NOT NULL DEFAULT 0;
"#;

/// Reports find the conversations created or solved in a period by these.
pub(crate) const V17: &str = r#"
CREATE INDEX conversations_created ON conversations (created_at);
CREATE INDEX conversations_solved ON conversations (solved_at);
"#;

/// Facts reports read for every conversation, kept on its row as they happen rather than
/// counted per report: its public agent replies and the times it was reopened (from solved or
/// closed back to open work); both filled from the messages and the event log for the earlier
/// ones.
pub(crate) const V18: &str = r#"
ALTER TABLE conversations ADD COLUMN agent_replies BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN reopen_count BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET agent_replies = (SELECT COUNT(*) FROM messages m
    WHERE m.conversation_id = conversations.id AND m.author_kind = 'agent' AND m.visibility = 'public')
    WHERE id IN (SELECT conversation_id FROM messages WHERE author_kind = 'agent' AND visibility = 'public');
UPDATE conversations SET reopen_count = (SELECT COUNT(*) FROM events e
    WHERE e.conversation_id = conversations.id AND e.kind = 'status.changed'
    AND (e.data LIKE '%"before":"solved"%' OR e.data LIKE '%"before":"closed"%')
    AND e.data NOT LIKE '%"after":"closed"%' AND e.data NOT LIKE '%"after":"solved"%')
    WHERE id IN (SELECT conversation_id FROM events WHERE kind = 'status.changed'
    AND (data LIKE '%"before":"solved"%' OR data LIKE '%"before":"closed"%'));
"#;

/// NPS campaigns (the definition is JSON the domain checks) and what each sent: one row per
/// customer asked, found by the digest of the token in its link, with the answer once given
/// and the conversation a detractor's answer opened.
pub(crate) const V19: &str = r#"
CREATE TABLE nps_campaigns (
    id {pk},
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE TABLE nps_responses (
    id {pk},
    campaign_id BIGINT NOT NULL REFERENCES nps_campaigns (id),
    customer_id BIGINT NOT NULL REFERENCES customers (id),
    token_sha256 TEXT NOT NULL UNIQUE,
    sent_to TEXT NOT NULL,
    sent_at BIGINT NOT NULL,
    score BIGINT,
    reason TEXT,
    answered_at BIGINT,
    follow_up_conversation_id BIGINT REFERENCES conversations (id)
);
CREATE INDEX nps_responses_customer ON nps_responses (customer_id, sent_at);
CREATE INDEX nps_responses_campaign ON nps_responses (campaign_id, sent_at);
CREATE INDEX nps_responses_answered ON nps_responses (answered_at);
"#;

/// Reports emailed on a schedule: the definition is JSON the domain checks; the report is
/// worked out as the user who made the schedule may see it.
pub(crate) const V20: &str = r#"
CREATE TABLE report_schedules (
    id {pk},
    name TEXT NOT NULL,
    definition TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    last_sent_at BIGINT,
    next_run_at BIGINT
);
"#;

/// Feedback and suggestions from customers (the customer once known by the address given),
/// tagged with the workspace's tags, and where each stands.
pub(crate) const V21: &str = r#"
CREATE TABLE feedback (
    id {pk},
    customer_id BIGINT REFERENCES customers (id),
    name TEXT NOT NULL DEFAULT '',
    email TEXT,
    kind TEXT NOT NULL,
    body TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'new',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX feedback_created ON feedback (created_at);
CREATE TABLE feedback_tags (
    feedback_id BIGINT NOT NULL REFERENCES feedback (id),
    tag_id BIGINT NOT NULL REFERENCES tags (id),
    PRIMARY KEY (feedback_id, tag_id)
);
CREATE INDEX feedback_tags_tag ON feedback_tags (tag_id);
"#;

/// Reports read a period's conversations from the index alone: every column they need is in
/// these two (by creation, by solve), so a month of a million conversations is a range of one
/// index rather than a page read per row. They replace migration 17's two. Whether a
/// conversation is tagged `complaint` is kept on its row for them (filled for the earlier ones).
pub(crate) const V22: &str = r#"
ALTER TABLE conversations ADD COLUMN complaint BIGINT NOT NULL DEFAULT 0;
UPDATE conversations SET complaint = 1 WHERE id IN (SELECT ct.conversation_id
    FROM conversation_tags ct JOIN tags t ON t.id = ct.tag_id WHERE t.name = 'complaint');
DROP INDEX conversations_created;
DROP INDEX conversations_solved;
CREATE INDEX conversations_report_created ON conversations (created_at, solved_at, merged_into,
    customer_id, assignee_id, first_response_at, agent_replies, reopen_count, complaint,
    sla_policy_id, sla_breached_at, team_id, channel, priority);
CREATE INDEX conversations_report_solved ON conversations (solved_at, created_at, merged_into,
    customer_id, assignee_id, first_response_at, agent_replies, reopen_count, complaint,
    sla_policy_id, sla_breached_at, team_id, channel, priority);
"#;
