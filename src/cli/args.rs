//! The options many verbs share: output and connection, targets, a name, a set and members.

use clap::Args;

use super::connect::ConnectArgs;
use super::output::Format;

/// Connection and output options every verb takes.
#[derive(Debug, Clone, Args)]
pub struct Common {
    /// Output: table (default on a terminal), json (default in a pipe), yaml, name.
    #[arg(short = 'o', long, value_enum)]
    pub output: Option<Format>,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Targets plus the common options.
#[derive(Debug, Clone, Args)]
pub struct Targets {
    /// Xnames or hostlists (`x1000c0s[0-3]b0n[0-1]`); `-` reads them from stdin.
    #[arg(required = true)]
    pub targets: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// A name plus the common options.
#[derive(Debug, Args)]
pub struct Named {
    /// The name.
    pub name: String,
    #[command(flatten)]
    pub common: Common,
}

/// A group or partition and the members to add or remove.
#[derive(Debug, Args)]
pub struct SetMembers {
    /// The label (group) or name (partition).
    pub name: String,
    /// Xnames or hostlists; `-` reads them from stdin.
    #[arg(required = true)]
    pub members: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}
