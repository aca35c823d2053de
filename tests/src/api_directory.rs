//! Customers, organizations, agents, teams, tags and custom fields over the API, plus the
//! operational endpoints and the OpenAPI document.

use crate::helpers::*;
use reqwest::{Method, StatusCode};
use serde_json::json;

#[tokio::test]
async fn customers_have_several_identities_and_belong_to_organizations() {
    let app = spawn_app().await;
    let (s, org) = app
        .post(
            "/api/v1/organizations",
            json!({"name": "Acme", "domain": "acme.example"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{org}");
    let (s, c) = app
        .post(
            "/api/v1/customers",
            json!({"name": "Lea", "email": "lea@acme.example", "organization_id": org["id"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{c}");
    let path = format!("/api/v1/customers/{}/identities", c["id"]);
    for (kind, value) in [
        ("phone", "+1 555 0100"),
        ("chat", "visitor-8f2"),
        ("social", "@lea"),
    ] {
        let (s, v) = app.post(&path, json!({"kind": kind, "value": value})).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
    }
    let (s, _) = app
        .post(
            "/api/v1/customers",
            json!({"name": "Other", "email": "LEA@acme.example"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT, "an email belongs to one customer");
    let (_, got) = app.get(&format!("/api/v1/customers/{}", c["id"])).await;
    assert_eq!(got["organization_name"], "Acme");
    assert_eq!(got["identities"].as_array().map(Vec::len), Some(4));
    let (_, by_phone) = app
        .post("/api/v1/conversations", json!({"customer": {"phone": "+15550100"}, "subject": "Call", "message": {"body": "rang"}, "channel": "phone"}))
        .await;
    assert_eq!(
        by_phone["conversation"]["customer"]["id"], c["id"],
        "found by phone"
    );
    let (_, found) = app.get("/api/v1/customers?q=visitor-8f2").await;
    assert_eq!(found["data"][0]["id"], c["id"]);
    let (_, orgs) = app.get("/api/v1/organizations").await;
    assert_eq!(orgs[0]["customer_count"], 1);
    app.stop().await;
}

#[tokio::test]
async fn admins_manage_agents_teams_tags_and_fields() {
    let app = spawn_app().await;
    let support = app.team("Support").await;
    let (agent, _) = app.agent("ken@example.com", "agent", &[support]).await;
    let (_, team) = app.get(&format!("/api/v1/teams/{support}")).await;
    assert_eq!(team["member_ids"], json!([agent]));
    let (s, updated) = app
        .patch(
            &format!("/api/v1/agents/{agent}"),
            json!({"role": "supervisor", "team_ids": []}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{updated}");
    assert_eq!(updated["role"], "supervisor");
    assert_eq!(updated["team_ids"], json!([]));
    let (s, tag) = app
        .post(
            "/api/v1/tags",
            json!({"name": "refund", "color": "#ff0000"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{tag}");
    let (s, _) = app
        .patch(
            &format!("/api/v1/tags/{}", tag["id"]),
            json!({"color": "#00ff00"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = app.post("/api/v1/tags", json!({"name": "refund"})).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let res = app
        .request(
            Method::DELETE,
            &format!("/api/v1/tags/{}", tag["id"]),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (s, field) = app
        .post(
            "/api/v1/custom_fields",
            json!({"key": "order_id", "label": "Order", "kind": "text"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{field}");
    let (s, _) = app
        .post(
            "/api/v1/custom_fields",
            json!({"key": "Bad Key", "label": "x", "kind": "text"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
    let (s, _) = app
        .post(
            "/api/v1/custom_fields",
            json!({"key": "size", "label": "Size", "kind": "dropdown"}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a dropdown needs options"
    );
    let (_, me) = app.get("/api/v1/me").await;
    assert_eq!(me["role"], "admin");
    app.stop().await;
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app().await;
    for (path, needle) in [
        ("/healthz", "ok"),
        ("/readyz", "ready"),
        ("/metrics", "steward_http_requests_total"),
        ("/metrics", "steward_sqlite_writer_held_seconds"),
        ("/metrics", "steward_sqlite_committing_seconds"),
    ] {
        let res = app
            .client
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .expect("sent");
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert!(
            res.text().await.unwrap_or_default().contains(needle),
            "{path}"
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn the_openapi_document_is_3_1_and_describes_the_api_and_the_docs_page_works_offline() {
    let app = spawn_app().await;
    let res = app
        .client
        .get(format!("{}/api/v1/openapi.json", app.base))
        .send()
        .await
        .expect("sent");
    let (_, doc) = into_json(res).await;
    assert!(
        doc["openapi"]
            .as_str()
            .is_some_and(|v| v.starts_with("3.1")),
        "{}",
        doc["openapi"]
    );
    for p in [
        "/api/v1/conversations",
        "/api/v1/conversations/{id}/merge",
        "/api/v1/search",
        "/api/v1/custom_fields",
    ] {
        assert!(doc["paths"].get(p).is_some(), "missing {p}");
    }
    let page = app
        .client
        .get(format!("{}/api/docs", app.base))
        .send()
        .await
        .expect("sent")
        .text()
        .await
        .unwrap_or_default();
    assert!(
        page.contains("/static/api-docs.js") && !page.contains("https://"),
        "no remote assets"
    );
    app.stop().await;
}

#[tokio::test]
async fn a_phone_number_belongs_to_one_customer_and_lookups_ignore_case() {
    let app = spawn_app().await;
    let (s, _) = app
        .post(
            "/api/v1/customers",
            json!({"name": "Ann", "phone": "+1 (555) 0101"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let (s, _) = app
        .post(
            "/api/v1/customers",
            json!({"name": "Bob", "phone": "+15550101"}),
        )
        .await;
    assert_eq!(s, StatusCode::CONFLICT);
    app.post(
        "/api/v1/customers",
        json!({"name": "Zoë Müller", "email": "Zoe.Mueller@Example.com"}),
    )
    .await;
    let (_, found) = app.get("/api/v1/customers?q=ZOE.MUELLER").await;
    assert_eq!(found["data"].as_array().map(Vec::len), Some(1));
    let (_, none) = app.get("/api/v1/customers?q=%25").await;
    assert_eq!(
        none["data"].as_array().map(Vec::len),
        Some(0),
        "% matches itself, not everything"
    );
    let t = app.team("T").await;
    let (s, v) = app
        .patch(
            &format!("/api/v1/teams/{t}"),
            json!({"member_ids": [app.admin_id, app.admin_id]}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["member_ids"], json!([app.admin_id]));
    app.stop().await;
}
