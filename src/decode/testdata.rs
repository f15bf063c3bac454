//! Test helpers: headers assembled from byte literals (checksums are left zero: decoding does
//! not check them).

pub const MAC_A: [u8; 6] = [0x00, 0x11, 0x22, 0x33, 0x44, 0x55];
pub const MAC_B: [u8; 6] = [0x48, 0xbf, 0x74, 0x00, 0x00, 0x01];

pub fn cat(parts: &[&[u8]]) -> Vec<u8> {
    parts.concat()
}

/// Ethernet II header from MAC_B to MAC_A, then `payload`, padded to the 60-byte minimum.
pub fn eth(ether_type: u16, payload: &[u8]) -> Vec<u8> {
    let mut frame = cat(&[&MAC_A, &MAC_B, &ether_type.to_be_bytes(), payload]);
    if frame.len() < 60 {
        frame.resize(60, 0);
    }
    frame
}

/// A 20-byte IPv4 header (TTL 64, no fragmentation) and `payload`.
pub fn ipv4(protocol: u8, src: [u8; 4], dst: [u8; 4], payload: &[u8]) -> Vec<u8> {
    let total = (20 + payload.len()) as u16;
    let mut header = vec![0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, protocol, 0, 0];
    header[2..4].copy_from_slice(&total.to_be_bytes());
    cat(&[&header, &src, &dst, payload])
}

/// A 40-byte IPv6 header (hop limit 255) and `payload`, whose first header is `next`.
pub fn ipv6(next: u8, src: [u8; 16], dst: [u8; 16], payload: &[u8]) -> Vec<u8> {
    let len = (payload.len() as u16).to_be_bytes();
    let header = [0x60, 0, 0, 0, len[0], len[1], next, 255];
    cat(&[&header, &src, &dst, payload])
}

pub const V6_A: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
pub const V6_B: [u8; 16] = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

/// A 20-byte TCP header (no options) with the flags byte given, and `payload`.
pub fn tcp(src: u16, dst: u16, flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut header = vec![0; 20];
    header[0..2].copy_from_slice(&src.to_be_bytes());
    header[2..4].copy_from_slice(&dst.to_be_bytes());
    header[4..8].copy_from_slice(&1000u32.to_be_bytes());
    header[8..12].copy_from_slice(&2000u32.to_be_bytes());
    header[12] = 5 << 4;
    header[13] = flags;
    header[14..16].copy_from_slice(&8192u16.to_be_bytes());
    cat(&[&header, payload])
}

/// A UDP header with a correct length field, and `payload`.
pub fn udp(src: u16, dst: u16, payload: &[u8]) -> Vec<u8> {
    let len = (8 + payload.len()) as u16;
    cat(&[
        &src.to_be_bytes(),
        &dst.to_be_bytes(),
        &len.to_be_bytes(),
        &[0, 0],
        payload,
    ])
}
