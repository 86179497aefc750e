//! Plain types and validation: xnames, hostlists, SMD enums and components. No I/O.

pub mod audit;
pub mod auth;
pub mod boot;
pub mod component;
pub mod discovery;
pub mod enums;
pub mod ethernet;
pub mod filter;
pub mod group;
pub mod hardware;
pub mod hostlist;
pub mod locks;
pub mod mac;
pub mod maps;
pub mod metadata;
pub mod power;
pub mod power_cap;
pub mod redfish;
pub mod scn;
pub mod secret;
pub mod tenant;
pub mod xname;
