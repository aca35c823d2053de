//! The clues that tie an email to a conversation, besides Message-IDs: the reply token in a
//! plus-address (`support+TOKEN@…`), and the conversation number in the subject (`[#1234]`).
//! Which clue wins, and who may use the subject number, is intake's decision.

/// The token in `support+TOKEN@domain`, when the address is `inbox` with a plus part.
pub fn reply_token<'a>(address: &'a str, inbox: &str) -> Option<&'a str> {
    let (local, domain) = address.rsplit_once('@')?;
    let (inbox_local, inbox_domain) = inbox.rsplit_once('@')?;
    if !domain.eq_ignore_ascii_case(inbox_domain) {
        return None;
    }
    let (base, token) = local.split_once('+')?;
    (base.eq_ignore_ascii_case(inbox_local)
        && !token.is_empty()
        && token.chars().all(|c| c.is_ascii_alphanumeric()))
    .then_some(token)
}

/// `inbox` with `token` as its plus part: the Reply-To of every mail a conversation sends.
pub fn reply_address(inbox: &str, token: &str) -> String {
    match inbox.rsplit_once('@') {
        Some((local, domain)) => format!("{local}+{token}@{domain}"),
        None => inbox.to_string(),
    }
}

/// Whether `address` is `inbox` itself or `inbox` with any plus part.
pub fn is_inbox_address(address: &str, inbox: &str) -> bool {
    address.eq_ignore_ascii_case(inbox) || reply_token(address, inbox).is_some()
}

/// The conversation number in a subject: the first `[#1234]`.
pub fn subject_number(subject: &str) -> Option<i64> {
    let start = subject.find("[#")?;
    let rest = &subject[start + 2..];
    let end = rest.find(']')?;
    rest[..end].trim().parse().ok().filter(|n| *n > 0)
}

/// The subject without reply and forward prefixes (in the common languages) and without the
/// number tag: what a new conversation is called.
pub fn clean_subject(subject: &str) -> String {
    let mut s = subject.trim().to_string();
    if let Some(start) = s.find("[#")
        && let Some(len) = s[start..].find(']')
    {
        s.replace_range(start..start + len + 1, "");
    }
    loop {
        let trimmed = s.trim_start();
        let lower = trimmed.to_lowercase();
        let prefix = [
            "re:", "fwd:", "fw:", "aw:", "wg:", "sv:", "vs:", "antw:", "tr:", "rif:", "r:", "res:",
            "enc:", "odp:", "回复:", "转发:",
        ]
        .iter()
        .find(|p| lower.starts_with(*p));
        match prefix {
            Some(p) => s = trimmed[p.len()..].to_string(),
            None => break,
        }
    }
    let s = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if s.is_empty() {
        "(no subject)".into()
    } else {
        s
    }
}

/// A new random reply token: 16 characters of a-z and 0-9 (82 bits).
pub fn new_token() -> String {
    use rand::Rng;
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..16)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_tokens_come_only_from_the_inbox_address() {
        let inbox = "support@acme.test";
        assert_eq!(
            reply_token("support+abc123@acme.test", inbox),
            Some("abc123")
        );
        assert_eq!(reply_token("Support+ABC@ACME.test", inbox), Some("ABC"));
        assert_eq!(reply_token("sales+abc@acme.test", inbox), None);
        assert_eq!(reply_token("support+abc@other.test", inbox), None);
        assert_eq!(reply_token("support@acme.test", inbox), None);
        assert_eq!(reply_token("support+a.b@acme.test", inbox), None);
        assert_eq!(reply_address(inbox, "tok"), "support+tok@acme.test");
        assert!(is_inbox_address("support+tok@acme.test", inbox));
    }

    #[test]
    fn subject_numbers_and_prefixes() {
        assert_eq!(subject_number("Re: [#1234] Leak"), Some(1234));
        assert_eq!(subject_number("[# 7 ] x"), Some(7));
        assert_eq!(subject_number("Order #12"), None);
        assert_eq!(
            clean_subject("RE: Fwd: AW: [#12] Leaking  machine"),
            "Leaking machine"
        );
        assert_eq!(clean_subject("Re:"), "(no subject)");
        assert_eq!(new_token().len(), 16);
    }
}
