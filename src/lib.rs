//! rexa: a BGP speaker compatible with ExaBGP 4.x/5.x — configuration, API and wire bytes.
//! Layers (see DESIGN.md): `bgp` (wire format) ← `config`, `api`; `cli` holds the sub-commands.

// Every `unsafe` block lives in `sys` (thin, checked libc wrappers), which alone allows it.
#![deny(unsafe_code)]

pub mod api;
pub mod bgp;
pub mod cli;
pub mod config;
pub mod daemon;
pub mod healthcheck;
pub mod peer;
pub mod reactor;
pub mod rib;
pub mod sys;
