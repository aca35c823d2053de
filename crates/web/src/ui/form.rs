//! Form bodies as ordered name/value pairs, so repeated names (tags, teams) are kept.

use crate::error::{PageError, Problem};
use axum::extract::{FromRequest, Request};

pub struct FormData(pub Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for FormData {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        match axum::Form::<Vec<(String, String)>>::from_request(req, state).await {
            Ok(axum::Form(v)) => Ok(FormData(v)),
            Err(e) => Err(PageError(Problem::bad_request(e.body_text()))),
        }
    }
}

impl FormData {
    /// The first value of `name`, or "".
    pub fn get(&self, name: &str) -> &str {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map_or("", |(_, v)| v.as_str())
    }

    pub fn opt(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// A numeric id field: `None` when empty or `0` (a select's "none").
    pub fn id(&self, name: &str) -> Result<Option<i64>, PageError> {
        match self.get(name) {
            "" | "0" => Ok(None),
            v => v
                .parse()
                .map(Some)
                .map_err(|_| PageError(Problem::bad_request(format!("{name} must be a number")))),
        }
    }

    /// A numeric id field that must be there.
    pub fn required_id(&self, name: &str) -> Result<i64, PageError> {
        self.id(name)?
            .ok_or_else(|| PageError(Problem::bad_request(format!("{name} is missing"))))
    }

    /// Values of every field whose name starts with `prefix`, without the prefix.
    pub fn with_prefix<'a>(
        &'a self,
        prefix: &'a str,
    ) -> impl Iterator<Item = (&'a str, &'a str)> + 'a {
        self.0
            .iter()
            .filter_map(move |(k, v)| k.strip_prefix(prefix).map(|k| (k, v.as_str())))
    }
}

/// A query parameter's trimmed value from a page's query pairs; `None` when absent or empty
/// (a filter left at "any").
pub fn query_value(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs
        .iter()
        .find(|(k, v)| k == name && !v.trim().is_empty())
        .map(|(_, v)| v.trim().to_string())
}
