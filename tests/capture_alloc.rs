//! Memory bounds of the capture and decode stages, measured with a counting allocator.
//!
//! Takes: hostile captures (records claiming gigabytes, huge blocks without packets) and
//! ordinary frames, built here from byte literals.
//! Gives: failures if reading a hostile capture allocates more than a megabyte, or if decoding
//! IP/TCP/UDP/ICMP frames allocates at all (DESIGN.md §6: bounded memory; the decode hot path).
//!
//! Counted per thread by `alloc_count` (tests running in parallel do not disturb each other).

mod alloc_count;

use cwmp_doctor::capture::read_frames_from;
use cwmp_doctor::decode::{Decoded, decode};

use alloc_count::{MIB, allocations_during, peak_during};

fn pcap_header() -> Vec<u8> {
    let mut h = vec![0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0];
    h.extend([0; 8]);
    h.extend(65535u32.to_le_bytes());
    h.extend(1u32.to_le_bytes());
    h
}

fn pcap_record(caplen: u32, data: &[u8]) -> Vec<u8> {
    let mut r = Vec::new();
    for v in [1u32, 0, caplen, caplen] {
        r.extend(v.to_le_bytes());
    }
    r.extend_from_slice(data);
    r
}

fn ng_block(block_type: u32, body: &[u8], claimed: Option<u32>) -> Vec<u8> {
    let len = (body.len() + 12) as u32;
    let mut b = block_type.to_le_bytes().to_vec();
    b.extend(claimed.unwrap_or(len).to_le_bytes());
    b.extend_from_slice(body);
    b.extend(len.to_le_bytes());
    b
}

fn pcapng_start() -> Vec<u8> {
    let mut shb = 0x1A2B_3C4Du32.to_le_bytes().to_vec();
    shb.extend([1, 0, 0, 0]);
    shb.extend((-1i64).to_le_bytes());
    let mut bytes = ng_block(0x0A0D_0D0A, &shb, None);
    bytes.extend(ng_block(1, &[1, 0, 0, 0, 0, 0, 0, 0], None));
    bytes
}

fn epb(data: &[u8]) -> Vec<u8> {
    let mut body = Vec::new();
    for v in [0u32, 0, 1, data.len() as u32, data.len() as u32] {
        body.extend(v.to_le_bytes());
    }
    body.extend_from_slice(data);
    ng_block(6, &body, None)
}

fn read(bytes: &[u8]) -> (u64, Option<String>) {
    let mut frames = 0;
    let info = read_frames_from("hostile", bytes, |_| frames += 1).unwrap();
    (frames, info.truncated.map(|t| t.reason))
}

#[test]
fn a_record_claiming_gigabytes_allocates_no_more_than_the_buffer() {
    let mut legacy = pcap_header();
    legacy.extend(pcap_record(60, &[0; 60]));
    legacy.extend(pcap_record(0xffff_fff0, &vec![0xaa; 300_000]));
    let mut ng = pcapng_start();
    ng.extend(epb(&[0; 60]));
    ng.extend(ng_block(6, &vec![0; 300_000], Some(0xffff_fff0)));
    for bytes in [legacy, ng] {
        let mut result = (0, None);
        let ((), peak) = peak_during(|| result = read(&bytes));
        assert_eq!(result.0, 1);
        assert!(result.1.unwrap().contains("claims 42949"));
        assert!(peak < MIB, "peak {peak} bytes");
    }
}

#[test]
fn blocks_without_packets_larger_than_the_buffer_are_not_buffered() {
    let mut bytes = pcapng_start();
    bytes.extend(epb(&[0; 60]));
    bytes.extend(ng_block(4, &vec![b'n'; 4 * MIB as usize], None));
    bytes.extend(epb(&[0; 60]));
    let mut result = (0, None);
    let ((), peak) = peak_during(|| result = read(&bytes));
    assert_eq!(result, (2, None));
    assert!(peak < MIB, "peak {peak} bytes");
}

#[test]
fn a_maximal_packet_grows_the_buffer_only_as_far_as_the_cap() {
    let mut bytes = pcap_header();
    bytes.extend(pcap_record(256 * 1024, &vec![1; 256 * 1024]));
    let mut result = (0, None);
    let ((), peak) = peak_during(|| result = read(&bytes));
    assert_eq!(result, (1, None));
    assert!(peak < MIB, "peak {peak} bytes");
}

/// Ethernet frames: IPv4/TCP with payload, VLAN/IPv6/UDP, PPPoE/IPv4/ICMP port unreachable.
fn hot_path_frames() -> Vec<Vec<u8>> {
    let macs = [
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x48, 0xbf, 0x74, 0x00, 0x00, 0x01,
    ];
    let v4 = |protocol: u8, payload: &[u8]| {
        let mut p = vec![
            0x45, 0, 0, 0, 0, 0, 0, 0, 64, protocol, 0, 0, 192, 0, 2, 1, 198, 51, 100, 20,
        ];
        p[2..4].copy_from_slice(&((20 + payload.len()) as u16).to_be_bytes());
        p.extend_from_slice(payload);
        p
    };
    let mut tcp = vec![
        0xc3, 0x51, 0x1d, 0x7b, 0, 0, 0, 1, 0, 0, 0, 2, 0x50, 0x18, 0x20, 0, 0, 0, 0, 0,
    ];
    tcp.extend_from_slice(b"POST /acs HTTP/1.1\r\n");
    let frame1 = [&macs[..], &[0x08, 0x00], &v4(6, &tcp)].concat();
    let udp = [0x13, 0x88, 0x0d, 0x96, 0, 12, 0, 0, b's', b't', b'u', b'n'];
    let mut v6 = vec![0x60, 0, 0, 0, 0, 12, 17, 64];
    v6.extend([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]);
    v6.extend([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]);
    v6.extend(udp);
    let frame2 = [&macs[..], &[0x81, 0x00, 0x00, 0x64, 0x86, 0xdd], &v6].concat();
    let quoted = v4(17, &udp);
    let icmp = [&[3, 3, 0, 0, 0, 0, 0, 0][..], &quoted[..28]].concat();
    let ppp = [&[0x00, 0x21][..], &v4(1, &icmp)].concat();
    let mut pppoe = vec![0x11, 0x00, 0x0a, 0x0b];
    pppoe.extend((ppp.len() as u16).to_be_bytes());
    pppoe.extend(ppp);
    let frame3 = [&macs[..], &[0x88, 0x64], &pppoe].concat();
    vec![frame1, frame2, frame3]
}

#[test]
fn decoding_ip_tcp_udp_and_icmp_does_not_allocate() {
    let frames = hot_path_frames();
    let mut ip = 0;
    let n = allocations_during(|| {
        for _ in 0..1000 {
            for frame in &frames {
                if let Decoded::Ip(packet) = decode(1, frame) {
                    ip += usize::from(packet.ttl > 0);
                }
            }
        }
    });
    assert_eq!(ip, 3000, "every frame decodes as IP");
    assert_eq!(n, 0, "allocations while decoding");
}
