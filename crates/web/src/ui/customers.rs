//! Customer pages: a searchable list, and each customer's profile with organization,
//! identities, notes and every conversation on every channel.

use super::form::FormData;
use super::render;
use super::view::{Choice, Layout, Row};
use crate::AppState;
use crate::authz::Agent;
use crate::error::PageError;
use askama::Template;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use steward_engine::directory::CustomerPatch;
use steward_store::conversations::Filter;

pub struct CustomerLine {
    pub id: i64,
    pub name: String,
    pub email: String,
    pub org: String,
}

#[derive(Template)]
#[template(path = "customers.html")]
struct ListPage {
    layout: Layout,
    q: String,
    customers: Vec<CustomerLine>,
    next: String,
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    after: Option<i64>,
}

pub async fn list(
    State(s): State<AppState>,
    agent: Agent,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let text = q.q.clone().unwrap_or_default();
    let rows = s
        .engine
        .list_customers(Some(text.trim()), None, q.after, 50)
        .await?;
    let next = if rows.len() == 50 {
        rows.last().map_or(String::new(), |c| {
            format!(
                "/customers?q={}&after={}",
                crate::authz::urlencode(&text),
                c.id
            )
        })
    } else {
        String::new()
    };
    let customers = rows
        .into_iter()
        .map(|c| CustomerLine {
            id: c.id,
            name: c.name,
            email: c.email.unwrap_or_default(),
            org: c.organization_name.unwrap_or_default(),
        })
        .collect();
    Ok(render(&ListPage {
        layout: Layout::new(&agent, &s.brand, "customers"),
        q: text,
        customers,
        next,
    }))
}

#[derive(Template)]
#[template(path = "customer.html")]
struct CustomerPage {
    layout: Layout,
    id: i64,
    name: String,
    notes: String,
    tier: String,
    orgs: Vec<Choice>,
    identities: Vec<(String, String)>,
    conversations: Vec<Row>,
    since: String,
    surveys_opt_out: bool,
    surveys: Vec<super::view::SurveyLine>,
    /// The CSAT score of their answers, like "67% satisfied (3 answers)"; "" without any.
    csat: String,
    /// NPS answers: score, group, reason, when.
    nps: Vec<(i64, &'static str, String, String)>,
}

pub async fn page(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (c, identities) = s.engine.customer(id).await?;
    let mut orgs = vec![Choice::new(
        "",
        "no organization",
        c.organization_id.is_none(),
    )];
    orgs.extend(
        s.engine
            .organizations()
            .await?
            .into_iter()
            .map(|o| Choice::new(o.id, &o.name, Some(o.id) == c.organization_id)),
    );
    let now = steward_store::now_ms();
    let filter = Filter {
        customer_id: Some(id),
        limit: 100,
        include_merged: true,
        ..Default::default()
    };
    let conversations = s
        .engine
        .list_conversations(&agent.actor, &filter)
        .await?
        .into_iter()
        .map(|(c, t)| Row::from(&c, t, now))
        .collect();
    let surveys = s.engine.customer_surveys(id).await?;
    let answers: Vec<_> = surveys
        .iter()
        .filter_map(|v| {
            let scale = steward_domain::csat::Scale::parse(&v.scale).ok()?;
            Some((scale, v.rating?))
        })
        .collect();
    let csat = steward_domain::csat::score(answers.iter().copied())
        .map(|p| {
            format!(
                "{p:.0}% satisfied ({} answer{})",
                answers.len(),
                if answers.len() == 1 { "" } else { "s" }
            )
        })
        .unwrap_or_default();
    let nps = s
        .engine
        .customer_nps(id)
        .await?
        .into_iter()
        .filter_map(|r| {
            let score = r.score?;
            Some((
                score,
                steward_domain::nps::Group::of(score).as_str(),
                r.reason.unwrap_or_default(),
                crate::fmt::ago(r.answered_at.unwrap_or(r.sent_at), now),
            ))
        })
        .collect();
    Ok(render(&CustomerPage {
        layout: Layout::new(&agent, &s.brand, "customers"),
        nps,
        id,
        surveys_opt_out: c.surveys_opt_out != 0,
        surveys: surveys
            .iter()
            .map(|v| super::view::SurveyLine::from(v, now))
            .collect(),
        csat,
        since: crate::fmt::datetime(c.created_at),
        name: c.name,
        tier: c.tier.unwrap_or_default(),
        notes: c.notes,
        orgs,
        identities: identities.into_iter().map(|i| (i.kind, i.value)).collect(),
        conversations,
    }))
}

pub async fn update(
    State(s): State<AppState>,
    agent: Agent,
    Path(id): Path<i64>,
    form: FormData,
) -> Result<Response, PageError> {
    agent.check_csrf(form.get("_csrf"))?;
    if !form.get("identity_value").trim().is_empty() {
        s.engine
            .add_identity(
                &agent.actor,
                id,
                form.get("identity_kind"),
                form.get("identity_value"),
            )
            .await?;
    } else {
        let org = match form.get("organization_id") {
            "" => None,
            v => Some(v.parse::<i64>().map_err(|_| {
                crate::error::Problem::bad_request("organization must be a number")
            })?),
        };
        s.engine
            .update_customer(
                &agent.actor,
                id,
                CustomerPatch {
                    name: Some(form.get("name")),
                    organization_id: Some(org),
                    notes: Some(form.get("notes")),
                    tier: Some(Some(form.get("tier"))),
                },
            )
            .await?;
        s.engine
            .set_surveys_opt_out(&agent.actor, id, form.opt("surveys_opt_out").is_some())
            .await?;
    }
    Ok(Redirect::to(&format!("/customers/{id}")).into_response())
}
