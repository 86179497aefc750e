//! The command-line faces: the console's startup, the demo, the BMC simulator and token tools.

pub mod connect;
pub mod console;
pub mod demo;
pub mod discover;
pub mod inventory;
pub mod more;
pub mod nodes;
pub mod output;
pub mod power;
pub mod sim;
pub mod token;
