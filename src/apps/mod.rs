//! Application protocols recognised in the capture: HTTP/1.1 (and through it CWMP), TLS handshakes,
//! DNS, DHCP, PPPoE, ICMP and STUN.

pub mod http;
pub mod icmp;
