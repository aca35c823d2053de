//! Files to download or mail: tables as CSV (one table) or XLSX (one sheet per table). A
//! report becomes its figures, agents, backlog and busiest hours (`report`); conversations and
//! messages are exported raw (`raw`).

pub mod raw;
pub mod report;
pub mod xlsx;

use crate::EngineError;
use xlsx::Cell;

/// A file format for exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, EngineError> {
        match s.trim().to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "xlsx" => Ok(Format::Xlsx),
            other => Err(EngineError::invalid(
                "format",
                format!("must be csv or xlsx, not {other:?}"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Xlsx => "xlsx",
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Xlsx => "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    }
}

/// A named table: a header and rows.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub name: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

impl Table {
    pub fn new(name: &str, header: &[&str]) -> Table {
        Table {
            name: name.to_string(),
            header: header.iter().map(|h| h.to_string()).collect(),
            rows: Vec::new(),
        }
    }
}

/// A text cell, or an empty one for "".
pub fn text(s: impl Into<String>) -> Cell {
    let s = s.into();
    if s.is_empty() {
        Cell::Empty
    } else {
        Cell::Text(s)
    }
}

/// A number cell, or an empty one for `None`.
pub fn number(v: Option<f64>) -> Cell {
    v.map_or(Cell::Empty, Cell::Number)
}

/// A CSV field: quoted when it holds a comma, quote or line break; a leading `=`, `+`, `-`
/// or `@` of text is prefixed with `'` so spreadsheets never run it as a formula.
pub fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
        format!("'{s}")
    } else {
        s.to_string()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

fn csv_cell(c: &Cell) -> String {
    match c {
        Cell::Text(s) => csv_field(s),
        Cell::Number(n) if n.is_finite() => {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                format!("{}", *n as i64)
            } else {
                format!("{n}")
            }
        }
        Cell::Number(_) | Cell::Empty => String::new(),
    }
}

/// Appends one CSV line (CRLF, as RFC 4180 has it).
pub fn csv_line(out: &mut String, cells: &[Cell]) {
    let line: Vec<String> = cells.iter().map(csv_cell).collect();
    out.push_str(&line.join(","));
    out.push_str("\r\n");
}

/// One table as CSV.
pub fn csv(t: &Table) -> String {
    let mut out = String::new();
    let header: Vec<Cell> = t.header.iter().map(|h| Cell::Text(h.clone())).collect();
    csv_line(&mut out, &header);
    for r in &t.rows {
        csv_line(&mut out, r);
    }
    out
}

/// Tables as an XLSX workbook, one sheet each.
pub fn workbook(tables: &[Table]) -> Vec<u8> {
    let sheets: Vec<xlsx::Sheet> = tables
        .iter()
        .map(|t| {
            let mut rows = vec![t.header.iter().map(|h| Cell::Text(h.clone())).collect()];
            rows.extend(t.rows.iter().cloned());
            xlsx::Sheet {
                name: t.name.clone(),
                rows,
            }
        })
        .collect();
    xlsx::workbook(&sheets)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(csv_field("-12.5"), "-12.5");
        let mut t = Table::new("t", &["a", "b"]);
        t.rows.push(vec![Cell::Number(3.0), Cell::Number(2.5)]);
        t.rows.push(vec![Cell::Empty, text("x")]);
        assert_eq!(csv(&t), "a,b\r\n3,2.5\r\n,x\r\n");
    }
}
