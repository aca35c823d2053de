//! The help center's reader language: the one they picked (cookie `steward_lang`, set at
//! `/help/lang/{code}`), else the first of their browser's `Accept-Language`, else English.
//! Lists show each article once, in the reader's language when it has that translation.

use crate::AppState;
use crate::authz::cookie_in;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Redirect, Response};
use std::collections::HashMap;
use steward_domain::kb::{language_name, same_language};
use steward_store::kb::{Article, Title};

const COOKIE: &str = "steward_lang";

pub fn reader_language(headers: &HeaderMap) -> String {
    if let Some(l) = cookie_in(headers, COOKIE).filter(|l| steward_domain::kb::locale(l).is_ok()) {
        return l;
    }
    headers
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(',').next())
        .map(|v| v.split(';').next().unwrap_or("").trim().to_string())
        .filter(|l| l != "*" && steward_domain::kb::locale(l).is_ok())
        .unwrap_or_else(|| "en".into())
}

/// Each translation group once: the reader's language when present, else the original.
pub fn one_per_group(titles: Vec<Title>, lang: &str) -> Vec<Title> {
    let mut best: HashMap<i64, Title> = HashMap::new();
    let mut order: Vec<i64> = Vec::new();
    for t in titles {
        let root = t.root();
        let better = match best.get(&root) {
            None => {
                order.push(root);
                true
            }
            Some(have) => {
                let fits = same_language(&t.locale, lang);
                let have_fits = same_language(&have.locale, lang);
                (fits && !have_fits) || (fits == have_fits && t.translation_of.is_none())
            }
        };
        if better {
            best.insert(root, t);
        }
    }
    order.into_iter().filter_map(|r| best.remove(&r)).collect()
}

/// Search results once per group, keeping the rank of each group's best match.
pub fn one_article_per_group(found: Vec<Article>, lang: &str) -> Vec<Article> {
    let mut out: Vec<Article> = Vec::new();
    for a in found {
        let root = a.translation_of.unwrap_or(a.id);
        match out
            .iter_mut()
            .find(|o| o.translation_of.unwrap_or(o.id) == root)
        {
            Some(o) if same_language(&a.locale, lang) && !same_language(&o.locale, lang) => *o = a,
            Some(_) => {}
            None => out.push(a),
        }
    }
    out
}

/// The languages of `titles` as (code, name, is the reader's), for the language links.
pub fn languages(titles: &[Title], lang: &str) -> Vec<(String, String, bool)> {
    let mut codes: Vec<String> = titles.iter().map(|t| t.locale.clone()).collect();
    codes.sort();
    codes.dedup();
    if codes.len() < 2 {
        return Vec::new();
    }
    codes
        .into_iter()
        .map(|c| {
            let name = language_name(&c);
            let current = same_language(&c, lang);
            (c, name, current)
        })
        .collect()
}

/// `/help/lang/{code}`: remembers the reader's language for a year.
pub async fn choose(State(s): State<AppState>, Path(code): Path<String>) -> Response {
    let Ok(code) = steward_domain::kb::locale(&code) else {
        return Redirect::to("/help").into_response();
    };
    let cookie = format!(
        "{COOKIE}={code}; Path=/; SameSite=Lax; Max-Age=31536000{}",
        if s.secure_cookies { "; Secure" } else { "" }
    );
    ([(header::SET_COOKIE, cookie)], Redirect::to("/help")).into_response()
}
