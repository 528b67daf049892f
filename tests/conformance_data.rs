//! Checks that the conformance data parses: every decoding vector and every `.ci` file.
//! (The decoding and encoding comparisons themselves live in their own test files.)

mod support;

use support::conformance::{ci_files, decoding_vectors, CiEntry};

#[test]
fn every_conformance_file_parses() {
    let vectors = decoding_vectors();
    assert!(!vectors.is_empty(), "no decoding vectors found");
    let files = ci_files();
    assert!(!files.is_empty(), "no .ci files found");
    let raw = files
        .iter()
        .flat_map(|f| &f.lines)
        .filter(|l| matches!(l.entry, CiEntry::Raw { .. }))
        .count();
    let pairs: usize = files.iter().map(|f| f.raw_json_pairs().len()).sum();
    for file in &files {
        for config in file.configurations() {
            assert!(
                config.is_file(),
                "{}: {} is missing",
                file.name,
                config.display()
            );
        }
    }
    println!(
        "conformance data: {} decoding vectors, {} .ci files, {raw} raw messages, {pairs} raw+json pairs",
        vectors.len(),
        files.len()
    );
}
