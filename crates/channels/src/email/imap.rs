//! IMAP intake, the protocol side: connect (plain, STARTTLS or TLS), log in, select a folder,
//! list the messages to take (by UID, so a restart resumes where it stopped), fetch them
//! without marking them read, flag one `\Seen` once Steward has stored it, and wait for new
//! mail with IDLE where the server has it (a timed poll otherwise).

use super::outbound::Security;
use async_imap::extensions::idle::IdleResponse;
use async_imap::{Client, Session};
use futures_util::TryStreamExt;
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::rustls;

/// A mailbox to read. Its `Debug` never shows the password.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct ImapAccount {
    pub host: String,
    pub port: u16,
    pub security: Security,
    pub username: String,
    pub password: String,
    pub folder: String,
    /// A PEM certificate to trust besides the public roots (a server with a private CA or a
    /// self-signed certificate).
    pub ca_certificate: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for ImapAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ImapAccount")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("username", &self.username)
            .field("folder", &self.folder)
            .finish_non_exhaustive()
    }
}

impl ImapAccount {
    /// A stable name for the mailbox's saved progress.
    pub fn key(&self) -> String {
        format!(
            "{}@{}:{}/{}",
            self.username, self.host, self.port, self.folder
        )
    }
}

/// What went wrong, in words for the inbox page.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ImapError(pub String);

fn err(context: &str) -> impl FnOnce(async_imap::error::Error) -> ImapError + '_ {
    move |e| ImapError(format!("{context}: {e}"))
}

/// A connection, plain or TLS.
pub trait Io: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send + std::fmt::Debug> Io for T {}

const CONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// Re-issue IDLE before servers drop it (RFC 2177 asks for at most 29 minutes).
const IDLE_AT_MOST: Duration = Duration::from_secs(25 * 60);

/// A selected folder on a logged-in session.
pub struct Folder {
    session: Session<Box<dyn Io>>,
    pub uid_validity: u32,
    /// Whether the server pushes new mail (IDLE); otherwise the caller polls.
    pub idle: bool,
}

fn tls_connector(extra: Option<&std::path::Path>) -> Result<tokio_rustls::TlsConnector, ImapError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore {
        roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
    };
    if let Some(path) = extra {
        let certs = CertificateDer::pem_file_iter(path)
            .and_then(|i| i.collect::<Result<Vec<_>, _>>())
            .map_err(|e| ImapError(format!("cannot read {}: {e}", path.display())))?;
        for c in certs {
            roots.add(c).map_err(|e| {
                ImapError(format!(
                    "{} is not a usable certificate: {e}",
                    path.display()
                ))
            })?;
        }
    }
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .expect("ring supports the default TLS versions")
    .with_root_certificates(roots)
    .with_no_client_auth();
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

async fn tls(account: &ImapAccount, tcp: TcpStream) -> Result<Box<dyn Io>, ImapError> {
    let host = &account.host;
    let name = rustls::pki_types::ServerName::try_from(host.to_string())
        .map_err(|_| ImapError(format!("'{host}' is not a host name for TLS")))?;
    let stream = tls_connector(account.ca_certificate.as_deref())?
        .connect(name, tcp)
        .await
        .map_err(|e| ImapError(format!("TLS with {host} failed: {e}")))?;
    Ok(Box::new(stream))
}

/// Connects, logs in and selects the account's folder.
pub async fn open(account: &ImapAccount) -> Result<Folder, ImapError> {
    let addr = format!("{}:{}", account.host, account.port);
    let tcp = tokio::time::timeout(CONNECT_TIMEOUT, TcpStream::connect(&addr))
        .await
        .map_err(|_| ImapError(format!("no answer from {addr}")))?
        .map_err(|e| ImapError(format!("cannot connect to {addr}: {e}")))?;
    let _ = tcp.set_nodelay(true);
    let stream: Box<dyn Io> = match account.security {
        Security::Tls => tls(account, tcp).await?,
        Security::None => Box::new(tcp),
        Security::StartTls => {
            let mut plain = Client::new(tcp);
            greeting(&mut plain).await?;
            plain
                .run_command_and_check_ok("STARTTLS", None)
                .await
                .map_err(err("STARTTLS refused"))?;
            tls(account, plain.into_inner()).await?
        }
    };
    let mut client = Client::new(stream);
    if account.security != Security::StartTls {
        greeting(&mut client).await?;
    }
    let mut session = client
        .login(&account.username, &account.password)
        .await
        .map_err(|(e, _)| ImapError(format!("login as {} failed: {e}", account.username)))?;
    let idle = session
        .capabilities()
        .await
        .map_err(err("CAPABILITY failed"))?
        .has_str("IDLE");
    let folder = session
        .select(&account.folder)
        .await
        .map_err(err(&format!("cannot open folder {}", account.folder)))?;
    Ok(Folder {
        session,
        uid_validity: folder.uid_validity.unwrap_or(0),
        idle,
    })
}

async fn greeting(client: &mut Client<impl Io>) -> Result<(), ImapError> {
    match tokio::time::timeout(CONNECT_TIMEOUT, client.read_response()).await {
        Ok(Ok(Some(_))) => Ok(()),
        Ok(Ok(None)) => Err(ImapError("the server closed the connection".into())),
        Ok(Err(e)) => Err(ImapError(format!("no IMAP greeting: {e}"))),
        Err(_) => Err(ImapError("no IMAP greeting".into())),
    }
}

impl Folder {
    /// UIDs to take, ascending: every unread message on a first visit (`after` is `None`),
    /// otherwise every message above `after`.
    pub async fn pending(&mut self, after: Option<u32>) -> Result<Vec<u32>, ImapError> {
        let query = match after {
            None => "UNSEEN".to_string(),
            Some(uid) => format!("UID {}:*", uid.saturating_add(1)),
        };
        let found = self
            .session
            .uid_search(&query)
            .await
            .map_err(err("UID SEARCH failed"))?;
        let mut uids: Vec<u32> = found
            .into_iter()
            // `N:*` always matches the highest UID, even one below N.
            .filter(|u| after.is_none_or(|a| *u > a))
            .collect();
        uids.sort_unstable();
        Ok(uids)
    }

    /// The raw message with this UID, without marking it read; `None` if it is gone.
    pub async fn fetch(&mut self, uid: u32) -> Result<Option<Vec<u8>>, ImapError> {
        let fetched: Vec<_> = self
            .session
            .uid_fetch(uid.to_string(), "(UID BODY.PEEK[])")
            .await
            .map_err(err("UID FETCH failed"))?
            .try_collect()
            .await
            .map_err(err("UID FETCH failed"))?;
        Ok(fetched
            .iter()
            .find(|f| f.uid == Some(uid))
            .and_then(|f| f.body())
            .map(<[u8]>::to_vec))
    }

    /// Flags the message read: done only after Steward stored it.
    pub async fn mark_seen(&mut self, uid: u32) -> Result<(), ImapError> {
        let _: Vec<_> = self
            .session
            .uid_store(uid.to_string(), "+FLAGS.SILENT (\\Seen)")
            .await
            .map_err(err("UID STORE failed"))?
            .try_collect()
            .await
            .map_err(err("UID STORE failed"))?;
        Ok(())
    }

    /// Waits until the server reports a change (IDLE), `poll` passes (no IDLE), or `stop`
    /// resolves; then the folder is ready for the next `pending`.
    pub async fn wait(
        self,
        poll: Duration,
        stop: impl std::future::Future<Output = ()>,
    ) -> Result<Folder, ImapError> {
        let Folder {
            session,
            uid_validity,
            idle,
        } = self;
        if !idle {
            tokio::select! {
                () = tokio::time::sleep(poll) => {}
                () = stop => {}
            }
            let mut session = session;
            // NOOP lets the server report new messages to the selected folder.
            session.noop().await.map_err(err("NOOP failed"))?;
            return Ok(Folder {
                session,
                uid_validity,
                idle,
            });
        }
        let mut handle = session.idle();
        handle.init().await.map_err(err("IDLE refused"))?;
        let (wait, interrupt) = handle.wait_with_timeout(IDLE_AT_MOST);
        let outcome = tokio::select! {
            r = tokio::time::timeout(IDLE_AT_MOST, wait) => match r {
                Ok(Ok(IdleResponse::NewData(_))) | Err(_) | Ok(Ok(IdleResponse::Timeout)) => Ok(()),
                // Nobody interrupted it: the connection dropped.
                Ok(Ok(IdleResponse::ManualInterrupt)) => Err(ImapError("the connection dropped during IDLE".into())),
                Ok(Err(e)) => Err(ImapError(format!("IDLE failed: {e}"))),
            },
            () = stop => Ok(()),
        };
        drop(interrupt);
        outcome?;
        let session = handle.done().await.map_err(err("ending IDLE failed"))?;
        Ok(Folder {
            session,
            uid_validity,
            idle,
        })
    }

    pub async fn logout(mut self) {
        let _ = self.session.logout().await;
    }
}
