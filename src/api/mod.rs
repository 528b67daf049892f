//! The helper-process API: command grammar and selectors, JSON/text event encoders,
//! subscriptions and the respawn policy (the daemon wires them to the reactor's processes).

pub mod attribute;
pub mod command;
pub mod event;
pub mod json;
pub mod message_json;
pub mod names;
pub mod neighbor_match;
pub mod respawn;
pub mod show;
pub mod subscriptions;
pub mod text;
