//! Any bytes as an HTTP body: the SOAP/CWMP parser must return a reading, never panic.
#![no_main]

use cwmp_doctor::cwmp::parse_envelope;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = parse_envelope(data);
});
