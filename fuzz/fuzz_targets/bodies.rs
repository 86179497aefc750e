//! Fuzz target: chami::invariants::bodies over any bytes, as the main write endpoints get them.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    chami::invariants::bodies(data);
});
