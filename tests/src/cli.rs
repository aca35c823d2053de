//! Start-up errors a person can act on, and a restart that reuses the data.

use steward::app;
use steward::config::Config;

fn one_line(e: &anyhow::Error) -> String {
    steward::cli::explain(e)
}

#[tokio::test]
async fn a_bad_database_url_is_one_clear_line() {
    let config = Config {
        database_url: Some("mysql://nowhere/db".into()),
        ..Config::default()
    };
    let err = app::open_store(&config)
        .await
        .err()
        .map(|e| one_line(&e))
        .unwrap_or_default();
    assert!(err.contains("unsupported database URL"), "{err}");
    assert!(!err.contains('\n'));
    let config = Config {
        database_url: Some("postgres://nobody:secret@127.0.0.1:1/none".into()),
        ..Config::default()
    };
    let err = app::open_store(&config)
        .await
        .err()
        .map(|e| one_line(&e))
        .unwrap_or_default();
    assert!(err.contains("cannot open the database"), "{err}");
    assert!(
        !err.contains("secret"),
        "the password is never printed: {err}"
    );
}

#[tokio::test]
async fn an_unwritable_data_folder_is_one_clear_line() {
    let file = std::env::temp_dir().join(format!("steward-not-a-dir-{}", std::process::id()));
    std::fs::write(&file, b"x").expect("write");
    let config = Config {
        data: file.join("data"),
        ..Config::default()
    };
    let err = app::open_store(&config)
        .await
        .err()
        .map(|e| one_line(&e))
        .unwrap_or_default();
    assert!(err.contains("data folder"), "{err}");
    let _ = std::fs::remove_file(file);
}

#[tokio::test]
async fn a_second_start_reuses_the_data_and_migrations_run_once() {
    let data = std::env::temp_dir().join(format!("steward-restart-{}", std::process::id()));
    let config = Config {
        data: data.clone(),
        bind: "127.0.0.1:0".into(),
        ..Config::default()
    };
    let store = app::open_store(&config).await.expect("first start");
    let engine = app::engine(store.clone(), &config);
    engine
        .save_team(None, None, "Kept", "", None)
        .await
        .expect("team");
    store.close().await;
    let store = app::open_store(&config).await.expect("second start");
    assert_eq!(
        store.migrate().await.expect("migrate"),
        0,
        "nothing left to migrate"
    );
    let engine = app::engine(store.clone(), &config);
    assert_eq!(engine.teams().await.expect("teams")[0].name, "Kept");
    store.close().await;
    let _ = std::fs::remove_dir_all(data);
}

#[test]
fn a_bad_bind_address_is_refused_before_anything_starts() {
    let config = Config {
        bind: "localhost".into(),
        ..Config::default()
    };
    let err = config
        .check()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("HOST:PORT"));
}
