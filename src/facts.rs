//! The facts one pass over a capture yields, as the checks read them.
//!
//! Takes: nothing (a plain model filled by [`crate::engine`]). Gives: [`Facts`] — what the capture file
//! is, every TCP connection that can matter, every HTTP message with its SOAP reading, and the
//! non-HTTP evidence (TLS handshakes, DNS, DHCP, PPPoE, ICMP, STUN) — each item with its frames.
//! Everything here is bounded: bodies are dropped after parsing, and each list has a cap whose overflow
//! is counted (DESIGN.md §6).

use std::net::SocketAddr;

use crate::apps::dhcp::DhcpMessage;
use crate::apps::dns::DnsMessage;
use crate::apps::http::HttpMessage;
use crate::apps::icmp::{EchoFlow, IcmpError};
use crate::apps::stun::StunMessage;
use crate::apps::tls::TlsFacts;
use crate::apps::udp_cr::UdpConnectionRequest;
use crate::capture::CaptureInfo;
use crate::cwmp::{Envelope, SoapOutcome};
use crate::decode::{PppControl, PppoeDiscovery};
use crate::flows::{At, ConnFacts, TableStats};

/// Longest excerpt of a non-SOAP body kept as evidence.
pub const EXCERPT_CHARS: usize = 160;

/// One reconstructed HTTP message and what its body says.
#[derive(Debug)]
pub struct Message {
    /// Position in frame order (of the completing frame).
    pub index: usize,
    /// The message; `body` is emptied once parsed (see `soap` and `excerpt`).
    pub http: HttpMessage,
    /// The SOAP reading of the body.
    pub soap: SoapOutcome,
    /// The start of a body that is not SOAP (an HTML error page, …), for evidence.
    pub excerpt: Option<String>,
}

/// Inform parameters the checks and the report read; the rest of a ParameterList (a TR-181 device may
/// report hundreds) is dropped once parsed, so memory grows with the messages, not their sizes.
const INFORM_PARAMS_KEPT: &[&str] = &[
    "ConnectionRequestURL",
    "UDPConnectionRequestAddress",
    "ExternalIPAddress",
    "ManagementServer.URL",
    "ManagementServer.ParameterKey",
    "PeriodicInformInterval",
    "SoftwareVersion",
    "HardwareVersion",
    "ProvisioningCode",
];

/// HTTP headers kept on a message once it is parsed: the ones a check or a report reads.
pub const KEPT_HEADERS: &[&str] = &[
    "Authorization",
    "Proxy-Authorization",
    "WWW-Authenticate",
    "Cookie",
    "Set-Cookie",
    "Host",
    "Location",
    "Retry-After",
    "Connection",
    "Content-Type",
    "Content-Encoding",
    "SOAPAction",
    "User-Agent",
    "Server",
];

/// Most parameters kept of an Inform.
const MAX_INFORM_PARAMS: usize = 32;

/// Drops what no check or report reads from a parsed body: the Inform parameters outside
/// [`INFORM_PARAMS_KEPT`], and the values of a GetParameterValuesResponse.
pub fn slim(soap: &mut SoapOutcome) {
    use crate::cwmp::RpcDetail;
    let SoapOutcome::Envelope(e) = soap else {
        return;
    };
    let crate::cwmp::Body::Rpc(rpc) = &mut e.body else {
        return;
    };
    match &mut rpc.detail {
        RpcDetail::Inform(inform) => {
            inform
                .params
                .retain(|p| INFORM_PARAMS_KEPT.iter().any(|k| p.name.ends_with(k)));
            inform.params.truncate(MAX_INFORM_PARAMS);
            inform.params.shrink_to_fit();
        }
        RpcDetail::GetParameterValuesResponse { params } => *params = Vec::new(),
        _ => {}
    }
}

impl Message {
    pub fn envelope(&self) -> Option<&Envelope> {
        match &self.soap {
            SoapOutcome::Envelope(e) => Some(e),
            _ => None,
        }
    }

    /// The SOAP body's first element's local name (`Inform`, `Fault`, …): the `rpc` of DESIGN.md §3.
    pub fn rpc(&self) -> Option<&str> {
        self.envelope().and_then(|e| e.rpc()).map(|r| &*r.name)
    }

    /// No body bytes at all, or only white space, or a SOAP envelope with an empty Body.
    pub fn is_empty_body(&self) -> bool {
        match &self.soap {
            SoapOutcome::Empty => true,
            SoapOutcome::Envelope(e) => e.rpc().is_none(),
            _ => false,
        }
    }

    pub fn at(&self) -> At {
        self.http.last
    }
}

/// A finding from the HTTP layer that is not a message (an unparseable head).
#[derive(Debug, Clone)]
pub struct HttpProblem {
    pub conn: u32,
    pub at: At,
    pub reason: String,
}

/// A UDP message with where and when it travelled.
#[derive(Debug, Clone)]
pub struct Datagram<T> {
    pub at: At,
    pub src: SocketAddr,
    pub dst: SocketAddr,
    pub msg: T,
}

/// The TLS handshake of one TCP connection.
#[derive(Debug, Clone)]
pub struct TlsSession {
    pub conn: u32,
    pub facts: TlsFacts,
}

/// WAN dial-up evidence: PPPoE discovery and PPP control frames (RFC 2516, RFC 1661/1334/1994).
#[derive(Debug, Clone)]
pub enum WanEvent {
    Pppoe { at: At, frame: PppoeDiscovery },
    Ppp { at: At, frame: PppControl },
}

/// IP traffic carried inside PPPoE sessions: proof that a dial-up session came up and was used.
#[derive(Debug, Clone, Copy)]
pub struct PppoeTraffic {
    pub first: At,
    pub last: At,
    pub frames: u64,
}

/// What the pass could not keep, so the report can say so.
#[derive(Debug, Default, Clone, Copy)]
pub struct Limits {
    pub table: TableStats,
    /// Frames whose link type is not decoded.
    pub unsupported_frames: u64,
    /// Frames that could not be decoded (bad headers).
    pub malformed_frames: u64,
    /// IP fragments (their transport is not reassembled).
    pub ip_fragments: u64,
    /// Items not kept because a list was full.
    pub dropped_items: u64,
    /// HTTP bodies not stored whole because the open messages held their share of the HTTP budget
    /// ([`crate::apps::http::budget::BODY_SHARE`]); each message says so in its SOAP reading.
    pub http_bodies_cut: u64,
    /// HTTP message heads given up because the open messages held the whole HTTP budget.
    pub http_heads_dropped: u64,
    /// Frames cut by the capture's snapshot length (captured length below the length on the wire).
    pub snap_cut: Option<SnapCut>,
}

/// Frames the capture's snapshot length cut: their headers are read, the rest of their bytes is not in
/// the file (`tcpdump -s 160`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SnapCut {
    pub frames: u64,
    /// The first cut frame.
    pub first: u64,
    /// The longest captured length among the cut frames: the snapshot length as it acted.
    pub snaplen: u32,
    /// Cut frames that carried TCP payload (whose HTTP/TLS bytes are partly missing).
    pub tcp_payload_frames: u64,
}

/// Everything one pass over the capture found.
#[derive(Debug)]
pub struct Facts {
    pub capture: CaptureInfo,
    pub conns: Vec<ConnFacts>,
    pub messages: Vec<Message>,
    pub http_problems: Vec<HttpProblem>,
    pub tls: Vec<TlsSession>,
    pub dns: Vec<Datagram<DnsMessage>>,
    pub dhcp: Vec<Datagram<DhcpMessage>>,
    pub stun: Vec<Datagram<StunMessage>>,
    pub udp_conn_requests: Vec<Datagram<UdpConnectionRequest>>,
    /// ICMP echo flows, in order of their first request.
    pub echo: Vec<EchoFlow>,
    pub icmp_errors: Vec<IcmpError>,
    pub wan: Vec<WanEvent>,
    pub pppoe_traffic: Option<PppoeTraffic>,
    pub limits: Limits,
}

impl Facts {
    pub fn conn(&self, id: u32) -> Option<&ConnFacts> {
        self.conns
            .binary_search_by_key(&id, |c| c.id)
            .ok()
            .map(|i| &self.conns[i])
    }
}
