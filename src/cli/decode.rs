//! `rexa decode`: one BGP message as hex in, ExaBGP-compatible JSON out.
//! STUB: filled in by the decode work.

use std::ffi::OsString;
use std::process::ExitCode;

pub fn main(_args: Vec<OsString>) -> ExitCode {
    eprintln!("rexa decode: not yet implemented");
    ExitCode::from(2)
}
