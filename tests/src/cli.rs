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
    let (config, pg) = crate::helpers::fresh_config().await;
    let store = app::open_store(&config).await.expect("first start");
    let engine = app::engine(store.clone(), &config).expect("engine");
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
    let engine = app::engine(store.clone(), &config).expect("engine");
    assert_eq!(engine.teams().await.expect("teams")[0].name, "Kept");
    store.close().await;
    let _ = std::fs::remove_dir_all(&config.data);
    if let Some(name) = pg {
        crate::helpers::drop_pg_database(&name).await;
    }
}

#[tokio::test]
async fn the_demo_seeds_the_promised_sample_data_once_and_then_reuses_it() {
    use steward_store::sql::Sql;
    let (config, pg) = crate::helpers::fresh_config().await;
    let store = app::open_store(&config).await.expect("store");
    let engine = app::engine(store.clone(), &config).expect("engine");
    let login = steward::demo::ensure_seeded(&engine).await.expect("seeded");
    assert_eq!(login.email, "admin@example.com");
    let count = |sql: &'static str| {
        let pool = store.pool().clone();
        async move {
            let (n,): (i64,) = Sql::new(sql)
                .query_as()
                .fetch_one(&pool)
                .await
                .expect("count");
            n
        }
    };
    assert_eq!(count("SELECT COUNT(*) FROM teams").await, 3);
    assert_eq!(count("SELECT COUNT(*) FROM users").await, 8);
    assert_eq!(count("SELECT COUNT(*) FROM organizations").await, 30);
    assert_eq!(count("SELECT COUNT(*) FROM customers").await, 200);
    assert_eq!(count("SELECT COUNT(*) FROM conversations").await, 1000);
    assert_eq!(count("SELECT COUNT(DISTINCT channel) FROM conversations WHERE channel IN ('email', 'chat', 'web', 'phone', 'api')").await, 5);
    assert!(count("SELECT COUNT(DISTINCT status) FROM conversations").await >= 4);
    assert!(count("SELECT COUNT(*) FROM messages WHERE visibility = 'internal'").await > 0);
    assert!(count("SELECT COUNT(*) FROM messages WHERE author_kind = 'agent'").await > 500);
    assert!(count("SELECT COUNT(*) FROM conversation_tags").await >= 1000);
    let day = 86_400_000;
    let oldest = count("SELECT MIN(created_at) FROM conversations").await;
    assert!(
        steward_store::now_ms() - oldest <= 91 * day,
        "within the last 90 days"
    );
    let signed_in = engine
        .sign_in("admin@example.com", "steward-demo")
        .await
        .expect("sign in");
    assert!(signed_in.is_some(), "the printed login works");
    steward::demo::ensure_seeded(&engine)
        .await
        .expect("second run");
    assert_eq!(
        count("SELECT COUNT(*) FROM conversations").await,
        1000,
        "a second run reuses the data"
    );
    store.close().await;
    let _ = std::fs::remove_dir_all(&config.data);
    if let Some(name) = pg {
        crate::helpers::drop_pg_database(&name).await;
    }
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

#[tokio::test]
async fn user_and_token_commands_create_what_they_say() {
    use clap::Parser;
    let (config, pg) = crate::helpers::fresh_config().await;
    let mut base = vec![
        "steward".to_string(),
        "--data".into(),
        config.data.display().to_string(),
    ];
    if let Some(url) = &config.database_url {
        base.extend(["--database-url".to_string(), url.clone()]);
    }
    let run = |extra: &[&str]| {
        let mut args = base.clone();
        args.extend(extra.iter().map(|s| s.to_string()));
        steward::cli::run(steward::cli::Cli::parse_from(args))
    };
    run(&["migrate"]).await.expect("migrate");
    run(&[
        "user",
        "create",
        "--email",
        "cli@example.com",
        "--name",
        "Cli",
        "--role",
        "supervisor",
        "--password",
        "long enough pw",
    ])
    .await
    .expect("user create");
    run(&[
        "token",
        "create",
        "--email",
        "cli@example.com",
        "--name",
        "script",
    ])
    .await
    .expect("token create");
    let err = run(&[
        "user",
        "create",
        "--email",
        "cli@example.com",
        "--name",
        "Again",
    ])
    .await
    .err()
    .map(|e| one_line(&e))
    .unwrap_or_default();
    assert!(err.contains("already exists"), "{err}");
    let err = run(&[
        "user",
        "create",
        "--email",
        "x@example.com",
        "--name",
        "X",
        "--role",
        "king",
    ])
    .await
    .err()
    .map(|e| one_line(&e))
    .unwrap_or_default();
    assert!(err.contains("admin, supervisor, agent"), "{err}");
    let store = app::open_store(&config).await.expect("store");
    let engine = app::engine(store.clone(), &config).expect("engine");
    let users = engine.agents().await.expect("agents");
    assert_eq!(users.len(), 1);
    assert_eq!(users[0].role.as_str(), "supervisor");
    assert!(
        engine
            .sign_in("cli@example.com", "long enough pw")
            .await
            .expect("sign in")
            .is_some()
    );
    let (n,): (i64,) = steward_store::sql::Sql::new("SELECT COUNT(*) FROM api_tokens")
        .query_as()
        .fetch_one(store.pool())
        .await
        .expect("count");
    assert_eq!(n, 1);
    store.close().await;
    let _ = std::fs::remove_dir_all(&config.data);
    if let Some(name) = pg {
        crate::helpers::drop_pg_database(&name).await;
    }
}

#[test]
fn a_config_file_sets_everything_and_flags_win_over_it() {
    use clap::Parser;
    let path = std::env::temp_dir().join(format!("steward-config-{}.toml", std::process::id()));
    std::fs::write(
        &path,
        "bind = \"127.0.0.1:9999\"\ndata = \"/tmp/from-file\"\nbrand = \"Acme Support\"\n",
    )
    .expect("write");
    let cli = steward::cli::Cli::parse_from([
        "steward",
        "--config",
        path.to_str().unwrap_or(""),
        "--bind",
        "127.0.0.1:7777",
        "serve",
    ]);
    let config = cli.global.config().expect("config");
    assert_eq!(config.bind, "127.0.0.1:7777");
    assert_eq!(config.data, std::path::PathBuf::from("/tmp/from-file"));
    assert_eq!(config.brand, "Acme Support");
    std::fs::write(&path, "colour = \"red\"\n").expect("write");
    let cli = steward::cli::Cli::parse_from([
        "steward",
        "--config",
        path.to_str().unwrap_or(""),
        "serve",
    ]);
    let err = cli
        .global
        .config()
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.contains("unknown field"), "{err}");
    let _ = std::fs::remove_file(path);
}
