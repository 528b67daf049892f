//! Sub-commands of the `rexa` binary, each a function from arguments to an exit code.
//! `main.rs` only dispatches; the work and its `--help` text live here.

pub mod client;
pub mod decode;
pub mod pipe;
pub mod socket;
pub mod validate;

use std::ffi::OsString;

/// Turns the remaining arguments into owned strings, reporting non-UTF-8 ones.
pub fn utf8_args(args: Vec<OsString>) -> Result<Vec<String>, String> {
    args.into_iter()
        .map(|a| {
            a.into_string()
                .map_err(|bad| format!("argument is not valid UTF-8: {bad:?}"))
        })
        .collect()
}
