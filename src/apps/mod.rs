//! Application protocols recognised in the capture: HTTP/1.1 (and through it CWMP), TLS handshakes,
//! DNS, DHCP, PPPoE, ICMP and STUN, and the TR-111 UDP connection request.

pub mod http;
pub mod tls;

#[cfg(test)]
pub(crate) mod test_support;
