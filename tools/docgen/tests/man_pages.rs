//! The man pages in docs/man cannot drift from the programs: every option
//! and subcommand of each command line, every key of /etc/default/mpathd
//! and every keyword of the ipmp(5) files must appear in its page.

use std::path::PathBuf;

fn page(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/man")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_option_and_subcommand_is_in_its_man_page() {
    let mut missing = Vec::new();
    for (name, cmd) in ipmp_docgen::programs() {
        let text = page(&format!("{name}.8"));
        for word in ipmp_docgen::must_mention(&cmd) {
            if !text.contains(&word) {
                missing.push(format!("{name}.8: {word}"));
            }
        }
    }
    assert!(missing.is_empty(), "not in the man pages: {missing:#?}");
}

#[test]
fn every_configuration_key_and_keyword_is_in_its_man_page() {
    let mpathd = page("mpathd.5");
    for key in mpathd::config::KEYS {
        assert!(mpathd.contains(key), "mpathd.5 lacks {key}");
    }
    let ipmp = page("ipmp.5");
    for keyword in libipmp::persist::KEYWORDS {
        assert!(
            ipmp.contains(&keyword.replace('-', "\\-")),
            "ipmp.5 lacks {keyword}"
        );
    }
}

#[test]
fn the_check_sees_a_missing_option() {
    // The check itself: an option the page lacks is reported.
    let cmd = clap::Command::new("x").arg(clap::Arg::new("frob").long("frob-it").short('F'));
    assert_eq!(
        ipmp_docgen::must_mention(&cmd),
        vec!["\\-F", "\\-\\-frob\\-it"]
    );
}
