//! Xnames: the HMS component types, parsing and normalising component locations, their parents and natural order.

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::enums::{shorten, EnumError, FromStrVisitor};

/// Longest raw xname accepted; the longest valid one (a Drive) needs about 30 characters.
pub const MAX_XNAME_LEN: usize = 64;

// Variant names follow Rust case; the wire spelling and xname pattern sit beside each.
macro_rules! hms_types {
    ($( $variant:ident = $wire:literal, $pattern:literal; )+) => {
        /// An HMS component type: the kind of component an xname locates.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum HmsType {
            $(
                #[doc = concat!("`", $wire, "`, xname `", $pattern, "`.")]
                $variant,
            )+
        }

        impl HmsType {
            /// Wire spellings of every type, in hms-xname's declaration order.
            pub const NAMES: &'static [&'static str] = &[$($wire),+];

            /// The exact spelling SMD uses on the wire.
            pub fn as_str(&self) -> &'static str {
                match self {
                    $( HmsType::$variant => $wire ),+
                }
            }

            /// Every type that has an xname, in hms-xname's declaration order.
            pub fn all() -> &'static [HmsType] {
                &[$( HmsType::$variant ),+]
            }
        }
    };
}

hms_types! {
    Cdu = "CDU", "dD";
    CduMgmtSwitch = "CDUMgmtSwitch", "dDwW";
    CabinetCdu = "CabinetCDU", "xXdD";
    Cabinet = "Cabinet", "xX";
    CabinetBmc = "CabinetBMC", "xXbB";
    CabinetPduController = "CabinetPDUController", "xXmM";
    CabinetPdu = "CabinetPDU", "xXmMpP";
    CabinetPduNic = "CabinetPDUNic", "xXmMiI";
    CabinetPduOutlet = "CabinetPDUOutlet", "xXmMpPjJ";
    CabinetPduPowerConnector = "CabinetPDUPowerConnector", "xXmMpPvV";
    Chassis = "Chassis", "xXcC";
    ChassisBmc = "ChassisBMC", "xXcCbB";
    ChassisBmcNic = "ChassisBMCNic", "xXcCbBiI";
    CmmRectifier = "CMMRectifier", "xXcCtT";
    CmmFpga = "CMMFpga", "xXcCfF";
    Cec = "CEC", "xXeE";
    ComputeModule = "ComputeModule", "xXcCsS";
    RouterModule = "RouterModule", "xXcCrR";
    NodeBmc = "NodeBMC", "xXcCsSbB";
    NodeBmcNic = "NodeBMCNic", "xXcCsSbBiI";
    NodeEnclosure = "NodeEnclosure", "xXcCsSeE";
    NodeEnclosurePowerSupply = "NodeEnclosurePowerSupply", "xXcCsSeEtT";
    NodePowerConnector = "NodePowerConnector", "xXcCsSvV (or the deprecated xXcCsSjJ)";
    Node = "Node", "xXcCsSbBnN";
    VirtualNode = "VirtualNode", "xXcCsSbBnNvV";
    Processor = "Processor", "xXcCsSbBnNpP";
    StorageGroup = "StorageGroup", "xXcCsSbBnNgG";
    Drive = "Drive", "xXcCsSbBnNgGkK";
    NodeNic = "NodeNic", "xXcCsSbBnNiI";
    NodeHsnNic = "NodeHsnNic", "xXcCsSbBnNhH";
    Memory = "Memory", "xXcCsSbBnNdD";
    NodeAccel = "NodeAccel", "xXcCsSbBnNaA";
    NodeAccelRiser = "NodeAccelRiser", "xXcCsSbBnNrR";
    NodeFpga = "NodeFpga", "xXcCsSbBfF";
    HsnAsic = "HSNAsic", "xXcCrRaA";
    RouterFpga = "RouterFpga", "xXcCrRfF";
    RouterTor = "RouterTOR", "xXcCrRtT";
    RouterTorFpga = "RouterTORFpga", "xXcCrRtTfF";
    RouterBmc = "RouterBMC", "xXcCrRbB";
    RouterBmcNic = "RouterBMCNic", "xXcCrRbBiI";
    RouterPowerConnector = "RouterPowerConnector", "xXcCrRvV";
    HsnBoard = "HSNBoard", "xXcCrReE";
    HsnLink = "HSNLink", "xXcCrRaAlL";
    HsnConnector = "HSNConnector", "xXcCrRjJ";
    HsnConnectorPort = "HSNConnectorPort", "xXcCrRjJpP";
    MgmtSwitch = "MgmtSwitch", "xXcCwW";
    MgmtHlSwitchEnclosure = "MgmtHLSwitchEnclosure", "xXcChH";
    MgmtHlSwitch = "MgmtHLSwitch", "xXcChHsS";
    MgmtSwitchConnector = "MgmtSwitchConnector", "xXcCwWjJ";
    SmsBox = "SMSBox", "smsN";
    Partition = "Partition", "pH or pH.S";
    System = "System", "s0";
}

impl HmsType {
    /// Looks a type up by name in any case (SMD lower-cases before its lookup) and returns the canonical value.
    pub fn parse(s: &str) -> Option<HmsType> {
        HmsType::all()
            .iter()
            .copied()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }

    /// Whether components of this type host a Redfish endpoint.
    pub fn is_controller(self) -> bool {
        matches!(
            self,
            HmsType::ChassisBmc
                | HmsType::RouterBmc
                | HmsType::NodeBmc
                | HmsType::CabinetPduController
        )
    }
}

impl fmt::Display for HmsType {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for HmsType {
    type Err = EnumError;

    fn from_str(s: &str) -> Result<HmsType, EnumError> {
        HmsType::parse(s).ok_or_else(|| EnumError::new("type", s, HmsType::NAMES))
    }
}

impl Serialize for HmsType {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for HmsType {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<HmsType, D::Error> {
        deserializer.deserialize_str(FromStrVisitor::new("an HMS type name"))
    }
}

/// One letters-then-number step of an xname pattern, with the numbers hms-xname's regex allows.
#[derive(Clone, Copy)]
struct Seg {
    letters: &'static str,
    min: u32,
    max: u32,
}

const fn seg(letters: &'static str, min: u32, max: u32) -> Seg {
    Seg { letters, min, max }
}

/// Stands for an unbounded `[0-9]+` in the regexes.
const ANY: u32 = u32::MAX;

// Steps shared by many patterns. Wherever two patterns share a prefix the
// regexes give that prefix the same range (checked by a test), so the scanner
// can range-check a step before knowing which pattern will win.
const X: Seg = seg("x", 0, 9999);
const C: Seg = seg("c", 0, 7);
const S: Seg = seg("s", 0, ANY);
const B: Seg = seg("b", 0, ANY);
const B0: Seg = seg("b", 0, 0);
const N: Seg = seg("n", 0, ANY);
const R: Seg = seg("r", 0, ANY);
const M: Seg = seg("m", 0, 3);
const PDU: Seg = seg("p", 0, 7);
const CDU: Seg = seg("d", 0, ANY);
const ENC: Seg = seg("e", 0, ANY);
const GROUP: Seg = seg("g", 0, ANY);
const TOR: Seg = seg("t", 0, ANY);
const ASIC: Seg = seg("a", 0, 3);
const HSN_J: Seg = seg("j", 1, ANY);
const SWITCH: Seg = seg("w", 1, ANY);
const HL_ENC: Seg = seg("h", 1, ANY);

/// One way of spelling an xname of `kind`.
struct Pattern {
    kind: HmsType,
    segs: &'static [Seg],
}

const fn pat(kind: HmsType, segs: &'static [Seg]) -> Pattern {
    Pattern { kind, segs }
}

// From hms-xname's recognition table; ranges are its regexes read after
// normalisation (so `([0-7])` is 0..=7 and `([1-9][0-9]*)` is 1 or more).
const PATTERNS: &[Pattern] = &[
    pat(HmsType::System, &[seg("s", 0, 0)]),
    pat(HmsType::SmsBox, &[seg("sms", 0, ANY)]),
    pat(HmsType::Partition, &[seg("p", 0, ANY)]),
    pat(HmsType::Partition, &[seg("p", 0, ANY), seg(".", 0, ANY)]),
    pat(HmsType::Cdu, &[CDU]),
    pat(HmsType::CduMgmtSwitch, &[CDU, seg("w", 0, ANY)]),
    pat(HmsType::Cabinet, &[X]),
    pat(HmsType::CabinetCdu, &[X, seg("d", 0, 1)]),
    pat(HmsType::CabinetBmc, &[X, seg("b", 0, 0)]),
    pat(HmsType::Cec, &[X, seg("e", 0, 1)]),
    pat(HmsType::CabinetPduController, &[X, M]),
    pat(HmsType::CabinetPdu, &[X, M, PDU]),
    pat(HmsType::CabinetPduNic, &[X, M, seg("i", 0, 3)]),
    pat(HmsType::CabinetPduOutlet, &[X, M, PDU, seg("j", 1, ANY)]),
    pat(
        HmsType::CabinetPduPowerConnector,
        &[X, M, PDU, seg("v", 1, ANY)],
    ),
    pat(HmsType::Chassis, &[X, C]),
    pat(HmsType::ChassisBmc, &[X, C, B0]),
    pat(HmsType::ChassisBmcNic, &[X, C, B0, seg("i", 0, 3)]),
    pat(HmsType::CmmFpga, &[X, C, seg("f", 0, 0)]),
    pat(HmsType::CmmRectifier, &[X, C, seg("t", 0, 9)]),
    pat(HmsType::ComputeModule, &[X, C, S]),
    pat(HmsType::NodeBmc, &[X, C, S, B]),
    pat(HmsType::NodeBmcNic, &[X, C, S, B, seg("i", 0, 3)]),
    pat(HmsType::NodeFpga, &[X, C, S, B, seg("f", 0, 0)]),
    pat(HmsType::NodeEnclosure, &[X, C, S, ENC]),
    pat(
        HmsType::NodeEnclosurePowerSupply,
        &[X, C, S, ENC, seg("t", 0, ANY)],
    ),
    // 'j' is the deprecated spelling of 'v'; both are accepted and kept as typed.
    pat(HmsType::NodePowerConnector, &[X, C, S, seg("j", 1, 2)]),
    pat(HmsType::NodePowerConnector, &[X, C, S, seg("v", 1, 2)]),
    pat(HmsType::Node, &[X, C, S, B, N]),
    pat(HmsType::VirtualNode, &[X, C, S, B, N, seg("v", 0, ANY)]),
    pat(HmsType::Processor, &[X, C, S, B, N, seg("p", 0, 3)]),
    pat(HmsType::StorageGroup, &[X, C, S, B, N, GROUP]),
    pat(HmsType::Drive, &[X, C, S, B, N, GROUP, seg("k", 0, ANY)]),
    pat(HmsType::NodeNic, &[X, C, S, B, N, seg("i", 0, 3)]),
    pat(HmsType::NodeHsnNic, &[X, C, S, B, N, seg("h", 0, 3)]),
    pat(HmsType::Memory, &[X, C, S, B, N, seg("d", 0, ANY)]),
    pat(HmsType::NodeAccel, &[X, C, S, B, N, seg("a", 0, ANY)]),
    pat(HmsType::NodeAccelRiser, &[X, C, S, B, N, seg("r", 0, 7)]),
    pat(HmsType::RouterModule, &[X, C, R]),
    pat(HmsType::RouterFpga, &[X, C, R, seg("f", 0, 1)]),
    pat(HmsType::RouterTor, &[X, C, R, TOR]),
    pat(HmsType::RouterTorFpga, &[X, C, R, TOR, seg("f", 0, 1)]),
    pat(HmsType::RouterBmc, &[X, C, R, B]),
    pat(HmsType::RouterBmcNic, &[X, C, R, B, seg("i", 0, 3)]),
    pat(HmsType::RouterPowerConnector, &[X, C, R, seg("v", 1, 2)]),
    pat(HmsType::HsnBoard, &[X, C, R, ENC]),
    pat(HmsType::HsnAsic, &[X, C, R, ASIC]),
    pat(HmsType::HsnLink, &[X, C, R, ASIC, seg("l", 0, ANY)]),
    pat(HmsType::HsnConnector, &[X, C, R, HSN_J]),
    pat(HmsType::HsnConnectorPort, &[X, C, R, HSN_J, seg("p", 0, 2)]),
    pat(HmsType::MgmtSwitch, &[X, C, SWITCH]),
    pat(
        HmsType::MgmtSwitchConnector,
        &[X, C, SWITCH, seg("j", 1, ANY)],
    ),
    pat(HmsType::MgmtHlSwitchEnclosure, &[X, C, HL_ENC]),
    pat(HmsType::MgmtHlSwitch, &[X, C, HL_ENC, seg("s", 1, 9)]),
];

// The scanner tracks surviving patterns as bits of a u64.
const _: () = assert!(PATTERNS.len() <= 64);

const ALL_PATTERNS: u64 = if PATTERNS.len() == 64 {
    u64::MAX
} else {
    (1u64 << PATTERNS.len()) - 1
};

/// The patterns whose bits are set in `set`.
fn patterns_in(set: u64) -> impl Iterator<Item = &'static Pattern> {
    PATTERNS
        .iter()
        .enumerate()
        .filter(move |(i, _)| set & (1u64 << i) != 0)
        .map(|(_, p)| p)
}

/// The patterns in `set` whose step `k` is spelt `letters` (any case).
fn with_step(set: u64, k: usize, letters: &str) -> u64 {
    let mut out = 0;
    for (i, p) in PATTERNS.iter().enumerate() {
        if set & (1u64 << i) != 0
            && p.segs
                .get(k)
                .is_some_and(|s| s.letters.eq_ignore_ascii_case(letters))
        {
            out |= 1u64 << i;
        }
    }
    out
}

/// The type whose pattern in `set` ends after exactly `len` steps.
fn complete_kind(set: u64, len: usize) -> Option<HmsType> {
    patterns_in(set)
        .find(|p| p.segs.len() == len)
        .map(|p| p.kind)
}

/// The letters that may start step `k` among `set`, as "one of a, b" or just "a".
fn expected_letters(set: u64, k: usize) -> String {
    let mut letters: Vec<&str> = patterns_in(set)
        .filter_map(|p| p.segs.get(k).map(|s| s.letters))
        .collect();
    letters.sort_unstable();
    letters.dedup();
    match letters.as_slice() {
        [one] => format!("'{one}'"),
        many => format!("one of {}", many.join(", ")),
    }
}

/// The numbers a step allows, written as an operator would type them.
fn describe_range(s: &Seg) -> String {
    let l = s.letters;
    if s.min == s.max {
        format!("{l}{}", s.min)
    } else if s.max == ANY {
        format!("{l}{} or higher", s.min)
    } else {
        format!("{l}{} to {l}{}", s.min, s.max)
    }
}

/// Why a string is not an xname.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum XnameError {
    /// Nothing but whitespace was given.
    #[error("xname '{input}' is empty")]
    Empty {
        /// The input as given.
        input: String,
    },
    /// The input is longer than [`MAX_XNAME_LEN`].
    #[error("xname '{shown}' is too long: {len} characters, at most {MAX_XNAME_LEN} allowed")]
    TooLong {
        /// The start of the input.
        shown: String,
        /// Its length in characters.
        len: usize,
    },
    /// The input ends with letters that need a number.
    #[error("xname '{input}' is incomplete: expected digits after '{letters}'")]
    Incomplete {
        /// The input as given.
        input: String,
        /// The trailing letters.
        letters: String,
    },
    /// A letter that needs a number is followed by something else.
    #[error("xname '{input}' is not valid: expected digits after '{letters}', found '{found}'")]
    MissingDigits {
        /// The input as given.
        input: String,
        /// The letters that need a number.
        letters: String,
        /// What came instead.
        found: String,
    },
    /// The input does not start like any xname.
    #[error(
        "xname '{input}' is not valid: unexpected '{found}' at the start (expected {expected})"
    )]
    BadStart {
        /// The input as given.
        input: String,
        /// The offending text.
        found: String,
        /// The letters an xname may start with.
        expected: String,
    },
    /// Letters that no component type allows at that point.
    #[error(
        "xname '{input}' is not valid: unexpected '{found}' after '{after}' (expected {expected})"
    )]
    Unexpected {
        /// The input as given.
        input: String,
        /// The offending text.
        found: String,
        /// The valid part before it.
        after: String,
        /// The letters that could follow.
        expected: String,
    },
    /// Something follows a component type that has no subcomponents.
    #[error("xname '{input}' is not valid: unexpected '{found}' after '{after}' (a {kind} has no subcomponents)")]
    NoChildren {
        /// The input as given.
        input: String,
        /// The offending text.
        found: String,
        /// The complete xname before it.
        after: String,
        /// The type of that xname.
        kind: HmsType,
    },
    /// A number does not fit in 32 bits.
    #[error("xname '{input}' is not valid: number '{number}' after '{letters}' is too large")]
    TooLarge {
        /// The input as given.
        input: String,
        /// The number as typed.
        number: String,
        /// The letters before it.
        letters: String,
    },
    /// A number outside what the component type allows.
    #[error(
        "xname '{input}' is not valid: {kind} number {value} is out of range (expected {expected})"
    )]
    OutOfRange {
        /// The input as given.
        input: String,
        /// The component type the number belongs to.
        kind: HmsType,
        /// The number, leading zeros dropped.
        value: u32,
        /// The allowed numbers, e.g. "c0 to c7".
        expected: String,
    },
}

/// A parsed component location, normalised as SMD stores it (lower case, no leading zeros), immutable once built.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Xname {
    name: Box<str>,
    kind: HmsType,
}

fn is_letter(b: u8) -> bool {
    // '.' separates the two numbers of a partition name (p1.2).
    b.is_ascii_alphabetic() || b == b'.'
}

/// The first character of `s` as a string, for error messages.
fn first_char(s: &str) -> String {
    s.chars().next().map(String::from).unwrap_or_default()
}

impl Xname {
    /// Parses and normalises an xname (surrounding whitespace, case and leading zeros are forgiven, as in SMD).
    pub fn parse(input: &str) -> Result<Xname, XnameError> {
        if input.len() > MAX_XNAME_LEN {
            return Err(XnameError::TooLong {
                shown: shorten(input, MAX_XNAME_LEN),
                len: input.chars().count(),
            });
        }
        let s = input.trim();
        if s.is_empty() {
            return Err(XnameError::Empty {
                input: input.to_string(),
            });
        }
        let b = s.as_bytes();
        let mut name = String::with_capacity(s.len());
        let mut alive = ALL_PATTERNS;
        let mut k = 0;
        let mut pos = 0;
        while pos < b.len() {
            let start = pos;
            while pos < b.len() && is_letter(b[pos]) {
                pos += 1;
            }
            let letters = &s[start..pos];
            let next = if letters.is_empty() {
                0
            } else {
                with_step(alive, k, letters)
            };
            if next == 0 {
                return Err(Self::unexpected(input, s, start, pos, alive, k));
            }
            let digits_start = pos;
            while pos < b.len() && b[pos].is_ascii_digit() {
                pos += 1;
            }
            let digits = &s[digits_start..pos];
            if digits.is_empty() {
                return Err(if pos == b.len() {
                    XnameError::Incomplete {
                        input: input.to_string(),
                        letters: letters.to_string(),
                    }
                } else {
                    XnameError::MissingDigits {
                        input: input.to_string(),
                        letters: letters.to_string(),
                        found: first_char(&s[pos..]),
                    }
                });
            }
            let trimmed = match digits.trim_start_matches('0') {
                "" => "0",
                t => t,
            };
            let value: u32 = trimmed.parse().map_err(|_| XnameError::TooLarge {
                input: input.to_string(),
                number: digits.to_string(),
                letters: letters.to_string(),
            })?;
            let Some(first) = patterns_in(next).next() else {
                break;
            };
            let step = &first.segs[k];
            if value < step.min || value > step.max {
                return Err(XnameError::OutOfRange {
                    input: input.to_string(),
                    kind: complete_kind(next, k + 1).unwrap_or(first.kind),
                    value,
                    expected: describe_range(step),
                });
            }
            name.push_str(step.letters);
            name.push_str(trimmed);
            alive = next;
            k += 1;
        }
        // Every prefix of a pattern is itself a pattern, so this only fails if the table is broken.
        let kind = complete_kind(alive, k).ok_or_else(|| XnameError::Incomplete {
            input: input.to_string(),
            letters: String::new(),
        })?;
        Ok(Xname {
            name: name.into_boxed_str(),
            kind,
        })
    }

    /// Explains why the text at `start..end` (letters, or a stray character when empty) cannot continue the xname.
    fn unexpected(
        input: &str,
        s: &str,
        start: usize,
        end: usize,
        alive: u64,
        k: usize,
    ) -> XnameError {
        let letters = &s[start..end];
        // "xray" or "x1cs0": known letters run straight into more letters; the longest
        // match wins so "smsx" blames the "sms" rather than the "s".
        if let Some(p) = patterns_in(alive)
            .filter_map(|p| p.segs.get(k))
            .map(|seg| seg.letters.len())
            .filter(|&n| n < letters.len() && letters.is_char_boundary(n))
            .filter(|&n| with_step(alive, k, &letters[..n]) != 0)
            .max()
        {
            return XnameError::MissingDigits {
                input: input.to_string(),
                letters: letters[..p].to_string(),
                found: first_char(&letters[p..]),
            };
        }
        let found = if letters.is_empty() {
            first_char(&s[start..])
        } else {
            letters.to_string()
        };
        if start == 0 {
            return XnameError::BadStart {
                input: input.to_string(),
                found,
                expected: expected_letters(alive, 0),
            };
        }
        let after = s[..start].to_string();
        if !patterns_in(alive).any(|p| p.segs.len() > k) {
            if let Some(kind) = complete_kind(alive, k) {
                return XnameError::NoChildren {
                    input: input.to_string(),
                    found,
                    after,
                    kind,
                };
            }
        }
        XnameError::Unexpected {
            input: input.to_string(),
            found,
            after,
            expected: expected_letters(alive, k),
        }
    }

    /// The normalised text, e.g. `x1000c0s0b0n0`.
    pub fn as_str(&self) -> &str {
        &self.name
    }

    /// The component type this location holds.
    pub fn kind(&self) -> HmsType {
        self.kind
    }

    /// The containing component, following SMD's `GetHMSCompParent`.
    ///
    /// A Cabinet or CDU belongs to the System `s0`; System, SMSBox and
    /// Partition have no parent. Otherwise the last letters-and-number step is
    /// dropped, so a NodeFpga (`x0c0s0b0f0`) belongs to its NodeBMC even though
    /// hms-xname's table names NodeEnclosure as its parent.
    pub fn parent(&self) -> Option<Xname> {
        match self.kind {
            HmsType::System | HmsType::SmsBox | HmsType::Partition => None,
            HmsType::Cabinet | HmsType::Cdu => Some(Xname {
                name: "s0".into(),
                kind: HmsType::System,
            }),
            _ => {
                let without_number = self.name.trim_end_matches(|c: char| c.is_ascii_digit());
                let prefix = without_number.trim_end_matches(|c: char| c.is_ascii_alphabetic());
                Xname::parse(prefix).ok()
            }
        }
    }

    /// The parent, its parent and so on up to the System.
    pub fn ancestors(&self) -> impl Iterator<Item = Xname> {
        std::iter::successors(self.parent(), Xname::parent)
    }
}

/// Normalises an xname, checking it is valid: `X0001C00S0B0N0` becomes `x1c0s0b0n0`.
pub fn normalize(s: &str) -> Result<String, XnameError> {
    Xname::parse(s).map(|x| x.as_str().to_string())
}

/// Compares strings so that runs of digits compare as numbers (`x1c0s2` before `x1c0s10`).
///
/// Equal numbers written with different leading zeros fall back to plain
/// string order, so the result is only `Equal` for identical strings.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let (x, y) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        if x[i].is_ascii_digit() && y[j].is_ascii_digit() {
            let (si, sj) = (i, j);
            while i < x.len() && x[i].is_ascii_digit() {
                i += 1;
            }
            while j < y.len() && y[j].is_ascii_digit() {
                j += 1;
            }
            let da = strip_zeros(&x[si..i]);
            let db = strip_zeros(&y[sj..j]);
            let ord = da.len().cmp(&db.len()).then_with(|| da.cmp(db));
            if ord != Ordering::Equal {
                return ord;
            }
        } else {
            if x[i] != y[j] {
                return x[i].cmp(&y[j]);
            }
            i += 1;
            j += 1;
        }
    }
    (x.len() - i).cmp(&(y.len() - j)).then_with(|| a.cmp(b))
}

fn strip_zeros(d: &[u8]) -> &[u8] {
    let n = d.iter().take_while(|&&c| c == b'0').count();
    &d[n..]
}

impl Ord for Xname {
    fn cmp(&self, other: &Xname) -> Ordering {
        natural_cmp(&self.name, &other.name)
    }
}

impl PartialOrd for Xname {
    fn partial_cmp(&self, other: &Xname) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Debug for Xname {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "Xname({:?})", &*self.name)
    }
}

impl fmt::Display for Xname {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl AsRef<str> for Xname {
    fn as_ref(&self) -> &str {
        &self.name
    }
}

impl FromStr for Xname {
    type Err = XnameError;

    fn from_str(s: &str) -> Result<Xname, XnameError> {
        Xname::parse(s)
    }
}

impl Serialize for Xname {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for Xname {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Xname, D::Error> {
        deserializer.deserialize_str(FromStrVisitor::new("an xname"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use HmsType::*;

    fn x(s: &str) -> Xname {
        Xname::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn every_type_has_a_pattern_and_a_unique_name() {
        assert_eq!(HmsType::all().len(), 52);
        assert_eq!(HmsType::all().len(), HmsType::NAMES.len());
        for t in HmsType::all() {
            assert!(PATTERNS.iter().any(|p| p.kind == *t), "{t} has no pattern");
            assert_eq!(HmsType::parse(t.as_str()), Some(*t));
        }
        let mut names = HmsType::NAMES.to_vec();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), HmsType::NAMES.len());
    }

    #[test]
    fn shared_prefixes_agree_and_are_types() {
        for p in PATTERNS {
            for q in PATTERNS {
                let common = p
                    .segs
                    .iter()
                    .zip(q.segs)
                    .take_while(|(a, b)| a.letters == b.letters)
                    .count();
                for (a, b) in p.segs[..common].iter().zip(&q.segs[..common]) {
                    assert_eq!((a.min, a.max), (b.min, b.max), "{} vs {}", p.kind, q.kind);
                }
            }
            for len in 1..p.segs.len() {
                let prefix = &p.segs[..len];
                assert!(
                    PATTERNS.iter().any(|q| q.segs.len() == len
                        && q.segs
                            .iter()
                            .zip(prefix)
                            .all(|(a, b)| a.letters == b.letters)),
                    "prefix {len} of {} is no type",
                    p.kind
                );
            }
        }
        // No two patterns may be spelt the same way.
        for (i, p) in PATTERNS.iter().enumerate() {
            for q in &PATTERNS[i + 1..] {
                let same = p.segs.len() == q.segs.len()
                    && p.segs
                        .iter()
                        .zip(q.segs)
                        .all(|(a, b)| a.letters == b.letters);
                assert!(!same, "{} and {} collide", p.kind, q.kind);
            }
        }
    }

    #[test]
    fn type_names_parse_in_any_case() {
        assert_eq!(HmsType::parse("nodebmc"), Some(NodeBmc));
        assert_eq!(HmsType::parse("NODEBMC"), Some(NodeBmc));
        assert_eq!(HmsType::parse("NodeNIC"), Some(NodeNic));
        assert_eq!(HmsType::parse("hsnboard"), Some(HsnBoard));
        assert_eq!(HmsType::parse("All"), None);
        assert_eq!(HmsType::parse("INVALID"), None);
        assert_eq!("computemodule".parse::<HmsType>().unwrap(), ComputeModule);
        let err = "Nod".parse::<HmsType>().unwrap_err().to_string();
        assert!(
            err.starts_with("invalid type 'Nod': expected one of CDU, CDUMgmtSwitch,"),
            "{err}"
        );
        assert_eq!(NodeBmc.to_string(), "NodeBMC");
        assert_eq!(serde_json::to_string(&RouterTor).unwrap(), "\"RouterTOR\"");
        assert_eq!(
            serde_json::from_str::<HmsType>("\"routerbmc\"").unwrap(),
            RouterBmc
        );
        assert!(NodeBmc.is_controller() && !Node.is_controller());
    }

    #[test]
    fn valid_xnames() {
        // Every example from hms-xname's tests, plus normalisation cases.
        let cases: &[(&str, &str, HmsType)] = &[
            ("d0", "d0", Cdu),
            ("d0w0", "d0w0", CduMgmtSwitch),
            ("x0d0", "x0d0", CabinetCdu),
            ("x0m1p0", "x0m1p0", CabinetPdu),
            ("x2000m3", "x2000m3", CabinetPduController),
            ("x0m0i1", "x0m0i1", CabinetPduNic),
            ("x0m1p3j1", "x0m1p3j1", CabinetPduOutlet),
            ("x0m1p3v1", "x0m1p3v1", CabinetPduPowerConnector),
            ("x0", "x0", Cabinet),
            ("x0b0", "x0b0", CabinetBmc),
            ("x0c0", "x0c0", Chassis),
            ("x0c0b0", "x0c0b0", ChassisBmc),
            ("x0c0b0i1", "x0c0b0i1", ChassisBmcNic),
            ("x0c0t9", "x0c0t9", CmmRectifier),
            ("x0c0f0", "x0c0f0", CmmFpga),
            ("x0e0", "x0e0", Cec),
            ("x0c0s0", "x0c0s0", ComputeModule),
            ("x0c0r0", "x0c0r0", RouterModule),
            ("x0c0s0b0", "x0c0s0b0", NodeBmc),
            ("x0c0s0b999", "x0c0s0b999", NodeBmc),
            ("x0c0s0e0", "x0c0s0e0", NodeEnclosure),
            ("x0c0s0e0t0", "x0c0s0e0t0", NodeEnclosurePowerSupply),
            ("x0c0s0j1", "x0c0s0j1", NodePowerConnector),
            ("x0c0s0v1", "x0c0s0v1", NodePowerConnector),
            ("x0c0s0b0n0", "x0c0s0b0n0", Node),
            ("x0c0s0b0n0v0", "x0c0s0b0n0v0", VirtualNode),
            ("x0c0s0b0n0p0", "x0c0s0b0n0p0", Processor),
            ("x0c0s0b0n0g0k0", "x0c0s0b0n0g0k0", Drive),
            ("x0c0s0b0n0g0", "x0c0s0b0n0g0", StorageGroup),
            ("x0c0s0b0n0i1", "x0c0s0b0n0i1", NodeNic),
            ("x0c0s0b0n0h1", "x0c0s0b0n0h1", NodeHsnNic),
            ("x0c0s0b0n0d0", "x0c0s0b0n0d0", Memory),
            ("x0c0s0b0n0a0", "x0c0s0b0n0a0", NodeAccel),
            ("x0c0s0b0n0r0", "x0c0s0b0n0r0", NodeAccelRiser),
            ("x0c0s0b0f0", "x0c0s0b0f0", NodeFpga),
            ("x0c0r16e0", "x0c0r16e0", HsnBoard),
            ("x0c0r0a0", "x0c0r0a0", HsnAsic),
            ("x0c0r0f0", "x0c0r0f0", RouterFpga),
            ("x0c0r0t0", "x0c0r0t0", RouterTor),
            ("x0c0r0t0f0", "x0c0r0t0f0", RouterTorFpga),
            ("x0c0r0b0", "x0c0r0b0", RouterBmc),
            ("x0c0r0b0i1", "x0c0r0b0i1", RouterBmcNic),
            ("x0c0r0v1", "x0c0r0v1", RouterPowerConnector),
            ("x0c0r0a0l0", "x0c0r0a0l0", HsnLink),
            ("x0c0r0j1", "x0c0r0j1", HsnConnector),
            ("x0c0r0j1p1", "x0c0r0j1p1", HsnConnectorPort),
            ("x0c0w1", "x0c0w1", MgmtSwitch),
            ("x0c0w1j1", "x0c0w1j1", MgmtSwitchConnector),
            ("x0c0h1", "x0c0h1", MgmtHlSwitchEnclosure),
            ("x0c0h1s2", "x0c0h1s2", MgmtHlSwitch),
            ("sms1", "sms1", SmsBox),
            ("p0", "p0", Partition),
            ("p0.0", "p0.0", Partition),
            ("s0", "s0", System),
            ("x1000c0s0b0n0", "x1000c0s0b0n0", Node),
            ("X0001C00S0B0N0", "x1c0s0b0n0", Node),
            ("  x3000c0s17b1n0\t", "x3000c0s17b1n0", Node),
            ("x0c0s4b1n1v01", "x0c0s4b1n1v1", VirtualNode),
            ("x00009999c07", "x9999c7", Chassis),
            ("S00", "s0", System),
            ("SMS007", "sms7", SmsBox),
            ("p01.002", "p1.2", Partition),
            ("x1c0s4294967295", "x1c0s4294967295", ComputeModule),
            ("x16c3s0b0n1h1", "x16c3s0b0n1h1", NodeHsnNic),
            ("x1c0r47j31", "x1c0r47j31", HsnConnector),
            ("x0c0r1a0l64", "x0c0r1a0l64", HsnLink),
            ("x1m1p0j64", "x1m1p0j64", CabinetPduOutlet),
        ];
        for (input, norm, kind) in cases {
            let got = x(input);
            assert_eq!(got.as_str(), *norm, "{input}");
            assert_eq!(got.kind(), *kind, "{input}");
            assert_eq!(normalize(input).unwrap(), *norm);
            assert_eq!(input.parse::<Xname>().unwrap(), got);
            // Normalised names are fixed points.
            assert_eq!(x(norm), got);
        }
    }

    #[test]
    fn invalid_xnames() {
        let long = format!("x{}", "0".repeat(70));
        let cases: &[(&str, &str)] = &[
            ("", "xname '' is empty"),
            ("   ", "xname '   ' is empty"),
            ("x1c0s0b0n", "xname 'x1c0s0b0n' is incomplete: expected digits after 'n'"),
            ("x", "xname 'x' is incomplete: expected digits after 'x'"),
            ("p1.", "xname 'p1.' is incomplete: expected digits after '.'"),
            (
                "x1c0q0",
                "xname 'x1c0q0' is not valid: unexpected 'q' after 'x1c0' (expected one of b, f, h, r, s, t, w)",
            ),
            (
                "X1C0Q0",
                "xname 'X1C0Q0' is not valid: unexpected 'Q' after 'X1C0' (expected one of b, f, h, r, s, t, w)",
            ),
            (
                "x1q0",
                "xname 'x1q0' is not valid: unexpected 'q' after 'x1' (expected one of b, c, d, e, m)",
            ),
            (
                "q1",
                "xname 'q1' is not valid: unexpected 'q' at the start (expected one of d, p, s, sms, x)",
            ),
            (
                "1x",
                "xname '1x' is not valid: unexpected '1' at the start (expected one of d, p, s, sms, x)",
            ),
            (
                "xray",
                "xname 'xray' is not valid: expected digits after 'x', found 'r'",
            ),
            (
                "x1cs0",
                "xname 'x1cs0' is not valid: expected digits after 'c', found 's'",
            ),
            (
                "x1-c0",
                "xname 'x1-c0' is not valid: unexpected '-' after 'x1' (expected one of b, c, d, e, m)",
            ),
            (
                "x1 c0",
                "xname 'x1 c0' is not valid: unexpected ' ' after 'x1' (expected one of b, c, d, e, m)",
            ),
            (
                "x-1",
                "xname 'x-1' is not valid: expected digits after 'x', found '-'",
            ),
            (
                "x1c0s0b0n0p0q0",
                "xname 'x1c0s0b0n0p0q0' is not valid: unexpected 'q' after 'x1c0s0b0n0p0' (a Processor has no subcomponents)",
            ),
            (
                "s0x1",
                "xname 's0x1' is not valid: unexpected 'x' after 's0' (a System has no subcomponents)",
            ),
            (
                "x1c0r0t0f0f0",
                "xname 'x1c0r0t0f0f0' is not valid: unexpected 'f' after 'x1c0r0t0f0' (a RouterTORFpga has no subcomponents)",
            ),
            (
                "p1.2.3",
                "xname 'p1.2.3' is not valid: unexpected '.' after 'p1.2' (a Partition has no subcomponents)",
            ),
            (
                "x1c0s0b0n0é",
                "xname 'x1c0s0b0n0é' is not valid: unexpected 'é' after 'x1c0s0b0n0' (expected one of a, d, g, h, i, p, r, v)",
            ),
            (
                "x99999999999999999999",
                "xname 'x99999999999999999999' is not valid: number '99999999999999999999' after 'x' is too large",
            ),
            (
                "x1c0s4294967296",
                "xname 'x1c0s4294967296' is not valid: number '4294967296' after 's' is too large",
            ),
            (
                "x10000",
                "xname 'x10000' is not valid: Cabinet number 10000 is out of range (expected x0 to x9999)",
            ),
            (
                "x1c8",
                "xname 'x1c8' is not valid: Chassis number 8 is out of range (expected c0 to c7)",
            ),
            (
                "s1",
                "xname 's1' is not valid: System number 1 is out of range (expected s0)",
            ),
            (
                "x1c0w0",
                "xname 'x1c0w0' is not valid: MgmtSwitch number 0 is out of range (expected w1 or higher)",
            ),
            (
                "x1c0b1",
                "xname 'x1c0b1' is not valid: ChassisBMC number 1 is out of range (expected b0)",
            ),
            (
                "x0c0s4j4",
                "xname 'x0c0s4j4' is not valid: NodePowerConnector number 4 is out of range (expected j1 to j2)",
            ),
            (
                "x0m0p0j0",
                "xname 'x0m0p0j0' is not valid: CabinetPDUOutlet number 0 is out of range (expected j1 or higher)",
            ),
            (
                "x1c0h0s2",
                "xname 'x1c0h0s2' is not valid: MgmtHLSwitchEnclosure number 0 is out of range (expected h1 or higher)",
            ),
            (
                "x1c0h1s0",
                "xname 'x1c0h1s0' is not valid: MgmtHLSwitch number 0 is out of range (expected s1 to s9)",
            ),
            (
                "x0c0r0t0f2",
                "xname 'x0c0r0t0f2' is not valid: RouterTORFpga number 2 is out of range (expected f0 to f1)",
            ),
            (
                "x1c0s0b0n0p4",
                "xname 'x1c0s0b0n0p4' is not valid: Processor number 4 is out of range (expected p0 to p3)",
            ),
            (
                "d0wW",
                "xname 'd0wW' is not valid: expected digits after 'w', found 'W'",
            ),
            (
                "xXcCrRtTfF",
                "xname 'xXcCrRtTfF' is not valid: expected digits after 'x', found 'X'",
            ),
            (
                "all",
                "xname 'all' is not valid: unexpected 'all' at the start (expected one of d, p, s, sms, x)",
            ),
            (
                "down",
                "xname 'down' is not valid: expected digits after 'd', found 'o'",
            ),
        ];
        for (input, want) in cases {
            let got = Xname::parse(input).expect_err(input).to_string();
            assert_eq!(got, *want, "{input}");
        }
        assert_eq!(
            Xname::parse(&long).unwrap_err().to_string(),
            format!(
                "xname 'x{}...' is too long: 71 characters, at most 64 allowed",
                "0".repeat(63)
            )
        );
    }

    #[test]
    fn parent_chains() {
        let chains: &[&[&str]] = &[
            &[
                "x1000c0s0b0n0",
                "x1000c0s0b0",
                "x1000c0s0",
                "x1000c0",
                "x1000",
                "s0",
            ],
            &[
                "x0c0s0b0n0g0k0",
                "x0c0s0b0n0g0",
                "x0c0s0b0n0",
                "x0c0s0b0",
                "x0c0s0",
                "x0c0",
                "x0",
                "s0",
            ],
            &["x0c0r0a0l0", "x0c0r0a0", "x0c0r0", "x0c0", "x0", "s0"],
            &["x0m1p3v1", "x0m1p3", "x0m1", "x0", "s0"],
            &["d1w2", "d1", "s0"],
            &["x0c0s0b0f0", "x0c0s0b0", "x0c0s0", "x0c0", "x0", "s0"],
            &["x0c0s0e0t0", "x0c0s0e0", "x0c0s0", "x0c0", "x0", "s0"],
            &["x0c0h1s2", "x0c0h1", "x0c0", "x0", "s0"],
            &["x0c0s0j1", "x0c0s0", "x0c0", "x0", "s0"],
            &["s0"],
            &["sms3"],
            &["p1.2"],
            &["p1"],
        ];
        for chain in chains {
            let start = x(chain[0]);
            let got: Vec<String> = start.ancestors().map(|a| a.to_string()).collect();
            assert_eq!(got, chain[1..], "{}", chain[0]);
        }
        let parent = x("x0c0r16e0").parent().unwrap();
        assert_eq!((parent.as_str(), parent.kind()), ("x0c0r16", RouterModule));
        assert_eq!(x("x1").parent().unwrap().kind(), System);
    }

    #[test]
    fn natural_order() {
        let mut v: Vec<Xname> = [
            "x1000c0s10b0n0",
            "x1000c0s2b0n1",
            "x1000c0s2b0n0",
            "x10c0",
            "x9c7",
            "x1000c0s2b0",
            "s0",
            "d2",
            "x1000c0s2",
        ]
        .iter()
        .map(|s| x(s))
        .collect();
        v.sort();
        let got: Vec<&str> = v.iter().map(Xname::as_str).collect();
        assert_eq!(
            got,
            [
                "d2",
                "s0",
                "x9c7",
                "x10c0",
                "x1000c0s2",
                "x1000c0s2b0",
                "x1000c0s2b0n0",
                "x1000c0s2b0n1",
                "x1000c0s10b0n0",
            ]
        );
        assert_eq!(natural_cmp("nid01", "nid1"), Ordering::Less);
        assert_eq!(natural_cmp("nid002", "nid10"), Ordering::Less);
        assert_eq!(natural_cmp("a", "a"), Ordering::Equal);
        assert_eq!(natural_cmp("a1b", "a1"), Ordering::Greater);
        assert_eq!(
            natural_cmp("a99999999999999999999999", "a100000000000000000000000"),
            Ordering::Less
        );
    }

    #[test]
    fn serde_round_trip_validates() {
        let id = x("x1000c0s0b0n0");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"x1000c0s0b0n0\"");
        let back: Xname = serde_json::from_str("\"X1000C0S0B0N00\"").unwrap();
        assert_eq!(back, id);
        let err = serde_json::from_str::<Xname>("\"x1c0q0\"")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("xname 'x1c0q0' is not valid: unexpected 'q'"),
            "{err}"
        );
        let err = serde_json::from_str::<Xname>("5").unwrap_err().to_string();
        assert!(err.contains("expected an xname"), "{err}");
    }

    #[test]
    fn equality_and_hashing_use_the_normal_form() {
        use std::collections::HashSet;
        let set: HashSet<Xname> = ["x1c0", "X1C0", "x01c00", "x1c1"]
            .iter()
            .map(|s| x(s))
            .collect();
        assert_eq!(set.len(), 2);
        assert!(set.contains(&x("x1c0")));
    }
}
