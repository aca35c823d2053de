//! Who really sent an inbound mail: SPF (may the connecting address send for the MAIL FROM
//! domain?), DKIM (are the signatures good?) and DMARC (does an authenticated domain match
//! the From header, and what does that domain ask receivers to do when none does?), using
//! mail-auth over DNS: the system's resolver, or a named one.

use mail_auth::hickory_resolver::config::{NameServerConfig, ResolverConfig, ResolverOpts};
use mail_auth::{
    AuthenticatedMessage, DkimResult, DmarcResult, MessageAuthenticator, SpfResult, dmarc::Policy,
    dmarc::verify::DmarcParameters, spf::verify::SpfParameters,
};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// The outcome, as words: `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror` or
/// `permerror`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AuthResults {
    pub spf: String,
    pub dkim: String,
    pub dmarc: String,
    /// What the From domain's DMARC record asks: `none`, `quarantine` or `reject` (empty
    /// without a record).
    pub dmarc_policy: String,
}

impl AuthResults {
    /// The same outcome for all three checks (none ran, or DNS timed out).
    fn all(word: &str) -> AuthResults {
        AuthResults {
            spf: word.into(),
            dkim: word.into(),
            dmarc: word.into(),
            dmarc_policy: String::new(),
        }
    }

    /// `spf=pass dkim=pass dmarc=pass`: what the message records and the timeline shows.
    pub fn summary(&self) -> String {
        format!("spf={} dkim={} dmarc={}", self.spf, self.dkim, self.dmarc)
    }

    /// The sender could not be verified: DMARC failed, or (with no DMARC record) SPF failed
    /// outright.
    pub fn failed(&self) -> bool {
        self.dmarc == "fail" || (self.dmarc == "none" && self.spf == "fail")
    }
}

/// Checks inbound mail against DNS.
pub struct Authenticator {
    inner: MessageAuthenticator,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Authenticator")
    }
}

/// Slow DNS must not hold an SMTP client for long: the whole check gives up after this.
const CHECK_TIMEOUT: Duration = Duration::from_secs(10);

fn options() -> ResolverOpts {
    let mut o = ResolverOpts::default();
    o.timeout = Duration::from_secs(3);
    o.attempts = 1;
    o
}

impl Authenticator {
    /// With the system's resolver (`/etc/resolv.conf`).
    pub fn system() -> Result<Authenticator, String> {
        let (config, _) = mail_auth::hickory_resolver::system_conf::read_system_conf()
            .map_err(|e| format!("cannot read the system's DNS settings: {e}"))?;
        Self::with_config(config)
    }

    /// With one DNS server (UDP and TCP) at `server`.
    pub fn with_nameserver(server: SocketAddr) -> Result<Authenticator, String> {
        let mut ns = NameServerConfig::udp_and_tcp(server.ip());
        for c in &mut ns.connections {
            c.port = server.port();
        }
        Self::with_config(ResolverConfig::from_name_servers(vec![ns]))
    }

    fn with_config(config: ResolverConfig) -> Result<Authenticator, String> {
        Ok(Authenticator {
            inner: MessageAuthenticator::new(config, options())
                .map_err(|e| format!("cannot set up DNS: {e}"))?,
        })
    }

    /// Checks `raw`, received from `ip` that said `helo` and `MAIL FROM:<mail_from>`;
    /// `hostname` is this receiver's name.
    pub async fn check(
        &self,
        raw: &[u8],
        ip: IpAddr,
        helo: &str,
        mail_from: &str,
        hostname: &str,
    ) -> AuthResults {
        match tokio::time::timeout(
            CHECK_TIMEOUT,
            self.check_(raw, ip, helo, mail_from, hostname),
        )
        .await
        {
            Ok(r) => r,
            Err(_) => AuthResults::all("temperror"),
        }
    }

    async fn check_(
        &self,
        raw: &[u8],
        ip: IpAddr,
        helo: &str,
        mail_from: &str,
        hostname: &str,
    ) -> AuthResults {
        let Some(message) = AuthenticatedMessage::parse(raw) else {
            return AuthResults::all("none");
        };
        let dkim = self.inner.verify_dkim(&message).await;
        // A bounce has no MAIL FROM; SPF then checks the HELO name.
        let spf = if mail_from.is_empty() {
            self.inner
                .verify_spf(SpfParameters::verify_ehlo(ip, helo, hostname))
                .await
        } else {
            self.inner
                .verify_spf(SpfParameters::verify_mail_from(
                    ip, helo, hostname, mail_from,
                ))
                .await
        };
        let mail_from_domain = mail_from
            .rsplit_once('@')
            .map_or(helo, |(_, d)| d)
            .to_string();
        let dmarc = self
            .inner
            .verify_dmarc(DmarcParameters::new(
                &message,
                &dkim,
                &mail_from_domain,
                &spf,
            ))
            .await;
        let dkim_word = if dkim.iter().any(|d| d.result() == &DkimResult::Pass) {
            "pass"
        } else {
            dkim.iter()
                .map(|d| dkim_word(d.result()))
                .find(|w| *w != "none")
                .unwrap_or("none")
        };
        let dmarc_word = match dmarc.result() {
            DmarcResult::Pass => "pass",
            DmarcResult::Fail(_) => "fail",
            DmarcResult::TempError(_) => "temperror",
            DmarcResult::PermError(_) => "permerror",
            DmarcResult::None => "none",
        };
        AuthResults {
            spf: spf_word(spf.result()).into(),
            dkim: dkim_word.into(),
            dmarc: dmarc_word.into(),
            dmarc_policy: if dmarc_word == "none" {
                String::new()
            } else {
                match dmarc.policy() {
                    Policy::Reject => "reject",
                    Policy::Quarantine => "quarantine",
                    Policy::None | Policy::Unspecified => "none",
                }
                .into()
            },
        }
    }
}

fn spf_word(r: SpfResult) -> &'static str {
    match r {
        SpfResult::Pass => "pass",
        SpfResult::Fail => "fail",
        SpfResult::SoftFail => "softfail",
        SpfResult::Neutral => "neutral",
        SpfResult::TempError => "temperror",
        SpfResult::PermError => "permerror",
        SpfResult::None => "none",
    }
}

fn dkim_word(r: &DkimResult) -> &'static str {
    match r {
        DkimResult::Pass => "pass",
        DkimResult::Neutral(_) => "neutral",
        DkimResult::Fail(_) => "fail",
        DkimResult::PermError(_) => "permerror",
        DkimResult::TempError(_) => "temperror",
        DkimResult::None => "none",
    }
}

#[cfg(test)]
mod tests {
    use super::AuthResults;

    fn r(spf: &str, dmarc: &str) -> AuthResults {
        AuthResults {
            spf: spf.into(),
            dkim: "none".into(),
            dmarc: dmarc.into(),
            dmarc_policy: String::new(),
        }
    }

    #[test]
    fn a_sender_fails_on_dmarc_or_without_dmarc_on_a_hard_spf_fail() {
        assert!(r("pass", "fail").failed());
        assert!(r("fail", "none").failed());
        assert!(!r("softfail", "none").failed());
        assert!(!r("fail", "pass").failed());
        assert_eq!(r("pass", "pass").summary(), "spf=pass dkim=none dmarc=pass");
    }
}
