//! ICMP and ICMPv6 as evidence: echo requests with their replies, and the errors that explain failed
//! connections (RFC 792, RFC 4443).
//!
//! Takes: decoded ICMP messages with their frames. Gives: [`EchoFlow`]s — per (source, destination),
//! how many echo requests were sent and answered, the first request, the first reply — and
//! [`IcmpError`]s (destination unreachable, time exceeded) with the datagram they quote.
//!
//! Bounded: at most [`MAX_ECHO_FLOWS`] echo flows and [`MAX_ERRORS`] errors; the rest are counted.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::decode::{IcmpKind, IcmpMessage, OriginalDatagram};
use crate::flows::At;

pub const MAX_ECHO_FLOWS: usize = 4096;
pub const MAX_ERRORS: usize = 4096;

/// Echo traffic from one host to another.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EchoFlow {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub requests: u32,
    pub replies: u32,
    pub first_request: At,
    pub last_request: At,
    pub first_reply: Option<At>,
}

/// An ICMP error and the datagram it reports on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcmpError {
    pub at: At,
    /// The router or host that sent the error.
    pub from: IpAddr,
    pub v6: bool,
    pub icmp_type: u8,
    pub code: u8,
    pub original: Option<OriginalDatagram>,
}

/// An ICMP error (RFC 792, RFC 4443) in words: "port unreachable", "host unreachable" …
pub fn error_name(v6: bool, icmp_type: u8, code: u8) -> &'static str {
    match (v6, icmp_type, code) {
        (false, 3, 0) => "network unreachable",
        (false, 3, 1) => "host unreachable",
        (false, 3, 3) => "port unreachable",
        (false, 3, 9 | 10 | 13) => "communication administratively prohibited",
        (false, 3, _) => "destination unreachable",
        (false, 11, _) | (true, 3, _) => "time exceeded",
        (true, 1, 0) => "no route to destination",
        (true, 1, 1) => "communication administratively prohibited",
        (true, 1, 3) => "address unreachable",
        (true, 1, 4) => "port unreachable",
        (true, 1, _) => "destination unreachable",
        _ => "ICMP error",
    }
}

impl IcmpError {
    /// "port unreachable", "host unreachable", "time exceeded" … in words.
    pub fn describe(&self) -> &'static str {
        error_name(self.v6, self.icmp_type, self.code)
    }
}

/// ICMP facts of a capture.
#[derive(Debug, Default)]
pub struct IcmpFacts {
    flows: HashMap<(IpAddr, IpAddr), EchoFlow>,
    pub errors: Vec<IcmpError>,
    pub dropped: u64,
}

impl IcmpFacts {
    pub fn message(&mut self, at: At, src: IpAddr, dst: IpAddr, m: &IcmpMessage<'_>) {
        match &m.kind {
            IcmpKind::EchoRequest { .. } => {
                if let Some(f) = self.flow(src, dst, at) {
                    f.requests += 1;
                    f.last_request = at;
                }
            }
            IcmpKind::EchoReply { .. } => {
                // A reply belongs to the flow of requests from its destination to its source.
                if let Some(f) = self.flows.get_mut(&(dst, src)) {
                    f.replies += 1;
                    f.first_reply.get_or_insert(at);
                }
            }
            IcmpKind::Unreachable { original } | IcmpKind::TimeExceeded { original } => {
                if self.errors.len() < MAX_ERRORS {
                    self.errors.push(IcmpError {
                        at,
                        from: src,
                        v6: m.v6,
                        icmp_type: m.icmp_type,
                        code: m.code,
                        original: *original,
                    });
                } else {
                    self.dropped += 1;
                }
            }
            IcmpKind::Other => {}
        }
    }

    fn flow(&mut self, src: IpAddr, dst: IpAddr, at: At) -> Option<&mut EchoFlow> {
        if !self.flows.contains_key(&(src, dst)) && self.flows.len() >= MAX_ECHO_FLOWS {
            self.dropped += 1;
            return None;
        }
        Some(self.flows.entry((src, dst)).or_insert(EchoFlow {
            src,
            dst,
            requests: 0,
            replies: 0,
            first_request: at,
            last_request: at,
            first_reply: None,
        }))
    }

    /// Echo flows in order of their first request.
    pub fn echo_flows(&self) -> Vec<EchoFlow> {
        let mut v: Vec<EchoFlow> = self.flows.values().cloned().collect();
        v.sort_by_key(|f| f.first_request.frame);
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::flows::At;

    fn icmp(kind: IcmpKind, icmp_type: u8, code: u8) -> IcmpMessage<'static> {
        IcmpMessage {
            v6: false,
            icmp_type,
            code,
            kind,
            payload: &[],
        }
    }

    #[test]
    fn echo_requests_are_paired_with_replies_by_direction() {
        let cpe: IpAddr = "203.0.113.7".parse().unwrap();
        let dns: IpAddr = "8.8.8.8".parse().unwrap();
        let mut f = IcmpFacts::default();
        f.message(
            At::test(1),
            cpe,
            dns,
            &icmp(IcmpKind::EchoRequest { id: 1, seq: 1 }, 8, 0),
        );
        f.message(
            At::test(2),
            dns,
            cpe,
            &icmp(IcmpKind::EchoReply { id: 1, seq: 1 }, 0, 0),
        );
        f.message(
            At::test(3),
            cpe,
            dns,
            &icmp(IcmpKind::EchoRequest { id: 1, seq: 2 }, 8, 0),
        );
        let flows = f.echo_flows();
        assert_eq!(flows.len(), 1);
        assert_eq!((flows[0].requests, flows[0].replies), (2, 1));
        assert_eq!(flows[0].first_reply, Some(At::test(2)));
        assert_eq!(flows[0].last_request, At::test(3));
    }

    #[test]
    fn a_reply_without_a_request_is_not_counted_and_errors_are_kept_with_their_meaning() {
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let mut f = IcmpFacts::default();
        f.message(
            At::test(1),
            a,
            b,
            &icmp(IcmpKind::EchoReply { id: 1, seq: 1 }, 0, 0),
        );
        f.message(
            At::test(2),
            b,
            a,
            &icmp(IcmpKind::Unreachable { original: None }, 3, 3),
        );
        assert!(f.echo_flows().is_empty());
        assert_eq!(f.errors.len(), 1);
        assert_eq!(f.errors[0].describe(), "port unreachable");
    }

    #[test]
    fn echo_flows_are_bounded() {
        let mut f = IcmpFacts::default();
        for i in 0..(MAX_ECHO_FLOWS as u32 + 5) {
            let dst = IpAddr::from(i.to_be_bytes());
            f.message(
                At::test(1),
                "10.0.0.1".parse().unwrap(),
                dst,
                &icmp(IcmpKind::EchoRequest { id: 0, seq: 0 }, 8, 0),
            );
        }
        assert_eq!(f.echo_flows().len(), MAX_ECHO_FLOWS);
        assert_eq!(f.dropped, 5);
    }
}
