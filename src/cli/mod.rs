//! The command-line faces: the console's startup, the demo, and token tools.

pub mod console;
pub mod demo;
pub mod token;
