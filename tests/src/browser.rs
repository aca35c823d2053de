//! One test in a real browser: headless Chromium, driven over the WebDriver protocol by
//! chromedriver, signs in, opens a conversation, sends a reply and sees it in the timeline.
//! It runs where chromedriver is installed (`.ci/run` installs it); set
//! `STEWARD_REQUIRE_BROWSER=1` to make its absence a failure.

use crate::helpers::*;
use serde_json::{Value, json};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

pub(crate) struct Driver {
    child: Child,
    base: String,
    http: reqwest::Client,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn chromedriver() -> Option<String> {
    std::env::var("CHROMEDRIVER").ok().or_else(|| {
        ["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]
            .iter()
            .find(|p| std::path::Path::new(p).exists())
            .map(|p| p.to_string())
    })
}

impl Driver {
    pub(crate) async fn start(path: &str) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("free port");
        let child = Command::new(path)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let d = Driver {
            child,
            base: format!("http://127.0.0.1:{port}"),
            http: reqwest::Client::new(),
        };
        for _ in 0..100 {
            if d.http
                .get(format!("{}/status", d.base))
                .send()
                .await
                .is_ok()
            {
                return d;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not answer");
    }

    pub(crate) async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let v: Value = req
            .send()
            .await
            .expect("webdriver call")
            .json()
            .await
            .expect("webdriver json");
        v["value"].clone()
    }
}

/// The element id in a WebDriver answer (`{"element-6066-…": id}`); `None` for an error
/// (`{"error": …}`), which while waiting means "not yet".
fn element_of(v: &Value) -> Option<String> {
    v.as_object()
        .and_then(|o| o.get(ELEMENT_KEY))
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// The W3C WebDriver key under which an element reference is returned.
pub(crate) const ELEMENT_KEY: &str = "element-6066-11e4-a52e-4f735466cecf";

pub(crate) struct Session<'a> {
    pub d: &'a Driver,
    pub id: String,
}

impl<'a> Session<'a> {
    /// A new browser session (its own profile, so its own cookies and storage).
    pub(crate) async fn open(d: &'a Driver, profile: &std::path::Path) -> Session<'a> {
        let caps = json!({"capabilities": {"alwaysMatch": {"browserName": "chrome", "goog:chromeOptions": {
            "binary": std::env::var("CHROME_BIN").unwrap_or_else(|_| "/usr/bin/chromium".into()),
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync", format!("--user-data-dir={}", profile.display())]
        }}}});
        let v = d.call(reqwest::Method::POST, "/session", Some(caps)).await;
        let id = v["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {v}"))
            .to_string();
        Session { d, id }
    }

    pub(crate) async fn close(&self) {
        self.d
            .call(
                reqwest::Method::DELETE,
                &format!("/session/{}", self.id),
                None,
            )
            .await;
    }

    /// Runs `js` in the page and returns what it returns.
    pub(crate) async fn script(&self, js: &str) -> Value {
        self.d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/execute/sync", self.id),
                Some(json!({"script": js, "args": []})),
            )
            .await
    }

    /// An element inside the shadow root of the element `host` finds.
    pub(crate) async fn find_in_shadow(&self, host: &str, css: &str) -> String {
        for _ in 0..50 {
            let h = self.find(host).await;
            let root = self
                .d
                .call(
                    reqwest::Method::GET,
                    &format!("/session/{}/element/{h}/shadow", self.id),
                    None,
                )
                .await;
            if let Some(r) = root
                .as_object()
                .and_then(|o| o.get("shadow-6066-11e4-a52e-4f735466cecf"))
                .and_then(Value::as_str)
            {
                let v = self
                    .d
                    .call(
                        reqwest::Method::POST,
                        &format!("/session/{}/shadow/{r}/element", self.id),
                        Some(json!({"using": "css selector", "value": css})),
                    )
                    .await;
                if let Some(id) = element_of(&v) {
                    return id;
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("no {css} inside {host}'s shadow root");
    }

    /// Types into, or clicks, an element found by id.
    pub(crate) async fn type_into_element(&self, el: &str, text: &str) {
        self.d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/element/{el}/value", self.id),
                Some(json!({"text": text})),
            )
            .await;
    }

    pub(crate) async fn click_element(&self, el: &str) {
        let v = self
            .d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/element/{el}/click", self.id),
                Some(json!({})),
            )
            .await;
        assert!(v.is_null(), "click failed: {v}");
    }

    /// Opens `path` signed out, signs in as the test admin, and waits until `#timeline`
    /// shows `expect`; returns the timeline's text.
    pub(crate) async fn sign_in_to(&self, base: &str, path: &str, expect: &str) -> String {
        self.go(&format!("{base}{path}")).await;
        self.type_into("input[name=email]", "admin@test.example")
            .await;
        self.type_into("input[name=password]", "correct horse battery")
            .await;
        self.click("button[type=submit]").await;
        let mut timeline = String::new();
        for _ in 0..50 {
            timeline = self.text("#timeline").await;
            if timeline.contains(expect) {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        timeline
    }

    pub(crate) async fn go(&self, url: &str) {
        self.d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/url", self.id),
                Some(json!({"url": url})),
            )
            .await;
    }

    pub(crate) async fn find(&self, css: &str) -> String {
        for _ in 0..50 {
            let v = self
                .d
                .call(
                    reqwest::Method::POST,
                    &format!("/session/{}/element", self.id),
                    Some(json!({"using": "css selector", "value": css})),
                )
                .await;
            if let Some(id) = element_of(&v) {
                return id;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let url = self
            .d
            .call(
                reqwest::Method::GET,
                &format!("/session/{}/url", self.id),
                None,
            )
            .await;
        let source = self
            .d
            .call(
                reqwest::Method::GET,
                &format!("/session/{}/source", self.id),
                None,
            )
            .await;
        panic!("no element {css} on {url}:\n{source}");
    }

    pub(crate) async fn type_into(&self, css: &str, text: &str) {
        let el = self.find(css).await;
        self.d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/element/{el}/value", self.id),
                Some(json!({"text": text})),
            )
            .await;
    }

    pub(crate) async fn click(&self, css: &str) {
        let el = self.find(css).await;
        self.d
            .call(
                reqwest::Method::POST,
                &format!("/session/{}/element/{el}/click", self.id),
                Some(json!({})),
            )
            .await;
    }

    pub(crate) async fn text(&self, css: &str) -> String {
        let el = self.find(css).await;
        self.d
            .call(
                reqwest::Method::GET,
                &format!("/session/{}/element/{el}/text", self.id),
                None,
            )
            .await
            .as_str()
            .unwrap_or("")
            .to_string()
    }
}

#[tokio::test]
async fn an_agent_signs_in_opens_a_conversation_replies_and_sees_the_reply_in_a_real_browser() {
    let Some(path) = chromedriver() else {
        assert!(
            std::env::var("STEWARD_REQUIRE_BROWSER").is_err(),
            "STEWARD_REQUIRE_BROWSER is set but chromedriver is missing"
        );
        eprintln!("skipped: chromedriver is not installed");
        return;
    };
    let app = spawn_app().await;
    let c = app
        .conversation(
            "browser@example.com",
            "Browser test",
            "Hello from the customer",
        )
        .await;
    let driver = Driver::start(&path).await;
    let profile = std::env::temp_dir().join(format!("steward-chrome-{}", std::process::id()));
    let s = Session::open(&driver, &profile).await;
    let id = s.id.clone();

    let timeline = s
        .sign_in_to(
            &app.base,
            &format!("/conversations/{}", c["id"]),
            "Hello from the customer",
        )
        .await;
    assert!(
        timeline.contains("Hello from the customer"),
        "signed in and back on the conversation: {timeline}"
    );
    s.type_into("#body", "Thanks, a replacement is on its way")
        .await;
    s.click("#composer button[type=submit]").await;
    let mut seen = false;
    for _ in 0..50 {
        if s.text("#timeline")
            .await
            .contains("a replacement is on its way")
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    driver
        .call(reqwest::Method::DELETE, &format!("/session/{id}"), None)
        .await;
    assert!(seen, "the reply appears in the timeline");
    let (_, msgs) = app
        .get(&format!("/api/v1/conversations/{}/messages", c["id"]))
        .await;
    assert_eq!(msgs[1]["author_kind"], "agent");
    let _ = std::fs::remove_dir_all(profile);
    app.stop().await;
}
