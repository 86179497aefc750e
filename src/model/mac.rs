//! A MAC address, read once from any spelling and kept as its 48 bits.

use std::fmt;
use std::str::FromStr;

use super::component::InputError;

/// A MAC address: 48 bits. Parsed from 12 hex digits in any case, with `:`, `-` or `.`
/// separators or none; shown in the canonical lowercase colon form (`a4:bf:01:2b:73:10`).
/// Copy, and neither parsing nor showing it allocates, so the bootscript path carries it as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Mac(u64);

const HEX: &[u8; 16] = b"0123456789abcdef";

impl Mac {
    /// Reads a MAC in any spelling; the error names the text and the expected form.
    pub fn parse(raw: &str) -> Result<Mac, InputError> {
        Mac::read(raw).ok_or_else(|| {
            InputError(format!(
                "bad MAC address '{raw}': expected 12 hex digits such as a4:bf:01:2b:73:10"
            ))
        })
    }

    fn read(raw: &str) -> Option<Mac> {
        let mut v: u64 = 0;
        let mut digits = 0;
        for b in raw.trim().bytes() {
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                b':' | b'-' | b'.' => continue,
                _ => return None,
            };
            digits += 1;
            if digits > 12 {
                return None;
            }
            v = (v << 4) | u64::from(d);
        }
        (digits == 12).then_some(Mac(v))
    }

    /// The 48 bits.
    pub fn bits(self) -> u64 {
        self.0
    }

    /// SMD's interface ID: the 12 hex digits, lowercase, no separators.
    pub fn id(self) -> String {
        format!("{:012x}", self.0)
    }

    /// The six bytes, first to last.
    fn bytes(self) -> impl Iterator<Item = u8> {
        (0..6).map(move |i| ((self.0 >> (40 - 8 * i)) & 0xff) as u8)
    }

    /// The canonical form with `sep` between bytes, written into `buf`.
    pub fn write_with(self, sep: u8, buf: &mut [u8; 17]) -> &str {
        for (i, byte) in self.bytes().enumerate() {
            buf[3 * i] = HEX[usize::from(byte >> 4)];
            buf[3 * i + 1] = HEX[usize::from(byte & 0xf)];
            if i < 5 {
                buf[3 * i + 2] = sep;
            }
        }
        // Only ASCII hex digits and the separator were written.
        std::str::from_utf8(buf).unwrap_or_default()
    }
}

impl fmt::Display for Mac {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; 17];
        f.write_str(self.write_with(b':', &mut buf))
    }
}

impl FromStr for Mac {
    type Err = InputError;

    fn from_str(s: &str) -> Result<Mac, InputError> {
        Mac::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_spelling_reads_as_the_same_mac() {
        for raw in [
            "a4:bf:01:2b:73:10",
            "A4-BF-01-2B-73-10",
            "a4bf.012b.7310",
            "a4bf012b7310",
            " a4:BF:01:2b:73:10 ",
        ] {
            let m = Mac::parse(raw).unwrap();
            assert_eq!(m.bits(), 0xa4bf_012b_7310, "{raw}");
            assert_eq!(m.to_string(), "a4:bf:01:2b:73:10", "{raw}");
            assert_eq!(m.id(), "a4bf012b7310", "{raw}");
        }
        let mut buf = [0u8; 17];
        let m = Mac::parse("00:00:00:00:00:0f").unwrap();
        assert_eq!(m.write_with(b'-', &mut buf), "00-00-00-00-00-0f");
        assert_eq!(m.id(), "00000000000f");
    }

    #[test]
    fn a_bad_mac_is_named_with_the_form_expected() {
        for raw in [
            "",
            "a4bf012b731",
            "a4bf012b73100",
            "a4bf012b731g",
            "x1000c0s0b0n0",
        ] {
            let e = Mac::parse(raw).unwrap_err();
            assert!(e.0.contains(&format!("'{raw}'")), "{e:?}");
            assert!(e.0.contains("12 hex digits"), "{e:?}");
        }
    }
}
