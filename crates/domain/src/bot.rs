//! The answer bot's rules: its settings, whether a customer asks for a person, whether they
//! are upset (a small word list: negative words, shouting, "!!!"), and how well an article
//! answers a question (the share of the question's words the article has, title words
//! counting most). No IO; the engine finds the articles and speaks.

use crate::DomainError;
use serde::{Deserialize, Serialize};

/// How the bot works, as an admin set it (off until then).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Settings {
    /// Answers visitors in chat while no agent has the chat.
    pub chat: bool,
    /// Inbox addresses whose new email conversations get an answer by mail.
    pub email_inboxes: Vec<String>,
    /// How sure (percent) the bot must be to answer; below it hands over.
    pub confidence: u8,
    /// Answers in one chat before it hands over anyway.
    pub max_answers: u8,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            chat: false,
            email_inboxes: Vec::new(),
            confidence: 60,
            max_answers: 3,
        }
    }
}

impl Settings {
    pub fn check(&self) -> Result<(), DomainError> {
        if !(10..=100).contains(&self.confidence) {
            return Err(DomainError::invalid(
                "confidence",
                "must be between 10 and 100 (percent)",
            ));
        }
        if !(1..=10).contains(&self.max_answers) {
            return Err(DomainError::invalid(
                "max_answers",
                "must be between 1 and 10",
            ));
        }
        Ok(())
    }
}

const FILLER: &[&str] = &[
    "the", "and", "for", "you", "your", "can", "how", "what", "why", "when", "where", "does",
    "with", "this", "that", "have", "has", "are", "was", "not", "but", "our", "from", "please",
    "help", "there", "they", "would", "could", "should", "will", "hello", "thanks", "thank",
    "which", "any", "who", "get", "need", "want", "about", "just", "some", "into", "than",
];

/// The words of `text` that carry meaning: lower case, three letters or more (or digits),
/// no filler.
pub fn key_words(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for w in text
        .split(|c: char| !c.is_alphanumeric())
        .map(str::to_lowercase)
        .filter(|w| {
            w.chars().count() >= 3 || (!w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
        })
        .filter(|w| !FILLER.contains(&w.as_str()))
    {
        if !out.contains(&w) {
            out.push(w);
        }
    }
    out
}

/// A word matches another when they share their first four letters (or are equal, when
/// shorter), which forgives endings ("returns", "returned") and typos after the fourth letter.
fn same_word(a: &str, b: &str) -> bool {
    let head = |w: &str| w.chars().take(4).collect::<String>();
    if a.chars().count() < 4 || b.chars().count() < 4 {
        a == b
    } else {
        head(a) == head(b)
    }
}

/// How well an article (title and text) answers `question`, 0 to 100: each of the question's
/// words found in the title counts fully, in the text 0.7. A longer message (a mail with a
/// greeting and details) is also judged sentence by sentence, and its best sentence (of two
/// words or more, or a question) counts, so the question inside it is found.
pub fn confidence(question: &str, title: &str, text: &str) -> u8 {
    let whole = coverage(question, title, text);
    let mut best = whole;
    let mut start = 0;
    for (i, c) in question.char_indices() {
        if matches!(c, '.' | '?' | '!' | '\n') {
            let sentence = &question[start..i];
            let words = key_words(sentence).len();
            // A sentence counts with two words or more, or one in a question.
            if words >= 2 || (words == 1 && c == '?') {
                best = best.max(coverage(sentence, title, text));
            }
            start = i + c.len_utf8();
        }
    }
    let rest = &question[start..];
    if key_words(rest).len() >= 2 {
        best = best.max(coverage(rest, title, text));
    }
    best
}

fn coverage(question: &str, title: &str, text: &str) -> u8 {
    let asked = key_words(question);
    if asked.is_empty() {
        return 0;
    }
    let title_words = key_words(title);
    let text_words = key_words(text);
    let score: f64 = asked
        .iter()
        .map(|w| {
            if title_words.iter().any(|t| same_word(w, t)) {
                1.0
            } else if text_words.iter().any(|t| same_word(w, t)) {
                0.7
            } else {
                0.0
            }
        })
        .sum();
    ((score / asked.len() as f64) * 100.0)
        .round()
        .clamp(0.0, 100.0) as u8
}

/// Whether the customer asks for a person.
pub fn wants_person(text: &str) -> bool {
    let t = text.to_lowercase();
    const PHRASES: &[&str] = &[
        "human",
        "real person",
        "a person",
        "someone real",
        "talk to someone",
        "speak to someone",
        "talk to somebody",
        "speak to somebody",
        "representative",
        "operator",
        "live agent",
        "an agent",
        "real agent",
        "customer service",
        "not a bot",
        "stop bot",
        "no bot",
    ];
    PHRASES.iter().any(|p| t.contains(p)) || t.trim() == "agent" || t.trim() == "person"
}

/// Whether the customer sounds upset: negative words, shouting (words in capitals) and
/// repeated exclamation marks add up to 2 or more.
pub fn upset(text: &str) -> bool {
    const WORDS: &[(&str, u8)] = &[
        ("furious", 3),
        ("outraged", 3),
        ("disgusting", 3),
        ("angry", 2),
        ("terrible", 2),
        ("awful", 2),
        ("horrible", 2),
        ("worst", 2),
        ("useless", 2),
        ("ridiculous", 2),
        ("unacceptable", 2),
        ("scam", 2),
        ("hate", 2),
        ("rubbish", 2),
        ("pathetic", 2),
        ("frustrated", 2),
        ("frustrating", 2),
        ("lawyer", 2),
        ("fraud", 2),
        ("disappointed", 1),
        ("annoyed", 1),
        ("annoying", 1),
        ("complaint", 1),
        ("joke", 1),
        ("still", 1),
        ("again", 1),
        ("never", 1),
    ];
    let mut score = 0u32;
    for w in text.split(|c: char| !c.is_alphanumeric()) {
        let lower = w.to_lowercase();
        if let Some((_, n)) = WORDS.iter().find(|(x, _)| *x == lower) {
            score += u32::from(*n);
        }
        if w.chars().count() >= 4 && w.chars().all(|c| c.is_uppercase()) {
            score += 1;
        }
    }
    if text.contains("!!") || text.contains("?!") {
        score += 1;
    }
    score >= 2
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_article_whose_title_has_the_questions_words_is_a_sure_answer() {
        assert_eq!(
            confidence("How do I return an item?", "How do I return an item?", ""),
            100
        );
        let partly = confidence(
            "returning my boots, when is the refund",
            "When will I get my refund?",
            "Refunds go back to the card once the return reaches us.",
        );
        assert!((50..100).contains(&partly), "{partly}");
        assert!(confidence("my parcel never arrived", "Caring for a tent", "Dry it") < 30);
        assert_eq!(confidence("the and?", "Anything", "at all"), 0);
        let mail = "Hello team,\nI ordered boots last week from your shop in Leeds.\nHow do I return an item?\nRegards, Rita";
        assert_eq!(confidence(mail, "How do I return an item?", ""), 100);
    }

    #[test]
    fn asking_for_a_person_is_recognised_in_many_words() {
        for t in [
            "Can I talk to a human?",
            "real person please",
            "agent",
            "I want a representative",
        ] {
            assert!(wants_person(t), "{t}");
        }
        for t in ["How do I return boots?", "my order number is 1234"] {
            assert!(!wants_person(t), "{t}");
        }
    }

    #[test]
    fn anger_shouting_and_exclamations_count_as_upset_but_a_plain_question_does_not() {
        assert!(upset("This is ridiculous, the worst service ever"));
        assert!(upset("WHERE IS MY ORDER"));
        assert!(upset("I am disappointed!!"));
        assert!(!upset("Where is my order?"));
        assert!(!upset("I am a bit disappointed"));
    }

    #[test]
    fn settings_out_of_range_are_refused() {
        assert!(Settings::default().check().is_ok());
        let s = Settings {
            confidence: 5,
            ..Settings::default()
        };
        assert!(s.check().is_err());
        let s = Settings {
            max_answers: 0,
            ..Settings::default()
        };
        assert!(s.check().is_err());
    }
}
