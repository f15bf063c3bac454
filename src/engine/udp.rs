//! UDP datagrams the checks read: DNS (the ACS host name), DHCP (the WAN address, option 43's ACS URL),
//! STUN (TR-111 NAT traversal) and UDP connection requests (TR-069 Annex G).
//!
//! Takes: decoded UDP datagrams with their frames. Gives: lists of parsed messages with their frames and
//! endpoints. Recognition is by port *and* content: a datagram is only kept when its parser accepts it.
//! Each list is bounded; the overflow is counted.

use std::net::{IpAddr, SocketAddr};

use crate::apps::dhcp::parse_dhcp;
use crate::apps::dns::parse_dns;
use crate::apps::stun::parse_stun;
use crate::apps::udp_cr::parse_udp_connection_request;
use crate::decode::UdpDatagram;
use crate::facts::Datagram;
use crate::flows::At;

/// Most datagrams kept per kind.
pub const MAX_PER_KIND: usize = 20_000;

#[derive(Default)]
pub struct UdpFacts {
    pub dns: Vec<Datagram<crate::apps::dns::DnsMessage>>,
    pub dhcp: Vec<Datagram<crate::apps::dhcp::DhcpMessage>>,
    pub stun: Vec<Datagram<crate::apps::stun::StunMessage>>,
    pub conn_requests: Vec<Datagram<crate::apps::udp_cr::UdpConnectionRequest>>,
    pub dropped: u64,
}

/// Where a datagram travelled.
#[derive(Clone, Copy)]
struct Route {
    at: At,
    src: SocketAddr,
    dst: SocketAddr,
}

fn keep<T>(list: &mut Vec<Datagram<T>>, dropped: &mut u64, r: Route, msg: T) {
    if list.len() < MAX_PER_KIND {
        list.push(Datagram {
            at: r.at,
            src: r.src,
            dst: r.dst,
            msg,
        });
    } else {
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
