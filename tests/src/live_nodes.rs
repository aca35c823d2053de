//! Several nodes: on PostgreSQL, live events cross between `steward` nodes that share only the
//! database.

use crate::helpers::*;
use crate::workspace::{read_until, sign_in, wait_for};
use reqwest::StatusCode;
use serde_json::json;
use std::time::Duration;

/// On PostgreSQL, two nodes share nothing but the database: a change made through one reaches
/// a workspace page open on the other (LISTEN/NOTIFY), both ways. SQLite is one node, so there
/// the test has nothing to cross and ends at once.
#[tokio::test]
async fn a_change_made_on_one_node_reaches_a_page_open_on_another() {
    if backend() != "postgres" {
        return;
    }
    let a = spawn_app().await;
    let b = a.second_node().await;
    let c = a
        .conversation("nodes@example.com", "Across nodes", "x")
        .await;
    let on_b = sign_in(&b, "admin@test.example", "correct horse battery").await;
    let mut from_b = on_b
        .get(format!("{}/live", b.base))
        .send()
        .await
        .expect("stream")
        .bytes_stream();
    let on_a = sign_in(&a, "admin@test.example", "correct horse battery").await;
    let mut from_a = on_a
        .get(format!("{}/live", a.base))
        .send()
        .await
        .expect("stream")
        .bytes_stream();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let needle = format!("\"conversation_id\":{}", c["id"]);
    a.post(
        &format!("/api/v1/conversations/{}/messages", c["id"]),
        json!({"body": "said on node A"}),
    )
    .await;
    assert!(
        wait_for(&mut from_b, &needle).await,
        "node B's page heard of node A's change"
    );
    // And back: a change through node B reaches node A.
    let (s, _) = b
        .patch(
            &format!("/api/v1/conversations/{}", c["id"]),
            json!({"priority": "high"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK);
    let seen = read_until(&mut from_a, "\"kind\":\"updated\"").await;
    assert!(
        seen.contains(&needle),
        "node A's page heard of node B's change: {seen}"
    );
    b.stop().await;
    a.stop().await;
}
