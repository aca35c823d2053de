//! A self-signed certificate for 127.0.0.1 (made with `openssl`), for the TLS tests of the
//! IMAP reader and the SMTP listener.

use std::path::{Path, PathBuf};

/// Writes `cert.pem` and `key.pem` (readable by all, for Dovecot's unprivileged processes)
/// into `dir`; returns their paths.
pub fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = std::process::Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .args([
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .stderr(std::process::Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(made, "openssl makes a certificate");
    let _ = std::process::Command::new("chmod")
        .arg("0644")
        .arg(&key)
        .status();
    (cert, key)
}
