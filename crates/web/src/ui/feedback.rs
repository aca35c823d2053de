//! Feedback pages. `/help/feedback` is public: anyone sends a suggestion, a problem or praise,
//! with their email address if they want an answer (the item then joins their history); a
//! hidden field catches form-filling robots, and each address may send 20 an hour. The
//! chat widget links here (`?source=widget`, kept on the item); the portal's signed-in customers send as themselves (`portal`). `/feedback` is the agents' list: filter by
//! kind, status and tag; tag items and move them along.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout, word_choices};
use crate::AppState;
use crate::authz::{Agent, Customer, signed_in_customer};
use crate::error::{PageError, Problem};
use askama::Template;
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use std::net::SocketAddr;
use steward_domain::feedback::{Kind, Source, State as Status};
use steward_engine::feedback::NewFeedback;
use steward_store::feedback::Filter;

#[derive(Template)]
#[template(path = "feedback_form.html")]
struct FormPage {
    brand: crate::ui::brand::Brand,
    kinds: Vec<Choice>,
    name: String,
    email: String,
    body: String,
    error: String,
    sent: bool,
    /// `widget` when opened from the chat widget, `portal` for a signed-in customer, else `web`.
    source: String,
    /// "Name (address)" of the customer signed in to the portal, else "".
    signed_in_as: String,
    csrf: String,
}

/// Where an item came from: the chat widget says so; everything else is the web form.
fn source_of(v: &str) -> Source {
    match Source::parse(v) {
        Ok(Source::Widget) => Source::Widget,
        _ => Source::Web,
    }
}

#[derive(serde::Deserialize)]
pub struct FormQuery {
    #[serde(default)]
    source: String,
}

fn kinds(picked: &str) -> Vec<Choice> {
    [
        ("suggestion", "An idea or suggestion"),
        ("problem", "Something doesn't work"),
        ("praise", "Something we did well"),
        ("other", "Something else"),
    ]
    .iter()
    .map(|(v, l)| Choice::new(v, l, *v == picked))
    .collect()
}

fn who(c: &Customer) -> String {
    match &c.customer.email {
        Some(e) => format!("{} ({e})", c.customer.name),
        None => c.customer.name.clone(),
    }
}

pub async fn form(
    State(s): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<FormQuery>,
) -> Response {
    let customer = signed_in_customer(&headers, &s).await;
    render(&FormPage {
        signed_in_as: customer.as_ref().map(who).unwrap_or_default(),
        csrf: customer
            .as_ref()
            .map(|c| c.csrf.clone())
            .unwrap_or_default(),
        brand: s.public_brand(),
        kinds: kinds("suggestion"),
        name: String::new(),
        email: String::new(),
        body: String::new(),
        error: String::new(),
        sent: false,
        source: if customer.is_some() {
            Source::Portal.to_string()
        } else {
            source_of(&q.source).to_string()
        },
    })
}

pub async fn send(
    State(s): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    form: FormData,
) -> Result<Response, PageError> {
    let customer = signed_in_customer(&headers, &s).await;
    if let Some(c) = &customer {
        c.check_csrf(form.get("_csrf"))?;
    }
    let page = |error: &str, sent: bool| FormPage {
        signed_in_as: customer.as_ref().map(who).unwrap_or_default(),
        csrf: customer
            .as_ref()
            .map(|c| c.csrf.clone())
            .unwrap_or_default(),
        brand: s.public_brand(),
        kinds: kinds(form.get("kind")),
        name: if sent {
            String::new()
        } else {
            form.get("name").to_string()
        },
        email: if sent {
            String::new()
        } else {
            form.get("email").to_string()
        },
        body: if sent {
            String::new()
        } else {
            form.get("body").to_string()
        },
        error: error.to_string(),
        sent,
        source: if customer.is_some() {
            Source::Portal.to_string()
        } else {
            source_of(form.get("source")).to_string()
        },
    };
    // Robots fill every field; people never see this one.
    if !form.get("website").is_empty() {
        return Ok(render(&page("", true)));
    }
    let key = format!("ip:{}", addr.ip());
    if !s.feedback_limiter.allowed(&key) {
        let mut res = render(&page(
            "You have sent a lot of feedback in the last hour. Please try again later.",
            false,
        ));
        *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
        return Ok(res);
    }
    let sent = s
        .engine
        .submit_feedback(match &customer {
            Some(c) => NewFeedback {
                customer_id: Some(c.customer.customer_id),
                name: c.customer.name.clone(),
                email: c.customer.email.clone(),
                kind: Kind::parse(form.get("kind"))?,
                body: form.get("body").to_string(),
                source: Source::Portal,
            },
            None => NewFeedback {
                customer_id: None,
                name: form.get("name").to_string(),
                email: form.opt("email").map(str::to_string),
                kind: Kind::parse(form.get("kind"))?,
                body: form.get("body").to_string(),
                source: source_of(form.get("source")),
            },
        })
        .await;
    match sent {
        Ok(_) => {
            s.feedback_limiter.fail(&key);
            Ok(render(&page("", true)))
        }
        Err(e) => {
            let problem = Problem::from(e);
            let mut res = render(&page(&problem.detail, false));
            *res.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(res)
        }
    }
}

pub struct ItemLine {
    pub id: i64,
    pub kind: String,
    pub status: String,
    pub statuses: Vec<Choice>,
    pub from: String,
    pub customer_id: Option<i64>,
    pub body: String,
    pub tags: String,
    pub when: String,
    pub source: String,
}

#[derive(Template)]
#[template(path = "feedback_list.html")]
struct ListPage {
    layout: Layout,
    items: Vec<ItemLine>,
    kinds: Vec<Choice>,
    statuses: Vec<Choice>,
    tag: String,
}

pub async fn list(
    State(s): State<AppState>,
    agent: Agent,
    Query(pairs): Query<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    // Form fields, an empty one meaning "any".
    let get = |k: &str| super::form::query_value(&pairs, k);
    let kind = get("kind").map(|k| Kind::parse(&k)).transpose()?;
    let status = get("status").map(|k| Status::parse(&k)).transpose()?;
    let f = Filter {
        kind: kind.map(|k| k.as_str().into()),
        status: status.map(|k| k.as_str().into()),
        tag: get("tag"),
        customer_id: None,
    };
    let now = steward_store::now_ms();
    let status_words: Vec<&str> = Status::ALL.iter().map(|s| s.as_str()).collect();
    let kind_words: Vec<&str> = Kind::ALL.iter().map(|s| s.as_str()).collect();
    let items = s
        .engine
        .feedback_items(&agent.actor, &f, None, 200)
        .await?
        .into_iter()
        .map(|f| ItemLine {
            id: f.item.id,
            statuses: status_words
                .iter()
                .map(|w| Choice::new(w, w, *w == f.item.status))
                .collect(),
            kind: f.item.kind,
            status: f.item.status,
            from: match (&f.item.name, &f.item.email) {
                (n, Some(e)) if !n.is_empty() => format!("{n} <{e}>"),
                (_, Some(e)) => e.clone(),
                (n, None) if !n.is_empty() => n.clone(),
                _ => "anonymous".into(),
            },
            customer_id: f.item.customer_id,
            body: f.item.body,
            tags: f.tags.join(" "),
            when: crate::fmt::ago(f.item.created_at, now),
            source: f.item.source,
        })
        .collect();
    Ok(render(&ListPage {
        layout: Layout::new(&agent, &s.brand, "feedback"),
        items,
        kinds: word_choices(&kind_words, kind.map_or("", |k| k.as_str()), "any kind"),
        statuses: word_choices(
            &status_words,
            status.map_or("", |k| k.as_str()),
            "any status",
        ),
        tag: get("tag").unwrap_or_default(),
    }))
}

/// Saves an item's status and tags from its line on the list.
pub async fn save(
    State(s): State<AppState>,
    agent: Agent,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    let id: i64 = form
        .get("id")
        .parse()
        .map_err(|_| PageError(Problem::invalid("id", "must be a feedback item")))?;
    let tags: Vec<String> = form
        .get("tags")
        .split([' ', ','])
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect();
    s.engine
        .update_feedback(
            &agent.actor,
            id,
            Some(Status::parse(form.get("status"))?),
            Some(tags),
        )
        .await?;
    Ok(Redirect::to(&format!("/feedback#item-{id}")).into_response())
}
