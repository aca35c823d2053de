//! A minimal SMTP client for the `smtp` scenario: one session per message (greeting, EHLO,
//! MAIL, RCPT, DATA, QUIT), as a mail server delivering to Steward would, and the message mix
//! it sends: plain text, HTML with a text alternative, and some with a 100 KB attachment.

use crate::load::Outcome;
use crate::words;
use base64::Engine as _;
use rand::Rng;
use rand::rngs::StdRng;
use std::net::SocketAddr;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The inbox the bench server is configured with.
pub const INBOX: &str = "support@bench.example";

/// Reads one (possibly multi-line) reply; returns its code.
async fn reply(r: &mut BufReader<tokio::net::tcp::OwnedReadHalf>) -> Result<u16, String> {
    let mut line = String::new();
    loop {
        line.clear();
        let n = r
            .read_line(&mut line)
            .await
            .map_err(|_| "smtp read".to_string())?;
        if n == 0 {
            return Err("smtp closed".into());
        }
        if line.as_bytes().get(3) != Some(&b'-') {
            return line
                .get(..3)
                .and_then(|c| c.parse().ok())
                .ok_or_else(|| "smtp garbled".to_string());
        }
    }
}

/// Delivers `raw` (already dot-stuffed, CRLF line ends) and returns once Steward answered
/// the end of DATA.
pub async fn deliver(addr: SocketAddr, from: &str, raw: &str) -> Outcome {
    let stream = TcpStream::connect(addr)
        .await
        .map_err(|_| "connect".to_string())?;
    stream
        .set_nodelay(true)
        .map_err(|_| "connect".to_string())?;
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    let expect = |got: u16, want: u16, step: &str| {
        if got == want {
            Ok(())
        } else {
            Err(format!("smtp {step} {got}"))
        }
    };
    expect(reply(&mut read).await?, 220, "greeting")?;
    let commands = [
        ("EHLO bench.example\r\n".to_string(), 250, "ehlo"),
        (format!("MAIL FROM:<{from}>\r\n"), 250, "mail"),
        (format!("RCPT TO:<{INBOX}>\r\n"), 250, "rcpt"),
        ("DATA\r\n".to_string(), 354, "data"),
    ];
    for (cmd, want, step) in commands {
        write
            .write_all(cmd.as_bytes())
            .await
            .map_err(|_| "smtp write".to_string())?;
        expect(reply(&mut read).await?, want, step)?;
    }
    let mut body = Vec::with_capacity(raw.len() + 5);
    body.extend_from_slice(raw.as_bytes());
    body.extend_from_slice(b"\r\n.\r\n");
    write
        .write_all(&body)
        .await
        .map_err(|_| "smtp write".to_string())?;
    expect(reply(&mut read).await?, 250, "end of data")?;
    let _ = write.write_all(b"QUIT\r\n").await;
    Ok(())
}

/// One message of the mix, with a unique Message-ID from `i`: 70% plain text, 20% HTML with
/// a text alternative, 10% with a 100 KB PDF attached. Returns (sender, raw).
pub fn message(rng: &mut StdRng, i: u64) -> (String, String) {
    let from = format!("mailer{}@customers.example", rng.random_range(0..10_000));
    let subject = words::sentence(rng, 6);
    let text = words::sentence(rng, 60);
    let head = format!(
        "From: {from}\r\nTo: {INBOX}\r\nSubject: {subject}\r\nMessage-ID: <bench-{i}-{}@customers.example>\r\n\
Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n",
        rng.random::<u32>()
    );
    let kind = rng.random_range(0..10);
    let raw = if kind < 7 {
        format!("{head}Content-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n")
    } else if kind < 9 {
        format!(
            "{head}Content-Type: multipart/alternative; boundary=\"alt\"\r\n\r\n\
--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\
--alt\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>{text}</p><p><b>Thanks</b></p></body></html>\r\n--alt--\r\n"
        )
    } else {
        let mut pdf = vec![0u8; 100 * 1024];
        rng.fill(&mut pdf[..]);
        let encoded = base64::engine::general_purpose::STANDARD.encode(&pdf);
        let lines: Vec<&str> = encoded
            .as_bytes()
            .chunks(76)
            .map(|c| std::str::from_utf8(c).unwrap_or(""))
            .collect();
        format!(
            "{head}Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n\
--mix\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n\
--mix\r\nContent-Type: application/pdf; name=\"receipt.pdf\"\r\nContent-Disposition: attachment; filename=\"receipt.pdf\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\n{}\r\n--mix--\r\n",
            lines.join("\r\n")
        )
    };
    (from, raw)
}
