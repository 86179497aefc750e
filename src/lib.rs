//! chami: OpenCHAMI's inventory (SMD), boot (BSS), power (PCS) and tenants (TAPMS) as one
//! program: a terminal console, a scriptable CLI and a headless HTTPS core.
//!
//! Layers, top to bottom (imports point down only; `docs/ARCHITECTURE.md` has the picture):
//!
//! | module | what it is |
//! |---|---|
//! | [`tui`], [`cli`] | the faces: the console and `chami <noun> <verb>`; they reach the core only through [`client`] |
//! | [`client`] | the typed HTTPS client |
//! | [`api`] | axum routers (hsm, bss, pcs, tapms, auth, audit, events), body limits, problem+json |
//! | [`service`] | domain rules: inventory, boot, the power engine, tenants, discovery, audit, auth policy |
//! | [`store`] | one `Store` trait: SQLite, PostgreSQL and a cache in front |
//! | [`redfish`] | the BMC client: the only code that talks to BMCs |
//! | [`model`] | plain types and validation (xnames, hostlists, filters, ...), no I/O |
//! | [`server`] | the composition root: start-up (also in-process, with its local admin token), the HTTPS listener, certificates, flags and the config file |
//! | [`sim`] | a simulated BMC fleet (Redfish on loopback) for `chami sim`, the demo, tests and benches; the core never uses it |
//! | [`edit`], [`fsutil`], [`histogram`] | small helpers: `$EDITOR` round trips, file modes and the data-dir lock, latency histograms |

pub mod api;
pub mod cli;
pub mod client;
pub mod edit;
pub mod fsutil;
pub mod histogram;
#[doc(hidden)]
pub mod invariants;
pub mod model;
pub mod redfish;
pub mod server;
pub mod service;
pub mod sim;
pub mod store;
pub mod tui;
