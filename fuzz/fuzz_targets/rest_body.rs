#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| bidroom_fuzz::rest::run(data));
