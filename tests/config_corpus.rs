//! Every configuration of ExaBGP's corpus (../shared/conformance/configs) must parse.
//! The `api-*` files name helper programs that are absent: parsing must not need them.

use std::path::PathBuf;

/// Files rejected on purpose, with the reason. Expected to stay empty.
const REJECTED_ON_PURPOSE: &[(&str, &str)] = &[];

fn conformance_dir() -> PathBuf {
    match std::env::var_os("REXA_CONFORMANCE") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"),
    }
}

#[test]
fn every_corpus_file_parses() {
    let dir = conformance_dir().join("configs");
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| {
        panic!(
            "conformance configs not found at {} ({e}); set REXA_CONFORMANCE to the conformance directory",
            dir.display()
        )
    });
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no configuration in {}", dir.display());
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
