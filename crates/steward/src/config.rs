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
    /// Email inboxes, the SMTP listener and the relay.
    #[serde(default)]
    pub email: crate::email_config::EmailConfig,
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
            email: Default::default(),
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
