//! Every configuration of ExaBGP's corpus (../shared/conformance/configs) must parse.
//! The `api-*` files name helper programs that are absent: parsing must not need them.

mod support;

/// Files rejected on purpose, with the reason. Expected to stay empty.
const REJECTED_ON_PURPOSE: &[(&str, &str)] = &[];

#[test]
fn every_corpus_file_parses() {
    let files = support::conformance::config_files();
    let mut failures = Vec::new();
    let mut parsed = 0;
    for path in &files {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let result = rexa::config::load(path, &rexa::config::ParseOptions::default());
        let expected_rejection = REJECTED_ON_PURPOSE.iter().find(|(f, _)| *f == name);
        match (result, expected_rejection) {
            (Ok(_), None) => parsed += 1,
            (Err(_), Some(_)) => {}
            (Ok(_), Some((_, reason))) => failures.push(format!(
                "{name}: parsed although listed as rejected ({reason})"
            )),
            (Err(e), None) => failures.push(e.to_string()),
        }
    }
    println!("config corpus: {parsed}/{} parse", files.len());
    assert!(
        failures.is_empty(),
        "{} file(s) failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
