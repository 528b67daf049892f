//! Normalized text rendering of a `Config` for `rexa validate --dump`.
//! Neighbors after inheritance, every route with all its attributes.

use super::model::Config;

pub fn dump(config: &Config) -> String {
    format!("{config:#?}")
}
