//! Configuration: a TOML file (`--config`), then `STEWARD_*` environment variables and
//! command-line flags on top. Unknown keys are refused so a typo is never silently ignored;
//! the database URL never prints with its password.

use anyhow::{Context, bail};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Deserialize, Clone)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Where to listen, like 127.0.0.1:8080.
    #[serde(default = "default_bind")]
    pub bind: String,
    /// The data folder: the SQLite database (by default) and attachments.
    #[serde(default = "default_data")]
    pub data: PathBuf,
    /// `postgres://…` to use PostgreSQL; SQLite in the data folder when absent.
    pub database_url: Option<String>,
    /// The name shown in the workspace.
    #[serde(default = "default_brand")]
    pub brand: String,
    /// The largest attachment accepted, in bytes.
    #[serde(default = "default_max_attachment")]
    pub max_attachment_bytes: usize,
    /// Mark cookies Secure (set when served over HTTPS).
    #[serde(default)]
    pub secure_cookies: bool,
    /// An online or away agent with no workspace page open for this long goes offline (their
    /// chats return to the queue where the team says so).
    #[serde(default = "default_offline_after")]
    pub offline_after_seconds: f64,
    /// Email inboxes, the SMTP listener and the relay.
    #[serde(default)]
    pub email: crate::email_config::EmailConfig,
    /// How webhooks are sent.
    #[serde(default)]
    pub webhooks: WebhooksConfig,
    /// Serve the example shop page with the chat widget at `/demo/site` (`demo` sets it).
    #[serde(default)]
    pub demo_site: bool,
}

/// `[webhooks]`.
#[derive(Deserialize, Clone, Debug)]
#[serde(deny_unknown_fields)]
pub struct WebhooksConfig {
    /// Let webhooks call loopback and private addresses (off: such URLs are refused).
    #[serde(default)]
    pub allow_internal_addresses: bool,
    /// Attempts before a delivery is marked failed.
    #[serde(default = "default_webhook_attempts")]
    pub max_attempts: i64,
    /// Seconds before the first retry; each later retry waits twice as long, up to an hour.
    #[serde(default = "default_first_retry")]
    pub first_retry_seconds: f64,
    /// Seconds one attempt may take.
    #[serde(default = "default_webhook_timeout")]
    pub timeout_seconds: f64,
}

fn default_webhook_attempts() -> i64 {
    8
}
fn default_first_retry() -> f64 {
    30.0
}
fn default_webhook_timeout() -> f64 {
    10.0
}

impl Default for WebhooksConfig {
    fn default() -> WebhooksConfig {
        WebhooksConfig {
            allow_internal_addresses: false,
            max_attempts: default_webhook_attempts(),
            first_retry_seconds: default_first_retry(),
            timeout_seconds: default_webhook_timeout(),
        }
    }
}

impl WebhooksConfig {
    pub fn check(&self) -> anyhow::Result<()> {
        if !(1..=50).contains(&self.max_attempts) {
            bail!("webhooks.max_attempts must be between 1 and 50");
        }
        if !(self.first_retry_seconds > 0.0 && self.first_retry_seconds <= 3600.0) {
            bail!("webhooks.first_retry_seconds must be more than 0 and at most 3600");
        }
        if !(self.timeout_seconds > 0.0 && self.timeout_seconds <= 120.0) {
            bail!("webhooks.timeout_seconds must be more than 0 and at most 120");
        }
        Ok(())
    }

    pub fn settings(&self) -> steward_engine::webhooks::WebhookSettings {
        steward_engine::webhooks::WebhookSettings {
            allow_internal: self.allow_internal_addresses,
            max_attempts: self.max_attempts,
            first_retry_ms: (self.first_retry_seconds * 1000.0) as i64,
            timeout: std::time::Duration::from_secs_f64(self.timeout_seconds),
        }
    }
}

fn default_bind() -> String {
    "127.0.0.1:8080".into()
}
fn default_data() -> PathBuf {
    PathBuf::from("./steward-data")
}
fn default_brand() -> String {
    "Steward".into()
}
fn default_max_attachment() -> usize {
    10 * 1024 * 1024
}

fn default_offline_after() -> f64 {
    120.0
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("data", &self.data)
            .field(
                "database_url",
                &self.database_url.as_deref().map(steward_store::redact_url),
            )
            .field("brand", &self.brand)
            .field("max_attachment_bytes", &self.max_attachment_bytes)
            .field("offline_after_seconds", &self.offline_after_seconds)
            .finish()
    }
}

impl Default for Config {
    fn default() -> Config {
        Config {
            bind: default_bind(),
            data: default_data(),
            database_url: None,
            brand: default_brand(),
            max_attachment_bytes: default_max_attachment(),
            secure_cookies: false,
            offline_after_seconds: default_offline_after(),
            email: Default::default(),
            webhooks: Default::default(),
            demo_site: false,
        }
    }
}

impl Config {
    /// Reads `path`, or the defaults when there is no file.
    pub fn load(path: Option<&Path>) -> anyhow::Result<Config> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read the config file {}", path.display()))?;
        toml::from_str(&text).map_err(|e| anyhow::anyhow!("{}: {}", path.display(), e.message()))
    }

    /// The database URL in effect.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| steward_store::sqlite_url(&self.data))
    }

    pub fn check(&self) -> anyhow::Result<()> {
        if self.bind.parse::<std::net::SocketAddr>().is_err() {
            bail!(
                "bind address '{}' is not HOST:PORT, like 127.0.0.1:8080",
                self.bind
            );
        }
        if self.max_attachment_bytes == 0 {
            bail!("max_attachment_bytes must be more than 0");
        }
        if !(1.0..=86_400.0).contains(&self.offline_after_seconds) {
            bail!("offline_after_seconds must be from 1 to 86400");
        }
        self.webhooks.check()?;
        self.email.check()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_refused() {
        let err = toml::from_str::<Config>("bnd = \"x\"")
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(err.contains("unknown field"));
    }

    #[test]
    fn debug_output_hides_the_database_password() {
        let c = Config {
            database_url: Some("postgres://u:secret@h/db".into()),
            ..Config::default()
        };
        assert!(!format!("{c:?}").contains("secret"));
    }
}
