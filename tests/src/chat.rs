//! Live chat over the visitor's WebSocket (docs/chat-protocol.md): starting a chat, the agent's
//! answer reaching the visitor, resuming after a dropped connection with nothing lost or
//! twice, bad and flooding frames, the queue, ending with a transcript, the automated
//! responder's step, and the away-hours email conversation.

use crate::email::email_config;
use crate::email_outbound::TestRelay;
use crate::helpers::*;
use futures_util::{SinkExt, StreamExt};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::Duration;
use tokio_tungstenite::tungstenite::Message;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// A visitor's connection, as a test drives it.
pub(crate) struct Visitor {
    pub ws: Socket,
    pub token: String,
    pub welcome: Value,
}

impl Visitor {
    /// Connects and says hello (with `token` and `last_seq` to resume).
    pub(crate) async fn connect(
        app: &TestApp,
        inbox: &str,
        token: Option<&str>,
        last_seq: i64,
    ) -> Visitor {
        Visitor::connect_to(&app.base, inbox, token, last_seq).await
    }

    /// `connect` for a server at `base`.
    pub(crate) async fn connect_to(
        base: &str,
        inbox: &str,
        token: Option<&str>,
        last_seq: i64,
    ) -> Visitor {
        let url = format!("{}/chat/ws", base.replace("http://", "ws://"));
        let (mut ws, _) = tokio_tungstenite::connect_async(url)
            .await
            .expect("socket opens");
        let hello =
            json!({"type": "hello", "inbox": inbox, "visitor": token, "last_seq": last_seq});
        ws.send(Message::Text(hello.to_string().into()))
            .await
            .expect("hello");
        let mut v = Visitor {
            ws,
            token: String::new(),
            welcome: Value::Null,
        };
        let welcome = v.next("welcome").await;
        v.token = welcome["visitor"].as_str().expect("token").to_string();
        v.welcome = welcome;
        v
    }

    pub(crate) async fn send(&mut self, frame: Value) {
        self.ws
            .send(Message::Text(frame.to_string().into()))
            .await
            .expect("frame sent");
    }

    /// The next frame of type `kind`, skipping others; panics after 5 s.
    pub(crate) async fn next(&mut self, kind: &str) -> Value {
        let mut frames = self.upto(kind).await;
        frames.pop().expect("the frame looked for")
    }

    /// Every frame up to and including the next of type `kind`; panics after 5 s.
    pub(crate) async fn upto(&mut self, kind: &str) -> Vec<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        let mut frames = Vec::new();
        loop {
            let got = tokio::time::timeout_at(deadline, self.ws.next())
                .await
                .unwrap_or_else(|_| panic!("no {kind} frame within 5 s"));
            match got {
                Some(Ok(Message::Text(t))) => {
                    let v: Value = serde_json::from_str(&t).expect("JSON frame");
                    let found = v["type"] == kind;
                    frames.push(v);
                    if found {
                        return frames;
                    }
                }
                Some(Ok(Message::Close(f))) => panic!("closed while waiting for {kind}: {f:?}"),
                Some(Ok(_)) => {}
                other => panic!("socket ended while waiting for {kind}: {other:?}"),
            }
        }
    }

    /// Every frame that arrives within `ms` milliseconds.
    pub(crate) async fn drain(&mut self, ms: u64) -> Vec<Value> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + Duration::from_millis(ms);
        while let Ok(Some(Ok(m))) = tokio::time::timeout_at(deadline, self.ws.next()).await {
            if let Message::Text(t) = m {
                out.push(serde_json::from_str(&t).expect("JSON frame"));
            }
        }
        out
    }

    /// The close frame's code and reason, skipping other frames.
    async fn closed(&mut self) -> (u16, String) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        loop {
            match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(Some(Ok(Message::Close(Some(f))))) => {
                    return (f.code.into(), f.reason.to_string());
                }
                Ok(Some(Ok(_))) => {}
                other => panic!("no close frame: {other:?}"),
            }
        }
    }
}

/// A chat inbox made through the API; returns its key.
pub(crate) async fn chat_inbox(app: &TestApp, extra: Value) -> String {
    let mut body = json!({"key": "shop", "name": "Acme <Shop>", "colour": "#2D4A2B",
                          "greeting": "Hi!", "topics": ["Orders", "Returns"]});
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    let (s, v) = app.post("/api/v1/chat/inboxes", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["key"].as_str().expect("key").to_string()
}

#[tokio::test]
async fn a_visitor_starts_a_chat_and_an_agents_answer_reaches_them_at_once() {
    let app = spawn_app().await;
    let key = chat_inbox(&app, json!({})).await;
    let (s, list) = app.get("/api/v1/chat/inboxes").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(list[0]["colour"], "#2d4a2b");
    assert!(
        list[0]["snippet"]
            .as_str()
            .expect("present")
            .contains("data-inbox=\"shop\"")
    );

    let mut v = Visitor::connect(&app, &key, None, 0).await;
    assert_eq!(v.welcome["inbox"]["name"], "Acme <Shop>");
    assert_eq!(v.welcome["inbox"]["open"], true);
    assert_eq!(v.welcome["chat"], Value::Null);
    assert_eq!(v.token.len(), 48);

    v.send(json!({"type": "message", "cseq": 1, "text": "Where is my tent?",
                  "profile": {"name": "Vera Visitor", "email": "vera@example.com", "topic": "Orders"}}))
        .await;
    let ack = v.next("ack").await;
    assert_eq!(ack["cseq"], 1);
    let chat = ack["chat"].as_i64().expect("chat id");
    // The visitor's own message comes back with its number, then where the chat stands.
    let own = v.next("message").await;
    assert_eq!(own["author"], "customer");
    assert_eq!(own["cseq"], 1);
    assert_eq!(own["seq"], ack["seq"]);
    let status = v.next("status").await;
    assert_eq!(status["state"], "waiting");
    assert_eq!(status["position"], 1);

    // The chat is a conversation on the chat channel, in Vera's history by her address.
    let (_, c) = app.get(&format!("/api/v1/conversations/{chat}")).await;
    assert_eq!(c["channel"], "chat");
    assert_eq!(c["subject"], "Chat: Orders");
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{chat}/messages"))
        .await;
    assert_eq!(msgs[0]["author_kind"], "customer");
    assert_eq!(msgs[0]["body"], "Where is my tent?");
    let (_, found) = app.get("/api/v1/customers?q=vera%40example.com").await;
    assert_eq!(found["data"][0]["name"], "Vera Visitor", "{found}");

    let (s, m) = app
        .post(
            &format!("/api/v1/conversations/{chat}/messages"),
            json!({"body": "It ships tomorrow."}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{m}");
    let answer = v.next("message").await;
    assert_eq!(answer["author"], "agent");
    assert_eq!(answer["name"], "Ada Admin");
    assert_eq!(answer["text"], "It ships tomorrow.");

    // A second page of the same visitor sees the history.
    let again = Visitor::connect(&app, &key, Some(&v.token), 0).await;
    assert_eq!(again.welcome["chat"], chat);
    assert_eq!(again.welcome["known"], true);
    let texts: Vec<&str> = again.welcome["messages"]
        .as_array()
        .expect("present")
        .iter()
        .map(|m| m["text"].as_str().expect("present"))
        .collect();
    assert_eq!(texts, ["Where is my tent?", "It ships tomorrow."]);

    app.stop().await;
}

#[tokio::test]
async fn after_a_dropped_connection_the_chat_resumes_with_nothing_lost_or_shown_twice() {
    let app = spawn_app().await;
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "first"}))
        .await;
    let ack = v.next("ack").await;
    let chat = ack["chat"].as_i64().expect("present");
    let first = v.next("message").await;
    assert_eq!(first["text"], "first");
    let last_seq = first["seq"].as_i64().expect("present");
    let token = v.token.clone();
    // The connection drops without a goodbye.
    drop(v);

    for body in ["while you were away 1", "while you were away 2"] {
        let (s, _) = app
            .post(
                &format!("/api/v1/conversations/{chat}/messages"),
                json!({ "body": body }),
            )
            .await;
        assert_eq!(s, StatusCode::CREATED);
    }

    // Back with the last number shown: exactly what came meanwhile, in order.
    let mut v = Visitor::connect(&app, &key, Some(&token), last_seq).await;
    let missed: Vec<&str> = v.welcome["messages"]
        .as_array()
        .expect("present")
        .iter()
        .map(|m| m["text"].as_str().expect("present"))
        .collect();
    assert_eq!(missed, ["while you were away 1", "while you were away 2"]);
    assert_eq!(v.welcome["chat"], chat);

    // The browser did not see the first ack arrive, so it sends message 1 again, then 2.
    v.send(json!({"type": "message", "cseq": 1, "text": "first"}))
        .await;
    let again = v.next("ack").await;
    assert_eq!(again["seq"], first["seq"], "a resend is the same message");
    v.send(json!({"type": "message", "cseq": 2, "text": "second"}))
        .await;
    v.next("ack").await;
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{chat}/messages"))
        .await;
    let texts: Vec<&str> = msgs
        .as_array()
        .expect("present")
        .iter()
        .map(|m| m["body"].as_str().expect("present"))
        .collect();
    assert_eq!(
        texts,
        [
            "first",
            "while you were away 1",
            "while you were away 2",
            "second"
        ]
    );
    // No frame repeats a sequence number already shown.
    let frames = v.drain(500).await;
    for f in frames.iter().filter(|f| f["type"] == "message") {
        assert!(f["seq"].as_i64().expect("present") > last_seq, "{f}");
        assert_ne!(f["text"], "while you were away 1", "not twice");
    }
    app.stop().await;
}

#[tokio::test]
async fn bad_and_flooding_frames_get_errors_and_a_close_while_others_chat_on() {
    let app = spawn_app().await;
    let key = chat_inbox(&app, json!({})).await;
    let mut calm = Visitor::connect(&app, &key, None, 0).await;

    let mut bad = Visitor::connect(&app, &key, None, 0).await;
    bad.ws
        .send(Message::Text("{not json".into()))
        .await
        .expect("present");
    let e = bad.next("error").await;
    assert_eq!(e["code"], "bad_frame");
    bad.send(json!({"type": "shout"})).await;
    assert_eq!(bad.next("error").await["code"], "bad_frame");
    let big = json!({"type": "message", "cseq": 1, "text": "x".repeat(20_000)});
    bad.send(big).await;
    assert_eq!(bad.next("error").await["code"], "too_large");
    let long = json!({"type": "message", "cseq": 1, "text": "y".repeat(5_000)});
    bad.send(long).await;
    let refused = bad.next("error").await;
    assert_eq!(refused["cseq"], 1);
    assert!(
        refused["message"]
            .as_str()
            .expect("present")
            .contains("4000"),
        "{refused}"
    );
    // Unknown inboxes are refused with a reason.
    let url = format!("{}/chat/ws", app.base.replace("http://", "ws://"));
    let (mut nowhere, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("present");
    nowhere
        .send(Message::Text(
            json!({"type": "hello", "inbox": "nope"}).to_string().into(),
        ))
        .await
        .expect("present");
    let mut nowhere = Visitor {
        ws: nowhere,
        token: String::new(),
        welcome: Value::Null,
    };
    assert_eq!(nowhere.closed().await, (1008, "unknown chat inbox".into()));

    // A flood: rate-limit errors, then the server closes the connection with a reason.
    for _ in 0..200 {
        if bad
            .ws
            .send(Message::Text(json!({"type": "ping"}).to_string().into()))
            .await
            .is_err()
        {
            break;
        }
    }
    let (code, reason) = bad.closed().await;
    assert_eq!(code, 1008);
    assert_eq!(reason, "too many refused frames");

    // A frame over the protocol limit closes with 1009 (too big).
    let mut huge = Visitor::connect(&app, &key, None, 0).await;
    let _ = huge
        .ws
        .send(Message::Text("z".repeat(100_000).into()))
        .await;
    let closed = tokio::time::timeout(Duration::from_secs(5), huge.ws.next()).await;
    assert!(
        matches!(
            closed,
            Ok(Some(Ok(Message::Close(_)))) | Ok(Some(Err(_))) | Ok(None)
        ),
        "{closed:?}"
    );

    // The calm visitor was not affected.
    calm.send(json!({"type": "ping"})).await;
    calm.next("pong").await;
    calm.send(json!({"type": "message", "cseq": 1, "text": "still here"}))
        .await;
    calm.next("ack").await;
    app.stop().await;
}

#[tokio::test]
async fn ending_a_chat_tells_the_visitor_and_mails_the_transcript() {
    let relay = TestRelay::start().await;
    let app = spawn_app_with(email_config(Some(relay.port))).await;
    let key = chat_inbox(&app, json!({})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(
        json!({"type": "message", "cseq": 1, "text": "Can I return boots?",
                  "profile": {"name": "Rita", "email": "rita@example.com"}}),
    )
    .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("present");
    app.post(
        &format!("/api/v1/conversations/{chat}/messages"),
        json!({"body": "Yes, within 30 days."}),
    )
    .await;
    v.send(json!({"type": "end"})).await;
    let mut ended = false;
    for _ in 0..4 {
        if v.next("status").await["state"] == "ended" {
            ended = true;
            break;
        }
    }
    assert!(ended, "the visitor is told the chat ended");
    let mails = relay.wait_for(1).await;
    let t = mails
        .iter()
        .find(|m| m.subject.starts_with("Your chat with"))
        .expect("a transcript");
    assert_eq!(t.to[0].address, "rita@example.com");
    assert!(t.text.contains("Rita: Can I return boots?"), "{}", t.text);
    assert!(
        t.text.contains("Ada Admin: Yes, within 30 days."),
        "{}",
        t.text
    );
    let (_, events) = app
        .get(&format!("/api/v1/conversations/{chat}/events"))
        .await;
    assert!(
        events
            .as_array()
            .expect("present")
            .iter()
            .any(|e| e["kind"] == "chat.ended"),
        "{events}"
    );
    // A new message starts a new chat.
    v.send(json!({"type": "message", "cseq": 2, "text": "One more thing"}))
        .await;
    let next = v.next("ack").await["chat"].as_i64().expect("present");
    assert_ne!(next, chat);
    app.stop().await;
}

/// Answers every message as the bot; hands over when asked for a person.
#[derive(Debug)]
struct EchoBot;

impl steward_engine::chat::ChatResponder for EchoBot {
    fn respond<'a>(
        &'a self,
        _engine: &'a steward_engine::Engine,
        _chat_id: i64,
        text: &'a str,
    ) -> std::pin::Pin<
        Box<dyn std::future::Future<Output = Option<steward_engine::chat::BotReply>> + Send + 'a>,
    > {
        Box::pin(async move {
            Some(steward_engine::chat::BotReply {
                text: format!("You said: {text}"),
                handoff: text.contains("person"),
            })
        })
    }
}

#[tokio::test]
async fn an_automated_responder_answers_first_as_a_bot_and_stops_when_a_person_is_asked_for() {
    let app = spawn_app().await;
    assert!(app.engine.set_chat_responder(std::sync::Arc::new(EchoBot)));
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "hello"}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("present");
    let mut bot = None;
    for _ in 0..3 {
        let m = v.next("message").await;
        if m["author"] == "bot" {
            bot = Some(m);
            break;
        }
    }
    let bot = bot.expect("the bot answers");
    assert_eq!(bot["text"], "You said: hello");
    assert_eq!(bot["name"], "Acme <Shop> bot");

    // "Talk to a person": the bot stays quiet from then on.
    v.send(json!({"type": "handoff"})).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    v.send(json!({"type": "message", "cseq": 2, "text": "are you there?"}))
        .await;
    v.next("ack").await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{chat}/messages"))
        .await;
    let kinds: Vec<&str> = msgs
        .as_array()
        .expect("present")
        .iter()
        .map(|m| m["author_kind"].as_str().expect("present"))
        .collect();
    assert_eq!(kinds, ["customer", "bot", "customer"]);
    app.stop().await;
}

#[tokio::test]
async fn outside_business_hours_a_message_needs_an_address_and_becomes_an_email_conversation() {
    let app = spawn_app().await;
    // A calendar open only on the day after tomorrow.
    let days = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let today = jiff::Timestamp::now()
        .to_zoned(jiff::tz::TimeZone::UTC)
        .weekday()
        .to_monday_zero_offset() as usize;
    let mut hours = serde_json::Map::new();
    hours.insert(days[(today + 2) % 7].into(), json!([["09:00", "10:00"]]));
    let (s, cal) = app
        .post(
            "/api/v1/calendars",
            json!({"name": "Rarely open", "time_zone": "UTC", "hours": hours}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{cal}");
    let key = chat_inbox(&app, json!({"prechat": "none", "calendar_id": cal["id"]})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    assert_eq!(v.welcome["inbox"]["open"], false);
    v.send(json!({"type": "message", "cseq": 1, "text": "Hello?"}))
        .await;
    let e = v.next("error").await;
    assert_eq!(e["cseq"], 1);
    assert!(
        e["message"].as_str().expect("present").contains("email"),
        "{e}"
    );
    v.send(json!({"type": "message", "cseq": 2, "text": "Hello?",
                  "profile": {"email": "night@example.com"}}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("present");
    assert_eq!(v.next("status").await["state"], "offline");
    let (_, c) = app.get(&format!("/api/v1/conversations/{chat}")).await;
    assert_eq!(c["channel"], "email");
    app.stop().await;
}

#[tokio::test]
async fn typing_and_read_marks_go_both_ways_between_the_agents_page_and_the_visitor() {
    use crate::workspace::{csrf_of, page, sign_in, wait_for};
    let app = spawn_app().await;
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "Hi there"}))
        .await;
    let ack = v.next("ack").await;
    let chat = ack["chat"].as_i64().expect("present");
    let ada = sign_in(&app, "admin@test.example", "correct horse battery").await;
    let mut live = ada
        .get(format!("{}/live", app.base))
        .send()
        .await
        .expect("stream")
        .bytes_stream();
    tokio::time::sleep(Duration::from_millis(200)).await;

    // The visitor types and reads: the agent's page hears both.
    v.send(json!({"type": "typing", "on": true})).await;
    assert!(wait_for(&mut live, "event: typing").await, "visitor typing");
    v.send(json!({"type": "read", "seq": ack["seq"]})).await;
    assert!(
        wait_for(&mut live, "\"kind\":\"visitor_read\"").await,
        "visitor read mark"
    );

    // The agent opens the chat and types: the visitor sees "Seen" and "Ada Admin is typing".
    let (_, html) = page(&ada, &app, &format!("/conversations/{chat}")).await;
    assert!(html.contains("End chat"), "a chat has an End chat button");
    let csrf = csrf_of(&html);
    let report = |state: &'static str| {
        ada.post(format!("{}/conversations/{chat}/presence", app.base))
            .header("x-csrf-token", csrf.clone())
            .form(&[("state", state)])
            .send()
    };
    assert_eq!(
        report("viewing").await.expect("present").status(),
        StatusCode::NO_CONTENT
    );
    let read = v.next("read").await;
    assert_eq!(read["seq"], ack["seq"]);
    report("replying").await.expect("present");
    let t = v.next("typing").await;
    assert_eq!(t["on"], true);
    assert_eq!(t["name"], "Ada Admin");
    report("viewing").await.expect("present");
    assert_eq!(v.next("typing").await["on"], false);

    // "End chat" on the page solves it and tells the visitor.
    let res = ada
        .post(format!("{}/conversations/{chat}/chat/end", app.base))
        .form(&[("_csrf", csrf.as_str())])
        .send()
        .await
        .expect("present");
    assert!(res.status().is_success() || res.status().is_redirection());
    let mut ended = false;
    for _ in 0..4 {
        if v.next("status").await["state"] == "ended" {
            ended = true;
            break;
        }
    }
    assert!(ended);
    let (_, c) = app.get(&format!("/api/v1/conversations/{chat}")).await;
    assert_eq!(c["status"], "solved");
    app.stop().await;
}

/// The texts of the message frames among `frames`, in the order they came.
fn message_texts(frames: &[Value]) -> Vec<&str> {
    frames
        .iter()
        .filter(|f| f["type"] == "message")
        .map(|f| f["text"].as_str().expect("present"))
        .collect()
}

#[tokio::test]
async fn a_visitors_own_message_comes_back_once_and_in_order_whether_or_not_it_is_read_back() {
    let app = spawn_app().await;
    let key = chat_inbox(&app, json!({"prechat": "none"})).await;
    let mut v = Visitor::connect(&app, &key, None, 0).await;
    v.send(json!({"type": "message", "cseq": 1, "text": "first"}))
        .await;
    let chat = v.next("ack").await["chat"].as_i64().expect("present");
    let first = v.next("message").await["seq"].as_i64().expect("present");

    // The engine hands back the message as its frame, with the chat's message before it.
    let e = &app.engine;
    let (row, _) = e.chat_inbox_for_widget(&key).await.expect("inbox");
    let mut tab = e.chat_session(row, Some(&v.token)).await.expect("session");
    let sent = e
        .chat_send(&mut tab, 2, "second", None, Vec::new())
        .await
        .expect("sent");
    let echo = sent
        .echo
        .expect("a message in the chat going on comes back");
    assert_eq!(echo.previous, first);
    assert_eq!(echo.frame.seq, sent.seq);
    assert_eq!(echo.frame.cseq, Some(2));
    assert_eq!(echo.frame.author, "customer");
    assert_eq!(echo.frame.text, "second");
    // The other tab's message reaches this connection by its event.
    assert_eq!(v.next("message").await["text"], "second");

    // An internal note the visitor never sees lies between: the next message is read back.
    let (s, note) = app
        .post(
            &format!("/api/v1/conversations/{chat}/messages"),
            json!({"body": "checking the warehouse", "visibility": "internal"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{note}");
    let again = e
        .chat_send(&mut tab, 3, "third", None, Vec::new())
        .await
        .expect("sent");
    assert_eq!(again.echo.expect("present").previous, note["id"]);
    v.send(json!({"type": "message", "cseq": 4, "text": "fourth"}))
        .await;
    let mut frames = v.upto("ack").await;
    // Then one right after its own: sent as written.
    v.send(json!({"type": "message", "cseq": 5, "text": "fifth"}))
        .await;
    frames.extend(v.upto("ack").await);
    // An agent's answer and the visitor's message at once: in sequence order either way.
    let (s, _) = app
        .post(
            &format!("/api/v1/conversations/{chat}/messages"),
            json!({"body": "found it"}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    v.send(json!({"type": "message", "cseq": 6, "text": "sixth"}))
        .await;
    frames.extend(v.drain(1000).await);
    assert_eq!(
        message_texts(&frames),
        ["third", "fourth", "fifth", "found it", "sixth"],
        "{frames:?}"
    );
    let seqs: Vec<i64> = frames
        .iter()
        .filter(|f| f["type"] == "message")
        .map(|f| f["seq"].as_i64().expect("present"))
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
    app.stop().await;
}
