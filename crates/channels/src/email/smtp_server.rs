//! The inbound SMTP listener (RFC 5321), for a mail server that forwards support mail to
//! Steward. It accepts mail only for addresses the [`Sink`] knows (550 otherwise), refuses
//! messages over the size limit (552), and answers `250` to the end of `DATA` only after the
//! sink has stored the message durably; if storing fails the client is told to try again
//! later (451), so a message is never acknowledged and then lost.
//!
//! With a certificate configured it offers `STARTTLS` (RFC 3207): after the handshake the
//! session starts over, and anything the client sent ahead of it is refused. Without one,
//! run it on loopback or a private network behind the mail server that receives from the
//! internet.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;

/// Who sent a message and to whom, as the SMTP client said.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// `MAIL FROM`, lower case; empty for bounces (`<>`).
    pub mail_from: String,
    /// Accepted `RCPT TO` addresses, lower case.
    pub rcpt_to: Vec<String>,
    pub helo: String,
    pub peer: SocketAddr,
}

/// Where accepted mail goes.
pub trait Sink: Send + Sync + 'static {
    /// Whether mail for `address` (lower case) is accepted here.
    fn accepts(&self, address: &str) -> bool;
    /// Whether mail from `address` (lower case; empty for bounces) is accepted.
    fn accepts_sender(&self, _address: &str) -> bool {
        true
    }
    /// Stores one message for every recipient in the envelope. `Ok` only once it is durable;
    /// the text is a reference for the client's logs.
    fn deliver(
        &self,
        envelope: Envelope,
        raw: Vec<u8>,
    ) -> impl Future<Output = Result<String, Refusal>> + Send;
}

/// Why a message was not taken.
#[derive(Debug, Clone)]
pub enum Refusal {
    /// It could not be stored now: the client should try again later (451).
    Later(String),
    /// It is not wanted (a policy refused it): the client should not try again (550).
    Never(String),
}

#[derive(Clone)]
pub struct SmtpConfig {
    /// The name this server gives in its greeting.
    pub hostname: String,
    /// The largest message accepted, in bytes.
    pub max_size: usize,
    /// Offers STARTTLS with this certificate when set.
    pub tls: Option<tokio_rustls::TlsAcceptor>,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("hostname", &self.hostname)
            .field("max_size", &self.max_size)
            .field("starttls", &self.tls.is_some())
            .finish()
    }
}

/// A TLS acceptor from PEM files: the certificate chain and its private key.
pub fn tls_acceptor(
    certificate: &std::path::Path,
    private_key: &std::path::Path,
) -> Result<tokio_rustls::TlsAcceptor, String> {
    use tokio_rustls::rustls;
    use tokio_rustls::rustls::pki_types::pem::PemObject;
    use tokio_rustls::rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let chain = CertificateDer::pem_file_iter(certificate)
        .and_then(|i| i.collect::<Result<Vec<_>, _>>())
        .map_err(|e| format!("cannot read the certificate {}: {e}", certificate.display()))?;
    if chain.is_empty() {
        return Err(format!("no certificate in {}", certificate.display()));
    }
    let key = PrivateKeyDer::from_pem_file(private_key)
        .map_err(|e| format!("cannot read the private key {}: {e}", private_key.display()))?;
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .map_err(|e| e.to_string())?
    .with_no_client_auth()
    .with_single_cert(chain, key)
    .map_err(|e| format!("the certificate and key do not go together: {e}"))?;
    Ok(tokio_rustls::TlsAcceptor::from(Arc::new(config)))
}

const MAX_COMMAND: usize = 2048;
const MAX_RECIPIENTS: usize = 100;
const MAX_ERRORS: usize = 10;
const IDLE: Duration = Duration::from_secs(300);

/// Serves SMTP on `listener` until `shutdown` is cancelled.
pub async fn serve<S: Sink>(
    listener: TcpListener,
    config: SmtpConfig,
    sink: Arc<S>,
    shutdown: CancellationToken,
) {
    let config = Arc::new(config);
    loop {
        let accepted = tokio::select! {
            () = shutdown.cancelled() => break,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => {
                let (config, sink, stop) = (config.clone(), sink.clone(), shutdown.clone());
                tokio::spawn(async move {
                    tokio::select! {
                        () = stop.cancelled() => {}
                        r = session(stream, peer, &config, &*sink) => {
                            if let Err(e) = r {
                                tracing::debug!(%peer, error = %e, "SMTP session ended");
                            }
                        }
                    }
                });
            }
            Err(e) => {
                tracing::warn!(error = %e, "SMTP accept failed");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
}

/// One mail transaction's state.
#[derive(Default)]
struct Transaction {
    from: Option<String>,
    rcpt: Vec<String>,
}

/// How a conversation on one connection ended.
enum Next {
    Closed,
    /// The client asked for TLS and was told to go ahead.
    StartTls,
}

async fn session<S: Sink>(
    stream: TcpStream,
    peer: SocketAddr,
    config: &SmtpConfig,
    sink: &S,
) -> std::io::Result<()> {
    // Every reply is one write; without NODELAY a client that pipelines nothing waits out
    // the peer's delayed ACK (40 ms) on each command.
    stream.set_nodelay(true)?;
    let mut plain = BufReader::new(stream);
    plain
        .write_all(format!("220 {} ESMTP Steward\r\n", config.hostname).as_bytes())
        .await?;
    let offer_tls = config.tls.is_some();
    if let Next::Closed = converse(&mut plain, peer, config, sink, offer_tls).await? {
        return Ok(());
    }
    let Some(acceptor) = &config.tls else {
        return Ok(());
    };
    if !plain.buffer().is_empty() {
        // Commands sent ahead of the handshake could be injected by a third party.
        return Ok(());
    }
    let secure = match tokio::time::timeout(IDLE, acceptor.accept(plain.into_inner())).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "STARTTLS handshake failed");
            return Ok(());
        }
        Err(_) => return Ok(()),
    };
    let mut secure = BufReader::new(secure);
    converse(&mut secure, peer, config, sink, false).await?;
    Ok(())
}

/// Commands and replies until the client quits, or asks for TLS (when `offer_tls`).
async fn converse<S: Sink, IO: AsyncRead + AsyncWrite + Unpin>(
    io: &mut BufReader<IO>,
    peer: SocketAddr,
    config: &SmtpConfig,
    sink: &S,
    offer_tls: bool,
) -> std::io::Result<Next> {
    let mut helo: Option<String> = None;
    let mut tx = Transaction::default();
    let mut errors = 0;
    loop {
        let line = match tokio::time::timeout(IDLE, read_line(io, MAX_COMMAND)).await {
            Err(_) => {
                io.write_all(b"421 4.4.2 Idle too long\r\n").await?;
                return Ok(Next::Closed);
            }
            Ok(Ok(Line::Eof)) => return Ok(Next::Closed),
            Ok(Ok(Line::TooLong)) => {
                errors += 1;
                reply(io, "500 5.5.6 Line too long").await?;
                continue;
            }
            Ok(Ok(Line::Text(l))) => l,
            Ok(Err(e)) => return Err(e),
        };
        let (verb, arg) = match line.split_once(' ') {
            Some((v, a)) => (v.to_ascii_uppercase(), a.trim().to_string()),
            None => (line.trim().to_ascii_uppercase(), String::new()),
        };
        let answer: String = match verb.as_str() {
            "EHLO" | "HELO" if arg.is_empty() => "501 5.5.4 Say who you are".into(),
            "EHLO" => {
                helo = Some(arg);
                tx = Transaction::default();
                format!(
                    "250-{}\r\n250-SIZE {}\r\n250-8BITMIME\r\n250-PIPELINING\r\n{}250-ENHANCEDSTATUSCODES\r\n250 SMTPUTF8",
                    config.hostname,
                    config.max_size,
                    if offer_tls { "250-STARTTLS\r\n" } else { "" }
                )
            }
            "HELO" => {
                helo = Some(arg);
                tx = Transaction::default();
                format!("250 {}", config.hostname)
            }
            "MAIL" => match (&helo, &tx.from, parse_path(&arg, "FROM:")) {
                (None, _, _) => "503 5.5.1 Send EHLO first".into(),
                (_, Some(_), _) => "503 5.5.1 Already have a sender".into(),
                (_, _, None) => "501 5.5.4 Syntax: MAIL FROM:<address>".into(),
                (_, _, Some((from, params))) => {
                    if declared_size(&params).is_some_and(|s| s > config.max_size) {
                        "552 5.3.4 Message too big".into()
                    } else if !sink.accepts_sender(&from) {
                        errors += 1;
                        "550 5.7.1 Mail from this sender is refused".into()
                    } else {
                        tx.from = Some(from);
                        "250 2.1.0 Ok".into()
                    }
                }
            },
            "RCPT" => match (&tx.from, parse_path(&arg, "TO:")) {
                (None, _) => "503 5.5.1 Need MAIL first".into(),
                (_, None) => "501 5.5.4 Syntax: RCPT TO:<address>".into(),
                (_, Some((to, _))) if tx.rcpt.len() >= MAX_RECIPIENTS => {
                    let _ = to;
                    "452 4.5.3 Too many recipients".into()
                }
                (_, Some((to, _))) => {
                    if sink.accepts(&to) {
                        if !tx.rcpt.contains(&to) {
                            tx.rcpt.push(to);
                        }
                        "250 2.1.5 Ok".into()
                    } else {
                        errors += 1;
                        "550 5.1.1 No such mailbox here".into()
                    }
                }
            },
            "DATA" if tx.from.is_none() => "503 5.5.1 Need MAIL first".into(),
            "DATA" if tx.rcpt.is_empty() => "554 5.5.1 No valid recipients".into(),
            "DATA" => {
                reply(io, "354 End data with <CR><LF>.<CR><LF>").await?;
                let body = match tokio::time::timeout(IDLE, read_data(io, config.max_size)).await {
                    Err(_) => {
                        io.write_all(b"421 4.4.2 Timeout in DATA\r\n").await?;
                        return Ok(Next::Closed);
                    }
                    Ok(r) => r?,
                };
                let done = std::mem::take(&mut tx);
                match body {
                    None => "552 5.3.4 Message too big".into(),
                    Some(raw) => {
                        let envelope = Envelope {
                            mail_from: done.from.unwrap_or_default(),
                            rcpt_to: done.rcpt,
                            helo: helo.clone().unwrap_or_default(),
                            peer,
                        };
                        match sink.deliver(envelope, raw).await {
                            Ok(id) => format!("250 2.0.0 Ok: queued as {id}"),
                            Err(Refusal::Later(e)) => {
                                tracing::warn!(%peer, error = %e, "inbound mail not stored");
                                "451 4.3.0 Could not store the message, try again later".into()
                            }
                            Err(Refusal::Never(why)) => format!("550 5.7.1 {why}"),
                        }
                    }
                }
            }
            "RSET" => {
                tx = Transaction::default();
                "250 2.0.0 Ok".into()
            }
            "NOOP" => "250 2.0.0 Ok".into(),
            "VRFY" => "252 2.5.0 Cannot verify, but will try".into(),
            "HELP" => "214 2.0.0 See RFC 5321".into(),
            "STARTTLS" if !offer_tls => "454 4.7.0 TLS not available".into(),
            "STARTTLS" if helo.is_none() => "503 5.5.1 Send EHLO first".into(),
            "STARTTLS" => {
                reply(io, "220 2.0.0 Ready to start TLS").await?;
                return Ok(Next::StartTls);
            }
            "QUIT" => {
                reply(io, "221 2.0.0 Bye").await?;
                return Ok(Next::Closed);
            }
            _ => {
                errors += 1;
                "500 5.5.2 Command not recognized".into()
            }
        };
        reply(io, &answer).await?;
        if errors >= MAX_ERRORS {
            reply(io, "421 4.7.0 Too many errors").await?;
            return Ok(Next::Closed);
        }
    }
}

async fn reply(write: &mut (impl AsyncWriteExt + Unpin), text: &str) -> std::io::Result<()> {
    let mut line = Vec::with_capacity(text.len() + 2);
    line.extend_from_slice(text.as_bytes());
    line.extend_from_slice(b"\r\n");
    write.write_all(&line).await?;
    write.flush().await
}

enum Line {
    Text(String),
    TooLong,
    Eof,
}

/// Reads one line of at most `max` bytes (the rest of a longer line is skipped).
async fn read_line(read: &mut (impl AsyncBufRead + Unpin), max: usize) -> std::io::Result<Line> {
    let mut buf = Vec::new();
    let mut too_long = false;
    loop {
        let available = read.fill_buf().await?;
        if available.is_empty() {
            return Ok(if buf.is_empty() && !too_long {
                Line::Eof
            } else {
                Line::TooLong
            });
        }
        let (used, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (i + 1, true),
            None => (available.len(), false),
        };
        if !too_long {
            buf.extend_from_slice(&available[..used]);
            if buf.len() > max {
                too_long = true;
                buf.clear();
            }
        }
        read.consume(used);
        if done {
            if too_long {
                return Ok(Line::TooLong);
            }
            let text = String::from_utf8_lossy(&buf);
            return Ok(Line::Text(text.trim_end_matches(['\r', '\n']).to_string()));
        }
    }
}

/// Reads a message up to the lone `.` line, undoing dot-stuffing. `None` when it exceeded
/// `max` bytes (the rest is read and dropped, so the session can go on).
async fn read_data(
    read: &mut (impl AsyncBufRead + Unpin),
    max: usize,
) -> std::io::Result<Option<Vec<u8>>> {
    let mut out = Vec::new();
    let mut over = false;
    loop {
        let mut line = Vec::new();
        let n = read.read_until(b'\n', &mut line).await?;
        if n == 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                "connection closed in DATA",
            ));
        }
        if line == b".\r\n" || line == b".\n" {
            return Ok((!over).then_some(out));
        }
        if over {
            continue;
        }
        let content = if line.first() == Some(&b'.') {
            &line[1..]
        } else {
            &line[..]
        };
        if out.len() + content.len() > max {
            over = true;
            out = Vec::new();
            continue;
        }
        out.extend_from_slice(content);
    }
}

/// `FROM:<a@b> SIZE=1` → `("a@b", ["SIZE=1"])`.
fn parse_path(arg: &str, keyword: &str) -> Option<(String, Vec<String>)> {
    let head = arg.get(..keyword.len())?;
    if !head.eq_ignore_ascii_case(keyword) {
        return None;
    }
    let rest = arg[keyword.len()..].trim_start();
    let (path, params) = match rest.strip_prefix('<') {
        Some(r) => {
            let end = r.find('>')?;
            (&r[..end], &r[end + 1..])
        }
        None => match rest.split_once(' ') {
            Some((p, q)) => (p, q),
            None => (rest, ""),
        },
    };
    // A source route (`@a,@b:user@host`) is ignored, as RFC 5321 allows.
    let path = path.rsplit(':').next().unwrap_or(path).trim();
    if path.contains(char::is_whitespace) || (!path.is_empty() && !path.contains('@')) {
        return None;
    }
    if keyword == "TO:" && path.is_empty() {
        return None;
    }
    Some((
        path.to_lowercase(),
        params.split_whitespace().map(str::to_string).collect(),
    ))
}

fn declared_size(params: &[String]) -> Option<usize> {
    params.iter().find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.eq_ignore_ascii_case("SIZE")
            .then(|| v.parse().ok())
            .flatten()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_parameters_are_read_leniently() {
        assert_eq!(
            parse_path("FROM:<Olga@Example.com> SIZE=100 BODY=8BITMIME", "FROM:"),
            Some((
                "olga@example.com".into(),
                vec!["SIZE=100".into(), "BODY=8BITMIME".into()]
            ))
        );
        assert_eq!(
            parse_path("from: <>", "FROM:"),
            Some((String::new(), vec![]))
        );
        assert_eq!(parse_path("TO:<>", "TO:"), None);
        assert_eq!(
            parse_path("TO:bob@x.test", "TO:"),
            Some(("bob@x.test".into(), vec![]))
        );
        assert_eq!(parse_path("TO:<not an address>", "TO:"), None);
        assert_eq!(declared_size(&["SIZE=2048".into()]), Some(2048));
    }

    #[tokio::test]
    async fn data_is_unstuffed_and_limited() {
        let input: &[u8] = b"line one\r\n..dot\r\n.\r\nNEXT\r\n";
        let mut r = BufReader::new(input);
        let got = read_data(&mut r, 1000).await.ok().flatten();
        assert_eq!(got.as_deref(), Some(&b"line one\r\n.dot\r\n"[..]));
        let mut r = BufReader::new(input);
        assert_eq!(read_data(&mut r, 5).await.ok().flatten(), None);
        match read_line(&mut r, 100).await {
            Ok(Line::Text(t)) => assert_eq!(t, "NEXT"),
            _ => panic!("the session goes on after an oversized message"),
        }
    }
}
