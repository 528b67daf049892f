//! The helper-process API: command grammar, JSON/text event encoders, process life cycle.
//! Only the JSON writer exists so far (used by `rexa decode`).

pub mod json;
