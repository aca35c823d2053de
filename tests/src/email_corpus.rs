//! Every sample message that ships with CPython's email tests goes through the inbound path
//! (parse, thread, store) without a panic or an error, and each becomes a stored message.

use crate::helpers::*;
use std::path::PathBuf;

/// Where CPython keeps `test/test_email/data`, from the first Python that has its test suite
/// (`.ci/run` installs Debian's `libpython3-testsuite` when none has).
fn corpus() -> Option<PathBuf> {
    for python in ["python3", "/usr/bin/python3"] {
        let out = std::process::Command::new(python)
            .args([
                "-c",
                "import os, test.test_email as t; print(os.path.dirname(t.__file__) + '/data')",
            ])
            .output()
            .ok()?;
        let dir = PathBuf::from(String::from_utf8_lossy(&out.stdout).trim());
        if out.status.success() && dir.is_dir() {
            return Some(dir);
        }
    }
    None
}

#[tokio::test]
async fn every_sample_message_from_cpythons_email_tests_is_ingested() {
    let Some(dir) = corpus() else {
        assert!(
            std::env::var("STEWARD_REQUIRE_CORPUS").is_err(),
            "STEWARD_REQUIRE_CORPUS is set but no Python has test.test_email"
        );
        eprintln!("skipped: no Python with its test suite");
        return;
    };
    let app = spawn_app_with(|c| {
        c.email = one_inbox("support@corpus.test");
    })
    .await;
    let inbox = app.engine.email.inboxes[0].clone();
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "the corpus is there: {}", files.len());
    let mut stored = 0;
    for f in &files {
        let raw = std::fs::read(f).expect("sample");
        let outcome = app
            .engine
            .ingest_email(&inbox, &["support@corpus.test".to_string()], &raw)
            .await
            .unwrap_or_else(|e| panic!("{} was refused: {e}", f.display()));
        if outcome.conversation_id().is_some() {
            stored += 1;
        }
    }
    // Every file is a message somewhere: created, added to a thread, or the same Message-ID
    // as an earlier sample.
    assert_eq!(stored, files.len(), "every sample lands in a conversation");
    let (_, list) = app.get("/api/v1/conversations?limit=100").await;
    assert!(
        list["data"].as_array().is_some_and(|l| !l.is_empty()),
        "{list}"
    );
    app.stop().await;
}
