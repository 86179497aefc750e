//! chami: OpenCHAMI's inventory (SMD), boot (BSS), power (PCS) and tenants as one program.
//!
//! Layers, top to bottom: faces (`tui`, `cli`) that reach the core only through `client`
//! (HTTPS), `api` (axum routers), `service` (domain rules), `store` (SQL behind one trait),
//! `model` (plain types, no I/O).

pub mod api;
pub mod cli;
pub mod client;
pub mod config;
pub mod config_file;
pub mod edit;
pub mod fsutil;
pub mod histogram;
pub mod https;
#[doc(hidden)]
pub mod invariants;
pub mod model;
pub mod redfish;
pub mod server;
pub mod service;
pub mod store;
pub mod tls;
pub mod tui;
