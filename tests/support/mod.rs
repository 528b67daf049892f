//! Helpers shared by the integration tests: reading ExaBGP's conformance data.
//! Each test binary includes this with `mod support;` and uses what it needs.

#![allow(dead_code)]

pub mod conformance;
