//! The command-line faces: the console's startup, the demo, the BMC simulator, token tools and
//! one module per noun of `chami <noun> <verb>`.

pub mod args;
pub mod audit;
pub mod boot;
pub mod connect;
pub mod console;
pub mod demo;
pub mod discover;
pub mod endpoints;
pub mod interfaces;
pub mod nodemaps;
pub mod nodes;
pub mod output;
pub mod power;
pub mod power_cap;
pub mod sets;
pub mod sim;
pub mod tenants;
pub mod token;
