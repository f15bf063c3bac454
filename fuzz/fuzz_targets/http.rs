//! Any bytes as the two directions of an HTTP connection, cut into deliveries where the input says.
#![no_main]

use cwmp_doctor::apps::http::{HttpBudget, HttpConn};
use cwmp_doctor::decode::TcpFlags;
use cwmp_doctor::flows::{At, ConnFacts, Delivery};
use cwmp_doctor::time::Timestamp;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let flags = TcpFlags { syn: true, ..Default::default() };
    let at = At { frame: 1, ts: Timestamp::default() };
    let conn = ConnFacts::new(0, "192.0.2.1:1".parse().unwrap(), "192.0.2.2:7547".parse().unwrap(), flags, at);
    let mut http = HttpConn::default();
    // A small budget, so that cutting bodies and dropping heads are reached too.
    let mut budget = HttpBudget::new(4096);
    let mut out = Vec::new();
    // Each piece: a control byte (direction, gap or FIN, length) then that many bytes.
    let mut rest = data;
    let mut frame = 1;
    while let Some((&ctl, tail)) = rest.split_first() {
        frame += 1;
        let n = usize::from(ctl & 0x3f).min(tail.len());
        let from_client = ctl & 0x80 == 0;
        let d = match ctl & 0x40 {
            0 => Delivery::Data { bytes: &tail[..n], frame, ts: Timestamp::default(), trigger: frame },
            _ if n % 2 == 0 => Delivery::Gap { len: n as u64, frame },
            _ => Delivery::Fin { frame, ts: Timestamp::default() },
        };
        http.deliver(&conn, from_client, d, &mut budget, &mut out);
        rest = &tail[n..];
    }
    http.close(&conn, &mut budget, &mut out);
    assert_eq!(budget.used(), 0, "a closed connection holds nothing");
});
