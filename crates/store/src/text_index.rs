//! Writes to the full-text indexes (`search_docs`, `people_docs`), deferred to commit.
//!
//! A transaction records what it puts into or removes from an index; the ops run in order
//! right before the `COMMIT` that makes the transaction durable, in the same commit. On SQLite
//! that matters twice over: FTS5 writes a new index segment (and merges older ones) whenever a
//! savepoint follows a write to it, so indexing inside each group-commit savepoint would cost
//! a segment per request; applied after the batch's savepoints, the whole batch shares one
//! segment. Consecutive ops of one kind become one multi-row statement.
//!
//! Text is indexed as words (FTS5 `unicode61` with diacritics folded; PostgreSQL's `simple`
//! configuration). Scripts written without spaces (Chinese, Japanese, Korean) are indexed one
//! character per word, and a searched run of them becomes a phrase of adjacent characters, so
//! a word inside a CJK sentence is found.

use crate::sql::{Arg, Sql};
use crate::{Conn, Result};

/// One of the two text indexes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextIndex {
    /// Subjects, messages and notes; the rowid is a `search_rows` id.
    Docs,
    /// Customers' names and identities; the rowid is the customer id.
    People,
}

impl TextIndex {
    fn table(self) -> &'static str {
        match self {
            TextIndex::Docs => "search_docs",
            TextIndex::People => "people_docs",
        }
    }
}

/// A recorded change to a text index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexOp {
    Put {
        index: TextIndex,
        rowid: i64,
        body: String,
    },
    Remove {
        index: TextIndex,
        rowid: i64,
    },
}

/// Rows per multi-row statement (two parameters each, well under both databases' limits).
const CHUNK: usize = 400;

/// Runs `ops` in order on `conn`, grouping runs of the same kind on the same index.
pub(crate) async fn apply(conn: &mut Conn, ops: &[IndexOp]) -> Result<()> {
    let mut rest = ops;
    while let Some(first) = rest.first() {
        let run = rest
            .iter()
            .take(CHUNK)
            .take_while(|op| same_run(first, op))
            .count();
        let (now, later) = rest.split_at(run);
        statement(now).query().execute(&mut *conn).await?;
        rest = later;
    }
    Ok(())
}

fn same_run(a: &IndexOp, b: &IndexOp) -> bool {
    match (a, b) {
        (IndexOp::Put { index: x, .. }, IndexOp::Put { index: y, .. })
        | (IndexOp::Remove { index: x, .. }, IndexOp::Remove { index: y, .. }) => x == y,
        _ => false,
    }
}

/// One statement for a run of ops of one kind on one index.
fn statement(run: &[IndexOp]) -> Sql {
    let mut q = Sql::new("");
    match run.first() {
        Some(IndexOp::Put { index, .. }) => {
            q.push(&format!(
                "INSERT INTO {} (rowid, body) VALUES ",
                index.table()
            ));
            for (i, op) in run.iter().enumerate() {
                if let IndexOp::Put { rowid, body, .. } = op {
                    q.push(if i == 0 { "(" } else { ", (" });
                    q.bind(*rowid)
                        .push(", ")
                        .bind(Arg::Text(words(body)))
                        .push(")");
                }
            }
        }
        Some(IndexOp::Remove { index, .. }) => {
            let ids: Vec<i64> = run
                .iter()
                .filter_map(|op| match op {
                    IndexOp::Remove { rowid, .. } => Some(*rowid),
                    IndexOp::Put { .. } => None,
                })
                .collect();
            q.push(&format!("DELETE FROM {} WHERE rowid IN ", index.table()));
            q.bind_list(&ids);
        }
        None => {}
    }
    q
}

/// Whether `c` belongs to a script written without spaces between words.
pub fn is_unspaced(c: char) -> bool {
    matches!(c,
        '\u{3040}'..='\u{30FF}'     // Hiragana, Katakana
        | '\u{3400}'..='\u{4DBF}'   // CJK extension A
        | '\u{4E00}'..='\u{9FFF}'   // CJK unified ideographs
        | '\u{AC00}'..='\u{D7AF}'   // Hangul syllables
        | '\u{F900}'..='\u{FAFF}'   // CJK compatibility ideographs
        | '\u{20000}'..='\u{2FFFF}' // CJK extensions B–F
    )
}

/// The text as it goes into the index: unspaced-script characters stand apart as words.
pub fn words(text: &str) -> String {
    if !text.chars().any(is_unspaced) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + text.len() / 2);
    for c in text.chars() {
        if is_unspaced(c) {
            out.push(' ');
            out.push(c);
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cjk_characters_are_indexed_as_words_and_latin_text_is_untouched() {
        assert_eq!(words("refund please"), "refund please");
        assert_eq!(words("退款ok"), " 退  款 ok");
    }

    #[test]
    fn runs_of_one_kind_share_a_statement_and_order_is_kept() {
        let put = |rowid| IndexOp::Put {
            index: TextIndex::People,
            rowid,
            body: "x".into(),
        };
        let remove = |rowid| IndexOp::Remove {
            index: TextIndex::People,
            rowid,
        };
        let ops = [remove(1), remove(2), put(1), put(2), put(3)];
        assert!(same_run(&ops[0], &ops[1]));
        assert!(!same_run(&ops[1], &ops[2]));
        assert_eq!(
            statement(&ops[0..2]).text(),
            "DELETE FROM people_docs WHERE rowid IN ($1, $2)"
        );
        assert_eq!(
            statement(&ops[2..]).text(),
            "INSERT INTO people_docs (rowid, body) VALUES ($1, $2), ($3, $4), ($5, $6)"
        );
    }
}
