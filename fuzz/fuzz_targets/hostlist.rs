//! Fuzz target: chami::invariants::hostlist over any UTF-8 text.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(s) = std::str::from_utf8(data) {
        chami::invariants::hostlist(s);
    }
});
