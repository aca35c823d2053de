//! Where a webhook may call. A URL must be http or https with a host; a host that is, or
//! resolves to, an internal address (loopback, private, link-local, …) is refused when the
//! webhook is saved and again on every attempt, since DNS may change in between: the client
//! resolves names through a filter that drops internal addresses and never follows
//! redirects. `[webhooks] allow_internal_addresses = true` lifts this for trusted setups.

use super::WebhookSettings;
use crate::{Engine, EngineError, Result};
use reqwest::Url;
use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use steward_domain::address;

const HINT: &str = "webhooks may not call loopback, private or link-local addresses \
     (set [webhooks] allow_internal_addresses = true to allow them)";

/// The host of `url` as an address, when it is written as one.
fn literal_ip(url: &Url) -> Option<IpAddr> {
    match url.host()? {
        url::Host::Ipv4(v4) => Some(IpAddr::V4(v4)),
        url::Host::Ipv6(v6) => Some(IpAddr::V6(v6)),
        url::Host::Domain(_) => None,
    }
}

/// Why `url` may not be called, if it points inside.
fn refuse_literal(url: &Url) -> Option<String> {
    let host = url.host_str().unwrap_or_default();
    if address::is_local_name(host) {
        return Some(format!("{host} is this machine; {HINT}"));
    }
    match literal_ip(url) {
        Some(ip) if address::is_internal(ip) => {
            Some(format!("{ip} is an internal address; {HINT}"))
        }
        _ => None,
    }
}

/// Parses and checks a webhook URL (without DNS).
fn parse(raw: &str) -> Result<Url> {
    let url =
        Url::parse(raw).map_err(|e| EngineError::invalid("url", format!("not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(EngineError::invalid(
            "url",
            "must start with https:// or http://",
        ));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(EngineError::invalid("url", "must name a host"));
    }
    if raw.len() > 2000 {
        return Err(EngineError::invalid(
            "url",
            "must be at most 2000 characters",
        ));
    }
    Ok(url)
}

/// Resolves names for the webhook client, keeping only public addresses.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((name.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|a| !address::is_internal(a.ip()))
                .collect();
            if public.is_empty() {
                let err: Box<dyn std::error::Error + Send + Sync> = format!(
                    "{} resolves only to internal addresses; {HINT}",
                    name.as_str()
                )
                .into();
                return Err(err);
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// The HTTP client webhooks are sent with.
pub(crate) fn client(settings: &WebhookSettings) -> reqwest::Client {
    let mut builder = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(settings.timeout)
        .user_agent(concat!("Steward-Webhooks/", env!("CARGO_PKG_VERSION")));
    if !settings.allow_internal {
        builder = builder.dns_resolver(Arc::new(PublicOnly));
    }
    builder.build().unwrap_or_else(|e| {
        tracing::error!("cannot build the webhook client ({e}); using the defaults");
        reqwest::Client::new()
    })
}

impl Engine {
    /// Checks a webhook URL before it is saved: its form, and that neither it nor what its
    /// host resolves to is internal. Returns it normalized.
    pub(crate) async fn check_target(&self, raw: &str) -> Result<String> {
        let url = parse(raw)?;
        if self.webhook_settings.allow_internal {
            return Ok(url.to_string());
        }
        if let Some(why) = refuse_literal(&url) {
            return Err(EngineError::invalid("url", why));
        }
        if literal_ip(&url).is_none() {
            let host = url.host_str().unwrap_or_default().to_string();
            let port = url.port_or_known_default().unwrap_or(443);
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), port))
                .await
                .map_err(|e| EngineError::invalid("url", format!("cannot resolve {host}: {e}")))?
                .collect();
            if let Some(a) = found.iter().find(|a| address::is_internal(a.ip())) {
                return Err(EngineError::invalid(
                    "url",
                    format!("{host} resolves to {}, an internal address; {HINT}", a.ip()),
                ));
            }
        }
        Ok(url.to_string())
    }

    /// Why a saved URL may not be called now, if it may not (an address written in the URL;
    /// names are checked as they resolve).
    pub(crate) fn refuse_target(&self, raw: &str) -> Option<String> {
        if self.webhook_settings.allow_internal {
            return None;
        }
        match parse(raw) {
            Ok(url) => refuse_literal(&url),
            Err(e) => Some(e.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(raw: &str) -> bool {
        refuse_literal(&parse(raw).expect("a URL")).is_some()
    }

    #[test]
    fn urls_that_point_inside_are_refused() {
        assert!(refused("http://127.0.0.1:8080/hook"));
        assert!(refused("http://[::1]/hook"));
        assert!(refused("http://localhost/hook"));
        assert!(refused("http://169.254.169.254/latest/meta-data"));
        assert!(refused("https://10.0.0.5/"));
        assert!(refused("http://0x7f000001/"));
        assert!(!refused("https://hooks.example.com/steward"));
        assert!(!refused("https://93.184.216.34/"));
    }

    #[test]
    fn only_http_urls_with_a_host_are_webhook_urls() {
        assert!(parse("ftp://example.com/").is_err());
        assert!(parse("file:///etc/passwd").is_err());
        assert!(parse("not a url").is_err());
        assert!(parse("https://example.com/x").is_ok());
    }
}
