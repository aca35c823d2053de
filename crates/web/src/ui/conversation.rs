//! The conversation page: timeline, composer (reply or note, with files), the controls for
//! status, priority, assignee, team, tags and custom fields, merge, and the customer panel.
//! Also the "new conversation" form.

use super::form::FormData;
use super::timeline::{self, Item};
use super::view::{Choice, Layout, Row};
use super::{download, render};
use crate::AppState;
use crate::authz::Agent;
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::{Multipart, Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde_json::{Map, Value};
use std::collections::HashMap;
use steward_domain::{AuthorKind, Channel, Priority, Status, Visibility};
use steward_engine::conversation::{NewConversationCmd, NewMessageCmd, Patch, Upload};
use steward_engine::intake::CustomerRef;
use steward_store::conversations::Filter;

pub struct FieldInput {
    pub key: String,
    pub label: String,
    pub kind: String,
    pub value: String,
    pub options: Vec<Choice>,
    pub checked: bool,
}

#[derive(Template)]
#[template(path = "conversation.html")]
struct Page {
    layout: Layout,
    id: i64,
    number: i64,
    subject: String,
    status: String,
    priority: String,
    channel: String,
    merged_into: Option<i64>,
    follow_up_of: Option<i64>,
    created: String,
    first_response: String,
    resolution: String,
    items: Vec<Item>,
    statuses: Vec<Choice>,
    reply_statuses: Vec<Choice>,
    priorities: Vec<Choice>,
    assignees: Vec<Choice>,
    teams: Vec<Choice>,
    tags: String,
    fields: Vec<FieldInput>,
    followers: String,
    cc: String,
    /// Macros to pick from, and the composer's text (a macro filled in, or empty).
    macros: Vec<Choice>,
    draft: String,
    csrf: String,
    customer_id: i64,
    customer_name: String,
    customer_org: String,
    identities: Vec<(String, String)>,
    history: Vec<Row>,
    sla: Option<super::view::SlaCard>,
    tasks: Vec<super::view::TaskLine>,
    satisfaction: Option<super::view::SurveyLine>,
    articles: Vec<super::kb_suggest::Suggestion>,
}

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelineFragment {
    items: Vec<Item>,
    /// For the retry buttons of failed mail.
    csrf: String,
}

async fn names(s: &AppState) -> Result<(HashMap<i64, String>, HashMap<i64, String>), PageError> {
    let users = s
        .engine
        .agents()
        .await?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let teams = s
        .engine
        .teams()
        .await?
        .into_iter()
        .map(|t| (t.id, t.name))
        .collect();
    Ok((users, teams))
}

/// `?macro=ID` fills the composer with that macro.
#[derive(serde::Deserialize)]
pub struct PageQuery {
    #[serde(rename = "macro")]
    pub macro_id: Option<String>,
}

pub async fn page(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    axum::extract::Query(q): axum::extract::Query<PageQuery>,
) -> Result<Response, PageError> {
    let d = s.engine.conversation_detail(&agent.actor, id).await?;
    let macro_id: Option<i64> = q.macro_id.as_deref().and_then(|m| m.parse().ok());
    let draft = match macro_id {
        Some(m) => s.engine.render_macro(&agent.actor, m, id).await?,
        None => String::new(),
    };
    let macros = s
        .engine
        .macros(&agent.actor)
        .await?
        .into_iter()
        .map(|m| {
            let label = if m.owner_id.is_some() {
                format!("{} (mine)", m.title)
            } else {
                m.title.clone()
            };
            Choice::new(m.id, label, Some(m.id) == macro_id)
        })
        .collect();
    let (users, teams) = names(&s).await?;
    let now = steward_store::now_ms();
    let c = &d.conversation;
    let items = timeline::build(&d, &users, &teams, now);
    let statuses = Status::ALL
        .iter()
        .filter(|st| c.status.can_become(**st))
        .map(|st| Choice::new(st.as_str(), st.as_str().replace('_', " "), *st == c.status))
        .collect();
    let mut reply_statuses = vec![Choice::new("", "keep status", true)];
    reply_statuses.extend(
        [
            Status::Open,
            Status::Pending,
            Status::OnHold,
            Status::Solved,
        ]
        .iter()
        .filter(|st| c.status.can_become(**st) && **st != c.status)
        .map(|st| {
            Choice::new(
                st.as_str(),
                format!("and set {}", st.as_str().replace('_', " ")),
                false,
            )
        }),
    );
    let priorities = Priority::ALL
        .iter()
        .map(|p| Choice::new(p.as_str(), p.as_str(), *p == c.priority))
        .collect();
    let mut agents: Vec<(i64, String)> = users.iter().map(|(k, v)| (*k, v.clone())).collect();
    agents.sort_by(|a, b| a.1.cmp(&b.1));
    let mut assignees = vec![Choice::new("", "nobody", c.assignee_id.is_none())];
    assignees.extend(
        agents
            .iter()
            .map(|(uid, n)| Choice::new(uid, n, Some(*uid) == c.assignee_id)),
    );
    let mut team_list: Vec<(i64, String)> = teams.iter().map(|(k, v)| (*k, v.clone())).collect();
    team_list.sort_by(|a, b| a.1.cmp(&b.1));
    let mut team_choices = vec![Choice::new("", "no team", c.team_id.is_none())];
    team_choices.extend(
        team_list
            .iter()
            .map(|(tid, n)| Choice::new(tid, n, Some(*tid) == c.team_id)),
    );
    let values = c.custom_fields_json();
    let fields = s
        .engine
        .custom_fields()
        .await?
        .into_iter()
        .map(|f| {
            let v = values.get(&f.key).cloned().unwrap_or(Value::Null);
            let value = match &v {
                Value::String(x) => x.clone(),
                Value::Null => String::new(),
                other => other.to_string(),
            };
            let mut options = vec![Choice::new("", "—", value.is_empty())];
            options.extend(
                f.options_list()
                    .into_iter()
                    .map(|o| Choice::new(&o, &o, o == value)),
            );
            FieldInput {
                checked: v == Value::Bool(true),
                key: f.key,
                label: f.label,
                kind: f.kind,
                value,
                options,
            }
        })
        .collect();
    let (customer, identities) = s.engine.customer(c.customer_id).await?;
    let history_filter = Filter {
        customer_id: Some(c.customer_id),
        limit: 20,
        ..Default::default()
    };
    let history = s
        .engine
        .list_conversations(&agent.actor, &history_filter)
        .await?
        .into_iter()
        .filter(|(h, _)| h.id != c.id)
        .map(|(h, t)| Row::from(&h, t, now))
        .collect();
    let follower_names: Vec<String> = d
        .followers
        .iter()
        .filter_map(|f| users.get(f).cloned())
        .collect();
    let dur = |ms: Option<i64>| {
        ms.map(|t| crate::fmt::duration((t - c.created_at).max(0)))
            .unwrap_or_else(|| "—".into())
    };
    let articles = super::kb_suggest::for_conversation(&s, &agent.actor, &d).await?;
    Ok(render(&Page {
        articles,
        layout: Layout::new(&agent, &s.brand, "inbox"),
        id: c.id,
        number: c.number,
        subject: c.subject.clone(),
        status: c.status.to_string(),
        priority: c.priority.to_string(),
        channel: c.channel.to_string(),
        merged_into: c.merged_into,
        follow_up_of: c.follow_up_of,
        created: crate::fmt::datetime(c.created_at),
        first_response: dur(c.first_response_at),
        resolution: dur(c.solved_at),
        items,
        statuses,
        reply_statuses,
        priorities,
        assignees,
        teams: team_choices,
        tags: d.tags.join(", "),
        fields,
        followers: follower_names.join(", "),
        cc: d.cc.join(", "),
        macros,
        draft,
        csrf: agent.csrf.clone(),
        customer_id: customer.id,
        customer_name: customer.name,
        customer_org: customer.organization_name.unwrap_or_default(),
        identities: identities.into_iter().map(|i| (i.kind, i.value)).collect(),
        history,
        sla: s
            .engine
            .conversation_sla(&agent.actor, c.id)
            .await?
            .map(|v| super::view::SlaCard::from(&v)),
        tasks: s
            .engine
            .conversation_tasks(&agent.actor, c.id)
            .await?
            .iter()
            .map(|t| super::view::TaskLine::from(t, &users, now))
            .collect(),
        satisfaction: s
            .engine
            .conversation_survey(&agent.actor, c.id)
            .await?
            .map(|v| super::view::SurveyLine::from(&v, now)),
    }))
}

pub async fn timeline_fragment(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = s.engine.conversation_detail(&agent.actor, id).await?;
    let (users, teams) = names(&s).await?;
    Ok(render(&TimelineFragment {
        csrf: agent.csrf.clone(),
        items: timeline::build(&d, &users, &teams, steward_store::now_ms()),
    }))
}

/// Reads the composer's multipart form: text fields and files.
pub(crate) async fn read_multipart(
    mut mp: Multipart,
    max: usize,
) -> Result<(HashMap<String, String>, Vec<Upload>), PageError> {
    let mut fields = HashMap::new();
    let mut files = Vec::new();
    let too_large = || {
        PageError(Problem::new(
            axum::http::StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "Too large",
            format!("a file is over the limit of {} MB", max / 1024 / 1024),
        ))
    };
    while let Some(field) = mp.next_field().await.map_err(|e| {
        if e.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            too_large()
        } else {
            PageError(Problem::bad_request(e.body_text()))
        }
    })? {
        let name = field.name().unwrap_or("").to_string();
        if let Some(filename) = field.file_name().map(str::to_string) {
            let ct = field
                .content_type()
                .unwrap_or("application/octet-stream")
                .to_string();
            let bytes = field.bytes().await.map_err(|_| too_large())?;
            if filename.is_empty() && bytes.is_empty() {
                continue;
            }
            if bytes.len() > max {
                return Err(too_large());
            }
            files.push(Upload {
                filename,
                content_type: ct,
                bytes: bytes.to_vec(),
            });
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| PageError(Problem::bad_request(e.body_text())))?;
            fields.insert(name, text);
        }
    }
    Ok((fields, files))
}

pub async fn reply(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let (f, files) = read_multipart(mp, s.engine.limits.max_attachment_bytes).await?;
    let get = |k: &str| f.get(k).map(String::as_str).unwrap_or("");
    agent.check_csrf(get("_csrf"))?;
    let visibility = if get("visibility") == "internal" {
        Visibility::Internal
    } else {
        Visibility::Public
    };
    let status = Some(get("status"))
        .filter(|x| !x.is_empty())
        .map(Status::parse)
        .transpose()?;
    let cmd = NewMessageCmd {
        body: get("body").to_string(),
        html: None,
        visibility,
        channel: None,
        status,
        author: AuthorKind::Agent,
        attachments: files,
        at: None,
        email: None,
        client_key: None,
    };
    let (c, _) = s.engine.add_message(&agent.actor, id, cmd).await?;
    Ok(Redirect::to(&format!("/conversations/{}#composer", c.id)).into_response())
}

fn parse_field(kind: &str, raw: &str) -> Result<Value, PageError> {
    if raw.is_empty() {
        return Ok(Value::Null);
    }
    Ok(match kind {
        "number" => raw
            .parse::<f64>()
            .ok()
            .and_then(|n| serde_json::Number::from_f64(n).map(Value::Number))
            .ok_or_else(|| Problem::invalid("custom_fields", format!("'{raw}' is not a number")))?,
        "checkbox" => Value::Bool(raw == "true"),
        _ => Value::String(raw.to_string()),
    })
}

pub async fn update(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let id_or_none = |name: &str| -> Result<Option<Option<i64>>, PageError> {
        match form.opt(name) {
            None => Ok(None),
            Some("") => Ok(Some(None)),
            Some(v) => v
                .parse()
                .map(|n| Some(Some(n)))
                .map_err(|_| PageError(Problem::bad_request(format!("{name} must be a number")))),
        }
    };
    let mut custom = Map::new();
    let defs = s.engine.custom_fields().await?;
    for def in &defs {
        let name = format!("cf.{}", def.key);
        if let Some(raw) = form.all(&name).last() {
            custom.insert(def.key.clone(), parse_field(&def.kind, raw.trim())?);
        }
    }
    let patch = Patch {
        subject: form.opt("subject").map(str::to_string),
        status: form
            .opt("status")
            .filter(|v| !v.is_empty())
            .map(Status::parse)
            .transpose()?,
        priority: form
            .opt("priority")
            .filter(|v| !v.is_empty())
            .map(Priority::parse)
            .transpose()?,
        assignee_id: id_or_none("assignee_id")?,
        team_id: id_or_none("team_id")?,
        tags: form.opt("tags").map(|t| {
            t.split([',', ' '])
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(str::to_string)
                .collect()
        }),
        custom_fields: (!custom.is_empty()).then_some(custom),
        followers: None,
        at: None,
    };
    s.engine
        .update_conversation(&agent.actor, id, patch)
        .await?;
    // A transfer can take the conversation out of an agent's sight: go back to the inbox then.
    let to = match s.engine.conversation(&agent.actor, id).await {
        Ok(_) => format!("/conversations/{id}"),
        Err(_) => "/inbox".to_string(),
    };
    Ok(Redirect::to(&to).into_response())
}

pub async fn merge(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let number: i64 = form
        .get("into")
        .trim()
        .trim_start_matches('#')
        .parse()
        .map_err(|_| {
            Problem::invalid(
                "into",
                "give the number of the conversation to merge into, like 1234",
            )
        })?;
    let target = s
        .engine
        .conversation_by_number(&agent.actor, number)
        .await?;
    let merged = s
        .engine
        .merge_conversations(&agent.actor, id, target.id)
        .await?;
    Ok(Redirect::to(&format!("/conversations/{}", merged.id)).into_response())
}

pub async fn attachment(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (a, bytes) = s.engine.attachment(&agent.actor, id).await?;
    Ok(download(&a, bytes))
}

/// An email's inline image, linked from its HTML by digest.
pub async fn inline_attachment(
    State(s): State<AppState>,
    agent: Agent,
    Path(sha256): Path<String>,
) -> Result<Response, PageError> {
    let (a, bytes) = s.engine.inline_attachment(&agent.actor, &sha256).await?;
    Ok(download(&a, bytes))
}

#[derive(Template)]
#[template(path = "new_conversation.html")]
struct NewPage {
    layout: Layout,
    channels: Vec<Choice>,
    teams: Vec<Choice>,
}

pub async fn new_page(State(s): State<AppState>, agent: Agent) -> Result<Response, PageError> {
    let channels = Channel::ALL
        .iter()
        .map(|c| Choice::new(c.as_str(), c.as_str(), *c == Channel::Email))
        .collect();
    let mut teams = vec![Choice::new("", "no team", false)];
    let first = agent.actor.team_ids.first().copied();
    teams.extend(
        s.engine
            .teams()
            .await?
            .into_iter()
            .map(|t| Choice::new(t.id, &t.name, Some(t.id) == first)),
    );
    Ok(render(&NewPage {
        layout: Layout::new(&agent, &s.brand, "new"),
        channels,
        teams,
    }))
}

pub async fn create(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let mut cmd = NewConversationCmd::from_customer(
        CustomerRef {
            id: None,
            email: Some(form.get("email").to_string()).filter(|e| !e.is_empty()),
            phone: Some(form.get("phone").to_string()).filter(|p| !p.is_empty()),
            name: Some(form.get("name").to_string()),
        },
        form.get("subject"),
        form.get("body"),
        Channel::parse(form.get("channel"))?,
    );
    cmd.author = if form.get("author") == "customer" {
        AuthorKind::Customer
    } else {
        AuthorKind::Agent
    };
    cmd.team_id = Some(form.get("team_id"))
        .filter(|t| !t.is_empty())
        .map(str::parse)
        .transpose()
        .map_err(|_| Problem::bad_request("team must be a number"))?;
    let c = s
        .engine
        .create_conversation(Some(&agent.actor), cmd)
        .await?;
    Ok(Redirect::to(&format!("/conversations/{}", c.id)).into_response())
}
