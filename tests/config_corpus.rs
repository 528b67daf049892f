//! Every configuration of ExaBGP's corpus (tests/data/exabgp/configs) must parse.
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

/// The streaming reader (`config::load`) and the whole-text parser agree on every file of
/// the corpus: the same routes in the same order, the same `--dump`.
#[test]
fn streaming_and_whole_text_parses_agree() {
    let options = rexa::config::ParseOptions::default();
    for path in support::conformance::config_files() {
        let name = path.display().to_string();
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}"));
        let whole = rexa::config::parse_with(&text, &name, &options);
        let streamed = rexa::config::load(&path, &options);
        match (whole, streamed) {
            (Ok(a), Ok(b)) => {
                assert_eq!(
                    rexa::config::dump::dump(&a),
                    rexa::config::dump::dump(&b),
                    "{name}"
                );
                for (x, y) in a.neighbors.iter().zip(&b.neighbors) {
                    assert_eq!(x.routes, y.routes, "{name}");
                }
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{name}"),
            (a, b) => panic!("{name}: {:?} / {:?}", a.err(), b.err()),
        }
    }
}
