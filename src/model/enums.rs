//! The closed vocabularies of SMD components (State, Flag, Role, SubRole, NetType, Arch, Class) and the state-transition table.

use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A value that is not one of an enum's wire spellings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} '{value}': expected one of {}", .allowed.join(", "))]
pub struct EnumError {
    /// What was being parsed, as a user would call it ("role", "state").
    pub kind: &'static str,
    /// The rejected input, cut short if it was very long.
    pub value: String,
    /// Every accepted spelling, canonical case.
    pub allowed: &'static [&'static str],
}

impl EnumError {
    /// An error for `value`, shortened so a hostile input cannot make the message huge.
    pub fn new(kind: &'static str, value: &str, allowed: &'static [&'static str]) -> EnumError {
        EnumError {
            kind,
            value: shorten(value, 64),
            allowed,
        }
    }
}

/// Cuts `s` to at most `max` characters, marking the cut with an ellipsis.
pub(crate) fn shorten(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((cut, _)) => format!("{}...", &s[..cut]),
        None => s.to_string(),
    }
}

/// A serde visitor that reads a string through `FromStr`, so every string-shaped model type validates the same way.
pub(crate) struct FromStrVisitor<T> {
    expecting: &'static str,
    target: PhantomData<T>,
}

impl<T> FromStrVisitor<T> {
    /// A visitor whose "expected" text (shown by serde for non-strings) is `expecting`.
    pub(crate) fn new(expecting: &'static str) -> Self {
        FromStrVisitor {
            expecting,
            target: PhantomData,
        }
    }
}

impl<T> Visitor<'_> for FromStrVisitor<T>
where
    T: FromStr,
    T::Err: fmt::Display,
{
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
        v.parse().map_err(E::custom)
    }
}

// One definition per vocabulary keeps the wire spelling, the accepted aliases and
// the error text in a single place, so they cannot drift apart.
macro_rules! wire_enum {
    (
        $(#[$doc:meta])*
        $name:ident, $kind:literal {
            $( $(#[$vdoc:meta])* $variant:ident = $wire:literal $(| $alias:literal)* ),+ $(,)?
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vdoc])* $variant ),+
        }

        impl $name {
            /// Wire spellings of every value, in the order hms-base declares them.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            /// The exact spelling SMD uses on the wire.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $( $name::$variant => $wire ),+
                }
            }

            /// Every value, in the order hms-base declares them.
            pub fn all() -> &'static [$name] {
                &[$( $name::$variant ),+]
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl FromStr for $name {
            type Err = EnumError;

            // SMD lower-cases before its map lookup, so any case is accepted and normalised.
            fn from_str(s: &str) -> Result<$name, EnumError> {
                $(
                    if s.eq_ignore_ascii_case($wire) $( || s.eq_ignore_ascii_case($alias) )* {
                        return Ok($name::$variant);
                    }
                )+
                Err(EnumError::new($kind, s, $name::NAMES))
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<$name, D::Error> {
                deserializer.deserialize_str(FromStrVisitor::new(concat!("a ", $kind, " name")))
            }
        }
    };
}

wire_enum! {
    /// The logical state of a component (`HMSState`).
    State, "state" {
        /// Appears missing but has not been confirmed empty.
        Unknown = "Unknown",
        /// The location holds no component.
        Empty = "Empty",
        /// Present, but nothing more is known or tracked.
        Populated = "Populated",
        /// Present and powered off.
        Off = "Off",
        /// Powered on; software state may be unknown.
        On = "On",
        /// Was Ready, heartbeat lost, presumed dead.
        Standby = "Standby",
        /// Was Ready, OS shut down or panicked.
        Halt = "Halt",
        /// On and providing its services.
        Ready = "Ready",
    }
}

wire_enum! {
    /// The condition flag that accompanies a state (`HMSFlag`).
    Flag, "flag" {
        /// Condition not known.
        Unknown = "Unknown",
        /// Functioning properly.
        Ok = "OK",
        /// Working but needs attention; hms-base also accepts "warn".
        Warning = "Warning" | "warn",
        /// No longer operating as expected.
        Alert = "Alert",
        /// Reserved by another service.
        Locked = "Locked",
    }
}

wire_enum! {
    /// What a node is used for (`HMSRole`, the built-in set).
    Role, "role" {
        /// Runs user jobs.
        Compute = "Compute",
        /// Runs system services.
        Service = "Service",
        /// Part of the system itself.
        System = "System",
        /// User-facing application node.
        Application = "Application",
        /// Serves storage.
        Storage = "Storage",
        /// Management plane.
        Management = "Management",
    }
}

wire_enum! {
    /// A refinement of a node's role (`HMSSubRole`, the built-in set).
    SubRole, "subrole" {
        /// Control-plane master.
        Master = "Master",
        /// Control-plane worker.
        Worker = "Worker",
        /// Storage node.
        Storage = "Storage",
    }
}

wire_enum! {
    /// The high-speed network a component is attached to (`HMSNetType`).
    NetType, "net type" {
        /// HPE Slingshot.
        Sling = "Sling",
        /// InfiniBand.
        Infiniband = "Infiniband",
        /// Ethernet.
        Ethernet = "Ethernet",
        /// Some other vendor network.
        Oem = "OEM",
        /// No high-speed network.
        None = "None",
    }
}

wire_enum! {
    /// The processor architecture of a component (`HMSArch`).
    Arch, "arch" {
        /// x86-64.
        X86 = "X86",
        /// ARM.
        Arm = "ARM",
        /// Not known; note the all-capitals spelling hms-base uses.
        Unknown = "UNKNOWN",
        /// Anything else.
        Other = "Other",
    }
}

wire_enum! {
    /// The hardware class of a component (`HMSClass`).
    Class, "class" {
        /// Standard rack-mounted hardware.
        River = "River",
        /// Liquid-cooled cabinets.
        Mountain = "Mountain",
        /// Liquid-cooled hardware in standard racks.
        Hill = "Hill",
    }
}

// hms-base's start-state table: the states a component may be in for a change
// to the target state to be accepted without Force.
const FROM_OFF: &[State] = &[
    State::Off,
    State::On,
    State::Standby,
    State::Halt,
    State::Ready,
];
const FROM_ON: &[State] = &[State::On, State::Off, State::Standby, State::Halt];
const FROM_STANDBY: &[State] = &[State::Standby, State::Ready];
const FROM_HALT: &[State] = &[State::Halt, State::Ready];
// Off, Standby and Halt are allowed so that missed Redfish events cannot wedge a node in Ready.
const FROM_READY: &[State] = &[
    State::Ready,
    State::On,
    State::Off,
    State::Standby,
    State::Halt,
];

impl State {
    /// The states from which a change to `self` is allowed without Force; empty means only a forced change may set it.
    pub fn valid_start_states(self) -> &'static [State] {
        match self {
            State::Unknown | State::Empty | State::Populated => &[],
            State::Off => FROM_OFF,
            State::On => FROM_ON,
            State::Standby => FROM_STANDBY,
            State::Halt => FROM_HALT,
            State::Ready => FROM_READY,
        }
    }

    /// Whether `self` can only be set with Force (SMD keeps these for discovery and admins).
    pub fn needs_force(self) -> bool {
        self.valid_start_states().is_empty()
    }

    /// Whether SMD would accept moving a component from `from` to `to`.
    pub fn can_transition(from: State, to: State, force: bool) -> bool {
        force || to.valid_start_states().contains(&from)
    }

    /// Whether the state implies the OS has booted at some point (Standby, Halt, Ready).
    pub fn is_post_boot(self) -> bool {
        matches!(self, State::Standby | State::Halt | State::Ready)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spellings_match_hms_base() {
        assert_eq!(
            State::NAMES,
            [
                "Unknown",
                "Empty",
                "Populated",
                "Off",
                "On",
                "Standby",
                "Halt",
                "Ready"
            ]
        );
        assert_eq!(Flag::NAMES, ["Unknown", "OK", "Warning", "Alert", "Locked"]);
        assert_eq!(
            Role::NAMES,
            [
                "Compute",
                "Service",
                "System",
                "Application",
                "Storage",
                "Management"
            ]
        );
        assert_eq!(SubRole::NAMES, ["Master", "Worker", "Storage"]);
        assert_eq!(
            NetType::NAMES,
            ["Sling", "Infiniband", "Ethernet", "OEM", "None"]
        );
        assert_eq!(Arch::NAMES, ["X86", "ARM", "UNKNOWN", "Other"]);
        assert_eq!(Class::NAMES, ["River", "Mountain", "Hill"]);
    }

    #[test]
    fn all_and_names_agree() {
        fn check<T: Copy + fmt::Display + FromStr + PartialEq + fmt::Debug>(
            all: &[T],
            names: &[&str],
        ) where
            T::Err: fmt::Debug,
        {
            assert_eq!(all.len(), names.len());
            for (v, n) in all.iter().zip(names) {
                assert_eq!(v.to_string(), *n);
                assert_eq!(n.parse::<T>().unwrap(), *v);
            }
        }
        check(State::all(), State::NAMES);
        check(Flag::all(), Flag::NAMES);
        check(Role::all(), Role::NAMES);
        check(SubRole::all(), SubRole::NAMES);
        check(NetType::all(), NetType::NAMES);
        check(Arch::all(), Arch::NAMES);
        check(Class::all(), Class::NAMES);
    }

    #[test]
    fn parsing_ignores_case_and_returns_canonical() {
        let cases: &[(&str, &str)] = &[
            ("compute", "Compute"),
            ("COMPUTE", "Compute"),
            ("mAnAgEmEnT", "Management"),
        ];
        for (input, want) in cases {
            assert_eq!(input.parse::<Role>().unwrap().as_str(), *want, "{input}");
        }
        assert_eq!("ok".parse::<Flag>().unwrap(), Flag::Ok);
        assert_eq!("warn".parse::<Flag>().unwrap(), Flag::Warning);
        assert_eq!("WARN".parse::<Flag>().unwrap(), Flag::Warning);
        assert_eq!("ready".parse::<State>().unwrap(), State::Ready);
        assert_eq!("OFF".parse::<State>().unwrap(), State::Off);
        assert_eq!("worker".parse::<SubRole>().unwrap(), SubRole::Worker);
        assert_eq!("oem".parse::<NetType>().unwrap(), NetType::Oem);
        assert_eq!("none".parse::<NetType>().unwrap(), NetType::None);
        assert_eq!("x86".parse::<Arch>().unwrap(), Arch::X86);
        assert_eq!("arm".parse::<Arch>().unwrap(), Arch::Arm);
        assert_eq!("unknown".parse::<Arch>().unwrap(), Arch::Unknown);
        assert_eq!("HILL".parse::<Class>().unwrap(), Class::Hill);
    }

    #[test]
    fn errors_name_the_value_and_the_choices() {
        let cases: &[(String, &str)] = &[
            (
                "computer".parse::<Role>().unwrap_err().to_string(),
                "invalid role 'computer': expected one of Compute, Service, System, Application, Storage, Management",
            ),
            (
                "".parse::<State>().unwrap_err().to_string(),
                "invalid state '': expected one of Unknown, Empty, Populated, Off, On, Standby, Halt, Ready",
            ),
            (
                " Ready".parse::<State>().unwrap_err().to_string(),
                "invalid state ' Ready': expected one of Unknown, Empty, Populated, Off, On, Standby, Halt, Ready",
            ),
            (
                "bad".parse::<Flag>().unwrap_err().to_string(),
                "invalid flag 'bad': expected one of Unknown, OK, Warning, Alert, Locked",
            ),
            (
                "boss".parse::<SubRole>().unwrap_err().to_string(),
                "invalid subrole 'boss': expected one of Master, Worker, Storage",
            ),
            (
                "ib".parse::<NetType>().unwrap_err().to_string(),
                "invalid net type 'ib': expected one of Sling, Infiniband, Ethernet, OEM, None",
            ),
            (
                "riscv".parse::<Arch>().unwrap_err().to_string(),
                "invalid arch 'riscv': expected one of X86, ARM, UNKNOWN, Other",
            ),
            (
                "lake".parse::<Class>().unwrap_err().to_string(),
                "invalid class 'lake': expected one of River, Mountain, Hill",
            ),
        ];
        for (got, want) in cases {
            assert_eq!(got, want);
        }
        let long = "y".repeat(1000);
        let err = long.parse::<Class>().unwrap_err();
        assert_eq!(err.value, format!("{}...", "y".repeat(64)));
        assert_eq!(err.kind, "class");
    }

    #[test]
    fn serde_uses_wire_spelling_and_accepts_any_case() {
        assert_eq!(serde_json::to_string(&Flag::Ok).unwrap(), "\"OK\"");
        assert_eq!(
            serde_json::to_string(&Arch::Unknown).unwrap(),
            "\"UNKNOWN\""
        );
        assert_eq!(serde_json::to_string(&NetType::Oem).unwrap(), "\"OEM\"");
        let r: Role = serde_json::from_str("\"compute\"").unwrap();
        assert_eq!(r, Role::Compute);
        let s: Vec<State> = serde_json::from_str("[\"ready\",\"OFF\",\"On\"]").unwrap();
        assert_eq!(s, [State::Ready, State::Off, State::On]);
        let err = serde_json::from_str::<Role>("\"computer\"").unwrap_err();
        assert!(err
            .to_string()
            .starts_with("invalid role 'computer': expected one of Compute"));
        let err = serde_json::from_str::<Role>("3").unwrap_err();
        assert!(err.to_string().contains("expected a role name"), "{err}");
    }

    #[test]
    fn transition_table_matches_hms_base() {
        use State::*;
        // (from, to, allowed without force)
        let cases = [
            (Off, On, true),
            (On, Off, true),
            (Ready, Off, true),
            (Standby, Ready, true),
            (Halt, Ready, true),
            (On, Ready, true),
            (Ready, Standby, true),
            (Ready, Halt, true),
            (Ready, On, false),
            (Off, Standby, false),
            (On, Standby, false),
            (Off, Halt, false),
            (Populated, On, false),
            (Empty, Off, false),
            (Ready, Unknown, false),
            (On, Empty, false),
            (Off, Populated, false),
            (Unknown, Unknown, false),
            (Ready, Ready, true),
        ];
        for (from, to, ok) in cases {
            assert_eq!(State::can_transition(from, to, false), ok, "{from} -> {to}");
            assert!(
                State::can_transition(from, to, true),
                "{from} -> {to} forced"
            );
        }
        assert!(Unknown.needs_force() && Empty.needs_force() && Populated.needs_force());
        assert!(!Off.needs_force() && !Ready.needs_force());
        assert_eq!(On.valid_start_states(), [On, Off, Standby, Halt]);
        assert_eq!(Standby.valid_start_states(), [Standby, Ready]);
        assert!(Ready.is_post_boot() && Halt.is_post_boot() && !On.is_post_boot());
    }
}
