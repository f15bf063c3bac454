//! Any bytes as a capture file: the reader and the decoder must return, never panic or hang.
#![no_main]

use cwmp_doctor::capture::read_frames_from;
use cwmp_doctor::decode::decode;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = read_frames_from("fuzz", data, |f| {
        let _ = decode(f.link_type, f.data);
    });
});
