//! The command line: `demo`, `serve`, `migrate`, `user create` and `token create`.

use crate::config::Config;
use crate::{app, demo, demo_site};
use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use std::path::PathBuf;
use steward_domain::Role;
use steward_engine::accounts::NewUser;

#[derive(Parser)]
#[command(
    name = "steward",
    version,
    about = "Steward: customer service in one binary.\n\nStarts on an embedded SQLite database in a data folder; give --database-url postgres://… to use PostgreSQL."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct Global {
    /// A TOML config file (keys: bind, data, database_url, brand, max_attachment_bytes, secure_cookies).
    #[arg(long, global = true, env = "STEWARD_CONFIG")]
    pub config: Option<PathBuf>,
    /// The data folder (SQLite database and attachments) [default: ./steward-data].
    #[arg(long, global = true, env = "STEWARD_DATA")]
    pub data: Option<PathBuf>,
    /// PostgreSQL instead of SQLite, like postgres://user@localhost/steward.
    #[arg(long, global = true, env = "STEWARD_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where to listen [default: 127.0.0.1:8080].
    #[arg(long, global = true, env = "STEWARD_BIND")]
    pub bind: Option<String>,
}

#[derive(Subcommand)]
pub enum Command {
    /// Try Steward: create the data folder, seed sample data on first run, and serve.
    Demo,
    /// Serve the workspace and API.
    Serve,
    /// Create or update the database schema, then exit.
    Migrate,
    /// Manage agents.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
}

#[derive(Subcommand)]
pub enum UserCommand {
    /// Create an agent. Without --password, one is generated and printed.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// admin, supervisor or agent.
        #[arg(long, default_value = "agent")]
        role: String,
        #[arg(long)]
        password: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum TokenCommand {
    /// Create an API token for an agent; it is printed once.
    Create {
        /// The agent's email.
        #[arg(long)]
        email: String,
        /// What the token is for, like "zapier".
        #[arg(long)]
        name: String,
    },
}

impl Global {
    pub fn config(&self) -> anyhow::Result<Config> {
        let mut c = Config::load(self.config.as_deref())?;
        if let Some(d) = &self.data {
            c.data = d.clone();
        }
        if let Some(u) = &self.database_url {
            c.database_url = Some(u.clone());
        }
        if let Some(b) = &self.bind {
            c.bind = b.clone();
        }
        Ok(c)
    }
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config = cli.global.config()?;
    match cli.command {
        Command::Demo => {
            let mut config = config;
            demo::turn_on_email(&mut config);
            config.demo_site = true;
            config.check()?;
            let store = app::open_store(&config).await?;
            let engine = app::engine(store.clone(), &config)?;
            let login = demo::ensure_seeded(&engine).await?;
            demo_site::ensure_chat_inbox(&engine).await?;
            demo_site::ensure_help_center(&engine).await?;
            demo_site::ensure_web_forms(&engine).await?;
            serve(&config, store, Some(login)).await
        }
        Command::Serve => {
            config.check()?;
            let store = app::open_store(&config).await?;
            serve(&config, store, None).await
        }
        Command::Migrate => {
            let store = steward_store::Store::open(&config.database_url(), &config.data).await?;
            let n = store.migrate().await?;
            println!(
                "{} ({} migration{} applied)",
                if n == 0 {
                    "the schema is up to date"
                } else {
                    "migrated"
                },
                n,
                if n == 1 { "" } else { "s" }
            );
            Ok(())
        }
        Command::User {
            command:
                UserCommand::Create {
                    email,
                    name,
                    role,
                    password,
                },
        } => {
            let role = Role::parse(&role).map_err(|e| anyhow::anyhow!("{e}"))?;
            let store = app::open_store(&config).await?;
            let engine = app::engine(store, &config)?;
            let generated = password.is_none();
            let password = password
                .unwrap_or_else(|| steward_engine::accounts::new_secret("")[..20].to_string());
            let user = engine
                .create_user(
                    NewUser {
                        email: &email,
                        name: &name,
                        role,
                        password: Some(&password),
                        team_ids: &[],
                    },
                    None,
                )
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("created {} <{}> as {}", user.name, user.email, user.role);
            if generated {
                println!("password: {password}");
            }
            Ok(())
        }
        Command::Token {
            command: TokenCommand::Create { email, name },
        } => {
            let store = app::open_store(&config).await?;
            let engine = app::engine(store, &config)?;
            let token = engine
                .create_token(&email, &name, None)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("{token}");
            eprintln!("This token is shown once. Send it as: Authorization: Bearer <token>");
            Ok(())
        }
    }
}

async fn serve(
    config: &Config,
    store: steward_store::Store,
    login: Option<demo::Login>,
) -> anyhow::Result<()> {
    let running = app::start(config, store).await?;
    let url = format!("http://{}", running.addr);
    println!("Steward is ready at {url}  (API docs: {url}/api/docs)");
    if let Some(smtp) = running.smtp_addr {
        let inboxes: Vec<&str> = config
            .email
            .inboxes
            .iter()
            .map(|i| i.address.as_str())
            .collect();
        println!(
            "Mail for {} is received by SMTP at {smtp}",
            inboxes.join(", ")
        );
    }
    if let Some(l) = login {
        println!("Sign in as {} with password {}", l.email, l.password);
        println!("Try the chat widget on the example shop at {url}/demo/site");
        println!("The help center is at {url}/help, the customer portal at {url}/portal");
    }
    tracing::info!(backend = running.engine.store.backend().name(), "serving");
    app::shutdown_signal().await;
    println!("shutting down…");
    running.shutdown().await.context("clean shutdown failed")?;
    Ok(())
}

/// A one-line message for a failure, with its causes, without a backtrace.
pub fn explain(e: &anyhow::Error) -> String {
    format!("{e:#}")
}
