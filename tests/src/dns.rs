//! A tiny authoritative DNS server on loopback UDP for the sender-authentication tests: it
//! answers TXT questions from a fixed table (SPF, DKIM and DMARC records of test domains)
//! and says "no such name" to everything else. Only what a resolver asks here is handled.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

const TXT: u16 = 16;

pub struct TestDns {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for TestDns {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The question's name (lower case, no trailing dot), type, and where the question ends.
fn question(packet: &[u8]) -> Option<(String, u16, usize)> {
    let mut at = 12;
    let mut labels = Vec::new();
    loop {
        let len = *packet.get(at)? as usize;
        at += 1;
        if len == 0 {
            break;
        }
        labels.push(String::from_utf8_lossy(packet.get(at..at + len)?).to_lowercase());
        at += len;
    }
    let qtype = u16::from_be_bytes([*packet.get(at)?, *packet.get(at + 1)?]);
    Some((labels.join("."), qtype, at + 4))
}

fn answer(query: &[u8], records: &HashMap<String, Vec<String>>) -> Option<Vec<u8>> {
    let (name, qtype, end) = question(query)?;
    let found = records.get(&name);
    let answers: Vec<&String> = match (found, qtype) {
        (Some(txts), TXT) => txts.iter().collect(),
        _ => Vec::new(),
    };
    let rcode: u16 = if found.is_some() { 0 } else { 3 };
    let rd = u16::from_be_bytes([query[2], query[3]]) & 0x0100;
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(&query[..2]);
    out.extend_from_slice(&(0x8400 | rd | 0x0080 | rcode).to_be_bytes());
    out.extend_from_slice(&1u16.to_be_bytes());
    out.extend_from_slice(&(answers.len() as u16).to_be_bytes());
    out.extend_from_slice(&[0, 0, 0, 0]);
    out.extend_from_slice(&query[12..end]);
    for txt in answers {
        let mut rdata = Vec::new();
        for chunk in txt.as_bytes().chunks(255) {
            rdata.push(chunk.len() as u8);
            rdata.extend_from_slice(chunk);
        }
        out.extend_from_slice(&[0xC0, 0x0C]);
        out.extend_from_slice(&TXT.to_be_bytes());
        out.extend_from_slice(&1u16.to_be_bytes());
        out.extend_from_slice(&60u32.to_be_bytes());
        out.extend_from_slice(&(rdata.len() as u16).to_be_bytes());
        out.extend_from_slice(&rdata);
    }
    Some(out)
}

impl TestDns {
    /// Serves `records` (name → TXT strings) until dropped.
    pub async fn start(records: HashMap<String, Vec<String>>) -> TestDns {
        let socket = tokio::net::UdpSocket::bind("127.0.0.1:0")
            .await
            .expect("dns socket");
        let addr = socket.local_addr().expect("dns addr");
        let records = Arc::new(records);
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 1500];
            loop {
                let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                    return;
                };
                if let Some(reply) = answer(&buf[..n], &records) {
                    let _ = socket.send_to(&reply, from).await;
                }
            }
        });
        TestDns { addr, task }
    }
}
