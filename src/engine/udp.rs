//! UDP datagrams the checks read: DNS (the ACS host name), DHCP (the WAN address, option 43's ACS URL),
//! STUN (TR-111 NAT traversal) and UDP connection requests (TR-069 Annex G).
//!
//! Takes: decoded UDP datagrams with their frames. Gives: lists of parsed messages with their frames and
//! endpoints. Recognition is by port *and* content: a datagram is only kept when its parser accepts it.
//! Each list is bounded to its first [`HEAD`] and last [`TAIL`] datagrams (the start of a capture holds
//! the boot-time lookups and leases, the end holds the state when the engineer stopped it); the middle's
//! overflow is counted.

use std::collections::VecDeque;
use std::net::{IpAddr, SocketAddr};

use crate::apps::dhcp::parse_dhcp;
use crate::apps::dns::parse_dns;
use crate::apps::stun::parse_stun;
use crate::apps::udp_cr::parse_udp_connection_request;
use crate::decode::UdpDatagram;
use crate::facts::Datagram;
use crate::flows::At;

/// Datagrams kept per kind from the start of the capture.
pub const HEAD: usize = 2048;
/// Datagrams kept per kind from the end of the capture.
pub const TAIL: usize = 2048;

/// The first [`HEAD`] and last [`TAIL`] items pushed, in order.
pub struct Ends<T> {
    head: Vec<T>,
    tail: VecDeque<T>,
}

impl<T> Default for Ends<T> {
    fn default() -> Self {
        Ends {
            head: Vec::new(),
            tail: VecDeque::new(),
        }
    }
}

impl<T> Ends<T> {
    /// Keeps `item`; returns true when an older middle item was dropped to make room.
    fn push(&mut self, item: T) -> bool {
        if self.head.len() < HEAD {
            self.head.push(item);
            return false;
        }
        let dropped = self.tail.len() == TAIL;
        if dropped {
            self.tail.pop_front();
        }
        self.tail.push_back(item);
        dropped
    }

    /// Everything kept, oldest first.
    pub fn into_vec(self) -> Vec<T> {
        let mut all = self.head;
        all.extend(self.tail);
        all
    }
}

#[derive(Default)]
pub struct UdpFacts {
    pub dns: Ends<Datagram<crate::apps::dns::DnsMessage>>,
    pub dhcp: Ends<Datagram<crate::apps::dhcp::DhcpMessage>>,
    pub stun: Ends<Datagram<crate::apps::stun::StunMessage>>,
    pub conn_requests: Ends<Datagram<crate::apps::udp_cr::UdpConnectionRequest>>,
    pub dropped: u64,
}

/// Where a datagram travelled.
#[derive(Clone, Copy)]
struct Route {
    at: At,
    src: SocketAddr,
    dst: SocketAddr,
}

fn keep<T>(list: &mut Ends<Datagram<T>>, dropped: &mut u64, r: Route, msg: T) {
    let d = Datagram {
        at: r.at,
        src: r.src,
        dst: r.dst,
        msg,
    };
    if list.push(d) {
        *dropped += 1;
    }
}

impl UdpFacts {
    pub fn datagram(&mut self, at: At, src: IpAddr, dst: IpAddr, d: &UdpDatagram<'_>) {
        let src = SocketAddr::new(src, d.src_port);
        let dst = SocketAddr::new(dst, d.dst_port);
        let ports = [d.src_port, d.dst_port];
        let r = Route { at, src, dst };
        if ports.iter().any(|p| matches!(p, 53 | 5353 | 5355)) {
            if let Some(m) = parse_dns(d.payload) {
                keep(&mut self.dns, &mut self.dropped, r, m);
            }
        } else if ports.iter().any(|p| matches!(p, 67 | 68)) {
            if let Some(m) = parse_dhcp(d.payload) {
                keep(&mut self.dhcp, &mut self.dropped, r, m);
            }
        } else if d.payload.starts_with(b"GET ")
            && let Some(m) = parse_udp_connection_request(d.payload)
        {
            keep(&mut self.conn_requests, &mut self.dropped, r, m);
        } else if ports.iter().any(|p| matches!(p, 3478 | 3479))
            && let Some(m) = parse_stun(d.payload)
        {
            keep(&mut self.stun, &mut self.dropped, r, m);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ends_keep_the_first_and_last_in_order() {
        let mut e = Ends::default();
        let mut dropped = 0;
        let n = HEAD + TAIL + 10;
        for i in 0..n {
            dropped += u64::from(e.push(i));
        }
        let kept = e.into_vec();
        assert_eq!(dropped, 10);
        assert_eq!(kept.len(), HEAD + TAIL);
        assert_eq!(kept[..HEAD], (0..HEAD).collect::<Vec<_>>()[..]);
        assert_eq!(kept[HEAD..], (HEAD + 10..n).collect::<Vec<_>>()[..]);
    }

    #[test]
    fn ends_below_the_bound_keep_everything() {
        let mut e = Ends::default();
        assert!(!(0..5).any(|i| e.push(i)));
        assert_eq!(e.into_vec(), vec![0, 1, 2, 3, 4]);
    }
}
