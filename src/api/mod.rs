//! The helper-process API: command grammar, JSON/text event encoders, process life cycle.
//! So far: the JSON writer and the JSON of BGP message events (used by `rexa decode`).

pub mod json;
pub mod message_json;
pub mod text;
