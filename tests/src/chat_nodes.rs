//! Live chat across two `steward serve` processes on loopback that share nothing but the
//! PostgreSQL database: a visitor on node A and an agent on node B chat in real time, because
//! live events cross nodes by LISTEN/NOTIFY. Each node is this test binary started again as a
//! child process running the real `steward serve` command (the ignored `a_steward_node`).

use crate::chat::Visitor;
use crate::helpers::*;
use crate::workspace::{sign_in_at, wait_for};
use clap::Parser;
use reqwest::StatusCode;
use serde_json::json;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// Set to `DATABASE_URL|DATA_DIR|BIND` in a child process: serve as a node until killed.
const NODE: &str = "STEWARD_TEST_NODE";

#[tokio::test]
#[ignore = "a child process of `two_steward_processes_…`, not a test by itself"]
async fn a_steward_node() {
    let Ok(spec) = std::env::var(NODE) else {
        return;
    };
    let parts: Vec<&str> = spec.split('|').collect();
    let cli = steward::cli::Cli::parse_from([
        "steward",
        "serve",
        "--database-url",
        parts[0],
        "--data",
        parts[1],
        "--bind",
        parts[2],
    ]);
    steward::cli::run(cli).await.expect("the node serves");
}

/// A node process, killed when dropped.
struct Node {
    child: Child,
    base: String,
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

async fn start_node(url: &str, data: &std::path::Path) -> Node {
    let port = free_port();
    let child = Command::new(std::env::current_exe().expect("this test binary"))
        .args([
            "chat_nodes::a_steward_node",
            "--exact",
            "--ignored",
            "--nocapture",
        ])
        .env(NODE, format!("{url}|{}|127.0.0.1:{port}", data.display()))
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the node starts");
    let node = Node {
        child,
        base: format!("http://127.0.0.1:{port}"),
    };
    let client = reqwest::Client::new();
    for _ in 0..200 {
        if let Ok(r) = client.get(format!("{}/readyz", node.base)).send().await
            && r.status() == StatusCode::OK
        {
            return node;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("node at {} did not become ready", node.base);
}

#[tokio::test]
async fn two_steward_processes_carry_a_chat_between_a_visitor_on_one_and_an_agent_on_the_other() {
    if backend() != "postgres" {
        return;
    }
    let (url, name) = fresh_pg_database().await;
    let data = std::env::temp_dir().join(format!("steward-nodes-{name}"));
    // The schema, an admin and a token, made before either node starts.
    let token = {
        let config = steward::config::Config {
            database_url: Some(url.clone()),
            data: data.clone(),
            ..Default::default()
        };
        let store = steward::app::open_store(&config).await.expect("store");
        let engine = steward::app::engine(store, &config).expect("engine");
        engine
            .create_user(
                steward_engine::accounts::NewUser {
                    email: "admin@test.example",
                    name: "Ada Admin",
                    role: steward_domain::Role::Admin,
                    password: Some("correct horse battery"),
                    team_ids: &[],
                },
                None,
            )
            .await
            .expect("admin");
        let t = engine
            .create_token("admin@test.example", "nodes", None)
            .await
            .expect("token");
        engine.store.close().await;
        t
    };
    let a = start_node(&url, &data.join("a")).await;
    let b = start_node(&url, &data.join("b")).await;
    let api = reqwest::Client::new();
    let on_b = |path: &str| format!("{}{path}", b.base);

    let res = api
        .post(on_b("/api/v1/chat/inboxes"))
        .bearer_auth(&token)
        .json(&json!({"key": "shop", "name": "Shop", "colour": "#336699", "prechat": "none"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::CREATED);

    // The agent's workspace page is open on node B.
    let agent = sign_in_at(&b.base, "admin@test.example", "correct horse battery").await;
    let mut live = agent
        .get(on_b("/live"))
        .send()
        .await
        .expect("stream")
        .bytes_stream();
    tokio::time::sleep(Duration::from_millis(300)).await;

    // The visitor is on node A.
    let mut v = Visitor::connect_to(&a.base, "shop", None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "Hello from node A"}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("chat");
    assert!(
        wait_for(&mut live, "\"kind\":\"started\"").await,
        "the agent on B hears of the new chat from A"
    );
    v.send(json!({"type": "typing", "on": true})).await;
    assert!(
        wait_for(&mut live, "event: typing").await,
        "the visitor's typing crosses to B"
    );

    // The agent answers through node B; the visitor on A gets it at once.
    let res = api
        .post(on_b(&format!("/api/v1/conversations/{chat}/messages")))
        .bearer_auth(&token)
        .json(&json!({"body": "Hello from node B"}))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::CREATED);
    let mut got = None;
    for _ in 0..3 {
        let m = v.next("message").await;
        if m["author"] == "agent" {
            got = Some(m);
            break;
        }
    }
    assert_eq!(
        got.expect("the answer crosses to A")["text"],
        "Hello from node B"
    );

    drop(v);
    drop(a);
    drop(b);
    drop_pg_database(&name).await;
    let _ = std::fs::remove_dir_all(&data);
}
