//! Output in the original's formats (illumos libofmt, as ipmpstat uses
//! it): human columns, parseable `-P` lines, and (an addition) JSON.
//!
//! Human rows: each field is padded to its width, which includes the gap
//! to the next column; a value that does not fit is printed with one
//! space and the columns after it give up padding until the row lines up
//! again; the last column is not padded. A header line of the field names
//! comes before the first row and again every 23 rows (the original's
//! 24-line terminal fallback). Empty values print `--`, values that
//! cannot be determined `?`.
//!
//! Parseable rows: fields joined by `:`; with more than one field, `:` and
//! `\` inside values are escaped with `\`; empty values print nothing.

/// One cell of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    /// A value.
    Text(String),
    /// A yes/no value: `yes` or `no` in text, a boolean in JSON.
    YesNo(bool),
    /// Nothing to show (`--`, or empty in parseable output).
    Empty,
    /// Could not be determined (`?`).
    Unknown,
}

impl Cell {
    /// A value, or [`Cell::Empty`] for an empty string.
    pub fn text(s: impl Into<String>) -> Self {
        let s = s.into();
        if s.is_empty() {
            Cell::Empty
        } else {
            Cell::Text(s)
        }
    }

    fn human(&self) -> &str {
        match self {
            Cell::Text(s) => s,
            Cell::YesNo(b) => yes_no(*b),
            Cell::Empty => "--",
            Cell::Unknown => "?",
        }
    }

    fn parseable(&self) -> &str {
        match self {
            Cell::Text(s) => s,
            Cell::YesNo(b) => yes_no(*b),
            Cell::Empty => "",
            Cell::Unknown => "?",
        }
    }

    /// The JSON value: the text, a boolean for yes/no, null when empty,
    /// "?" when unknown.
    pub fn json(&self) -> serde_json::Value {
        match self {
            Cell::Text(s) => serde_json::Value::String(s.clone()),
            Cell::YesNo(b) => serde_json::Value::Bool(*b),
            Cell::Empty => serde_json::Value::Null,
            Cell::Unknown => serde_json::Value::String("?".into()),
        }
    }
}

fn yes_no(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// A field: its name and column width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Field {
    /// Upper-case name, as in the header.
    pub name: &'static str,
    /// Column width, gap included.
    pub width: usize,
}

/// Lays out one human row (the header uses it too).
pub fn human_row(fields: &[Field], values: &[&str]) -> String {
    let mut out = String::new();
    let mut overflow: usize = 0;
    for (i, (field, value)) in fields.iter().zip(values).enumerate() {
        if i + 1 == fields.len() {
            out.push_str(value);
            break;
        }
        let len = value.len();
        if len + overflow >= field.width {
            // len + overflow >= width, so this stays positive.
            overflow = overflow + len + 1 - field.width;
            out.push_str(value);
            out.push(' ');
            continue;
        }
        let mut width = field.width;
        if overflow > 0 {
            let compress = overflow.min(width - len);
            overflow -= compress;
            width -= compress;
        }
        out.push_str(&format!("{value:<width$}"));
    }
    out
}

/// Lays out one parseable row.
pub fn parseable_row(cells: &[&Cell]) -> String {
    if let [only] = cells {
        return only.parseable().to_string();
    }
    cells
        .iter()
        .map(|c| c.parseable().replace('\\', "\\\\").replace(':', "\\:"))
        .collect::<Vec<_>>()
        .join(":")
}

/// Rows between repeated headers (a 24-line screen less the header).
pub const HEADER_EVERY: usize = 23;

/// Writes human rows with their headers; keeps count across calls so a
/// stream (`-p`) repeats the header like a table does.
#[derive(Debug, Default)]
pub struct Human {
    rows: usize,
}

impl Human {
    /// The lines for one more row: a header first when one is due.
    pub fn lines(&mut self, fields: &[Field], cells: &[&Cell]) -> Vec<String> {
        let mut out = Vec::new();
        if self.rows.is_multiple_of(HEADER_EVERY) {
            let names: Vec<&str> = fields.iter().map(|f| f.name).collect();
            out.push(human_row(fields, &names));
        }
        self.rows += 1;
        let values: Vec<&str> = cells.iter().map(|c| c.human()).collect();
        out.push(human_row(fields, &values));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const I: [Field; 3] = [
        Field {
            name: "INTERFACE",
            width: 12,
        },
        Field {
            name: "ACTIVE",
            width: 8,
        },
        Field {
            name: "GROUP",
            width: 12,
        },
    ];

    #[test]
    fn columns_are_padded_to_their_width_and_the_last_is_not() {
        assert_eq!(
            human_row(&I, &["net0", "yes", "itops0"]),
            "net0        yes     itops0"
        );
    }

    #[test]
    fn a_wide_value_pushes_the_row_which_then_catches_up() {
        // 14 characters in a 12-wide column: printed with one space, two
        // columns owed, taken back from the next column's padding.
        assert_eq!(
            human_row(&I, &["averylongname1", "yes", "itops0"]),
            "averylongname1 yes  itops0"
        );
        let fields = [I[0], I[1], I[1], I[2]];
        assert_eq!(
            human_row(&fields, &["averylongname12345", "yes", "no", "g"]),
            "averylongname12345 yes no   g"
        );
    }

    #[test]
    fn parseable_escapes_only_with_several_fields() {
        let addr = Cell::text("fe80::1");
        let name = Cell::text("net0");
        assert_eq!(parseable_row(&[&addr]), "fe80::1");
        assert_eq!(parseable_row(&[&name, &addr]), "net0:fe80\\:\\:1");
        let back = Cell::text("a\\b");
        assert_eq!(
            parseable_row(&[&back, &Cell::Empty, &Cell::Unknown]),
            "a\\\\b::?"
        );
    }

    #[test]
    fn the_header_comes_first_and_every_23_rows() {
        let mut h = Human::default();
        let cells = [Cell::text("a"), Cell::Empty, Cell::Unknown];
        let refs: Vec<&Cell> = cells.iter().collect();
        let first = h.lines(&I, &refs);
        assert_eq!(
            first,
            vec!["INTERFACE   ACTIVE  GROUP", "a           --      ?"]
        );
        for _ in 1..HEADER_EVERY {
            assert_eq!(h.lines(&I, &refs).len(), 1);
        }
        assert_eq!(h.lines(&I, &refs).len(), 2, "header again at row 24");
    }
}
