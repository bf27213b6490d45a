//! ipmpstat: the library behind the command, so that its formatting is
//! tested without a kernel or a daemon.
//!
//! - [`ofmt`]: the original's column, parseable and header rules.
//! - [`modes`]: fields of `-a -g -i -p -t` and the cells of each row.
//! - [`select`]: `-o` selection with the original's messages.
//! - [`model`]: what is shown, built by [`gather`] from the kernel and
//!   in.mpathd, or by hand in the tests.
//! - [`render`]: rows to lines, for each output style.

pub mod cli;
pub mod gather;
pub mod metrics;
pub mod model;
pub mod modes;
pub mod ofmt;
pub mod select;

use modes::Mode;
use ofmt::{Cell, Human};

/// How rows are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// Columns with a header.
    Human,
    /// `-P`.
    Parseable,
    /// `-j`: JSON objects keyed by lower-case field names.
    Json,
}

/// Renders table rows (every field, in order) as output lines.
pub fn render(mode: Mode, fields: &[usize], style: Style, rows: &[Vec<Cell>]) -> Vec<String> {
    let all = mode.fields();
    let chosen: Vec<_> = fields.iter().map(|&i| all[i]).collect();
    match style {
        Style::Human => {
            let mut h = Human::default();
            rows.iter()
                .flat_map(|r| {
                    let cells: Vec<&Cell> = fields.iter().map(|&i| &r[i]).collect();
                    h.lines(&chosen, &cells)
                })
                .collect()
        }
        Style::Parseable => rows
            .iter()
            .map(|r| {
                let cells: Vec<&Cell> = fields.iter().map(|&i| &r[i]).collect();
                ofmt::parseable_row(&cells)
            })
            .collect(),
        Style::Json => {
            let objects: Vec<serde_json::Value> =
                rows.iter().map(|r| json_row(mode, fields, r)).collect();
            vec![serde_json::Value::Array(objects).to_string()]
        }
    }
}

/// One row as a JSON object of the chosen fields.
pub fn json_row(mode: Mode, fields: &[usize], row: &[Cell]) -> serde_json::Value {
    let all = mode.fields();
    let mut map = serde_json::Map::new();
    for &i in fields {
        map.insert(all[i].name.to_ascii_lowercase(), row[i].json());
    }
    serde_json::Value::Object(map)
}
