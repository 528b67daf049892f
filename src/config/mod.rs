//! ExaBGP-compatible configuration: lexer, parser, typed `Config`, environment settings.
//! STUB: filled in by the configuration work.
