//! Knowledge-base rules: what an article and a category may be (title, Markdown size, state,
//! visibility, locale, tags) and the URL slug made from a title. No IO.

use crate::DomainError;
use crate::kinds::word_enum;
use crate::validate;
use serde::{Deserialize, Serialize};

word_enum!(
    /// Whether readers see an article yet.
    State, "state" { Draft => "draft", Published => "published" }
);

word_enum!(
    /// Who may read a published article: everyone (the help center) or agents only.
    Reach, "visibility" { Public => "public", Internal => "internal" }
);

/// The longest article, in bytes of Markdown.
pub const MAX_BODY: usize = 200_000;

/// A URL slug: lower-case ASCII letters and digits joined by single hyphens, at most 80
/// characters; letters with accents lose them, other characters become hyphens. "article"
/// when nothing is left.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(fold) {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
        if out.len() >= 80 {
            break;
        }
    }
    let out = out.trim_end_matches('-').to_string();
    if out.is_empty() {
        "article".into()
    } else {
        out
    }
}

/// A few common accented letters without their accents.
fn fold(c: char) -> Vec<char> {
    let plain = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => 'a',
        'ç' => 'c',
        'è' | 'é' | 'ê' | 'ë' => 'e',
        'ì' | 'í' | 'î' | 'ï' => 'i',
        'ñ' => 'n',
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' => 'o',
        'ù' | 'ú' | 'û' | 'ü' => 'u',
        'ý' | 'ÿ' => 'y',
        'ß' => return vec!['s', 's'],
        other => other,
    };
    vec![plain]
}

/// A locale like `en` or `pt-BR`.
/// A language's own name for a tag's language (`de-AT` is Deutsch); the tag itself when not
/// among the common ones.
pub fn language_name(tag: &str) -> String {
    let primary = tag.split('-').next().unwrap_or("").to_ascii_lowercase();
    let name = match primary.as_str() {
        "en" => "English",
        "de" => "Deutsch",
        "fr" => "Français",
        "es" => "Español",
        "it" => "Italiano",
        "nl" => "Nederlands",
        "pt" => "Português",
        "sv" => "Svenska",
        "da" => "Dansk",
        "nb" | "no" => "Norsk",
        "fi" => "Suomi",
        "pl" => "Polski",
        "cs" => "Čeština",
        "tr" => "Türkçe",
        "ja" => "日本語",
        "zh" => "中文",
        "ko" => "한국어",
        _ => return tag.to_string(),
    };
    name.to_string()
}

/// Whether an article in `locale` suits a reader of `wanted` (same primary language).
pub fn same_language(locale: &str, wanted: &str) -> bool {
    let p = |t: &str| t.split('-').next().unwrap_or("").to_ascii_lowercase();
    p(locale) == p(wanted)
}

pub fn locale(value: &str) -> Result<String, DomainError> {
    let v = value.trim();
    let ok = !v.is_empty()
        && v.len() <= 12
        && v.split('-')
            .all(|p| !p.is_empty() && p.len() <= 8 && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if ok {
        Ok(v.to_string())
    } else {
        Err(DomainError::invalid(
            "locale",
            "must be a language tag like en or pt-BR",
        ))
    }
}

/// An article's title, Markdown and tags, checked.
pub fn check_article(
    title: &str,
    body_md: &str,
    tags: &[String],
) -> Result<(String, Vec<String>), DomainError> {
    let title = validate::required("title", title, validate::MAX_SUBJECT)?;
    if body_md.len() > MAX_BODY {
        return Err(DomainError::invalid(
            "body",
            format!("must be at most {MAX_BODY} bytes"),
        ));
    }
    let mut clean = Vec::new();
    for t in tags {
        let t = validate::tag(t)?;
        if !clean.contains(&t) {
            clean.push(t);
        }
    }
    Ok((title, clean))
}

/// A piece of `text` around the first word of `query` it contains, at most `width`
/// characters, as (text, is a match) runs for the page to mark; the start of the text when no
/// word occurs. Matching ignores case.
pub fn snippet(text: &str, query: &str, width: usize) -> Vec<(String, bool)> {
    let chars: Vec<char> = text
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .chars()
        .collect();
    let lower: Vec<char> = chars
        .iter()
        .map(|c| c.to_lowercase().next().unwrap_or(*c))
        .collect();
    let words: Vec<Vec<char>> = query
        .split_whitespace()
        .map(|w| {
            w.to_lowercase()
                .chars()
                .filter(|c| c.is_alphanumeric())
                .collect::<Vec<char>>()
        })
        .filter(|w| !w.is_empty())
        .collect();
    let at = |i: usize| {
        words
            .iter()
            .find(|w| lower[i..].starts_with(w))
            .map(Vec::len)
    };
    let first = (0..lower.len()).find(|&i| at(i).is_some()).unwrap_or(0);
    let start = first.saturating_sub(width / 3);
    let end = (start + width).min(chars.len());
    let mut out: Vec<(String, bool)> = Vec::new();
    let mut push = |t: String, m: bool| match out.last_mut() {
        Some((last, lm)) if *lm == m => last.push_str(&t),
        _ => out.push((t, m)),
    };
    if start > 0 {
        push("…".into(), false);
    }
    let mut i = start;
    while i < end {
        match at(i) {
            Some(n) => {
                let stop = (i + n).min(end);
                push(chars[i..stop].iter().collect(), true);
                i = stop;
            }
            None => {
                push(chars[i].to_string(), false);
                i += 1;
            }
        }
    }
    if end < chars.len() {
        push("…".into(), false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_snippet_marks_the_words_searched_for_around_the_first_one() {
        let s = snippet(
            "Our policy. Boots can be returned within thirty days. Returns are free of charge for members.",
            "RETURN",
            60,
        );
        let marked: Vec<&str> = s
            .iter()
            .filter(|(_, m)| *m)
            .map(|(t, _)| t.as_str())
            .collect();
        assert_eq!(marked, ["return", "Return"]);
        let whole: String = s.iter().map(|(t, _)| t.as_str()).collect();
        assert!(whole.starts_with('…') && whole.ends_with('…'), "{whole}");
        assert_eq!(snippet("short", "none", 40), [("short".to_string(), false)]);
    }

    #[test]
    fn slugs_are_plain_lower_case_words_joined_by_hyphens() {
        assert_eq!(slug("How do I return boots?"), "how-do-i-return-boots");
        assert_eq!(slug("  Crème brûlée & Straße!  "), "creme-brulee-strasse");
        assert_eq!(slug("<script>"), "script");
        assert_eq!(slug("???"), "article");
        assert!(slug(&"word ".repeat(40)).len() <= 80);
    }

    #[test]
    fn locales_are_language_tags() {
        assert_eq!(locale("pt-BR").as_deref(), Ok("pt-BR"));
        assert!(locale("").is_err());
        assert!(locale("en_US").is_err());
        assert!(locale("../etc").is_err());
    }

    #[test]
    fn articles_need_a_title_and_keep_each_tag_once() {
        assert!(check_article(" ", "x", &[]).is_err());
        let (t, tags) =
            check_article("Returns", "x", &["Shipping".into(), "shipping".into()]).expect("ok");
        assert_eq!(t, "Returns");
        assert_eq!(tags, ["shipping"]);
    }
}
