//! Web forms in the portal (admin-defined per topic, with custom fields), replies by mail with
//! a link back to the portal, article suggestions while typing with deflections counted for
//! reports, and a new email address that takes effect only once confirmed.

use crate::email::email_config;
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use crate::portal::{csrf_in, customer_signs_in, get_page, mailed_link, post_form, use_link};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn field(app: &TestApp, body: Value) {
    let (s, f) = app.post("/api/v1/custom_fields", body).await;
    assert_eq!(s, StatusCode::CREATED, "{f}");
}

async fn submit(
    client: &reqwest::Client,
    app: &TestApp,
    form_id: i64,
    parts: &[(&str, &str)],
    file: Option<&str>,
) -> reqwest::Response {
    let (_, page) = get_page(client, app, &format!("/portal/new/{form_id}")).await;
    let mut form = reqwest::multipart::Form::new().text("_csrf", csrf_in(&page));
    for (k, v) in parts {
        form = form.text(k.to_string(), v.to_string());
    }
    if let Some(name) = file {
        form = form.part(
            "files",
            reqwest::multipart::Part::bytes(b"%PDF-1.4 invoice".to_vec())
                .file_name(name.to_string())
                .mime_str("application/pdf")
                .expect("mime"),
        );
    }
    client
        .post(format!("{}/portal/new/{form_id}", app.base))
        .multipart(form)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn a_web_form_asks_its_fields_and_its_request_goes_to_its_team_with_replies_by_mail() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let returns = app.team("Returns").await;
    field(
        &app,
        json!({"key": "order_number", "label": "Order number", "kind": "text"}),
    )
    .await;
    field(&app, json!({"key": "reason", "label": "Reason", "kind": "dropdown", "options": ["Too small", "Broken"]})).await;
    field(
        &app,
        json!({"key": "items", "label": "Items", "kind": "number"}),
    )
    .await;

    // The API checks what a form asks for.
    let (s, p) = app
        .post(
            "/api/v1/forms",
            json!({"name": "Returns", "fields": [{"key": "colour"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");
    assert_eq!(p["field"], "fields[0].key");
    let (_, agent) = app.agent("kim@acme.test", "agent", &[returns]).await;
    let (s, _) = app
        .post_as(&agent, "/api/v1/forms", json!({"name": "Returns"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "only admins define forms");
    let (s, form) = app
        .post(
            "/api/v1/forms",
            json!({"name": "Return an order", "description": "Send something back within 30 days.",
                   "team_id": returns, "tags": ["returns"],
                   "fields": [{"key": "order_number", "required": true}, {"key": "reason", "required": true},
                              {"key": "items"}]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{form}");
    assert_eq!(form["slug"], "return-an-order");
    assert_eq!(form["fields"][1]["options"], json!(["Too small", "Broken"]));
    let form_id = form["id"].as_i64().expect("id");
    let (s, other) = app
        .post(
            "/api/v1/forms",
            json!({"name": "Billing question", "position": 1}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{other}");
    let (_, listed) = app.get_as(&agent, "/api/v1/forms").await;
    assert_eq!(listed.as_array().map(Vec::len), Some(2));

    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let (_, choose) = get_page(&ann, &app, "/portal/new").await;
    assert!(choose.contains("Return an order") && choose.contains("Billing question"));
    let (_, page) = get_page(&ann, &app, &format!("/portal/new/{form_id}")).await;
    assert!(page.contains("Order number") && page.contains("Too small"));

    // A required field left empty: the form comes back with the reason and what was typed.
    let res = submit(
        &ann,
        &app,
        form_id,
        &[
            ("subject", "Boots too small"),
            ("body", "Please take them back"),
            ("field.reason", "Too small"),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let again = res.text().await.unwrap_or_default();
    assert!(again.contains("Order number is required"), "{again}");
    assert!(again.contains("Boots too small") && again.contains("Please take them back"));
    // A value the field does not take is refused too.
    let res = submit(
        &ann,
        &app,
        form_id,
        &[
            ("subject", "Boots"),
            ("body", "x"),
            ("field.order_number", "A-1"),
            ("field.reason", "Too small"),
            ("field.items", "two"),
        ],
        None,
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = submit(
        &ann,
        &app,
        form_id,
        &[
            ("subject", "Boots too small"),
            ("body", "Please take them back"),
            ("field.order_number", "A-1001"),
            ("field.reason", "Too small"),
            ("field.items", "2"),
        ],
        Some("invoice.pdf"),
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let to = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_string();
    let number: i64 = to
        .trim_start_matches("/portal?sent=")
        .parse()
        .expect("number");
    let (_, list) = get_page(&ann, &app, &to).await;
    assert!(
        list.contains(&format!("We received request #{number}")),
        "{list}"
    );

    let (_, found) = app
        .get(&format!(
            "/api/v1/conversations?customer={}",
            customer_id(&app, "ann@acme.test").await
        ))
        .await;
    let c = found["data"][0].clone();
    assert_eq!(c["number"], number, "{found}");
    assert_eq!(c["channel"], "web");
    assert_eq!(c["team_id"], returns);
    assert_eq!(c["tags"], json!(["returns"]));
    assert_eq!(
        c["custom_fields"],
        json!({"order_number": "A-1001", "reason": "Too small", "items": 2.0})
    );
    let id = c["id"].as_i64().expect("id");
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{id}/messages"))
        .await;
    assert_eq!(msgs[0]["attachments"][0]["filename"], "invoice.pdf");

    // The agent's reply goes to Ann by mail, with a link to follow the request in the portal.
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{id}/messages"),
            json!({"body": "Here is your return label."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let path = mailed_link(&relay, "ann@acme.test", "requests", 1).await;
    assert_eq!(path, format!("/portal/requests/{number}"));
    let (_, page) = get_page(&ann, &app, &path).await;
    assert!(page.contains("Here is your return label."));

    // A form turned off is no longer offered.
    let (s, _) = app
        .put_as(
            &app.token,
            &format!("/api/v1/forms/{form_id}"),
            json!({"name": "Return an order", "active": false}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let (s, _) = get_page(&ann, &app, &format!("/portal/new/{form_id}")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let res = app
        .request(
            reqwest::Method::DELETE,
            &format!("/api/v1/forms/{form_id}"),
            Some(&app.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
}

async fn customer_id(app: &TestApp, email: &str) -> i64 {
    let (_, found) = app
        .get(&format!(
            "/api/v1/customers?q={}",
            email.replace('@', "%40")
        ))
        .await;
    found["data"][0]["id"].as_i64().expect("customer")
}

#[tokio::test]
async fn articles_are_suggested_while_typing_and_one_that_answers_counts_a_deflection() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    for (title, state, visibility) in [
        ("Reset your password", "published", "public"),
        ("Password resets for agents", "published", "internal"),
        ("Password policy (draft)", "draft", "public"),
    ] {
        let (s, a) = app
            .post(
                "/api/v1/kb/articles",
                json!({"title": title, "body": "Open Settings and choose Reset password.", "state": state, "visibility": visibility}),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED, "{a}");
    }
    let (s, form) = app
        .post("/api/v1/forms", json!({"name": "Account help"}))
        .await;
    assert_eq!(s, StatusCode::CREATED);

    // A typo after the fourth letter still finds it; drafts and internal articles never show.
    let (s, found) = app
        .get("/help/suggest?q=I%20cannot%20reset%20my%20passwrod")
        .await;
    assert_eq!(s, StatusCode::OK);
    let titles: Vec<&str> = found["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect();
    assert_eq!(titles, ["Reset your password"], "{found}");
    let article = found["articles"][0]["id"].as_i64().expect("id");
    let (_, none) = app.get("/help/suggest?q=ab").await;
    assert_eq!(none["articles"], json!([]));
    // The help center's search tolerates the same typo.
    let res = app
        .client
        .get(format!("{}/help/search?q=passwrod", app.base))
        .send()
        .await
        .expect("sent");
    let page = res.text().await.unwrap_or_default();
    assert!(page.contains("Reset your password") && !page.contains("for agents"));

    // In the portal the form loads the suggestion script; saying an article answered opens
    // nothing and is counted.
    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let (_, page) = get_page(&ann, &app, &format!("/portal/new/{}", form["id"])).await;
    assert!(page.contains("/static/suggest.js") && page.contains("id=\"deflect-form\""));
    let article_s = article.to_string();
    let res = post_form(
        &ann,
        &app,
        "/portal/deflect",
        &[
            ("_csrf", &csrf_in(&page)),
            ("article_id", &article_s),
            ("query", "cannot reset my passwrod"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = get_page(
        &ann,
        &app,
        res.headers()["location"].to_str().expect("location"),
    )
    .await;
    assert!(
        list.contains("No request was opened") && list.contains("no requests yet"),
        "{list}"
    );
    // The widget and the help center count without a customer; an internal article cannot
    // have answered a customer.
    let (s, _) = app
        .post(
            "/help/deflections",
            json!({"article_id": article, "source": "widget", "query": "password"}),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let internal = titles_to_id(&app, "Password resets for agents").await;
    let (s, _) = app
        .post(
            "/help/deflections",
            json!({"article_id": internal, "source": "widget"}),
        )
        .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, p) = app
        .post(
            "/help/deflections",
            json!({"article_id": article, "source": "fax"}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{p}");

    let today = jiff::Zoned::now().date().to_string();
    let (_, report) = app
        .get(&format!("/api/v1/reports/summary?from={today}&to={today}"))
        .await;
    assert_eq!(report["current"]["deflections"], 2, "{report}");
    assert_eq!(
        report["deflections_by_source"],
        json!([["portal", 1], ["widget", 1]])
    );
    assert_eq!(
        report["deflecting_articles"],
        json!([["Reset your password", 2]])
    );

    // The public count is limited per client address: 20 an hour.
    for _ in 0..19 {
        let (s, _) = app
            .post(
                "/help/deflections",
                json!({"article_id": article, "source": "help"}),
            )
            .await;
        assert_eq!(s, StatusCode::NO_CONTENT);
    }
    let (s, p) = app
        .post(
            "/help/deflections",
            json!({"article_id": article, "source": "help"}),
        )
        .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{p}");
}

async fn titles_to_id(app: &TestApp, title: &str) -> i64 {
    let (_, list) = app.get("/api/v1/kb/articles").await;
    list.as_array()
        .expect("articles")
        .iter()
        .find(|a| a["title"] == title)
        .and_then(|a| a["id"].as_i64())
        .expect("article")
}

#[tokio::test]
async fn a_new_email_address_takes_effect_only_once_its_link_is_used() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    app.conversation("bob@acme.test", "Hello", "Hi").await;
    let ann = customer_signs_in(&app, &relay, "ann@acme.test", 1).await;
    let (_, page) = get_page(&ann, &app, "/portal/profile").await;
    let csrf = csrf_in(&page);
    let res = post_form(
        &ann,
        &app,
        "/portal/profile",
        &[("_csrf", &csrf), ("name", "Ann Archer")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);

    // Another customer's address is refused, with a way forward.
    let res = post_form(
        &ann,
        &app,
        "/portal/profile/email",
        &[("_csrf", &csrf), ("email", "bob@acme.test")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        res.text()
            .await
            .unwrap_or_default()
            .contains("belongs to another account")
    );

    let res = post_form(
        &ann,
        &app,
        "/portal/profile/email",
        &[("_csrf", &csrf), ("email", "ann@new.test")],
    )
    .await;
    assert_eq!(res.status(), StatusCode::OK);
    let me = customer_id(&app, "ann@acme.test").await;
    let (_, before) = app.get(&format!("/api/v1/customers/{me}")).await;
    assert_eq!(
        before["email"], "ann@acme.test",
        "nothing changes before the link is used"
    );
    assert_eq!(before["name"], "Ann Archer");

    let link = mailed_link(&relay, "ann@new.test", "email", 1).await;
    let res = use_link(&crate::signin::browser(), &app, &link).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(
        res.text()
            .await
            .unwrap_or_default()
            .contains("Email address confirmed")
    );
    let (_, after) = app.get(&format!("/api/v1/customers/{me}")).await;
    assert_eq!(after["email"], "ann@new.test", "{after}");
    let emails: Vec<&str> = after["identities"]
        .as_array()
        .expect("identities")
        .iter()
        .filter(|i| i["kind"] == "email")
        .filter_map(|i| i["value"].as_str())
        .collect();
    assert!(
        emails.contains(&"ann@acme.test"),
        "the old address still finds Ann: {after}"
    );
    let (s, _) = get_page(&reqwest::Client::new(), &app, &link).await;
    assert_eq!(s, StatusCode::GONE, "a confirmation link works once");
}

#[tokio::test]
async fn an_admin_defines_a_web_form_in_the_workspace() {
    let app = spawn_app().await;
    field(
        &app,
        json!({"key": "serial", "label": "Serial number", "kind": "text"}),
    )
    .await;
    field(
        &app,
        json!({"key": "warranty", "label": "Under warranty", "kind": "checkbox"}),
    )
    .await;
    let tech = app.team("Technical").await;
    let ada = crate::signin::sign_in(&app, "admin@test.example", "correct horse battery").await;
    let (s, page) = crate::signin::page(&ada, &app, "/admin/forms").await;
    assert_eq!(s, StatusCode::OK);
    assert!(page.contains("Serial number") && page.contains("Not asked"));
    let csrf = crate::signin::csrf_of(&page);
    let tech_s = tech.to_string();
    let res = post_form(
        &ada,
        &app,
        "/admin/forms",
        &[
            ("_csrf", &csrf),
            ("id", "0"),
            ("name", "Repair request"),
            ("description", "Something broke"),
            ("team_id", &tech_s),
            ("tags", "repair, hardware"),
            ("field.serial", "required"),
            ("field.warranty", "optional"),
            ("position", "2"),
            ("active", "on"),
        ],
    )
    .await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, forms) = app.get("/api/v1/forms").await;
    let f = &forms[0];
    assert_eq!(f["name"], "Repair request", "{forms}");
    assert_eq!(f["team_id"], tech);
    assert_eq!(f["tags"], json!(["repair", "hardware"]));
    assert_eq!(
        f["fields"].as_array().map(|a| a
            .iter()
            .map(|x| (x["key"].clone(), x["required"].clone()))
            .collect::<Vec<_>>()),
        Some(vec![
            (json!("serial"), json!(true)),
            (json!("warranty"), json!(false))
        ])
    );
    // Agents cannot open the page.
    app.agent("bea@example.com", "agent", &[tech]).await;
    let bea = crate::signin::sign_in(&app, "bea@example.com", "agent password 1").await;
    let (s, _) = crate::signin::page(&bea, &app, "/admin/forms").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
}
