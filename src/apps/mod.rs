//! Application protocols recognised in the capture: HTTP/1.1 (and through it CWMP), TLS handshakes,
//! DNS, DHCP, STUN and the TR-111 UDP connection request.

pub mod dhcp;
pub mod dns;
pub mod dns_tcp;
pub mod http;
pub mod icmp;
pub mod stun;
pub mod tls;
pub mod udp_cr;

#[cfg(test)]
pub(crate) mod test_support;
