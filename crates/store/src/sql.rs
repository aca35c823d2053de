//! A tiny builder for SQL whose shape depends on the request (filters, `IN` lists), numbering
//! `$n` placeholders as it goes so the same text runs on both backends.

use sqlx::any::AnyArguments;
use sqlx::query::{Query, QueryAs};
use sqlx::{Any, AssertSqlSafe, FromRow};

/// A bound value.
#[derive(Debug, Clone)]
pub enum Arg {
    Int(i64),
    Text(String),
    NullInt,
}

impl From<i64> for Arg {
    fn from(v: i64) -> Arg {
        Arg::Int(v)
    }
}
impl From<&str> for Arg {
    fn from(v: &str) -> Arg {
        Arg::Text(v.to_string())
    }
}
impl From<String> for Arg {
    fn from(v: String) -> Arg {
        Arg::Text(v)
    }
}
impl From<Option<i64>> for Arg {
    fn from(v: Option<i64>) -> Arg {
        v.map_or(Arg::NullInt, Arg::Int)
    }
}

#[derive(Debug, Default, Clone)]
pub struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub fn new(text: &str) -> Sql {
        Sql {
            text: text.to_string(),
            args: Vec::new(),
        }
    }

    /// Appends SQL text. Only ever pass text written in this crate, never input.
    pub fn push(&mut self, text: &str) -> &mut Sql {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder bound to `arg`.
    pub fn bind(&mut self, arg: impl Into<Arg>) -> &mut Sql {
        self.args.push(arg.into());
        let n = self.args.len();
        self.text.push('$');
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends `(v1, v2, …)` for an `IN` list; an empty list becomes `(NULL)`, matching nothing.
    pub fn bind_list(&mut self, values: &[i64]) -> &mut Sql {
        if values.is_empty() {
            return self.push("(NULL)");
        }
        self.push("(");
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.push(", ");
            }
            self.bind(*v);
        }
        self.push(")")
    }

    /// Binds `arg` as placeholder `$n` that the caller already wrote into the text (for SQL
    /// that uses the same value twice, like a rank and a match). `n` must be `next_index()`.
    pub fn bind_placeholder_value(&mut self, arg: impl Into<Arg>, n: usize) -> &mut Sql {
        debug_assert_eq!(n, self.args.len() + 1);
        self.args.push(arg.into());
        self
    }

    /// The number the next placeholder will get.
    pub fn next_index(&self) -> usize {
        self.args.len() + 1
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn query(&self) -> Query<'static, Any, AnyArguments> {
        let mut q = sqlx::query(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::NullInt => q.bind(None::<i64>),
            };
        }
        q
    }

    pub fn query_as<T>(&self) -> QueryAs<'static, Any, T, AnyArguments>
    where
        T: for<'r> FromRow<'r, sqlx::any::AnyRow>,
    {
        let mut q = sqlx::query_as(AssertSqlSafe(self.text.clone()));
        for a in &self.args {
            q = match a {
                Arg::Int(v) => q.bind(*v),
                Arg::Text(v) => q.bind(v.clone()),
                Arg::NullInt => q.bind(None::<i64>),
            };
        }
        q
    }
}

/// Which ordered lists `set_positions` may reorder.
#[derive(Debug, Clone, Copy)]
pub enum Ordered {
    SlaPolicies,
    Automations,
}

/// Puts the rows of an ordered list in the order of `ids` (rows not listed keep their place
/// after them).
pub async fn set_positions(tx: &mut crate::Conn, list: Ordered, ids: &[i64]) -> crate::Result<()> {
    let table = match list {
        Ordered::SlaPolicies => "sla_policies",
        Ordered::Automations => "automations",
    };
    for (i, id) in ids.iter().enumerate() {
        sqlx::query(AssertSqlSafe(format!(
            "UPDATE {table} SET position = $1 WHERE id = $2"
        )))
        .bind(i as i64 - ids.len() as i64)
        .bind(*id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}
