//! What the benchmarks share: their environment settings and the release daemon they run.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A numeric setting (`1_000_000` spelling allowed), `default` when unset or invalid.
pub fn env_u32(name: &str, default: u32) -> u32 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// A switch: `1` or `true`.
pub fn env_flag(name: &str) -> bool {
    std::env::var(name).is_ok_and(|v| v == "1" || v.eq_ignore_ascii_case("true"))
}

/// The release daemon: `REXA_BIN`, or `cargo build --release --bin rexa` then
/// `$CARGO_TARGET_DIR/release/rexa` (default `target/release/rexa`). Benches get no
/// `CARGO_BIN_EXE_*`.
pub fn rexa_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REXA_BIN") {
        return PathBuf::from(path);
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let status = Command::new(cargo)
        .args(["build", "--release", "--bin", "rexa"])
        .current_dir(manifest)
        .status();
    assert!(
        status.is_ok_and(|s| s.success()),
        "cargo build --release --bin rexa failed"
    );
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| manifest.join("target"));
    let binary = target.join("release").join("rexa");
    assert!(binary.is_file(), "{} not found", binary.display());
    binary
}

/// The ExaBGP to compare with: `REXA_EXABGP`, else the 5.0.15 of /opt/exabgp5.
pub fn exabgp_binary() -> PathBuf {
    std::env::var_os("REXA_EXABGP")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/opt/exabgp5/bin/exabgp"))
}
