//! Scriptable subcommands that work without a running server.

pub mod demo;
pub mod token;
