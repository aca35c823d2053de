//! Sender authentication of mail received by SMTP, against a test DNS server: a genuine
//! sender (SPF, DKIM and DMARC pass) is recorded as such; a forged one (its domain's DMARC
//! says reject) is flagged in the workspace and API, or refused with 550 when the rule says
//! so.

use crate::dns::TestDns;
use crate::helpers::*;
use base64::Engine as _;
use mail_auth::common::crypto::Ed25519Key;
use mail_auth::common::headers::HeaderWriter;
use mail_auth::dkim::DkimSigner;
use serde_json::Value;
use std::collections::HashMap;
use steward::email_config::{AuthConfig, SmtpConfig};
use steward_channels::email::outbound::{Relay, Security};

const INBOX: &str = "support@auth.test";

struct Keys {
    pkcs8: Vec<u8>,
    public: String,
}

fn keys() -> Keys {
    let pkcs8 = Ed25519Key::generate_pkcs8().expect("key");
    let public = Ed25519Key::from_pkcs8_der(&pkcs8)
        .expect("key")
        .public_key();
    Keys {
        pkcs8,
        public: base64::engine::general_purpose::STANDARD.encode(public),
    }
}

async fn dns(k: &Keys) -> TestDns {
    let mut records: HashMap<String, Vec<String>> = HashMap::new();
    let mut add = |name: &str, txt: String| {
        records.insert(name.to_string(), vec![txt]);
    };
    add("good.test", "v=spf1 ip4:127.0.0.1 -all".into());
    add("_dmarc.good.test", "v=DMARC1; p=reject".into());
    add(
        "s1._domainkey.good.test",
        format!("v=DKIM1; k=ed25519; p={}", k.public),
    );
    // Only 192.0.2.1 may send for strict.test: mail from loopback is forged.
    add("strict.test", "v=spf1 ip4:192.0.2.1 -all".into());
    add("_dmarc.strict.test", "v=DMARC1; p=reject".into());
    TestDns::start(records).await
}

async fn app(dns: &TestDns, on_failure: &str) -> TestApp {
    let (ns, rule) = (dns.addr.to_string(), on_failure.to_string());
    spawn_app_with(move |c| {
        c.email = steward::email_config::EmailConfig {
            smtp: Some(SmtpConfig {
                bind: "127.0.0.1:0".into(),
                max_message_bytes: 1_000_000,
                certificate: None,
                private_key: None,
            }),
            authentication: Some(AuthConfig {
                nameserver: Some(ns),
                on_failure: rule,
            }),
            ..one_inbox(INBOX)
        };
    })
    .await
}

async fn send(app: &TestApp, from: &str, raw: &str) -> Result<(), String> {
    Relay {
        host: "127.0.0.1".into(),
        port: app.smtp_addr().port(),
        security: Security::None,
        ..Relay::default()
    }
    .send(from, &[INBOX.to_string()], raw.as_bytes())
    .await
    .map_err(|e| format!("{}{e}", if e.permanent { "permanent: " } else { "" }))
}

fn mail(from: &str, id: &str, subject: &str) -> String {
    format!(
        "From: {from}\r\nTo: {INBOX}\r\nSubject: {subject}\r\nMessage-ID: <{id}>\r\n\r\n{subject}.\r\n"
    )
}

async fn latest_mail(app: &TestApp) -> Value {
    let (_, list) = app.get("/api/v1/conversations?limit=1").await;
    let id = list["data"][0]["id"].clone();
    let (_, ms) = app
        .get(&format!("/api/v1/conversations/{id}/messages"))
        .await;
    ms[0]["email"].clone()
}

#[tokio::test]
async fn genuine_senders_pass_and_forged_ones_are_flagged() {
    let k = keys();
    let dns = dns(&k).await;
    let app = app(&dns, "flag").await;

    let plain = mail("ceo@good.test", "g1@good.test", "Genuine request");
    let signature = DkimSigner::from_key(Ed25519Key::from_pkcs8_der(&k.pkcs8).expect("key"))
        .domain("good.test")
        .selector("s1")
        .headers(["From", "To", "Subject", "Message-ID"])
        .sign(plain.as_bytes())
        .expect("signed");
    let signed = format!("{}{plain}", signature.to_header());
    send(&app, "ceo@good.test", &signed).await.expect("250");
    let genuine = latest_mail(&app).await;
    assert_eq!(
        genuine["authentication"], "spf=pass dkim=pass dmarc=pass",
        "{genuine}"
    );
    assert_eq!(genuine["sender_unverified"], false);

    send(
        &app,
        "boss@strict.test",
        &mail("boss@strict.test", "f1@strict.test", "Wire the money"),
    )
    .await
    .expect("flagged mail is still taken");
    let forged = latest_mail(&app).await;
    assert_eq!(forged["sender_unverified"], true, "{forged}");
    assert!(
        forged["authentication"]
            .as_str()
            .is_some_and(|a| a.contains("spf=fail") && a.contains("dmarc=fail")),
        "{forged}"
    );
    let (_, list) = app.get("/api/v1/conversations?limit=1").await;
    let browser =
        crate::workspace::sign_in(&app, "admin@test.example", "correct horse battery").await;
    let page = browser
        .get(format!(
            "{}/conversations/{}",
            app.base, list["data"][0]["id"]
        ))
        .send()
        .await
        .expect("page")
        .text()
        .await
        .expect("html");
    assert!(page.contains("The sender could not be verified"), "{page}");
    app.stop().await;
}

#[tokio::test]
async fn with_the_refuse_rule_forged_mail_gets_a_550_and_is_not_stored() {
    let k = keys();
    let dns = dns(&k).await;
    let app = app(&dns, "refuse").await;
    let err = send(
        &app,
        "boss@strict.test",
        &mail("boss@strict.test", "f2@strict.test", "Urgent transfer"),
    )
    .await
    .expect_err("refused");
    assert!(
        err.starts_with("permanent") && err.contains("could not be verified"),
        "{err}"
    );
    send(
        &app,
        "ceo@good.test",
        &mail("ceo@good.test", "g2@good.test", "Still welcome"),
    )
    .await
    .expect("SPF and DMARC pass without a signature");
    let (_, list) = app.get("/api/v1/conversations").await;
    let subjects: Vec<&str> = list["data"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|c| c["subject"].as_str())
        .collect();
    assert_eq!(subjects, vec!["Still welcome"]);
    app.stop().await;
}
