//! ExaBGP-compatible configuration: lexer, parser, typed `Config`, environment settings.
//! The reactor only ever sees a validated `Config` (see `load` / `parse`) and an `Env`.

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

pub use env::Env;
pub use error::{ConfigError, ErrorKind, Location, Warning, WarningKind};
pub use flow::{FlowAction, FlowComponent, FlowRoute, FlowTerm, FlowValue};
pub use model::*;
pub use parser::ParseOptions;
pub use route::{
    Aggregator, AsPath, AsPathSegment, Attributes, ExtendedCommunity, GenericAttribute,
    LargeCommunity, Origin, PrefixSid, RouteDistinguisher, SegmentKind, Srv6Service,
};

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

/// Reads and parses a configuration file. Invalid UTF-8 is replaced, not rejected.
pub fn load(path: &Path, options: &ParseOptions) -> Result<Config, ConfigError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| {
        ConfigError::new(
            Location::new(Arc::from(name.as_str()), 0, 0),
            ErrorKind::Io {
                reason: e.to_string(),
            },
        )
    })?;
    let text = String::from_utf8_lossy(&bytes);
    parser::parse(&text, &name, options)
}
