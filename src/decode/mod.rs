//! Decode stage: link layer → IP → TCP/UDP/ICMP, one frame at a time.
//!
//! Takes: a frame's pcap link type and captured bytes (from [`crate::capture`]).
//! Gives: a [`Decoded`] view borrowing from those bytes: an IP packet with its transport, the
//! PPPoE discovery and PPP control facts the WAN dial-up checks judge, or why there is nothing
//! to decode.
//! Follows: the tcpdump.org LINKTYPE registry; IEEE 802.1Q/802.1ad tags; RFC 2516 (PPPoE);
//! RFC 1661 (PPP), RFC 1334 (PAP), RFC 1994 (CHAP); RFC 791/8200 (IPv4/IPv6); RFC 9293 (TCP),
//! RFC 768 (UDP), RFC 792/4443 (ICMP/ICMPv6). IP and transport headers are sliced by etherparse.
//!
//! Invariants:
//! - Never panics, never fails: damage is [`Decoded::Malformed`] with the layer and reason.
//! - IP, TCP, UDP and ICMP decoding does not allocate (the hot path for gigabytes of bulk
//!   traffic); only PPPoE discovery tags and PPP control messages allocate their short texts.
//! - The IP length trims link padding (Ethernet minimum size, PPPoE length); a frame cut by the
//!   snapshot length keeps what was captured: payloads may be shorter than the headers say.
//! - Secrets are not copied out: a PAP request's password stays in the frame.

mod icmp;
mod ip;
mod link;
mod pppoe;
#[cfg(test)]
mod testdata;

use std::net::IpAddr;

/// What a frame holds, as far as the diagnosis cares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decoded<'a> {
    Ip(IpPacket<'a>),
    /// PADI/PADO/PADR/PADS/PADT: facts for the WAN dial-up check.
    PppoeDiscovery(PppoeDiscovery),
    /// PPP inside a PPPoE session that is not IP: LCP, PAP, CHAP, IPCP, IPV6CP, …
    PppControl(PppControl),
    /// A frame for another protocol (ARP, LLDP, …): nothing to do. `ether_type` is the
    /// EtherType, or an IEEE 802.3 length (≤ 1500) for LLC frames, or the Linux cooked header's
    /// protocol; 0 when the link layer names no EtherType (a BSD loopback family other than IP).
    NotIp {
        ether_type: u16,
    },
    /// A link type this stage does not decode.
    Unsupported {
        link_type: u32,
    },
    /// The frame is damaged or cut too short at `layer` ("ethernet", "vlan", "pppoe", "ppp",
    /// "sll", "sll2", "null", "ip", "ipv4", "ipv6", "tcp", "udp", "icmp", "icmpv6").
    Malformed {
        layer: &'static str,
        reason: &'static str,
    },
}

/// An IPv4 or IPv6 packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpPacket<'a> {
    pub src: IpAddr,
    pub dst: IpAddr,
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
    /// A non-first or more-fragments IPv4/IPv6 fragment: the transport is not decoded
    /// ([`Transport::Other`] with the protocol).
    pub fragment: bool,
    pub transport: Transport<'a>,
    pub encap: Encap,
}

/// How the packet travelled on the link.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Encap {
    /// VLAN ids, outer first (802.1Q, 802.1ad/QinQ, 0x9100); deeper tags are skipped.
    pub vlans: [Option<u16>; 2],
    pub pppoe_session: Option<u16>,
    /// Ethernet source, or the sender address of a Linux cooked header when it is 6 bytes.
    pub src_mac: Option<[u8; 6]>,
    pub dst_mac: Option<[u8; 6]>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport<'a> {
    Tcp(TcpSegment<'a>),
    Udp(UdpDatagram<'a>),
    /// ICMP (IPv4) or ICMPv6.
    Icmp(IcmpMessage<'a>),
    /// Any other protocol, or a fragment.
    Other {
        protocol: u8,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TcpSegment<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    pub flags: TcpFlags,
    pub window: u16,
    /// Bytes after the TCP header (options skipped), within the IP length, as captured.
    pub payload: &'a [u8],
    /// Payload bytes the IP length announces beyond `payload`: the frame was cut by the capture's
    /// snapshot length. They occupy sequence space (`seq + payload.len() + cut` is the next byte).
    pub cut: u32,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TcpFlags {
    pub syn: bool,
    pub ack: bool,
    pub fin: bool,
    pub rst: bool,
    pub psh: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct UdpDatagram<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    /// Bytes after the UDP header, within the UDP length when the capture holds it all.
    pub payload: &'a [u8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IcmpMessage<'a> {
    /// ICMPv6 rather than ICMP.
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    pub kind: IcmpKind,
    /// Bytes after the 8-byte ICMP header: echo data, or the quoted datagram of an error.
    pub payload: &'a [u8],
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IcmpKind {
    EchoRequest {
        id: u16,
        seq: u16,
    },
    EchoReply {
        id: u16,
        seq: u16,
    },
    /// Destination unreachable; `code` says why (3 port unreachable, 4 fragmentation needed, …).
    Unreachable {
        original: Option<OriginalDatagram>,
    },
    TimeExceeded {
        original: Option<OriginalDatagram>,
    },
    Other,
}

/// The datagram an ICMP error quotes: whom the error is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OriginalDatagram {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    /// For TCP, UDP, UDP-Lite and SCTP, when the quote reaches the ports of a first fragment.
    pub src_port: Option<u16>,
    pub dst_port: Option<u16>,
}

/// A PPPoE discovery packet (RFC 2516 §5).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PppoeDiscovery {
    /// 0x09 PADI, 0x07 PADO, 0x19 PADR, 0x65 PADS, 0xa7 PADT.
    pub code: u8,
    pub session_id: u16,
    /// From the Ethernet header; a Linux cooked capture gives the sender only (the destination
    /// is then all zeros).
    pub src_mac: [u8; 6],
    pub dst_mac: [u8; 6],
    /// Service-Name tag (empty means "any service").
    pub service_name: Option<String>,
    pub ac_name: Option<String>,
    /// The first Service-Name-Error, AC-System-Error or Generic-Error tag, as
    /// `Service-Name-Error: <text>` (just the tag name when it carries no text).
    pub error: Option<String>,
}

/// PPP in a PPPoE session that is not IP.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PppControl {
    pub session_id: u16,
    /// 0xc021 LCP, 0xc023 PAP, 0xc223 CHAP, 0x8021 IPCP, 0x8057 IPV6CP, …
    pub protocol: u16,
    /// The control packet's code (PAP 1 request, 2 ack, 3 nak; CHAP 1 challenge, 2 response,
    /// 3 success, 4 failure; LCP 1 configure-request … 5 terminate-request); for a non-control
    /// protocol, its first byte.
    pub code: u8,
    /// PAP ack/nak or CHAP success/failure message text (e.g. an authentication failure
    /// reason), or the text of an LCP terminate-request/ack.
    pub message: Option<String>,
    /// The account the peer names: PAP request peer-id, CHAP challenge/response name. Never a
    /// password.
    pub name: Option<String>,
}

/// LINKTYPE_* values this stage decodes.
pub mod link_type {
    pub const NULL: u32 = 0;
    pub const ETHERNET: u32 = 1;
    /// DLT_RAW as some systems wrote it into pcap files.
    pub const RAW_12: u32 = 12;
    /// DLT_RAW on OpenBSD.
    pub const RAW_14: u32 = 14;
    pub const RAW: u32 = 101;
    pub const LOOP: u32 = 108;
    pub const LINUX_SLL: u32 = 113;
    pub const IPV4: u32 = 228;
    pub const IPV6: u32 = 229;
    pub const LINUX_SLL2: u32 = 276;
}

/// Decodes one frame captured on a link of type `link_type`.
pub fn decode(link_type: u32, data: &[u8]) -> Decoded<'_> {
    match link_type {
        link_type::ETHERNET => link::ethernet(data),
        link_type::NULL => link::null(data, false),
        link_type::LOOP => link::null(data, true),
        link_type::RAW | link_type::RAW_12 | link_type::RAW_14 => {
            ip::decode(data, Encap::default())
        }
        link_type::IPV4 | link_type::IPV6 => ip::decode(data, Encap::default()),
        link_type::LINUX_SLL => link::sll(data),
        link_type::LINUX_SLL2 => link::sll2(data),
        other => Decoded::Unsupported { link_type: other },
    }
}
