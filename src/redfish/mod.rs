//! Redfish: the BMC client (the only code that talks to BMCs) and a simulated BMC fleet.

pub mod client;
pub mod sim;
