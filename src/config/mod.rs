//! ExaBGP-compatible configuration: lexer, parser, typed `Config`, environment settings.
//! The reactor only ever sees a validated `Config` (see `load` / `parse`) and an `Env`.
//!
//! How the daemon uses it:
//!
//! ```no_run
//! use std::path::Path;
//! use rexa::config::{self, Env, ParseOptions};
//!
//! let env = Env::from_process(None).expect("exabgp.* settings");
//! let options = ParseOptions { assume_passive: env.bgp.passive };
//! let config = config::load(Path::new("/etc/rexa/rexa.conf"), &options).expect("valid");
//! for warning in &config.warnings {
//!     log::warn!("{warning}");
//! }
//! for neighbor in &config.neighbors {
//!     for route in &neighbor.routes {
//!         let _ = (route.family(), &route.nlri, &route.attributes, &route.control);
//!     }
//! }
//! for process in &config.processes {
//!     let _program = process.resolve_program(Path::new(&config.file));
//! }
//! let _listen = (&env.tcp.bind, env.tcp.port);
//! ```

pub mod dump;
pub mod env;
pub mod error;
pub mod flow;
pub mod lexer;
pub mod model;
pub mod neighbor;
pub mod nlri;
pub mod parser;
pub mod route;
pub mod value;

#[cfg(test)]
mod load_tests;

pub use env::Env;
pub use error::{ConfigError, ErrorKind, Location, Warning, WarningKind};
pub use flow::FlowDraft;
pub use model::*;
pub use parser::{parse_reader, ParseOptions};

use std::path::Path;
use std::sync::Arc;

/// Parses configuration text; `file_name` is used in error locations.
pub fn parse(text: &str, file_name: &str) -> Result<Config, ConfigError> {
    parser::parse(text, file_name, &ParseOptions::default())
}

/// Parses with options that come from the environment (see `ParseOptions`).
pub fn parse_with(
    text: &str,
    file_name: &str,
    options: &ParseOptions,
) -> Result<Config, ConfigError> {
    parser::parse(text, file_name, options)
}

/// Reads and parses a configuration file as a stream (a route statement becomes its
/// route as it is read; the file is never held whole). Invalid UTF-8 is replaced, not
/// rejected.
pub fn load(path: &Path, options: &ParseOptions) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| {
        ConfigError::new(
            Location::new(Arc::from(name.as_str()), 0, 0),
            ErrorKind::Io {
                reason: e.to_string(),
            },
        )
    })?;
    parser::parse_reader(std::io::BufReader::new(file), &name, options)
}
