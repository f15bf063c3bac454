//! DHCPv4 messages (RFC 2131 §2, options from RFC 2132, long options concatenated per RFC 3396), for the
//! `wan.dial` check (did the CPE get an address: DISCOVER → OFFER → REQUEST → ACK, or a NAK and why) and
//! for ACS discovery (TR-069 §3.1 via tr069-facts §9: option 60 `dslforum.org`, option 43 sub-option 1
//! carries the ACS URL).
//!
//! Takes: one UDP payload (ports 67/68). Gives: a [`DhcpMessage`] or `None` when the payload is not
//! DHCP (too short, no magic cookie, not a BOOTP request or reply).
//!
//! Options are read with `dhcproto`'s borrowed decoder, which walks the raw option list (and joins split
//! long options) without failing on an option whose contents it would reject: every value here is read
//! from raw bytes, so one odd option never hides the others. Its `chaddr()` accessor is not used: it slices
//! by the message's own `hlen`, which a hostile message may set beyond the buffer.

use std::net::Ipv4Addr;

use dhcproto::v4::borrowed::Message;
use dhcproto::v4::{MAGIC, OptionCode};

/// The fixed BOOTP header and the magic cookie (RFC 2131 §2, §3).
const FIXED_LEN: usize = 240;
/// The vendor class a CWMP device announces (tr069-facts §9).
pub const CWMP_VENDOR_CLASS: &str = "dslforum.org";

/// One DHCPv4 message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DhcpMessage {
    pub xid: u32,
    /// Option 53: 1 DISCOVER, 2 OFFER, 3 REQUEST, 4 DECLINE, 5 ACK, 6 NAK, 7 RELEASE, 8 INFORM; `None` for
    /// plain BOOTP.
    pub msg_type: Option<u8>,
    pub msg_type_name: &'static str,
    /// BOOTP op: a request from a client (true) or a reply from a server.
    pub from_client: bool,
    pub client_mac: [u8; 6],
    /// `yiaddr`, the address offered or assigned, when not 0.0.0.0.
    pub your_ip: Option<Ipv4Addr>,
    /// Option 54.
    pub server_id: Option<Ipv4Addr>,
    /// Option 50.
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 56: the server's reason for a NAK, or the client's for a DECLINE.
    pub message: Option<String>,
    /// Option 60; `dslforum.org` marks a CWMP device (or a server answering one).
    pub vendor_class: Option<String>,
    /// Option 43 sub-option 1, read only when option 60 contains `dslforum.org`.
    pub acs_url: Option<String>,
    /// Option 43 sub-option 2 (ProvisioningCode), under the same condition.
    pub provisioning_code: Option<String>,
    /// Option 3, the first router.
    pub router: Option<Ipv4Addr>,
    /// Option 6.
    pub dns: Vec<Ipv4Addr>,
}

impl DhcpMessage {
    /// The message announces or answers a CWMP device (option 60 holds `dslforum.org`).
    pub fn is_cwmp(&self) -> bool {
        self.vendor_class
            .as_deref()
            .is_some_and(|v| v.contains(CWMP_VENDOR_CLASS))
    }
}

/// The name of a DHCP message type (RFC 2132 §9.6).
pub fn msg_type_name(t: Option<u8>) -> &'static str {
    match t {
        None => "BOOTP",
        Some(1) => "DISCOVER",
        Some(2) => "OFFER",
        Some(3) => "REQUEST",
        Some(4) => "DECLINE",
        Some(5) => "ACK",
        Some(6) => "NAK",
        Some(7) => "RELEASE",
        Some(8) => "INFORM",
        Some(_) => "UNKNOWN",
    }
}

fn ipv4(b: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(b.get(..4)?).ok().map(Ipv4Addr::from)
}

fn text(b: &[u8]) -> String {
    // Options 56 and 60 are often NUL-terminated by embedded stacks.
    let b = b.strip_suffix(&[0]).unwrap_or(b);
    String::from_utf8_lossy(b).into_owned()
}

/// Reads a DHCPv4 message; `None` when `payload` is not one.
pub fn parse_dhcp(payload: &[u8]) -> Option<DhcpMessage> {
    if payload.len() < FIXED_LEN || payload[236..240] != MAGIC || !matches!(payload[0], 1 | 2) {
        return None;
    }
    let msg = Message::new(payload).ok()?;
    let your = msg.yiaddr();
    let mut m = DhcpMessage {
        xid: msg.xid(),
        msg_type: None,
        msg_type_name: "",
        from_client: payload[0] == 1,
        client_mac: <[u8; 6]>::try_from(&payload[28..34]).ok()?,
        your_ip: (!your.is_unspecified()).then_some(your),
        server_id: None,
        requested_ip: None,
        message: None,
        vendor_class: None,
        acs_url: None,
        provisioning_code: None,
        router: None,
        dns: Vec::new(),
    };
    let mut vendor_specific = None;
    for opt in msg.opts() {
        let data = opt.data();
        match opt.code() {
            OptionCode::MessageType => m.msg_type = data.first().copied(),
            OptionCode::ServerIdentifier => m.server_id = ipv4(data),
            OptionCode::RequestedIpAddress => m.requested_ip = ipv4(data),
            OptionCode::Message => m.message = Some(text(data)),
            OptionCode::ClassIdentifier => m.vendor_class = Some(text(data)),
            OptionCode::Router => m.router = ipv4(data),
            OptionCode::DomainNameServer => m.dns = data.chunks_exact(4).filter_map(ipv4).collect(),
            OptionCode::VendorExtensions => vendor_specific = Some(data.to_vec()),
            _ => {}
        }
    }
    m.msg_type_name = msg_type_name(m.msg_type);
    // Option 43 is vendor-defined: its sub-options mean ACS URL and ProvisioningCode only for dslforum.org.
    if m.is_cwmp()
        && let Some(v) = vendor_specific
    {
        m.acs_url = sub_option(&v, 1).map(text);
        m.provisioning_code = sub_option(&v, 2).map(text);
    }
    Some(m)
}

/// The value of an encapsulated vendor sub-option (RFC 2132 §8.4: code, length, value).
fn sub_option(mut v: &[u8], code: u8) -> Option<&[u8]> {
    while let [c, rest @ ..] = v {
        match c {
            0 => v = rest,
            255 => return None,
            _ => {
                let (&len, rest) = rest.split_first()?;
                let value = rest.get(..usize::from(len))?;
                if *c == code {
                    return Some(value);
                }
                v = &rest[usize::from(len)..];
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const DISCOVER: &[u8] = include_bytes!("testdata/dhcp-discover.bin");
    const OFFER: &[u8] = include_bytes!("testdata/dhcp-offer.bin");
    const REQUEST: &[u8] = include_bytes!("testdata/dhcp-request.bin");
    const ACK: &[u8] = include_bytes!("testdata/dhcp-ack.bin");
    const NAK: &[u8] = include_bytes!("testdata/dhcp-nak.bin");
    const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x00, 0x01];
    const URL: &str = "https://acs.example.test:7547/cwmp";

    fn ip(s: &str) -> Ipv4Addr {
        s.parse().unwrap()
    }

    #[test]
    fn discover_from_a_cwmp_device() {
        let m = parse_dhcp(DISCOVER).unwrap();
        assert_eq!(
            (m.xid, m.msg_type, m.msg_type_name),
            (0x5eed1234, Some(1), "DISCOVER")
        );
        assert!(m.from_client && m.is_cwmp());
        assert_eq!(m.client_mac, MAC);
        assert_eq!((m.your_ip, m.acs_url.as_deref()), (None, None));
    }

    #[test]
    fn offer_and_ack_carry_the_address_and_the_acs_url() {
        for (bytes, name) in [(OFFER, "OFFER"), (ACK, "ACK")] {
            let m = parse_dhcp(bytes).unwrap();
            assert_eq!(m.msg_type_name, name);
            assert!(!m.from_client);
            assert_eq!(m.your_ip, Some(ip("192.0.2.50")));
            assert_eq!(
                (m.server_id, m.router),
                (Some(ip("192.0.2.1")), Some(ip("192.0.2.1")))
            );
            assert_eq!(m.acs_url.as_deref(), Some(URL));
            assert_eq!(m.provisioning_code.as_deref(), Some("PC01"));
        }
        assert_eq!(
            parse_dhcp(OFFER).unwrap().dns,
            vec![ip("192.0.2.53"), ip("198.51.100.53")]
        );
    }

    #[test]
    fn request_names_the_address_and_the_server() {
        let m = parse_dhcp(REQUEST).unwrap();
        assert_eq!(m.msg_type_name, "REQUEST");
        assert_eq!(m.requested_ip, Some(ip("192.0.2.50")));
        assert_eq!(m.server_id, Some(ip("192.0.2.1")));
    }

    #[test]
    fn nak_gives_its_reason() {
        let m = parse_dhcp(NAK).unwrap();
        assert_eq!((m.msg_type, m.msg_type_name), (Some(6), "NAK"));
        assert_eq!(
            m.message.as_deref(),
            Some("requested address not available")
        );
        assert_eq!(m.your_ip, None);
    }

    #[test]
    fn option_43_is_not_read_without_the_dslforum_vendor_class() {
        let mut b = ACK.to_vec();
        let at = b.windows(12).position(|w| w == b"dslforum.org").unwrap();
        b[at..at + 12].copy_from_slice(b"othervendor!");
        let m = parse_dhcp(&b).unwrap();
        assert!(!m.is_cwmp());
        assert_eq!(m.acs_url, None);
    }

    #[test]
    fn sub_options_are_bounded() {
        assert_eq!(sub_option(&[0, 1, 2, b'a', b'b'], 1), Some(&b"ab"[..]));
        assert_eq!(sub_option(&[2, 1, b'x', 1, 9, b'a'], 1), None);
        assert_eq!(sub_option(&[255, 1, 1, b'a'], 1), None);
        assert_eq!(sub_option(&[], 1), None);
    }

    #[test]
    fn not_dhcp_and_every_truncation_are_safe() {
        assert_eq!(parse_dhcp(b"GET / HTTP/1.1\r\n\r\n"), None);
        let mut no_cookie = DISCOVER.to_vec();
        no_cookie[236] = 0;
        assert_eq!(parse_dhcp(&no_cookie), None);
        let mut bad_hlen = ACK.to_vec();
        bad_hlen[2] = 255;
        assert!(parse_dhcp(&bad_hlen).is_some());
        for msg in [DISCOVER, OFFER, REQUEST, ACK, NAK] {
            for n in 0..msg.len() {
                let m = parse_dhcp(&msg[..n]);
                assert_eq!(m.is_some(), n >= FIXED_LEN, "cut at {n}");
            }
        }
    }
}
