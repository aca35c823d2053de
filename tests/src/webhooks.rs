//! Webhooks and the durable scheduler: events reach a real HTTP receiver signed the Standard
//! Webhooks way, failed deliveries are retried and logged, deliveries survive a restart,
//! URLs that point inside are refused, and jobs run exactly once when two nodes share the
//! database.

use crate::helpers::*;
use axum::http::{HeaderMap, StatusCode as AxumStatus};
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use steward::app;
use steward_store::jobs;

/// One request the receiver got.
#[derive(Clone, Debug)]
struct Hit {
    headers: HeaderMap,
    body: String,
}

/// A webhook receiver on loopback: records every request; fails the first `fail_first`
/// with 500; answers after `delay`.
#[derive(Clone)]
struct Receiver {
    addr: SocketAddr,
    hits: Arc<Mutex<Vec<Hit>>>,
}

impl Receiver {
    async fn start(fail_first: usize, delay: Duration) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        Receiver::on(listener, fail_first, delay)
    }

    fn on(listener: tokio::net::TcpListener, fail_first: usize, delay: Duration) -> Receiver {
        let addr = listener.local_addr().expect("addr");
        let hits: Arc<Mutex<Vec<Hit>>> = Arc::default();
        let seen = Arc::new(AtomicUsize::new(0));
        let recorded = hits.clone();
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let recorded = recorded.clone();
                let seen = seen.clone();
                async move {
                    tokio::time::sleep(delay).await;
                    recorded.lock().expect("hits").push(Hit { headers, body });
                    if seen.fetch_add(1, Ordering::SeqCst) < fail_first {
                        (AxumStatus::INTERNAL_SERVER_ERROR, "not now")
                    } else {
                        (AxumStatus::OK, "thanks")
                    }
                }
            }),
        );
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver { addr, hits }
    }

    fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }
}

fn header<'a>(h: &'a Hit, name: &str) -> &'a str {
    h.headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

/// Checks a Standard Webhooks signature independently of Steward's code.
fn signature_is_valid(secret: &str, hit: &Hit) -> bool {
    let b64 = base64::engine::general_purpose::STANDARD;
    let key = b64
        .decode(secret.strip_prefix("whsec_").expect("whsec_ prefix"))
        .expect("base64 secret");
    let signed = format!(
        "{}.{}.{}",
        header(hit, "webhook-id"),
        header(hit, "webhook-timestamp"),
        hit.body
    );
    let tag = ring::hmac::sign(
        &ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key),
        signed.as_bytes(),
    );
    header(hit, "webhook-signature") == format!("v1,{}", b64.encode(tag.as_ref()))
}

fn allow_loopback(c: &mut steward::config::Config) {
    c.webhooks.allow_internal_addresses = true;
    c.webhooks.first_retry_seconds = 0.2;
}

/// Polls the delivery log until `done` holds for it (or fails after 20 s).
async fn deliveries_until(
    app: &TestApp,
    webhook: i64,
    done: impl Fn(&[Value]) -> bool,
) -> Vec<Value> {
    let mut last = Vec::new();
    for _ in 0..200 {
        let (s, v) = app
            .get(&format!("/api/v1/webhooks/{webhook}/deliveries?limit=200"))
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        last = v.as_array().cloned().unwrap_or_default();
        if done(&last) {
            return last;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("deliveries never got there: {last:#?}");
}

fn all_delivered(n: usize) -> impl Fn(&[Value]) -> bool {
    move |list| list.len() >= n && list.iter().all(|d| d["status"] == "delivered")
}

#[tokio::test]
async fn subscribed_events_arrive_signed_and_a_failed_delivery_is_retried_until_it_succeeds() {
    let receiver = Receiver::start(1, Duration::ZERO).await;
    let app = spawn_app_with(allow_loopback).await;
    let (s, hook) = app
        .post(
            "/api/v1/webhooks",
            json!({"url": receiver.url(), "description": "CRM sync",
                   "events": ["conversation.created", "message.created"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let secret = hook["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"));
    let id = hook["id"].as_i64().expect("id");

    let c = app
        .conversation(
            "kim@example.com",
            "Where is my parcel?",
            "It was due Monday.",
        )
        .await;
    // A change the webhook did not subscribe to is not sent.
    app.patch(
        &format!("/api/v1/conversations/{}", c["id"]),
        json!({"priority": "high"}),
    )
    .await;

    let log = deliveries_until(&app, id, all_delivered(2)).await;
    assert_eq!(log.len(), 2, "{log:#?}");
    let events: HashSet<&str> = log.iter().filter_map(|d| d["event"].as_str()).collect();
    assert_eq!(
        events,
        HashSet::from(["conversation.created", "message.created"])
    );
    // The receiver failed its first request: that delivery took two attempts.
    assert_eq!(
        log.iter()
            .map(|d| d["attempts"].as_i64().unwrap_or(0))
            .sum::<i64>(),
        3,
        "{log:#?}"
    );
    assert!(log.iter().all(|d| d["response_status"] == 200));

    let hits = receiver.hits();
    assert_eq!(hits.len(), 3);
    for hit in &hits {
        assert!(signature_is_valid(&secret, hit), "bad signature on {hit:?}");
        assert_eq!(header(hit, "content-type"), "application/json");
    }
    // The retry carries the same id, so a receiver can tell it is the same delivery.
    let ids: Vec<&str> = hits.iter().map(|h| header(h, "webhook-id")).collect();
    assert_eq!(ids.iter().collect::<HashSet<_>>().len(), 2, "{ids:?}");

    let message = hits
        .iter()
        .map(|h| serde_json::from_str::<Value>(&h.body).expect("JSON"))
        .find(|p| p["event"] == "message.created")
        .expect("a message.created delivery");
    assert_eq!(message["conversation"]["number"], c["number"]);
    assert_eq!(message["conversation"]["subject"], "Where is my parcel?");
    assert_eq!(message["message"]["body_text"], "It was due Monday.");
    assert_eq!(message["message"]["author_kind"], "customer");
    assert!(
        message["occurred_at"]
            .as_str()
            .is_some_and(|t| t.ends_with('Z'))
    );

    // A ping and a redelivery by hand.
    let (s, ping) = app
        .post(&format!("/api/v1/webhooks/{id}/ping"), json!({}))
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{ping}");
    let (s, again) = app
        .post(
            &format!(
                "/api/v1/webhooks/{id}/deliveries/{}/redeliver",
                log[0]["id"]
            ),
            json!({}),
        )
        .await;
    assert_eq!(s, StatusCode::ACCEPTED, "{again}");
    deliveries_until(&app, id, |list| {
        list.len() == 3 && all_delivered(3)(list) && list.iter().any(|d| d["event"] == "ping")
    })
    .await;
    for _ in 0..50 {
        if receiver.hits().len() >= 5 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let hits = receiver.hits();
    assert_eq!(hits.len(), 5);
    assert!(
        hits[3..]
            .iter()
            .any(|h| header(h, "webhook-id") == format!("dlv_{}", log[0]["id"])),
        "a redelivery keeps its id"
    );

    // Paused webhooks get nothing new.
    let (s, paused) = app
        .patch(&format!("/api/v1/webhooks/{id}"), json!({"active": false}))
        .await;
    assert_eq!(s, StatusCode::OK, "{paused}");
    assert_eq!(paused["active"], false);
    assert_eq!(paused["url"], receiver.url());
    app.conversation("lee@example.com", "Another", "Hello")
        .await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(receiver.hits().len(), 5);
    app.stop().await;
}

#[tokio::test]
async fn webhook_urls_that_point_inside_and_unknown_events_are_refused_when_saved() {
    let app = spawn_app().await;
    for url in [
        "http://127.0.0.1:9/hook",
        "http://localhost:8080/",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "https://10.1.2.3/x",
        "http://0x7f000001/",
    ] {
        let (s, v) = app
            .post("/api/v1/webhooks", json!({"url": url, "events": ["*"]}))
            .await;
        assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{url}: {v}");
        assert!(v.to_string().contains("allow_internal_addresses"), "{v}");
    }
    let (s, v) = app
        .post(
            "/api/v1/webhooks",
            json!({"url": "ftp://example.com/x", "events": ["*"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = app
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://93.184.216.34/x", "events": ["conversation.exploded"]}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert!(v.to_string().contains("conversation.exploded"), "{v}");
    let (s, v) = app
        .post(
            "/api/v1/webhooks",
            json!({"url": "https://93.184.216.34/x", "events": []}),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // Only admins manage webhooks.
    let (_, token) = app.agent("sam@example.com", "supervisor", &[]).await;
    let (s, _) = app.get_as(&token, "/api/v1/webhooks").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = app
        .post_as(
            &token,
            "/api/v1/webhooks",
            json!({"url": "https://93.184.216.34/x", "events": ["*"]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    app.stop().await;
}

#[tokio::test]
async fn a_delivery_that_could_not_be_made_is_still_made_after_a_restart() {
    // A port with nothing listening yet.
    let parked = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = parked.local_addr().expect("addr");
    drop(parked);
    let mut app = spawn_app_with(|c| {
        allow_loopback(c);
        c.webhooks.first_retry_seconds = 1.0;
    })
    .await;
    let (s, hook) = app
        .post(
            "/api/v1/webhooks",
            json!({"url": format!("http://{addr}/hook"), "events": ["conversation.created"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let id = hook["id"].as_i64().expect("id");
    app.conversation("kim@example.com", "Refund", "Please")
        .await;
    let log = deliveries_until(&app, id, |l| {
        l.len() == 1 && l[0]["attempts"].as_i64().unwrap_or(0) >= 1
    })
    .await;
    assert_eq!(log[0]["status"], "pending", "{log:#?}");
    assert!(
        log[0]["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{log:#?}"
    );

    app.restart().await;
    let listener = tokio::net::TcpListener::bind(addr).await.expect("rebind");
    let receiver = Receiver::on(listener, 0, Duration::ZERO);
    let log = deliveries_until(&app, id, all_delivered(1)).await;
    assert_eq!(log.len(), 1);
    assert_eq!(receiver.hits().len(), 1);
    let body: Value = serde_json::from_str(&receiver.hits()[0].body).expect("JSON");
    assert_eq!(body["event"], "conversation.created");
    assert_eq!(body["conversation"]["subject"], "Refund");
    app.stop().await;
}

#[tokio::test]
async fn two_workers_sharing_the_database_claim_every_job_exactly_once() {
    let (config, pg) = fresh_config().await;
    let a = app::open_store(&config).await.expect("store a");
    let b = app::open_store(&config).await.expect("store b");
    let now = steward_store::now_ms();
    let mut tx = a.write().await.expect("tx");
    for i in 0..300 {
        jobs::schedule(&mut tx, "test", None, &format!("{{\"n\":{i}}}"), now, now)
            .await
            .expect("schedule");
    }
    tx.commit().await.expect("commit");

    async fn work(store: steward_store::Store, name: &'static str) -> Vec<i64> {
        let mut done = Vec::new();
        loop {
            let mut tx = store.write().await.expect("tx");
            let batch = jobs::claim(
                &mut tx,
                store.backend(),
                name,
                steward_store::now_ms(),
                60_000,
                7,
            )
            .await
            .expect("claim");
            tx.commit().await.expect("commit");
            if batch.is_empty() {
                return done;
            }
            for job in batch {
                let mut tx = store.write().await.expect("tx");
                assert!(
                    jobs::finish(&mut tx, job.id, &job.lease)
                        .await
                        .expect("finish")
                );
                tx.commit().await.expect("commit");
                done.push(job.id);
            }
        }
    }
    let (ra, rb) = tokio::join!(
        tokio::spawn(work(a.clone(), "node-a")),
        tokio::spawn(work(b.clone(), "node-b"))
    );
    let (ra, rb) = (ra.expect("a"), rb.expect("b"));
    let mut all: Vec<i64> = ra.iter().chain(rb.iter()).copied().collect();
    all.sort();
    let unique: HashSet<i64> = all.iter().copied().collect();
    assert_eq!(
        all.len(),
        300,
        "every job ran ({} and {})",
        ra.len(),
        rb.len()
    );
    assert_eq!(unique.len(), 300, "no job ran twice");

    // A job whose worker died is taken again when its lease runs out, and the late worker
    // can no longer finish it.
    let mut tx = a.write().await.expect("tx");
    jobs::schedule(&mut tx, "test", Some("lonely"), "{}", now, now)
        .await
        .expect("schedule");
    let dead = jobs::claim(&mut tx, a.backend(), "dead", steward_store::now_ms(), 1, 10)
        .await
        .expect("claim");
    tx.commit().await.expect("commit");
    assert_eq!(dead.len(), 1);
    tokio::time::sleep(Duration::from_millis(20)).await;
    let mut tx = b.write().await.expect("tx");
    let taken = jobs::claim(
        &mut tx,
        b.backend(),
        "alive",
        steward_store::now_ms(),
        60_000,
        10,
    )
    .await
    .expect("claim");
    tx.commit().await.expect("commit");
    assert_eq!(taken.len(), 1);
    assert_eq!(taken[0].attempts, 2);
    let mut tx = a.write().await.expect("tx");
    assert!(
        !jobs::finish(&mut tx, dead[0].id, "dead")
            .await
            .expect("finish")
    );
    tx.commit().await.expect("commit");

    a.close().await;
    b.close().await;
    if let Some(name) = pg {
        drop_pg_database(&name).await;
    }
    let _ = std::fs::remove_dir_all(&config.data);
}

#[tokio::test]
async fn two_nodes_on_postgresql_deliver_each_event_once() {
    if backend() != "postgres" {
        // Several nodes share one PostgreSQL; SQLite is one node.
        return;
    }
    let receiver = Receiver::start(0, Duration::from_millis(150)).await;
    let app = spawn_app_with(allow_loopback).await;
    let second = app::start(
        &app.config,
        app::open_store(&app.config).await.expect("store"),
    )
    .await
    .expect("second node");
    let (s, hook) = app
        .post(
            "/api/v1/webhooks",
            json!({"url": receiver.url(), "events": ["conversation.created"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{hook}");
    let id = hook["id"].as_i64().expect("id");
    for i in 0..60 {
        app.conversation(&format!("c{i}@example.com"), &format!("Order {i}"), "Hi")
            .await;
    }
    let log = deliveries_until(&app, id, all_delivered(60)).await;
    assert_eq!(log.len(), 60);
    let hits = receiver.hits();
    let ids: HashSet<&str> = hits.iter().map(|h| header(h, "webhook-id")).collect();
    assert_eq!(hits.len(), 60, "each delivery was made once");
    assert_eq!(ids.len(), 60);
    let nodes: HashSet<&str> = log.iter().filter_map(|d| d["node"].as_str()).collect();
    assert_eq!(nodes.len(), 2, "both nodes took part: {nodes:?}");
    second.shutdown().await.expect("second stops");
    app.stop().await;
}

#[tokio::test]
async fn an_admin_adds_a_webhook_in_the_workspace_and_sees_its_deliveries() {
    let receiver = Receiver::start(0, Duration::ZERO).await;
    let app = spawn_app_with(allow_loopback).await;
    let browser = app.admin_browser().await;
    let page = app.html(&browser, "/admin/webhooks").await;
    assert!(page.contains("Add a webhook"), "{page}");
    let csrf = crate::workspace::csrf_of(&page);
    let url = receiver.url();
    let res = browser
        .post(format!("{}/admin/webhooks", app.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("url", url.as_str()),
            ("description", "Slack <b>bridge</b>"),
            ("events", "status.changed"),
            ("events", "conversation.created"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let (_, list) = app.get("/api/v1/webhooks").await;
    let id = list[0]["id"].as_i64().expect("id");
    assert_eq!(
        list[0]["events"],
        json!(["status.changed", "conversation.created"])
    );
    app.conversation("kim@example.com", "Broken lid", "Help")
        .await;
    deliveries_until(&app, id, all_delivered(1)).await;
    let page = app.html(&browser, "/admin/webhooks").await;
    assert!(page.contains("conversation.created"), "{page}");
    assert!(page.contains("delivered"), "{page}");
    assert!(
        page.contains("Slack &#60;b&#62;bridge&#60;/b&#62;"),
        "{page}"
    );

    // A URL that points inside is refused with the reason on the page, and nothing is saved.
    let strict = spawn_app().await;
    let browser = strict.admin_browser().await;
    let csrf = crate::workspace::csrf_of(&strict.html(&browser, "/admin/webhooks").await);
    let res = browser
        .post(format!("{}/admin/webhooks", strict.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("url", "http://127.0.0.1:6379/"),
            ("events", "conversation.created"),
        ])
        .send()
        .await
        .expect("add");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("internal address"));
    let (_, list) = strict.get("/api/v1/webhooks").await;
    assert_eq!(list, json!([]));
    strict.stop().await;
    app.stop().await;
}
