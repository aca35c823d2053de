//! `spawn_app()`: a running Steward on port 0 with a fresh database, an admin and its token,
//! and small HTTP helpers.

use reqwest::{Client, Method, Response, StatusCode};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use steward::app::{self, Running};
use steward::config::Config;
use steward_domain::Role;
use steward_engine::Engine;
use steward_engine::accounts::NewUser;

static COUNTER: AtomicU64 = AtomicU64::new(0);

pub struct TestApp {
    pub base: String,
    pub client: Client,
    pub token: String,
    pub admin_id: i64,
    pub engine: Engine,
    pub data: PathBuf,
    /// The config it was started with (a restart or a second node uses it again).
    pub config: Config,
    running: Option<Running>,
    /// The PostgreSQL database made for this app, dropped when it stops.
    pg: Option<String>,
}

fn unique(prefix: &str) -> String {
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}_{}_{}_{}", std::process::id(), n, nanos)
}

pub fn backend() -> String {
    std::env::var("STEWARD_TEST_BACKEND").unwrap_or_else(|_| "sqlite".into())
}

fn pg_admin_url() -> String {
    std::env::var("STEWARD_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1/postgres".into())
}

/// Makes a fresh PostgreSQL database; returns its URL and name.
pub async fn fresh_pg_database() -> (String, String) {
    let admin = pg_admin_url();
    let name = unique("steward_test");
    let store = steward_store::Store::open(&admin, &std::env::temp_dir().join("steward-pg-admin"))
        .await
        .expect("PostgreSQL must be reachable for STEWARD_TEST_BACKEND=postgres");
    sqlx_exec(&store, &format!("CREATE DATABASE {name}")).await;
    store.close().await;
    let base = admin
        .rsplit_once('/')
        .map_or(admin.clone(), |(b, _)| b.to_string());
    (format!("{base}/{name}"), name)
}

async fn sqlx_exec(store: &steward_store::Store, sql: &str) {
    use steward_store::sql::Sql;
    Sql::new(sql)
        .query()
        .execute(store.pool())
        .await
        .expect("admin SQL");
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Like `spawn_app`, with the config adjusted first.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    let (mut config, pg) = fresh_config().await;
    // Small, so the limit is easy to cross in tests.
    config.max_attachment_bytes = 64 * 1024;
    configure(&mut config);
    let data = config.data.clone();
    let store = app::open_store(&config).await.expect("store opens");
    let running = app::start(&config, store).await.expect("app starts");
    let engine = running.engine.clone();
    let admin = engine
        .create_user(
            NewUser {
                email: "admin@test.example",
                name: "Ada Admin",
                role: Role::Admin,
                password: Some("correct horse battery"),
                team_ids: &[],
            },
            None,
        )
        .await
        .expect("admin");
    let token = engine
        .create_token("admin@test.example", "tests", None)
        .await
        .expect("token");
    TestApp {
        base: format!("http://{}", running.addr),
        client: Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        token,
        admin_id: admin.id,
        engine,
        data,
        config,
        running: Some(running),
        pg,
    }
}

/// Drops a database made by `fresh_pg_database`.
pub async fn drop_pg_database(name: &str) {
    if let Ok(store) = steward_store::Store::open(
        &pg_admin_url(),
        &std::env::temp_dir().join("steward-pg-admin"),
    )
    .await
    {
        let _ =
            steward_store::sql::Sql::new(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .query()
                .execute(store.pool())
                .await;
        store.close().await;
    }
}

/// Email with one inbox at `address` (no acknowledgements), and nothing else set up.
pub fn one_inbox(address: &str) -> steward::email_config::EmailConfig {
    steward::email_config::EmailConfig {
        hostname: address.rsplit('@').next().unwrap_or("steward.test").into(),
        inboxes: vec![steward::email_config::InboxConfig {
            address: address.into(),
            name: None,
            team: None,
            acknowledge: false,
            acknowledgement: None,
        }],
        max_auto_replies_per_hour: 5,
        ..Default::default()
    }
}

/// A config for the backend under test, with its own data folder (and database on PostgreSQL).
pub async fn fresh_config() -> (Config, Option<String>) {
    let data = std::env::temp_dir().join(unique("steward-cfg"));
    let pg = if backend() == "postgres" {
        Some(fresh_pg_database().await)
    } else {
        None
    };
    let config = Config {
        bind: "127.0.0.1:0".into(),
        data,
        database_url: pg.as_ref().map(|(u, _)| u.clone()),
        ..Config::default()
    };
    (config, pg.map(|(_, n)| n))
}

impl TestApp {
    /// A browser signed in to the workspace as the admin.
    pub async fn admin_browser(&self) -> Client {
        crate::workspace::sign_in(self, "admin@test.example", "correct horse battery").await
    }

    /// The HTML of a workspace page (`path` from the root) as `browser` sees it.
    pub async fn html(&self, browser: &Client, path: &str) -> String {
        browser
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("page")
            .text()
            .await
            .expect("html")
    }

    /// The inbound SMTP listener's address (the app must have been started with one).
    pub fn smtp_addr(&self) -> std::net::SocketAddr {
        self.running
            .as_ref()
            .and_then(|r| r.smtp_addr)
            .expect("the app was started with an SMTP listener")
    }

    pub async fn request(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Response {
        let mut req = self
            .client
            .request(method, format!("{}{}", self.base, path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.expect("request sent")
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        into_json(
            self.request(Method::GET, path, Some(&self.token), None)
                .await,
        )
        .await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        into_json(
            self.request(Method::POST, path, Some(&self.token), Some(body))
                .await,
        )
        .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        into_json(
            self.request(Method::PATCH, path, Some(&self.token), Some(body))
                .await,
        )
        .await
    }

    pub async fn get_as(&self, token: &str, path: &str) -> (StatusCode, Value) {
        into_json(self.request(Method::GET, path, Some(token), None).await).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        into_json(
            self.request(Method::POST, path, Some(token), Some(body))
                .await,
        )
        .await
    }

    pub async fn put_as(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        into_json(
            self.request(Method::PUT, path, Some(token), Some(body))
                .await,
        )
        .await
    }

    pub async fn patch_as(&self, token: &str, path: &str, body: Value) -> (StatusCode, Value) {
        into_json(
            self.request(Method::PATCH, path, Some(token), Some(body))
                .await,
        )
        .await
    }

    /// The events of kind `kind` in conversation `id`'s log.
    pub async fn events_of(&self, id: i64, kind: &str) -> Vec<Value> {
        let (status, events) = self
            .get(&format!("/api/v1/conversations/{id}/events"))
            .await;
        assert_eq!(status, StatusCode::OK, "{events}");
        events
            .as_array()
            .expect("events")
            .iter()
            .filter(|e| e["kind"] == kind)
            .cloned()
            .collect()
    }

    /// Opens a conversation from `email` and returns its JSON.
    pub async fn conversation(&self, email: &str, subject: &str, body: &str) -> Value {
        let (status, v) = self
            .post("/api/v1/conversations", json!({"customer": {"email": email, "name": "Test Customer"}, "subject": subject, "message": {"body": body}, "channel": "email"}))
            .await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        v["conversation"].clone()
    }

    /// Creates a team with the admin token.
    pub async fn team(&self, name: &str) -> i64 {
        let (status, v) = self.post("/api/v1/teams", json!({"name": name})).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        v["id"].as_i64().expect("team id")
    }

    /// Creates an agent with a role and teams; returns (id, API token).
    pub async fn agent(&self, email: &str, role: &str, teams: &[i64]) -> (i64, String) {
        let (status, v) = self.post("/api/v1/agents", json!({"email": email, "name": email.split('@').next(), "role": role, "team_ids": teams, "password": "agent password 1"})).await;
        assert_eq!(status, StatusCode::CREATED, "{v}");
        let token = self
            .engine
            .create_token(email, "tests", None)
            .await
            .expect("token");
        (v["id"].as_i64().expect("agent id"), token)
    }

    /// Stops the server and starts it again on the same data (a new port).
    pub async fn restart(&mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
        let store = app::open_store(&self.config).await.expect("store opens");
        let running = app::start(&self.config, store).await.expect("app starts");
        self.base = format!("http://{}", running.addr);
        self.engine = running.engine.clone();
        self.running = Some(running);
    }

    /// Another node on the same database (and data folder), sharing nothing in memory with
    /// this one, as a second `steward serve` would. Stop it before this one.
    pub async fn second_node(&self) -> TestApp {
        let store = app::open_store(&self.config).await.expect("store opens");
        let running = app::start(&self.config, store).await.expect("node starts");
        TestApp {
            base: format!("http://{}", running.addr),
            client: self.client.clone(),
            token: self.token.clone(),
            admin_id: self.admin_id,
            engine: running.engine.clone(),
            // Nothing of its own to remove when it stops.
            data: std::env::temp_dir().join(unique("steward-node")),
            config: self.config.clone(),
            running: Some(running),
            pg: None,
        }
    }

    pub async fn stop(mut self) {
        if let Some(r) = self.running.take() {
            r.shutdown().await.expect("clean shutdown");
        }
        if let Some(name) = self.pg.take() {
            drop_pg_database(&name).await;
        }
        let _ = std::fs::remove_dir_all(&self.data);
    }
}

pub async fn into_json(res: Response) -> (StatusCode, Value) {
    let status = res.status();
    let text = res.text().await.expect("body");
    let v = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, v)
}

/// Asserts a problem+json answer with `status` and type slug.
pub async fn assert_problem(res: Response, status: StatusCode, slug: &str) -> Value {
    assert_eq!(res.status(), status);
    let ct = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    assert_eq!(ct, "application/problem+json");
    let (_, v) = into_json(res).await;
    assert_eq!(v["type"], format!("/problems/{slug}"), "{v}");
    assert_eq!(v["status"], status.as_u16());
    assert!(v["detail"].as_str().is_some_and(|d| !d.is_empty()), "{v}");
    v
}
