//! Oracle test: frame numbers, times and decoded fields agree with tshark's.
//!
//! Takes: captures written by scapy (an independent packet library) in this test — classic
//! pcap little-endian µs and big-endian ns, pcapng with two interfaces of different link types —
//! and the real-world corpus captures in `../shared/corpus/pcap`.
//! Gives: a failure naming the first frame where `capture` + `decode` and tshark disagree on
//! frame number, time (to the nanosecond), interface, addresses, ports, TCP payload length,
//! ICMP type, VLAN ids or PPPoE code/session.
//!
//! Skips, with the reason printed, when tshark, python3 with scapy, or the corpus is missing.

use std::path::{Path, PathBuf};
use std::process::Command;

use cwmp_doctor::capture::{Input, read_frames};
use cwmp_doctor::decode::{Decoded, IcmpKind, Transport, decode};

/// Writes `us-le.pcap`, `ns-be.pcap` and `multi.pcapng` into the directory given as argument.
const GENERATOR: &str = r#"
import sys
from decimal import Decimal
from scapy.all import (Ether, Dot1Q, Dot1AD, IP, IPv6, IPv6ExtHdrHopByHop, TCP, UDP, ICMP,
    ICMPv6TimeExceeded, ARP, PPPoED, PPPoED_Tags, PPPoETag, PPPoE, PPP, Raw, Padding,
    CookedLinux, PcapWriter, PcapNgWriter)
from scapy.utils import EDecimal
out = sys.argv[1]
cpe, acs = "192.0.2.1", "198.51.100.20"
def eth(): return Ether(src="48:bf:74:00:00:01", dst="00:11:22:33:44:55")
pkts = [
    eth()/IP(src=cpe, dst=acs)/TCP(sport=50001, dport=7547, flags="S"),
    eth()/IP(src=cpe, dst=acs, options=b"\x01\x01\x01\x00")/TCP(sport=50001, dport=7547,
        flags="PA", options=[("MSS", 1460), ("NOP", None), ("WScale", 7)])/Raw(b"POST /acs HTTP/1.1\r\n\r\n"),
    eth()/IP(src=cpe, dst=acs)/TCP(sport=50001, dport=7547, flags="A")/Raw(b"hi")/Padding(b"\0" * 4),
    eth()/Dot1Q(vlan=100)/IP(src=cpe, dst=acs)/UDP(sport=5000, dport=3478)/Raw(b"stun"),
    eth()/Dot1AD(vlan=200)/Dot1Q(vlan=100)/IP(src=cpe, dst=acs)/TCP(sport=1, dport=2),
    Ether(src="48:bf:74:00:00:01", dst="ff:ff:ff:ff:ff:ff")/PPPoED(code=0x09)/PPPoED_Tags(
        tag_list=[PPPoETag(tag_type=0x0101, tag_value=b"")]),
    eth()/PPPoE(sessionid=0x0a0b)/PPP(proto=0x0021)/IP(src="100.64.0.2", dst=acs)/TCP(sport=40000, dport=7547),
    eth()/PPPoE(sessionid=0x0a0b)/PPP(proto=0x0057)/IPv6(src="2001:db8::1", dst="2001:db8::2")/UDP(sport=546, dport=547),
    eth()/IPv6(src="2001:db8::1", dst="2001:db8::2")/IPv6ExtHdrHopByHop()/UDP(sport=5353, dport=5353)/Raw(b"x"),
    eth()/IP(src=cpe, dst=acs)/ICMP(type=8, id=0x1234, seq=7)/Raw(b"ping"),
    eth()/IP(src="203.0.113.1", dst=cpe)/ICMP(type=3, code=3)/IP(src=cpe, dst=acs)/UDP(sport=50000, dport=3478),
    eth()/IPv6(src="2001:db8::9", dst="2001:db8::1")/ICMPv6TimeExceeded()/IPv6(src="2001:db8::1",
        dst="2001:db8::2")/TCP(sport=40000, dport=7547),
    eth()/ARP(psrc=cpe, pdst=acs),
]
for i, p in enumerate(pkts):
    p.time = EDecimal("1700000000.123456789") + i
def write_pcap(name, **kw):
    w = PcapWriter(f"{out}/{name}", linktype=1, **kw)
    for p in pkts:
        w.write(p)
    big = bytes(eth()/IP(src=acs, dst=cpe)/TCP(sport=7547, dport=50001, flags="A")/Raw(b"x" * 1400))
    w.write_packet(big[:60], sec=1700000100, usec=5, caplen=60, wirelen=len(big))
    w.close()
write_pcap("us-le.pcap")
write_pcap("ns-be.pcap", nano=True, endianness=">")
w = PcapNgWriter(f"{out}/multi.pcapng")
for p in pkts[:4]:
    p.sniffed_on = "eth0"
    w.write(p)
    c = CookedLinux(pkttype=4, lladdrtype=1, lladdrlen=6, src=b"\x48\xbf\x74\x00\x00\x01\x00\x00",
        proto=0x0800)/IP(src=cpe, dst=acs)/UDP(sport=68, dport=67)
    c.time = p.time + Decimal("0.5")
    c.sniffed_on = "any"
    w.write(c)
w.close()
"#;

const FIELDS: [&str; 20] = [
    "frame.number",
    "frame.time_epoch",
    "frame.interface_id",
    "ip.src",
    "ipv6.src",
    "ip.dst",
    "ipv6.dst",
    "tcp.srcport",
    "udp.srcport",
    "tcp.dstport",
    "udp.dstport",
    "tcp.len",
    "icmp.type",
    "icmpv6.type",
    "ieee8021ad.id",
    "vlan.id",
    "pppoe.code",
    "pppoe.session_id",
    "frame.len",
    "frame.cap_len",
];

fn tshark_missing() -> Option<String> {
    match Command::new("tshark").arg("--version").output() {
        Ok(out) if out.status.success() => None,
        _ => Some("tshark is not installed".into()),
    }
}

fn scapy_missing() -> Option<String> {
    match Command::new("python3")
        .args(["-c", "import scapy"])
        .output()
    {
        Ok(out) if out.status.success() => None,
        _ => Some("python3 with scapy is not installed".into()),
    }
}

/// One line per frame: number, time, interface, src, dst, sport, dport, tcp.len, icmp type,
/// vlans, pppoe — first occurrences, as the outer headers give them.
fn tshark_lines(path: &Path, pcapng: bool) -> Vec<String> {
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args(["-T", "fields", "-E", "occurrence=a"]);
    for field in FIELDS {
        cmd.args(["-e", field]);
    }
    let out = cmd.output().expect("run tshark");
    assert!(out.status.success(), "tshark failed on {}", path.display());
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .map(|line| {
            let f: Vec<&str> = line.split('\t').collect();
            let first = |a: &str, b: &str| {
                let v = if a.is_empty() { b } else { a };
                v.split(',').next().unwrap_or("").to_string()
            };
            let vlans: Vec<&str> = [f[14], f[15]]
                .iter()
                .flat_map(|v| v.split(','))
                .filter(|v| !v.is_empty())
                .collect();
            let iface = if pcapng { f[2] } else { "" };
            let pppoe = if f[16].is_empty() {
                String::new()
            } else {
                format!("{}/{}", f[16], f[17])
            };
            [
                f[0].to_string(),
                f[1].to_string(),
                iface.to_string(),
                first(f[3], f[4]),
                first(f[5], f[6]),
                first(f[7], f[8]),
                first(f[9], f[10]),
                // tshark gives the TCP length the IP header claims; a frame cut by the snapshot
                // length has fewer payload bytes, so only "cut" is compared.
                if f[18] == f[19] {
                    first(f[11], "")
                } else {
                    "cut".into()
                },
                first(f[12], f[13]),
                vlans.join(","),
                pppoe,
            ]
            .join("|")
        })
        .collect()
}

fn our_lines(path: &Path, pcapng: bool) -> Vec<String> {
    let mut lines = Vec::new();
    let info = read_frames(&Input::File(path.to_path_buf()), |frame| {
        let mut c = vec![String::new(); 11];
        c[0] = frame.number.to_string();
        c[1] = format!("{}.{:09}", frame.ts.secs, frame.ts.nanos);
        if pcapng {
            c[2] = frame.interface.to_string();
        }
        let whole = frame.data.len() == frame.orig_len as usize;
        match decode(frame.link_type, frame.data) {
            Decoded::Ip(ip) => {
                c[3] = ip.src.to_string();
                c[4] = ip.dst.to_string();
                let ports = |s: Option<u16>, d: Option<u16>| {
                    (s.map(|p| p.to_string()), d.map(|p| p.to_string()))
                };
                let (sport, dport) = match ip.transport {
                    Transport::Tcp(t) => {
                        c[7] = if whole {
                            t.payload.len().to_string()
                        } else {
                            "cut".into()
                        };
                        ports(Some(t.src_port), Some(t.dst_port))
                    }
                    Transport::Udp(u) => ports(Some(u.src_port), Some(u.dst_port)),
                    Transport::Icmp(m) => {
                        c[8] = m.icmp_type.to_string();
                        match m.kind {
                            IcmpKind::Unreachable { original: Some(o) }
                            | IcmpKind::TimeExceeded { original: Some(o) } => {
                                ports(o.src_port, o.dst_port)
                            }
                            _ => (None, None),
                        }
                    }
                    Transport::Other { .. } => (None, None),
                };
                c[5] = sport.unwrap_or_default();
                c[6] = dport.unwrap_or_default();
                c[9] = ip
                    .encap
                    .vlans
                    .iter()
                    .flatten()
                    .map(|v| v.to_string())
                    .collect::<Vec<_>>()
                    .join(",");
                if let Some(session) = ip.encap.pppoe_session {
                    c[10] = format!("0x00/{session:#06x}");
                }
            }
            Decoded::PppoeDiscovery(d) => c[10] = format!("{:#04x}/{:#06x}", d.code, d.session_id),
            _ => {}
        }
        lines.push(c.join("|"));
    })
    .expect("read capture");
    assert_eq!(info.truncated, None, "{}", path.display());
    lines
}

fn compare(path: &Path) {
    let pcapng = path.extension().is_some_and(|e| e == "pcapng");
    let ours = our_lines(path, pcapng);
    let theirs = tshark_lines(path, pcapng);
    for (a, b) in ours.iter().zip(&theirs) {
        assert_eq!(
            a,
            b,
            "{}: ours (left) and tshark's (right) differ",
            path.display()
        );
    }
    assert_eq!(ours.len(), theirs.len(), "{}: frame count", path.display());
    eprintln!(
        "{}: {} frames agree with tshark",
        path.display(),
        ours.len()
    );
}

#[test]
fn scapy_captures_agree_with_tshark() {
    if let Some(reason) = tshark_missing().or_else(scapy_missing) {
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = std::env::temp_dir().join(format!("cwmp-doctor-tshark-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let status = Command::new("python3")
        .args(["-c", GENERATOR])
        .arg(&dir)
        .output()
        .expect("run python3");
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    for name in ["us-le.pcap", "ns-be.pcap", "multi.pcapng"] {
        compare(&dir.join(name));
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn corpus_captures_agree_with_tshark() {
    if let Some(reason) = tshark_missing() {
        eprintln!("skipped: {reason}");
        return;
    }
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/pcap");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        eprintln!("skipped: {} is absent", dir.display());
        return;
    };
    let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        compare(&path);
    }
}
