//! A small, dependency-light writer for Office Open XML spreadsheets (.xlsx).
//!
//! This module owns turning in-memory rows into the bytes of a workbook that
//! Excel, LibreOffice and the common libraries open without complaint: the zip
//! container (stored with deflate, CRC-32 checked), the package parts
//! (`[Content_Types].xml`, relationships, workbook, styles) and one worksheet
//! part per [`Sheet`]. It knows nothing about HTTP or about what the rows mean.
//!
//! What it does for its callers:
//! - Text is always written as an inline string (`t="inlineStr"`), so a cell
//!   that starts with `=`, `+`, `-` or `@` is shown as text and never evaluated
//!   as a formula (no CSV-style formula injection). Text is XML-escaped,
//!   characters that XML 1.0 forbids (control characters other than tab, LF
//!   and CR) are dropped, and text is cut to Excel's 32,767-character cell limit.
//! - Numbers use Rust's shortest round-trip formatting; NaN and infinities are
//!   written as empty cells.
//! - The first row of every sheet is treated as a header: bold and frozen.
//! - Sheet names are made acceptable to Excel: forbidden characters
//!   (`: \ / ? * [ ]`) become `_`, names are cut to 31 characters, made
//!   unique (case-insensitively), and an empty name becomes `SheetN`.
//!   Zero sheets still yield a workbook with one empty sheet.
//! - Rows and columns past Excel's grid (1,048,576 × 16,384) are left out.
//! - Output is deterministic: every zip entry carries the date 1980-01-01.
//!
//! Limits: no ZIP64, so a workbook must stay under 4 GiB and 65,530 sheets.

use std::fmt::Write as _;
use std::io::Write as _;

use flate2::{Compression, write::DeflateEncoder};

/// One cell of a sheet.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// Shown as text, never as a formula.
    Text(String),
    /// Written as a number; NaN and infinities become empty cells.
    Number(f64),
    /// Nothing is written for this cell.
    Empty,
}

/// One worksheet: a tab name and its rows, first row first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sheet {
    /// The tab's name; sanitized when written (see the module docs).
    pub name: String,
    /// Rows of cells; rows need not have the same length.
    pub rows: Vec<Vec<Cell>>,
}

const MAX_ROWS: usize = 1_048_576;
const MAX_COLS: usize = 16_384;
const MAX_CELL_UTF16: usize = 32_767;
const MAX_SHEET_NAME_UTF16: usize = 31;

const XML_HEAD: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n";
const NS_MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
const NS_REL: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const NS_PKG_REL: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
const CT_PREFIX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml";

/// Builds a complete .xlsx file from `sheets`.
pub fn workbook(sheets: &[Sheet]) -> Vec<u8> {
    let fallback = [Sheet::default()];
    let sheets = if sheets.is_empty() { &fallback } else { sheets };
    let names = sheet_names(sheets);
    let n = sheets.len();

    let mut types = format!(
        "{XML_HEAD}<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">\
         <Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/>\
         <Default Extension=\"xml\" ContentType=\"application/xml\"/>\
         <Override PartName=\"/xl/workbook.xml\" ContentType=\"{CT_PREFIX}.sheet.main+xml\"/>\
         <Override PartName=\"/xl/styles.xml\" ContentType=\"{CT_PREFIX}.styles+xml\"/>"
    );
    let mut book = format!("{XML_HEAD}<workbook xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\"><sheets>");
    let mut book_rels = format!("{XML_HEAD}<Relationships xmlns=\"{NS_PKG_REL}\">");
    for (i, name) in names.iter().enumerate() {
        let k = i + 1;
        let _ = write!(
            types,
            "<Override PartName=\"/xl/worksheets/sheet{k}.xml\" ContentType=\"{CT_PREFIX}.worksheet+xml\"/>"
        );
        let _ = write!(
            book,
            "<sheet name=\"{}\" sheetId=\"{k}\" r:id=\"rId{k}\"/>",
            escape(name)
        );
        let _ = write!(
            book_rels,
            "<Relationship Id=\"rId{k}\" Type=\"{NS_REL}/worksheet\" Target=\"worksheets/sheet{k}.xml\"/>"
        );
    }
    types.push_str("</Types>");
    book.push_str("</sheets></workbook>");
    let _ = write!(
        book_rels,
        "<Relationship Id=\"rId{}\" Type=\"{NS_REL}/styles\" Target=\"styles.xml\"/></Relationships>",
        n + 1
    );
    let root_rels = format!(
        "{XML_HEAD}<Relationships xmlns=\"{NS_PKG_REL}\">\
         <Relationship Id=\"rId1\" Type=\"{NS_REL}/officeDocument\" Target=\"xl/workbook.xml\"/>\
         </Relationships>"
    );

    let mut zip = Zip::default();
    zip.add("[Content_Types].xml", types.as_bytes());
    zip.add("_rels/.rels", root_rels.as_bytes());
    zip.add("xl/workbook.xml", book.as_bytes());
    zip.add("xl/_rels/workbook.xml.rels", book_rels.as_bytes());
    zip.add("xl/styles.xml", styles().as_bytes());
    for (i, sheet) in sheets.iter().enumerate() {
        let name = format!("xl/worksheets/sheet{}.xml", i + 1);
        zip.add(&name, worksheet(sheet, i == 0).as_bytes());
    }
    zip.finish()
}

/// Style 0 is plain; style 1 is bold (used for the header row).
fn styles() -> String {
    format!(
        "{XML_HEAD}<styleSheet xmlns=\"{NS_MAIN}\">\
         <fonts count=\"2\"><font><sz val=\"11\"/><name val=\"Calibri\"/></font>\
         <font><b/><sz val=\"11\"/><name val=\"Calibri\"/></font></fonts>\
         <fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>\
         <fill><patternFill patternType=\"gray125\"/></fill></fills>\
         <borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
         <cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>\
         <cellXfs count=\"2\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>\
         <xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/></cellXfs>\
         <cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>\
         </styleSheet>"
    )
}

/// The worksheet part: a frozen, bold first row, then every non-empty cell.
fn worksheet(sheet: &Sheet, selected: bool) -> String {
    let mut xml = format!("{XML_HEAD}<worksheet xmlns=\"{NS_MAIN}\" xmlns:r=\"{NS_REL}\">");
    let tab = if selected { " tabSelected=\"1\"" } else { "" };
    let _ = write!(xml, "<sheetViews><sheetView{tab} workbookViewId=\"0\">");
    if !sheet.rows.is_empty() {
        xml.push_str(
            "<pane ySplit=\"1\" topLeftCell=\"A2\" activePane=\"bottomLeft\" state=\"frozen\"/>\
             <selection pane=\"bottomLeft\" activeCell=\"A2\" sqref=\"A2\"/>",
        );
    }
    xml.push_str("</sheetView></sheetViews><sheetData>");
    for (r, row) in sheet.rows.iter().take(MAX_ROWS).enumerate() {
        let style = if r == 0 { " s=\"1\"" } else { "" };
        let _ = write!(xml, "<row r=\"{}\">", r + 1);
        for (c, cell) in row.iter().take(MAX_COLS).enumerate() {
            let at = format!("{}{}", column(c), r + 1);
            match cell {
                Cell::Text(text) => {
                    let _ = write!(
                        xml,
                        "<c r=\"{at}\"{style} t=\"inlineStr\"><is><t xml:space=\"preserve\">{}</t></is></c>",
                        escape(&clean(text, MAX_CELL_UTF16))
                    );
                }
                Cell::Number(x) if x.is_finite() => {
                    let _ = write!(xml, "<c r=\"{at}\"{style}><v>{}</v></c>", number(*x));
                }
                Cell::Number(_) | Cell::Empty => {}
            }
        }
        xml.push_str("</row>");
    }
    xml.push_str("</sheetData></worksheet>");
    xml
}

/// Column letters for a zero-based column index: 0 → A, 25 → Z, 26 → AA.
fn column(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        n -= 1;
        letters.push(b'A' + (n % 26) as u8);
        n /= 26;
    }
    letters.iter().rev().map(|&b| char::from(b)).collect()
}

/// Shortest round-trip text for a finite number, in exponent form when tiny or huge.
fn number(x: f64) -> String {
    let magnitude = x.abs();
    if magnitude == 0.0 || (1e-5..1e15).contains(&magnitude) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// Drops characters XML 1.0 forbids and cuts to `limit` UTF-16 units.
fn clean(text: &str, limit: usize) -> String {
    let mut used = 0;
    text.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
        })
        .take_while(|c| {
            used += c.len_utf16();
            used <= limit
        })
        .collect()
}

/// Escapes text for XML content or attributes. CR is written as a character
/// reference (parsers would otherwise turn it into LF), and an `_` that begins
/// `_xHHHH_` is escaped so spreadsheet readers do not decode it as a character.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for (i, c) in text.char_indices() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#13;"),
            '_' if looks_like_escape(&text[i..]) => out.push_str("_x005F_"),
            c => out.push(c),
        }
    }
    out
}

/// True when `s` starts with an OOXML character escape such as `_x000D_`.
fn looks_like_escape(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() >= 7 && b[1] == b'x' && b[2..6].iter().all(u8::is_ascii_hexdigit) && b[6] == b'_'
}

/// Tab names Excel accepts: sanitized, at most 31 characters, unique ignoring case.
fn sheet_names(sheets: &[Sheet]) -> Vec<String> {
    let mut names: Vec<String> = Vec::with_capacity(sheets.len());
    for (i, sheet) in sheets.iter().enumerate() {
        let forbidden = |c: char| {
            matches!(
                c,
                ':' | '\\' | '/' | '?' | '*' | '[' | ']' | '\u{FFFE}' | '\u{FFFF}'
            ) || c.is_control()
        };
        let mut base: String = sheet
            .name
            .chars()
            .map(|c| if forbidden(c) { '_' } else { c })
            .collect();
        // Excel also rejects a leading or trailing apostrophe, and reserves "History".
        if base.starts_with('\'') || base.ends_with('\'') || base.eq_ignore_ascii_case("history") {
            base = format!("_{}_", base.trim_matches('\''));
        }
        if base.trim().is_empty() {
            base = format!("Sheet{}", i + 1);
        }
        let taken = |n: &str| names.iter().any(|t| t.to_lowercase() == n.to_lowercase());
        let mut name = clean(&base, MAX_SHEET_NAME_UTF16);
        let mut k = 2;
        while taken(&name) {
            let suffix = format!(" ({k})");
            name = clean(&base, MAX_SHEET_NAME_UTF16 - suffix.len()) + &suffix;
            k += 1;
        }
        names.push(name);
    }
    names
}

/// A minimal zip writer: deflated entries, fixed timestamps, no ZIP64.
#[derive(Default)]
struct Zip {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

/// DOS date for 1980-01-01 (year 0, month 1, day 1); the time is 00:00:00.
const DOS_DATE: u16 = (1 << 5) | 1;

impl Zip {
    fn add(&mut self, name: &str, data: &[u8]) {
        let mut encoder = DeflateEncoder::new(Vec::new(), Compression::default());
        encoder
            .write_all(data)
            .expect("writing to a Vec cannot fail");
        let packed = encoder.finish().expect("writing to a Vec cannot fail");
        let crc = crc32fast::hash(data);
        let offset = self.out.len() as u32;
        // Shared fields: version needed 2.0, no flags, deflate, time, date,
        // CRC, compressed and uncompressed sizes, name length, no extra field.
        let mut common = Vec::with_capacity(26);
        for half in [20u16, 0, 8, 0, DOS_DATE] {
            common.extend_from_slice(&half.to_le_bytes());
        }
        for word in [crc, packed.len() as u32, data.len() as u32] {
            common.extend_from_slice(&word.to_le_bytes());
        }
        common.extend_from_slice(&(name.len() as u16).to_le_bytes());
        common.extend_from_slice(&0u16.to_le_bytes());

        self.out.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&common);
        self.out.extend_from_slice(name.as_bytes());
        self.out.extend_from_slice(&packed);

        self.central
            .extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        self.central.extend_from_slice(&20u16.to_le_bytes()); // version made by
        self.central.extend_from_slice(&common);
        // Comment length, disk number, internal and external attributes.
        self.central.extend_from_slice(&[0; 10]);
        self.central.extend_from_slice(&offset.to_le_bytes());
        self.central.extend_from_slice(name.as_bytes());
        self.entries += 1;
    }

    fn finish(mut self) -> Vec<u8> {
        let start = self.out.len() as u32;
        let size = self.central.len() as u32;
        self.out.append(&mut self.central);
        self.out.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        self.out.extend_from_slice(&[0; 4]); // this disk, disk with the directory
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&self.entries.to_le_bytes());
        self.out.extend_from_slice(&size.to_le_bytes());
        self.out.extend_from_slice(&start.to_le_bytes());
        self.out.extend_from_slice(&0u16.to_le_bytes()); // comment length
        self.out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read as _;

    fn u16_at(b: &[u8], at: usize) -> usize {
        usize::from(u16::from_le_bytes([b[at], b[at + 1]]))
    }

    fn u32_at(b: &[u8], at: usize) -> usize {
        u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
    }

    /// A tiny zip reader: walks the central directory (the file has no
    /// comment, so the end record is the last 22 bytes), inflates each entry
    /// from its local header and checks its CRC-32.
    fn unzip(zip: &[u8]) -> Vec<(String, String)> {
        let end = zip.len() - 22;
        assert_eq!(u32_at(zip, end), 0x0605_4b50, "end record");
        let count = u16_at(zip, end + 10);
        let mut at = u32_at(zip, end + 16);
        let mut parts = Vec::new();
        for _ in 0..count {
            assert_eq!(u32_at(zip, at), 0x0201_4b50, "central header");
            assert_eq!(u16_at(zip, at + 10), 8, "deflate");
            let (crc, packed_len) = (u32_at(zip, at + 16), u32_at(zip, at + 20));
            let name_len = u16_at(zip, at + 28);
            let name = String::from_utf8(zip[at + 46..at + 46 + name_len].to_vec()).expect("name");
            let local = u32_at(zip, at + 42);
            assert_eq!(u32_at(zip, local), 0x0403_4b50, "local header");
            let data = local + 30 + u16_at(zip, local + 26) + u16_at(zip, local + 28);
            let mut text = String::new();
            flate2::read::DeflateDecoder::new(&zip[data..data + packed_len])
                .read_to_string(&mut text)
                .expect("inflate");
            assert_eq!(
                crc32fast::hash(text.as_bytes()) as usize,
                crc,
                "crc of {name}"
            );
            parts.push((name, text));
            at += 46 + name_len + u16_at(zip, at + 30) + u16_at(zip, at + 32);
        }
        parts
    }

    fn part(zip: &[u8], name: &str) -> String {
        let parts = unzip(zip);
        let found = parts.into_iter().find(|(n, _)| n == name);
        found.expect("part present").1
    }

    fn sheet(name: &str, rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet {
            name: name.into(),
            rows,
        }
    }

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn column_letters_run_from_a_to_z_then_aa() {
        let cases = [(0, "A"), (25, "Z"), (26, "AA"), (51, "AZ"), (52, "BA")];
        for (index, letters) in
            cases
                .into_iter()
                .chain([(701, "ZZ"), (702, "AAA"), (16_383, "XFD")])
        {
            assert_eq!(column(index), letters, "column {index}");
        }
    }

    #[test]
    fn central_directory_lists_every_part() {
        let zip = workbook(&[sheet("One", vec![]), sheet("Two", vec![])]);
        let names: Vec<String> = unzip(&zip).into_iter().map(|(n, _)| n).collect();
        let expected = [
            "[Content_Types].xml",
            "_rels/.rels",
            "xl/workbook.xml",
            "xl/_rels/workbook.xml.rels",
            "xl/styles.xml",
            "xl/worksheets/sheet1.xml",
            "xl/worksheets/sheet2.xml",
        ];
        assert_eq!(names, expected);
        let types = part(&zip, "[Content_Types].xml");
        assert!(types.contains("PartName=\"/xl/worksheets/sheet2.xml\""));
        let rels = part(&zip, "xl/_rels/workbook.xml.rels");
        assert!(rels.contains("Id=\"rId3\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\""));
    }

    #[test]
    fn sheet_part_holds_escaped_text_and_plain_numbers() {
        let rows = vec![
            vec![text("Name & <title>"), text("\"quoted\" 'single'")],
            vec![
                text("=1+2"),
                Cell::Number(1.5),
                Cell::Empty,
                Cell::Number(-42.0),
            ],
            vec![
                Cell::Number(f64::NAN),
                Cell::Number(f64::INFINITY),
                Cell::Number(1e300),
            ],
        ];
        let xml = part(
            &workbook(&[sheet("Data", rows)]),
            "xl/worksheets/sheet1.xml",
        );
        let inline = "t=\"inlineStr\"><is><t xml:space=\"preserve\">";
        assert!(xml.contains(&format!(
            "<c r=\"A1\" s=\"1\" {inline}Name &amp; &lt;title&gt;</t></is></c>"
        )));
        assert!(xml.contains(&format!(
            "<c r=\"B1\" s=\"1\" {inline}&quot;quoted&quot; &apos;single&apos;</t>"
        )));
        assert!(
            xml.contains(&format!("<c r=\"A2\" {inline}=1+2</t>")),
            "formula text stays text"
        );
        assert!(xml.contains("<c r=\"B2\"><v>1.5</v></c>"));
        assert!(xml.contains("<c r=\"D2\"><v>-42</v></c>"));
        assert!(!xml.contains("r=\"C2\""), "empty cell is skipped");
        assert!(
            !xml.contains("r=\"A3\"") && !xml.contains("r=\"B3\""),
            "non-finite is empty"
        );
        assert!(xml.contains("<c r=\"C3\"><v>1e300</v></c>"));
        assert!(xml.contains("state=\"frozen\""));
    }

    #[test]
    fn numbers_use_shortest_round_trip_form() {
        assert_eq!(number(0.1), "0.1");
        assert_eq!(number(3.0), "3");
        assert_eq!(number(0.0), "0");
        assert_eq!(number(1.0 / 3.0).parse::<f64>(), Ok(1.0 / 3.0));
        assert_eq!(number(5e-324), "5e-324");
        assert_eq!(number(-1.25e20), "-1.25e20");
    }

    #[test]
    fn control_characters_are_dropped_from_text() {
        let raw = "a\u{0}b\u{7}c\u{1b}d\te\nf\rg\u{FFFF}h";
        let xml = part(
            &workbook(&[sheet("S", vec![vec![text(raw)]])]),
            "xl/worksheets/sheet1.xml",
        );
        assert!(xml.contains(">abcd\te\nf&#13;gh</t>"), "{xml}");
    }

    #[test]
    fn long_text_is_cut_to_the_excel_cell_limit() {
        assert_eq!(clean(&"x".repeat(40_000), MAX_CELL_UTF16).len(), 32_767);
        assert_eq!(clean("ab😀", 3), "ab", "a surrogate pair is not split");
    }

    #[test]
    fn literal_ooxml_escapes_are_protected() {
        assert_eq!(escape("a_x0041_b _x y_"), "a_x005F_x0041_b _x y_");
    }

    #[test]
    fn sheet_names_are_sanitized_truncated_and_made_unique() {
        let long = "A very long sheet name that goes on and on";
        let input = [
            "a:b\\c/d?e*f[g]h",
            "",
            long,
            long,
            "data",
            "DATA",
            "'quoted'",
            "history",
            "Sheet9",
            "",
        ];
        let sheets: Vec<Sheet> = input.iter().map(|n| sheet(n, vec![])).collect();
        let names = sheet_names(&sheets);
        assert_eq!(names[0], "a_b_c_d_e_f_g_h");
        assert_eq!(names[1], "Sheet2");
        assert_eq!(names[2], "A very long sheet name that goe");
        assert_eq!(names[3], "A very long sheet name that (2)");
        assert_eq!(names[4], "data");
        assert_eq!(names[5], "DATA (2)");
        assert_eq!(names[6], "_quoted_");
        assert_eq!(names[7], "_history_");
        assert_eq!(names[9], "Sheet10");
        assert!(names.iter().all(|n| n.encode_utf16().count() <= 31));
        let dupes = [sheet("Sheet2", vec![]), sheet("", vec![])];
        assert_eq!(sheet_names(&dupes), ["Sheet2", "Sheet2 (2)"]);
        let book = part(&workbook(&sheets[..1]), "xl/workbook.xml");
        assert!(book.contains("<sheet name=\"a_b_c_d_e_f_g_h\" sheetId=\"1\" r:id=\"rId1\"/>"));
    }

    #[test]
    fn zero_sheets_still_yield_one_empty_sheet() {
        let zip = workbook(&[]);
        assert!(part(&zip, "xl/workbook.xml").contains("<sheet name=\"Sheet1\""));
        assert!(part(&zip, "xl/worksheets/sheet1.xml").contains("<sheetData></sheetData>"));
    }

    #[test]
    fn output_is_deterministic() {
        let make = || workbook(&[sheet("S", vec![vec![text("x"), Cell::Number(2.0)]])]);
        assert_eq!(make(), make());
        assert_eq!(u16_at(&make(), 12), usize::from(DOS_DATE));
    }
}
