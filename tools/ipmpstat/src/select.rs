//! `-o` field selection, with the original's rules and messages.

use crate::modes::Mode;

/// The chosen fields (indexes into the mode's fields) and warnings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selection {
    /// Field indexes, in output order (repeats allowed, as in the original).
    pub fields: Vec<usize>,
    /// `ignoring unknown output field...` warnings (human mode only).
    pub warnings: Vec<String>,
}

fn quoted(names: &[&str]) -> String {
    names.iter().map(|n| format!(" `{n}'")).collect()
}

/// Chooses the fields for `mode` from `-o` (if given), `-P` (parseable).
pub fn select(mode: Mode, o: Option<&str>, parseable: bool) -> Result<Selection, String> {
    let all = mode.fields();
    let list = match o {
        None | Some("") if parseable => {
            return Err("output fields must be specified in parsable mode".into())
        }
        None => {
            return Ok(Selection {
                fields: mode.default_fields(),
                warnings: Vec::new(),
            })
        }
        Some(list) => list,
    };
    if list.eq_ignore_ascii_case("all") {
        if parseable {
            return Err("output field `all' invalid in parsable mode".into());
        }
        return Ok(Selection {
            fields: (0..all.len()).collect(),
            warnings: Vec::new(),
        });
    }
    let mut fields = Vec::new();
    let mut unknown = Vec::new();
    for name in list.split(',').filter(|n| !n.is_empty()) {
        match all.iter().position(|f| f.name.eq_ignore_ascii_case(name)) {
            Some(i) => fields.push(i),
            None => unknown.push(name),
        }
    }
    if fields.is_empty() {
        return Err("no valid output fields".into());
    }
    let plural = if unknown.len() > 1 { "s" } else { "" };
    let mut warnings = Vec::new();
    if !unknown.is_empty() {
        if parseable {
            return Err(format!("unknown output field{plural}:{}", quoted(&unknown)));
        }
        warnings.push(format!(
            "ignoring unknown output field{plural}:{}",
            quoted(&unknown)
        ));
    }
    Ok(Selection { fields, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_80_columns() {
        assert_eq!(
            select(Mode::Probe, None, false).unwrap().fields,
            vec![0, 1, 2, 3, 4, 5, 6],
            "every -p field but RTTDEV"
        );
        assert_eq!(
            select(Mode::Interface, None, false).unwrap().fields.len(),
            7
        );
    }

    #[test]
    fn names_are_case_insensitive_in_the_given_order_with_repeats() {
        let s = select(Mode::Interface, Some("state,Interface,,STATE"), false).unwrap();
        assert_eq!(s.fields, vec![6, 0, 6]);
        assert!(s.warnings.is_empty());
        assert_eq!(
            select(Mode::Group, Some("ALL"), false).unwrap().fields,
            vec![0, 1, 2, 3, 4]
        );
    }

    #[test]
    fn the_original_messages() {
        assert_eq!(
            select(Mode::Group, None, true).unwrap_err(),
            "output fields must be specified in parsable mode"
        );
        assert_eq!(
            select(Mode::Group, Some("all"), true).unwrap_err(),
            "output field `all' invalid in parsable mode"
        );
        assert_eq!(
            select(Mode::Group, Some("foo,bar"), false).unwrap_err(),
            "no valid output fields"
        );
        assert_eq!(
            select(Mode::Group, Some("group,foo"), true).unwrap_err(),
            "unknown output field: `foo'"
        );
        assert_eq!(
            select(Mode::Group, Some("group,foo,Bar"), false)
                .unwrap()
                .warnings,
            vec!["ignoring unknown output fields: `foo' `Bar'"]
        );
        assert_eq!(
            select(Mode::Group, Some("all,state"), false)
                .unwrap()
                .warnings,
            vec!["ignoring unknown output field: `all'"],
            "all only alone"
        );
    }
}
