//! Reply stripping: splits what a customer just wrote from the earlier messages their mail
//! client quoted and from their signature, so the workspace shows the new text and folds the
//! rest (which stays one click away). Knows Gmail, Apple Mail and Thunderbird ("On … wrote:"
//! and its translations), Outlook ("-----Original Message-----", "From: … Sent: …"),
//! `>` quoting, the `-- ` signature separator, "Sent from my …" footers, and the marker
//! Steward's own mail carries.

/// The line Steward puts above the quoted history of every mail it sends.
pub const REPLY_ABOVE: &str = "##- Please type your reply above this line -##";

/// `(new text, folded rest)`. The rest is `None` when nothing was folded. A message that would
/// be folded entirely is shown whole.
pub fn split_reply(text: &str) -> (String, Option<String>) {
    let lines: Vec<&str> = text.lines().collect();
    let cut = (0..lines.len())
        .find(|&i| starts_history(&lines, i))
        .or_else(|| trailing_quote(&lines))
        .or_else(|| signature(&lines))
        .map(|i| match i.checked_sub(1) {
            // A rule drawn above the history (Outlook) goes with it.
            Some(above) if is_rule(lines[above]) => above,
            _ => i,
        });
    match cut {
        Some(i) if lines[..i].iter().any(|l| !l.trim().is_empty()) => {
            let new = lines[..i].join("\n").trim_end().to_string();
            let rest = lines[i..].join("\n").trim().to_string();
            (new, (!rest.is_empty()).then_some(rest))
        }
        _ => (text.trim_end().to_string(), None),
    }
}

fn is_rule(line: &str) -> bool {
    let t = line.trim();
    t.len() >= 5 && t.chars().all(|c| c == '_' || c == '-')
}

fn starts_history(lines: &[&str], i: usize) -> bool {
    let line = lines[i].trim();
    let lower = line.to_lowercase();
    if line.contains(REPLY_ABOVE) || lower.starts_with("-----original message-----") {
        return true;
    }
    if line.starts_with('>') {
        return false;
    }
    // "On … wrote:" on one line or wrapped onto the next.
    let attribution = |l: &str| {
        let l = l.trim().to_lowercase();
        (l.ends_with(':') || l.ends_with('：'))
            && [
                "wrote",
                "schrieb",
                "a écrit",
                "escribió",
                "ha scritto",
                "escreveu",
                "schreef",
                "skrev",
                "napisał",
                "写道",
            ]
            .iter()
            .any(|verb| l.contains(verb))
    };
    let opener = [
        "on ", "am ", "le ", "el ", "il ", "em ", "op ", "den ", "dnia ", "在",
    ]
    .iter()
    .any(|p| lower.starts_with(p));
    if opener && (attribution(line) || lines.get(i + 1).is_some_and(|next| attribution(next))) {
        return true;
    }
    // Outlook: a "From:" header block ("From:", then "Sent:"/"Date:" within a few lines),
    // often after a rule of underscores.
    let header = |l: &str, names: &[&str]| {
        let l = l.trim().to_lowercase();
        names.iter().any(|n| l.starts_with(n))
    };
    if header(line, &["from:", "von:", "de:", "van:", "från:", "da:"]) {
        return lines[i + 1..].iter().take(4).any(|l| {
            header(
                l,
                &[
                    "sent:",
                    "date:",
                    "gesendet:",
                    "envoyé :",
                    "envoyé:",
                    "enviado:",
                    "verzonden:",
                    "skickat:",
                    "inviato:",
                ],
            )
        });
    }
    false
}

/// The start of a final block of `>`-quoted lines (blank lines allowed inside).
fn trailing_quote(lines: &[&str]) -> Option<usize> {
    let mut start = None;
    for (i, l) in lines.iter().enumerate().rev() {
        let t = l.trim();
        if t.starts_with('>') {
            start = Some(i);
        } else if !t.is_empty() {
            break;
        }
    }
    start
}

/// The signature: from a `-- ` line, or a trailing "Sent from my …" line.
fn signature(lines: &[&str]) -> Option<usize> {
    if let Some(i) = lines.iter().rposition(|l| *l == "-- " || *l == "--") {
        return Some(i);
    }
    let last = lines.iter().rposition(|l| !l.trim().is_empty())?;
    let lower = lines[last].trim().to_lowercase();
    (lower.starts_with("sent from my ") || lower.starts_with("get outlook for ")).then_some(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_part(text: &str) -> String {
        split_reply(text).0
    }

    #[test]
    fn gmail_apple_and_thunderbird_attributions_fold_the_history() {
        let gmail = "Thanks, that worked.\n\nOn Mon, 23 Nov 2026 at 10:00, Acme Support <support@acme.test> wrote:\n> Try descaling.\n";
        assert_eq!(new_part(gmail), "Thanks, that worked.");
        let wrapped = "Yes.\n\nOn Mon, 23 Nov 2026 at 10:00, Acme Support\n<support@acme.test> wrote:\n> Try.\n";
        assert_eq!(new_part(wrapped), "Yes.");
        let apple =
            "Great\n\n> On 23 Nov 2026, at 10:00, Acme <support@acme.test> wrote:\n> \n> hi\n";
        assert_eq!(new_part(apple), "Great");
        let german = "Danke!\n\nAm 23.11.2026 um 10:00 schrieb Acme Support:\n> Hallo\n";
        assert_eq!(new_part(german), "Danke!");
    }

    #[test]
    fn outlook_headers_and_original_message_fold_the_history() {
        let outlook = "Please call me.\r\n\r\n________________________________\r\nFrom: Acme Support <support@acme.test>\r\nSent: Monday, November 23, 2026 10:00\r\nTo: Olga\r\nSubject: RE: Leak\r\n\r\nTry descaling.";
        let (new, rest) = split_reply(outlook);
        assert_eq!(new, "Please call me.");
        assert!(rest.is_some_and(|r| r.contains("Try descaling.")));
        let original = "OK\n-----Original Message-----\nFrom: x\n";
        assert_eq!(new_part(original), "OK");
    }

    #[test]
    fn our_marker_signatures_and_footers_are_folded() {
        assert_eq!(
            new_part(&format!("It works\n{REPLY_ABOVE}\nYou wrote: ...")),
            "It works"
        );
        assert_eq!(new_part("Hi\n\n-- \nOlga Ivanova\nCEO"), "Hi");
        assert_eq!(new_part("Hi\n\nSent from my iPhone"), "Hi");
    }

    #[test]
    fn plain_text_and_all_quoted_mail_stay_whole() {
        assert_eq!(
            split_reply("Just a question.\nFrom: me"),
            ("Just a question.\nFrom: me".into(), None)
        );
        let all_quoted = "> only a quote\n> more";
        assert_eq!(split_reply(all_quoted).0, all_quoted);
        let inline = "> your question\nmy answer\n> another\nanother answer";
        assert_eq!(
            split_reply(inline).1,
            None,
            "interleaved replies are not cut"
        );
    }
}
