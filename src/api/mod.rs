//! The helper-process API: command grammar, JSON/text event encoders, process life cycle.
//! So far: the JSON writer, the JSON of BGP message events, the command grammar and selectors.

pub mod command;
pub mod json;
pub mod message_json;
pub mod neighbor_match;
