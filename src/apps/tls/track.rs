//! The connection-level reading of TLS records: which record means what, handshake messages reassembled
//! across records, and the milestones of [`TlsFacts`] (RFC 5246 §7, RFC 8446 §4–§6).
//!
//! Takes: the [`Unit`]s of both directions, in capture order. Gives: updates to [`TlsFacts`].
//! The whole decision is one table in [`Tracker::record`]; see the module doc of `tls` for its rules.

use tls_parser::{
    TlsMessage, TlsMessageHandshake, TlsRecordHeader, TlsRecordType, TlsVersion,
    parse_tls_message_handshake, parse_tls_record_with_header,
};

use super::hello::{self, TLS13, alert_name};
use super::record::Unit;
use super::{CertInfo, MAX_HANDSHAKE, MAX_LISTED, TlsAlert, TlsFacts};
use crate::flows::At;

const CHANGE_CIPHER_SPEC: u8 = 20;
const ALERT: u8 = 21;
const HANDSHAKE: u8 = 22;
const APPLICATION_DATA: u8 = 23;

/// One direction's state above the record layer.
#[derive(Debug, Default)]
struct Side {
    /// A handshake message being reassembled across records.
    handshake: Vec<u8>,
    /// Handshake messages are no longer read (oversized, damaged or undecodable).
    handshake_stopped: bool,
    /// This side sent its ChangeCipherSpec in TLS ≤ 1.2: what follows is encrypted.
    encrypted: bool,
}

/// Both directions above the record layer, and the facts.
#[derive(Debug, Default)]
pub(super) struct Tracker {
    sides: [Side; 2],
    pub(super) facts: TlsFacts,
}

fn side_name(from_client: bool) -> &'static str {
    if from_client { "client" } else { "server" }
}

impl Tracker {
    pub(super) fn unit(&mut self, from_client: bool, u: Unit<'_>) {
        match u {
            Unit::Record {
                ctype,
                version,
                body,
                at,
                damaged,
            } => self.record(from_client, ctype, version, body, at, damaged),
            Unit::Sslv2Hello { body, at } => match hello::sslv2_client_hello(body, at) {
                Some(h) if from_client => self.facts.client_hello = Some(h),
                _ => {
                    let what = format!("{}: undecodable SSLv2-style hello", side_name(from_client));
                    self.facts.problem(at, what);
                }
            },
            // The first direction found speaking something else is the one reported.
            Unit::Plain { line, at } => match &self.facts.plaintext_reply {
                Some((_, client, _)) if *client != from_client => {}
                _ => self.facts.plaintext_reply = Some((at, from_client, line)),
            },
            Unit::Problem { at, what } => {
                self.facts
                    .problem(at, format!("{}: {what}", side_name(from_client)));
            }
        }
    }

    fn tls13(&self) -> bool {
        self.facts.version() == Some(TLS13)
    }

    /// The table: what a record means, by type, by whether its side is encrypted (≤ 1.2), by version.
    fn record(
        &mut self,
        from_client: bool,
        ctype: u8,
        version: u16,
        body: &[u8],
        at: At,
        damaged: bool,
    ) {
        let i = usize::from(!from_client);
        match (ctype, self.sides[i].encrypted, self.tls13()) {
            (CHANGE_CIPHER_SPEC, _, true) => {} // middlebox compatibility only (RFC 8446 §D.4)
            (CHANGE_CIPHER_SPEC, _, false) => {
                self.sides[i].encrypted = true;
                if from_client {
                    self.facts.client_finished.get_or_insert(at);
                }
            }
            (ALERT, true, _) => self.alert(at, from_client, None),
            (ALERT, false, _) if damaged => {}
            (ALERT, false, _) => self.plain_alerts(from_client, version, body, at),
            // The encrypted Finished; from the server it ends an abbreviated (resumed) handshake.
            (HANDSHAKE, true, _) if !from_client => {
                self.facts.server_flight_end.get_or_insert(at);
            }
            (HANDSHAKE, true, _) => {}
            (HANDSHAKE, false, _) => self.handshake_bytes(from_client, body, at, damaged),
            (APPLICATION_DATA, _, true) => self.encrypted_13(from_client, at),
            (APPLICATION_DATA, _, false) => {
                self.facts.application_data[i].get_or_insert(at);
            }
            _ => {}
        }
    }

    /// TLS 1.3: encrypted records in order tell the flight, the client's Finished and application data.
    fn encrypted_13(&mut self, from_client: bool, at: At) {
        let f = &mut self.facts;
        match (from_client, f.client_finished.is_some()) {
            (false, false) => f.server_flight_end = Some(at),
            (true, false) => f.client_finished = Some(at),
            (true, true) => {
                f.application_data[0].get_or_insert(at);
            }
            (false, true) => {
                f.application_data[1].get_or_insert(at);
            }
        }
    }

    /// Notes an alert; `plain` holds (level, description) when it was readable.
    fn alert(&mut self, at: At, from_client: bool, plain: Option<(u8, u8)>) {
        if self.facts.alerts.len() >= MAX_LISTED {
            return;
        }
        let (level, description) = plain.unwrap_or((0, 0));
        self.facts.alerts.push(TlsAlert {
            at,
            from_client,
            level,
            description,
            name: if plain.is_some() {
                alert_name(description)
            } else {
                "encrypted"
            },
            encrypted: plain.is_none(),
        });
    }

    fn plain_alerts(&mut self, from_client: bool, version: u16, body: &[u8], at: At) {
        let hdr = TlsRecordHeader {
            record_type: TlsRecordType::Alert,
            version: TlsVersion(version),
            len: body.len() as u16,
        };
        match parse_tls_record_with_header(body, &hdr) {
            Ok((&[], msgs)) => {
                for m in msgs {
                    if let TlsMessage::Alert(a) = m {
                        self.alert(at, from_client, Some((a.severity.0, a.code.0)));
                    }
                }
            }
            // Not a whole number of 2-byte alerts: the sender encrypts although the capture showed no
            // ChangeCipherSpec (it started mid-connection), so the contents are unknown.
            _ => self.alert(at, from_client, None),
        }
    }

    /// Reassembles handshake messages across records and reads each complete one.
    fn handshake_bytes(&mut self, from_client: bool, body: &[u8], at: At, damaged: bool) {
        let i = usize::from(!from_client);
        if self.sides[i].handshake_stopped {
            return;
        }
        if damaged {
            self.stop_handshake(
                from_client,
                at,
                "bytes lost inside a handshake message".into(),
            );
            return;
        }
        self.sides[i].handshake.extend_from_slice(body);
        while !self.sides[i].handshake_stopped {
            let buf = &self.sides[i].handshake;
            if buf.len() < 4 {
                return;
            }
            let len = usize::from(buf[1]) << 16 | usize::from(buf[2]) << 8 | usize::from(buf[3]);
            let total = 4 + len;
            if total > MAX_HANDSHAKE {
                let what = format!(
                    "handshake message type {} of {total} bytes is too large",
                    buf[0]
                );
                self.stop_handshake(from_client, at, what);
                return;
            }
            if buf.len() < total {
                return;
            }
            let msg: Vec<u8> = self.sides[i].handshake.drain(..total).collect();
            self.handshake_message(from_client, &msg, at);
        }
    }

    fn stop_handshake(&mut self, from_client: bool, at: At, what: String) {
        let side = &mut self.sides[usize::from(!from_client)];
        side.handshake_stopped = true;
        side.handshake = Vec::new();
        let what = format!(
            "{}: {what}; handshake no longer read",
            side_name(from_client)
        );
        self.facts.problem(at, what);
    }

    fn handshake_message(&mut self, from_client: bool, msg: &[u8], at: At) {
        let parsed = match parse_tls_message_handshake(msg) {
            Ok((_, TlsMessage::Handshake(m))) => m,
            _ => {
                let what = format!(
                    "undecodable handshake message type {} ({} bytes)",
                    msg[0],
                    msg.len()
                );
                self.stop_handshake(from_client, at, what);
                return;
            }
        };
        let f = &mut self.facts;
        match (from_client, parsed) {
            (true, TlsMessageHandshake::ClientHello(ch)) => {
                f.client_hello = Some(hello::client_hello(&ch, at));
            }
            (false, TlsMessageHandshake::ServerHello(sh)) => {
                let h = hello::server_hello(&sh, at);
                if h.hello_retry {
                    f.hello_retry = Some(at);
                } else {
                    f.server_hello = Some(h);
                }
            }
            (false, TlsMessageHandshake::Certificate(c)) if f.certificates.is_empty() => {
                for (n, raw) in c.cert_chain.iter().enumerate().take(MAX_LISTED) {
                    match CertInfo::from_der(raw.data, at) {
                        Ok(info) => f.certificates.push(info),
                        Err(e) => f.problem(at, format!("server certificate {n}: {e}")),
                    }
                }
            }
            (false, TlsMessageHandshake::CertificateRequest(_)) => {
                f.client_cert_requested.get_or_insert(at);
            }
            (false, TlsMessageHandshake::ServerDone(_)) => {
                f.server_flight_end.get_or_insert(at);
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::TlsConn;
    use super::*;
    use crate::flows::Delivery;
    use crate::time::Timestamp;

    /// Feeds (from_client, record type, body, frame) records, each in its own segment.
    fn run(records: &[(bool, u8, &[u8], u64)]) -> TlsFacts {
        let mut conn = TlsConn::default();
        for &(from_client, ctype, body, frame) in records {
            let mut bytes = vec![ctype, 3, 3];
            bytes.extend((body.len() as u16).to_be_bytes());
            bytes.extend(body);
            send(&mut conn, from_client, &bytes, frame);
        }
        conn.facts().clone()
    }

    fn send(conn: &mut TlsConn, from_client: bool, bytes: &[u8], frame: u64) {
        let ts = Timestamp::new(frame as i64, 0);
        let d = Delivery::Data {
            bytes,
            frame,
            ts,
            trigger: frame,
        };
        conn.deliver(from_client, d);
    }

    /// A ServerHello handshake message with `random`, suite 0xc02f and the given extensions block.
    fn server_hello(random: [u8; 32], ext: &[u8]) -> Vec<u8> {
        let mut body = vec![3, 3];
        body.extend(random);
        body.extend([0, 0xc0, 0x2f, 0]);
        if !ext.is_empty() {
            body.extend((ext.len() as u16).to_be_bytes());
            body.extend(ext);
        }
        let mut msg = vec![2, 0, 0, body.len() as u8];
        msg.extend(body);
        msg
    }

    fn frame(at: Option<At>) -> Option<u64> {
        at.map(|a| a.frame)
    }

    const SERVER_HELLO_DONE: [u8; 4] = [14, 0, 0, 0];

    #[test]
    fn tls12_rows_of_the_table() {
        let flight = [server_hello([7; 32], &[]), SERVER_HELLO_DONE.to_vec()].concat();
        let f = run(&[
            (false, HANDSHAKE, &flight, 2),
            (true, ALERT, &[1, 0], 3),           // before CCS: readable
            (true, CHANGE_CIPHER_SPEC, &[1], 4), // ≤ 1.2: the client's Finished follows
            (true, ALERT, &[0x11; 26], 5),       // after CCS: encrypted
            (false, CHANGE_CIPHER_SPEC, &[1], 6),
            (false, HANDSHAKE, &[0x22; 40], 6), // encrypted Finished: the flight already ended
            (true, APPLICATION_DATA, &[0x33; 30], 7),
            (false, APPLICATION_DATA, &[0x44; 30], 8),
        ]);
        assert_eq!(f.version(), Some(0x0303));
        assert_eq!(
            f.server_hello.as_ref().unwrap().cipher_name,
            Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
        );
        assert_eq!(
            (frame(f.server_flight_end), frame(f.client_finished)),
            (Some(2), Some(4))
        );
        assert_eq!(f.application_data.map(frame), [Some(7), Some(8)]);
        let alerts: Vec<_> = f
            .alerts
            .iter()
            .map(|a| (a.at.frame, a.name, a.encrypted))
            .collect();
        assert_eq!(
            alerts,
            vec![(3, "close_notify", false), (5, "encrypted", true)]
        );
        assert_eq!(f.problems, vec![]);
    }

    #[test]
    fn abbreviated_tls12_handshake_ends_the_flight_at_the_servers_finished() {
        let f = run(&[
            (false, HANDSHAKE, &server_hello([7; 32], &[]), 2),
            (false, CHANGE_CIPHER_SPEC, &[1], 2),
            (false, HANDSHAKE, &[0x22; 40], 3),
        ]);
        assert_eq!(frame(f.server_flight_end), Some(3));
    }

    #[test]
    fn tls13_rows_of_the_table() {
        let sh = server_hello([7; 32], &[0x00, 0x2b, 0x00, 0x02, 0x03, 0x04]);
        let f = run(&[
            (false, HANDSHAKE, &sh, 2),
            (false, CHANGE_CIPHER_SPEC, &[1], 2),
            (false, APPLICATION_DATA, &[0x11; 100], 2),
            (false, APPLICATION_DATA, &[0x11; 100], 3), // still the server's flight
            (true, CHANGE_CIPHER_SPEC, &[1], 4),        // compatibility only: not the Finished
            (true, ALERT, &[2, 42], 4),                 // an alert record is in the clear in 1.3
            (true, APPLICATION_DATA, &[0x22; 50], 5),   // the client's Finished
            (true, APPLICATION_DATA, &[0x33; 50], 6),
            (false, APPLICATION_DATA, &[0x44; 50], 7),
        ]);
        assert_eq!(f.version(), Some(TLS13));
        assert_eq!(
            (frame(f.server_flight_end), frame(f.client_finished)),
            (Some(3), Some(5))
        );
        assert_eq!(f.application_data.map(frame), [Some(6), Some(7)]);
        assert_eq!(
            (f.alerts[0].name, f.alerts[0].level, f.alerts[0].encrypted),
            ("bad_certificate", 2, false)
        );
    }

    #[test]
    fn hello_retry_request_is_noted_and_the_real_server_hello_kept() {
        let ext = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04];
        let hrr = server_hello(hello::HELLO_RETRY_RANDOM, &ext);
        let f = run(&[(false, HANDSHAKE, &hrr, 2)]);
        assert_eq!((frame(f.hello_retry), &f.server_hello), (Some(2), &None));
        let f = run(&[(
            false,
            HANDSHAKE,
            &[hrr, server_hello([1; 32], &ext)].concat(),
            2,
        )]);
        assert_eq!(f.version(), Some(TLS13));
    }

    #[test]
    fn garbage_is_a_plaintext_line_or_a_problem_never_a_panic() {
        let mut conn = TlsConn::default();
        send(&mut conn, true, b"\x00\x01garbage\xff", 4);
        let (_, from_client, line) = conn.facts().plaintext_reply.clone().unwrap();
        assert!(from_client);
        assert_eq!(line, "..garbage\u{fffd}");

        let mut conn = TlsConn::default();
        send(
            &mut conn,
            true,
            &[22, 3, 1, 0, 4, 1, 0, 0, 0, 22, 3, 3, 0x50, 0x00],
            4,
        );
        let f = conn.facts();
        assert_eq!(f.client_hello, None);
        assert_eq!(f.problems.len(), 2, "{:?}", f.problems);
        assert!(
            f.problems[0]
                .1
                .contains("undecodable handshake message type 1")
        );
        assert!(f.problems[1].1.contains("not a TLS record header"));
    }

    #[test]
    fn oversized_handshake_message_stops_the_handshake_but_not_the_records() {
        let f = run(&[
            (false, HANDSHAKE, &[11, 0x08, 0, 0], 6),
            (false, ALERT, &[2, 40], 7),
        ]);
        assert_eq!(f.problems.len(), 1);
        assert!(f.problems[0].1.contains("too large"), "{:?}", f.problems);
        assert_eq!(f.alerts[0].name, "handshake_failure");
    }
}
