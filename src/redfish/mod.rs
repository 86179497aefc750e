//! Redfish: the BMC client, the only code that talks to BMCs. (The simulated fleet the tests
//! and the demo run is the top-level `sim` module.)

pub mod client;
