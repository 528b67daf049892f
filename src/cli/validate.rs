//! `rexa validate` and `rexa env`: check configurations and show environment settings.
//! STUB: filled in by the configuration work.

use std::ffi::OsString;
use std::process::ExitCode;

pub fn main(_args: Vec<OsString>) -> ExitCode {
    eprintln!("rexa validate: not yet implemented");
    ExitCode::from(2)
}

pub fn env_main(_args: Vec<OsString>) -> ExitCode {
    eprintln!("rexa env: not yet implemented");
    ExitCode::from(2)
}
