//! What the capture shows about one TCP connection, kept as facts for the checks.
//!
//! Takes: the TCP header fields of each segment of the connection, in capture order.
//! Gives: [`ConnFacts`] — who is client and server and how we know, the handshake (SYNs, retransmitted
//! SYNs, SYN-ACK, the client's ACK), FINs and the RST with who sent them and when, per-direction stream
//! counters. Follows RFC 9293 §3.5 (establishment) and §3.6 (closing); a connection whose handshake the
//! capture missed is marked `start_missed`.
//!
//! Every fact carries its frame number (1-based, as Wireshark numbers frames) and time.

use std::net::SocketAddr;

use crate::decode::TcpFlags;
use crate::flows::assembler::StreamStats;
use crate::time::Timestamp;

/// A frame number with its time: the unit of evidence.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct At {
    pub frame: u64,
    pub ts: Timestamp,
}

impl At {
    /// Frame `frame` at `frame` seconds: a tests' shorthand.
    #[cfg(test)]
    pub fn test(frame: u64) -> At {
        At {
            frame,
            ts: Timestamp::new(frame as i64, 0),
        }
    }
}

/// How we know which side opened the connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RoleSource {
    /// The client sent the SYN.
    Syn,
    /// Only the server's SYN-ACK was captured.
    SynAck,
    /// No handshake captured; the first payload read as an HTTP request (client) or response (server).
    Content,
    /// No handshake and no telling payload: the side that sent the first segment is taken as the client.
    FirstSender,
}

/// What application protocol the connection carries, recognised by content (never by port alone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AppKind {
    /// No payload seen yet (or none at all).
    #[default]
    None,
    Http,
    Tls,
    /// DNS over TCP (RFC 7766: each message after a two-byte length).
    Dns,
    /// Something else (bulk traffic, SSH, …): not followed further.
    Other,
}

/// The RST that ended a connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Reset {
    pub at: At,
    pub from_client: bool,
}

/// Everything the capture says about one TCP connection.
#[derive(Clone, Debug)]
pub struct ConnFacts {
    /// Connection index in order of first appearance, counting every TCP connection in the capture.
    pub id: u32,
    pub client: SocketAddr,
    pub server: SocketAddr,
    pub roles: RoleSource,
    pub first: At,
    pub last: At,
    /// The client's first SYN, its last one, and how many it sent (retransmissions when > 1).
    pub syn_first: Option<At>,
    pub syn_last: Option<At>,
    pub syn_count: u32,
    pub syn_ack: Option<At>,
    /// The client's ACK completing the handshake (or its first segment after the SYN-ACK).
    pub established: Option<At>,
    /// FIN from the client ([0]) and from the server ([1]).
    pub fin: [Option<At>; 2],
    pub rst: Option<Reset>,
    /// The handshake was not captured: the connection was already open when the capture started.
    pub start_missed: bool,
    /// First frame carrying payload, from either side.
    pub first_payload: Option<At>,
    /// Payload bytes client→server ([0]) and server→client ([1]).
    pub bytes: [u64; 2],
    /// Reassembly counters per direction, for the connections whose streams were followed.
    pub streams: [StreamStats; 2],
    pub app: AppKind,
    /// Segments whose payload the capture's snapshot length cut (their TCP header is whole).
    pub snap_cut: u32,
    /// Segments of the connection in the capture, both directions (its frames in Wireshark's
    /// `tcp.stream eq N`).
    pub frames: u32,
}

impl ConnFacts {
    /// A connection first seen in a segment from `src` to `dst` with `flags`.
    pub fn new(id: u32, src: SocketAddr, dst: SocketAddr, flags: TcpFlags, at: At) -> Self {
        let (client, server, roles) = if flags.syn && flags.ack {
            (dst, src, RoleSource::SynAck)
        } else if flags.syn {
            (src, dst, RoleSource::Syn)
        } else {
            (src, dst, RoleSource::FirstSender)
        };
        ConnFacts {
            id,
            client,
            server,
            roles,
            first: at,
            last: at,
            syn_first: None,
            syn_last: None,
            syn_count: 0,
            syn_ack: None,
            established: None,
            fin: [None, None],
            rst: None,
            start_missed: !flags.syn,
            first_payload: None,
            bytes: [0, 0],
            streams: Default::default(),
            app: AppKind::None,
            snap_cut: 0,
            frames: 0,
        }
    }

    /// Index of the direction a segment from `src` travels: 0 client→server, 1 server→client.
    pub fn dir_of(&self, src: SocketAddr) -> usize {
        usize::from(src != self.client)
    }

    /// Swaps client and server: the first payload showed the guess from the first sender was wrong.
    pub fn swap_roles(&mut self, roles: RoleSource) {
        std::mem::swap(&mut self.client, &mut self.server);
        self.fin.swap(0, 1);
        self.bytes.swap(0, 1);
        self.streams.swap(0, 1);
        if let Some(r) = &mut self.rst {
            r.from_client = !r.from_client;
        }
        self.roles = roles;
    }

    /// Records the TCP-level facts of one segment travelling in direction `dir`.
    pub fn observe(&mut self, dir: usize, flags: TcpFlags, payload_len: usize, at: At) {
        self.last = at;
        self.frames += 1;
        if flags.syn && !flags.ack && dir == 0 {
            self.syn_first.get_or_insert(at);
            self.syn_last = Some(at);
            self.syn_count += 1;
        } else if flags.syn && flags.ack && dir == 1 {
            self.syn_ack.get_or_insert(at);
        } else if dir == 0 && flags.ack && self.syn_ack.is_some() && self.established.is_none() {
            self.established = Some(at);
        }
        if flags.fin && self.fin[dir].is_none() {
            self.fin[dir] = Some(at);
        }
        if flags.rst && self.rst.is_none() {
            self.rst = Some(Reset {
                at,
                from_client: dir == 0,
            });
        }
        if payload_len > 0 {
            self.first_payload.get_or_insert(at);
            self.bytes[dir] += payload_len as u64;
        }
    }

    /// The three-way handshake completed (or the capture joined an open connection that carried data).
    pub fn handshake_done(&self) -> bool {
        self.established.is_some() || (self.start_missed && self.first_payload.is_some())
    }

    /// Both sides closed, or one reset: nothing more can travel on this connection.
    pub fn closed(&self) -> bool {
        self.rst.is_some() || (self.fin[0].is_some() && self.fin[1].is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::At;

    fn flags(syn: bool, ack: bool, fin: bool, rst: bool) -> TcpFlags {
        TcpFlags {
            syn,
            ack,
            fin,
            rst,
            psh: false,
        }
    }

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn handshake_with_retransmitted_syn_is_recorded_frame_by_frame() {
        let cpe = addr("203.0.113.7:50001");
        let acs = addr("198.51.100.20:7547");
        let mut c = ConnFacts::new(0, cpe, acs, flags(true, false, false, false), At::test(1));
        c.observe(0, flags(true, false, false, false), 0, At::test(1));
        c.observe(0, flags(true, false, false, false), 0, At::test(2));
        c.observe(1, flags(true, true, false, false), 0, At::test(3));
        c.observe(0, flags(false, true, false, false), 0, At::test(4));
        assert_eq!((c.client, c.server, c.roles), (cpe, acs, RoleSource::Syn));
        assert_eq!(c.syn_count, 2);
        assert_eq!(c.syn_first, Some(At::test(1)));
        assert_eq!(c.syn_last, Some(At::test(2)));
        assert_eq!(c.syn_ack, Some(At::test(3)));
        assert_eq!(c.established, Some(At::test(4)));
        assert!(c.handshake_done());
        assert!(!c.start_missed);
    }

    #[test]
    fn a_connection_first_seen_at_its_syn_ack_has_the_roles_the_right_way_round() {
        let acs = addr("198.51.100.20:7547");
        let cpe = addr("203.0.113.7:50001");
        let c = ConnFacts::new(0, acs, cpe, flags(true, true, false, false), At::test(1));
        assert_eq!(
            (c.client, c.server, c.roles),
            (cpe, acs, RoleSource::SynAck)
        );
    }

    #[test]
    fn reset_and_fins_say_who_sent_them() {
        let a = addr("10.0.0.1:40000");
        let b = addr("10.0.0.2:80");
        let mut c = ConnFacts::new(0, a, b, flags(true, false, false, false), At::test(1));
        c.observe(1, flags(false, true, true, false), 0, At::test(5));
        assert!(!c.closed());
        c.observe(1, flags(false, false, false, true), 0, At::test(6));
        assert_eq!(c.fin, [None, Some(At::test(5))]);
        assert_eq!(
            c.rst,
            Some(Reset {
                at: At::test(6),
                from_client: false
            })
        );
        assert!(c.closed());
    }

    #[test]
    fn a_mid_stream_start_is_marked_and_roles_can_be_swapped_by_content() {
        let srv = addr("198.51.100.20:7547");
        let cli = addr("203.0.113.7:50001");
        let mut c = ConnFacts::new(3, srv, cli, flags(false, true, false, false), At::test(9));
        c.observe(0, flags(false, true, false, false), 120, At::test(9));
        assert!(c.start_missed);
        assert_eq!(c.roles, RoleSource::FirstSender);
        c.swap_roles(RoleSource::Content);
        assert_eq!((c.client, c.server), (cli, srv));
        assert_eq!(c.bytes, [0, 120]);
        assert_eq!(c.dir_of(srv), 1);
    }
}
