//! One TLS connection: both directions' record readers feeding one tracker.
//!
//! Takes: the [`Delivery`] events of both directions of a TCP connection classified as TLS by
//! [`looks_like_tls`](super::looks_like_tls). Gives: [`TlsFacts`]. The tests here replay real handshakes
//! captured on loopback (OpenSSL `s_client`/`s_server` 3.0, Python `http.server`; see
//! `testdata/README.md`) through the flow table.

use super::TlsFacts;
use super::record::RecordReader;
use super::track::Tracker;
use crate::flows::Delivery;

/// Both directions of one TLS connection.
#[derive(Debug, Default)]
pub struct TlsConn {
    readers: [RecordReader; 2],
    tracker: Tracker,
}

impl TlsConn {
    /// Feeds one delivery (stream bytes, a gap or the FIN) of the direction `from_client` says.
    pub fn deliver(&mut self, from_client: bool, d: Delivery<'_>) {
        let TlsConn { readers, tracker } = self;
        readers[usize::from(!from_client)].deliver(d, &mut |u| tracker.unit(from_client, u));
    }

    pub fn facts(&self) -> &TlsFacts {
        &self.tracker.facts
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::test_support::{Payload, corpus_pcap, replay_tcp, tcp_payloads};
    use crate::apps::tls::{MAX_LISTED, cert_problems, looks_like_tls};
    use crate::flows::At;
    use crate::flows::{AppKind, ConnFacts, Interest, StreamSink};
    use crate::time::Timestamp;

    const TLS12_CHAIN: &[u8] = include_bytes!("../testdata/tls12-chain.pcap");
    const TLS12_UNKNOWN_CA: &[u8] = include_bytes!("../testdata/tls12-unknown-ca.pcap");
    const TLS13: &[u8] = include_bytes!("../testdata/tls13.pcap");
    const TLS13_UNKNOWN_CA: &[u8] = include_bytes!("../testdata/tls13-unknown-ca.pcap");
    const HTTP_REPLY: &[u8] = include_bytes!("../testdata/tls-http-reply.pcap");

    /// Follows connections that start like TLS, as the pipeline will.
    #[derive(Default)]
    struct Sink {
        done: Vec<(ConnFacts, TlsFacts)>,
    }

    impl StreamSink for Sink {
        type App = TlsConn;
        fn classify(&mut self, _: &mut ConnFacts, payload: &[u8], _: bool) -> Interest {
            if looks_like_tls(payload) {
                Interest::Follow(AppKind::Tls)
            } else {
                Interest::Ignore
            }
        }
        fn deliver(
            &mut self,
            _: &ConnFacts,
            app: &mut TlsConn,
            from_client: bool,
            d: Delivery<'_>,
        ) {
            app.deliver(from_client, d);
        }
        fn close(&mut self, c: &ConnFacts, app: &mut TlsConn, _: u64) {
            self.done.push((c.clone(), app.facts().clone()));
        }
    }

    fn facts_of(pcap: &[u8]) -> TlsFacts {
        let mut sink = Sink::default();
        let conns = replay_tcp(pcap, &mut sink);
        assert_eq!(conns.len(), 1);
        assert_eq!(conns[0].app, AppKind::Tls);
        sink.done.pop().expect("connection closed").1
    }

    fn frame(at: Option<At>) -> Option<u64> {
        at.map(|a| a.frame)
    }

    /// Feeds payloads straight to a connection, each as its own frame.
    fn feed(conn: &mut TlsConn, payloads: &[Payload]) {
        for p in payloads {
            conn.deliver(
                p.from_client,
                Delivery::Data {
                    bytes: &p.bytes,
                    frame: p.frame,
                    ts: p.ts,
                    trigger: p.frame,
                },
            );
        }
    }

    #[test]
    fn tls12_handshake_with_a_chain_split_over_records() {
        let f = facts_of(TLS12_CHAIN);
        let ch = f.client_hello.as_ref().unwrap();
        assert_eq!(ch.at.frame, 4);
        assert_eq!(ch.sni.as_deref(), Some("acs.example.test"));
        assert_eq!(ch.alpn, vec!["http/1.1"]);
        let sh = f.server_hello.as_ref().unwrap();
        assert_eq!(
            (sh.at.frame, sh.version, sh.alpn.as_deref()),
            (6, 0x0303, None)
        );
        assert_eq!(
            sh.cipher_name,
            Some("TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384")
        );
        let subjects: Vec<_> = f.certificates.iter().map(|c| c.subject.as_str()).collect();
        assert_eq!(subjects, vec!["CN=acs.example.test", "CN=Test ACS Root CA"]);
        let leaf = &f.certificates[0];
        assert!(cert_problems(leaf, leaf.at.ts, Some("acs.example.test")).is_empty());
        assert_eq!(frame(f.server_flight_end), Some(6));
        assert_eq!(frame(f.client_finished), Some(8));
        assert_eq!(f.application_data.map(frame), [Some(10), Some(11)]);
        let alerts: Vec<_> = f
            .alerts
            .iter()
            .map(|a| (a.at.frame, a.from_client, a.encrypted))
            .collect();
        assert_eq!(alerts, vec![(13, true, true), (14, false, true)]);
        assert_eq!(f.problems, vec![]);
        assert_eq!(f.plaintext_reply, None);
    }

    #[test]
    fn tls12_client_rejects_a_self_signed_certificate_with_unknown_ca() {
        let f = facts_of(TLS12_UNKNOWN_CA);
        assert_eq!(f.certificates.len(), 1);
        assert!(f.certificates[0].self_signed);
        assert_eq!(frame(f.server_flight_end), Some(6));
        let a = &f.alerts[..];
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].at.frame, a[0].from_client, a[0].level), (8, true, 2));
        assert_eq!(
            (a[0].description, a[0].name, a[0].encrypted),
            (48, "unknown_ca", false)
        );
        assert_eq!(f.client_finished, None);
        assert_eq!(f.application_data, [None, None]);
    }

    #[test]
    fn tls13_says_1_3_shows_no_certificates_and_infers_the_milestones() {
        let f = facts_of(TLS13);
        assert!(
            f.client_hello
                .as_ref()
                .unwrap()
                .supported_versions
                .contains(&0x0304)
        );
        let sh = f.server_hello.as_ref().unwrap();
        assert_eq!((sh.legacy_version, sh.version), (0x0303, 0x0304));
        assert_eq!(f.version(), Some(0x0304));
        assert!(f.certificates.is_empty());
        assert_eq!(frame(f.server_flight_end), Some(6));
        assert_eq!(frame(f.client_finished), Some(8));
        assert_eq!(f.application_data.map(frame), [Some(9), Some(10)]);
        assert_eq!(
            f.alerts,
            vec![],
            "TLS 1.3 close_notify travels as application data"
        );
        assert_eq!(f.problems, vec![]);
    }

    #[test]
    fn tls13_alert_in_the_clear_after_the_server_flight() {
        let f = facts_of(TLS13_UNKNOWN_CA);
        assert_eq!(f.version(), Some(0x0304));
        assert_eq!(frame(f.server_flight_end), Some(6));
        assert_eq!(f.client_finished, None);
        let a = &f.alerts[..];
        assert_eq!(a.len(), 1);
        assert_eq!(
            (a[0].at.frame, a[0].from_client, a[0].name, a[0].encrypted),
            (8, true, "unknown_ca", false)
        );
    }

    #[test]
    fn plaintext_answer_to_a_client_hello() {
        let f = facts_of(HTTP_REPLY);
        assert!(f.client_hello.is_some());
        assert_eq!(f.server_hello, None);
        let (at, from_client, line) = f.plaintext_reply.clone().unwrap();
        assert_eq!(
            (at.frame, from_client, line.as_str()),
            (6, false, "<!DOCTYPE HTML>")
        );
    }

    #[test]
    fn client_hello_split_over_three_segments_completes_at_the_third() {
        let hello = &tcp_payloads(TLS12_CHAIN)[0];
        let b = &hello.bytes;
        let (x, y) = (3, b.len() / 2);
        let parts = [&b[..x], &b[x..y], &b[y..]];
        let mut conn = TlsConn::default();
        for (i, part) in parts.iter().enumerate() {
            let frame = 4 + i as u64;
            let ts = Timestamp::new(frame as i64, 0);
            conn.deliver(
                true,
                Delivery::Data {
                    bytes: part,
                    frame,
                    ts,
                    trigger: frame,
                },
            );
        }
        let ch = conn.facts().client_hello.as_ref().unwrap();
        assert_eq!(
            (ch.at.frame, ch.sni.as_deref()),
            (6, Some("acs.example.test"))
        );
    }

    #[test]
    fn handshake_messages_spanning_many_small_records() {
        let server = &tcp_payloads(TLS12_CHAIN)[1];
        assert!(!server.from_client);
        // Gather the handshake bytes of the server's flight and send them again in 61-byte records.
        let mut hs = Vec::new();
        let mut rest = &server.bytes[..];
        while rest.len() >= 5 {
            let len = usize::from(u16::from_be_bytes([rest[3], rest[4]]));
            hs.extend_from_slice(&rest[5..5 + len]);
            rest = &rest[5 + len..];
        }
        let mut stream = Vec::new();
        for chunk in hs.chunks(61) {
            stream.extend([22, 3, 3, 0, chunk.len() as u8]);
            stream.extend(chunk);
        }
        let mut conn = TlsConn::default();
        let p = Payload {
            from_client: false,
            bytes: stream,
            frame: 6,
            ts: server.ts,
        };
        feed(&mut conn, &[p]);
        let f = conn.facts();
        assert_eq!(f.certificates.len(), 2);
        assert_eq!(frame(f.server_flight_end), Some(6));
        assert_eq!(f.problems, vec![]);
    }

    #[test]
    fn every_split_point_gives_the_same_facts_and_every_truncation_is_safe() {
        for pcap in [TLS12_CHAIN, TLS13, TLS12_UNKNOWN_CA] {
            let payloads = tcp_payloads(pcap);
            let mut whole = TlsConn::default();
            feed(&mut whole, &payloads);
            for (n, p) in payloads.iter().enumerate() {
                for k in 0..=p.bytes.len() {
                    let (a, b) = p.bytes.split_at(k);
                    let part = |bytes: &[u8]| Payload {
                        bytes: bytes.to_vec(),
                        ..*p
                    };
                    let mut cut = TlsConn::default();
                    feed(&mut cut, &payloads[..n]);
                    feed(&mut cut, &[part(a)]);
                    let ts = p.ts;
                    cut.deliver(p.from_client, Delivery::Fin { frame: p.frame, ts });
                    assert!(cut.facts().problems.len() <= MAX_LISTED);
                    let mut again = TlsConn::default();
                    feed(&mut again, &payloads[..n]);
                    feed(&mut again, &[part(a), part(b)]);
                    feed(&mut again, &payloads[n + 1..]);
                    assert_eq!(again.facts(), whole.facts(), "split of payload {n} at {k}");
                }
            }
        }
    }

    #[test]
    fn every_single_byte_corruption_of_a_handshake_is_survived() {
        let payloads = tcp_payloads(TLS12_CHAIN);
        for n in 0..3 {
            for i in 0..payloads[n].bytes.len() {
                for flip in [0x01, 0x80, 0xff] {
                    let mut bad: Vec<Payload> = payloads[..=n]
                        .iter()
                        .map(|p| Payload {
                            bytes: p.bytes.clone(),
                            ..*p
                        })
                        .collect();
                    bad[n].bytes[i] ^= flip;
                    let mut conn = TlsConn::default();
                    feed(&mut conn, &bad);
                    assert!(conn.facts().problems.len() <= MAX_LISTED);
                }
            }
        }
    }

    /// The TLS connections of the corpus WAN capture (PPPoE over VLAN, real browser and app traffic) agree
    /// with tshark 4.x: every ClientHello with its SNI, every ServerHello with its version, the two TLS 1.2
    /// certificate messages and the three (encrypted) alerts, by frame.
    #[test]
    fn corpus_wan_capture_agrees_with_tshark() {
        let Some(pcap) = corpus_pcap("ctf-snakectf2024-router-wan.pcap") else {
            return;
        };
        let mut sink = Sink::default();
        replay_tcp(&pcap, &mut sink);
        let mut hellos = Vec::new();
        let mut servers = Vec::new();
        let mut certs = Vec::new();
        let mut alerts = Vec::new();
        for (_, f) in &sink.done {
            if let Some(ch) = &f.client_hello {
                hellos.push((ch.at.frame, ch.sni.clone().unwrap_or_default()));
            }
            if let Some(sh) = &f.server_hello {
                servers.push((sh.at.frame, sh.version, sh.cipher_suite));
            }
            certs.extend(f.certificates.first().map(|c| c.at.frame));
            alerts.extend(f.alerts.iter().map(|a| (a.at.frame, a.encrypted)));
        }
        hellos.sort();
        servers.sort();
        certs.sort();
        alerts.sort();
        let sni = |f: u64, n: &str| (f, n.to_string());
        let expected_hellos = vec![
            sni(24, "clients4.google.com"),
            sni(37, "gateway.icloud.com"),
            sni(45, "courier.push.apple.com"),
            sni(124, "connectivitycheck.gstatic.com"),
            sni(126, "p105-fmfmobile.icloud.com"),
            sni(157, "derp23d.tailscale.com"),
            sni(190, "lycraservice-pa.googleapis.com"),
            sni(219, "gateway.icloud.com"),
            sni(222, "derp4g.tailscale.com"),
            // tshark also shows frame 269, a ClientHello inside an HTTP CONNECT tunnel: that connection
            // is HTTP by its first bytes and not followed here.
            sni(280, "log.tailscale.io"),
            sni(319, "derp9f.tailscale.com"),
            sni(342, "valid.apple.com"),
            sni(441, "ae.iads.unity3d.com"),
            sni(458, "ep2.facebook.com"),
            sni(696, "controlplane.tailscale.com"),
        ];
        assert_eq!(hellos, expected_hellos);
        let tls12: Vec<_> = servers.iter().filter(|s| s.1 == 0x0303).collect();
        assert_eq!(tls12, vec![&(134, 0x0303, 0xc02c), &(357, 0x0303, 0xc02f)]);
        assert_eq!(servers.len(), 15);
        assert!(
            servers
                .iter()
                .all(|s| s.1 == 0x0303 || (0x1301..=0x1303).contains(&s.2))
        );
        assert_eq!(certs, vec![137, 361]);
        assert_eq!(alerts, vec![(879, true), (883, true), (1245, true)]);
        for (c, f) in &sink.done {
            assert_eq!(f.problems, vec![], "connection {}", c.id);
            assert_eq!(f.plaintext_reply, None, "connection {}", c.id);
        }
    }

    #[test]
    fn sslv2_style_hello_is_a_client_hello() {
        let mut b = vec![0x80, 0x2e, 1, 3, 1, 0, 0x15, 0, 0, 0, 0x10];
        for suite in [0x39, 0x38, 0x35, 0x33, 0x32, 0x2f, 0x0a] {
            b.extend([0, 0, suite]);
        }
        b.extend([0x42; 16]);
        assert!(looks_like_tls(&b));
        let mut conn = TlsConn::default();
        feed(
            &mut conn,
            &[Payload {
                from_client: true,
                bytes: b,
                frame: 4,
                ts: Timestamp::default(),
            }],
        );
        let ch = conn.facts().client_hello.as_ref().unwrap();
        assert_eq!(
            (ch.sslv2_format, ch.legacy_version, ch.cipher_suites),
            (true, 0x0301, 7)
        );
        assert_eq!(conn.facts().problems, vec![]);
    }
}
