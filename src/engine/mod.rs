//! The single pass over a capture: frames in, [`Facts`] out.
//!
//! Takes: a capture [`Input`]. Gives: [`Facts`] — the capture summary (with where a truncated file
//! stopped), every TCP connection that can matter, every HTTP message with its SOAP reading, and the
//! UDP/ICMP/PPPoE evidence. Follows DESIGN.md §2: capture → decode → flows → apps → cwmp, streaming one
//! frame at a time; a frame that is neither HTTP nor a protocol the checks read costs a decode and a
//! hash lookup, and allocates nothing.

mod soap_stage;
mod streams;
mod udp;

use std::io::Read;
use std::net::SocketAddr;

use crate::apps::icmp::IcmpFacts;
use crate::capture::{CaptureError, Frame, Input, read_frames, read_frames_from};
use crate::decode::{Decoded, Transport, decode};
use crate::facts::{Facts, Limits, PppoeTraffic, SnapCut, WanEvent};
use crate::flows::{At, FlowTable};
use streams::{App, Streams};
use udp::UdpFacts;

/// Most PPPoE/PPP control frames kept (a dial-up loop repeats the same few).
const MAX_WAN_EVENTS: usize = 4096;

/// Reads a capture and gathers its facts.
pub fn analyze(input: &Input) -> Result<Facts, CaptureError> {
    let mut pass = Pass::default();
    let capture = read_frames(input, |f| pass.frame(f))?;
    Ok(pass.finish(capture))
}

/// The same, calling `progress` with the bytes read so far (for a progress bar).
pub fn analyze_with_progress(
    input: &Input,
    progress: impl FnMut(u64) + Send,
) -> Result<Facts, CaptureError> {
    let reader = crate::capture::Counting::new(input.open()?, progress);
    analyze_reader(&input.source_name(), reader)
}

/// The same from any reader (tests, benchmarks).
pub fn analyze_reader<R: Read + Send>(name: &str, reader: R) -> Result<Facts, CaptureError> {
    let mut pass = Pass::default();
    let capture = read_frames_from(name, reader, |f| pass.frame(f))?;
    Ok(pass.finish(capture))
}

#[derive(Default)]
struct Pass {
    table: FlowTable<App>,
    streams: Streams,
    udp: UdpFacts,
    icmp: IcmpFacts,
    wan: Vec<WanEvent>,
    pppoe_traffic: Option<PppoeTraffic>,
    limits: Limits,
    last_frame: u64,
}

impl Pass {
    fn frame(&mut self, f: &Frame<'_>) {
        self.last_frame = f.number;
        let at = At {
            frame: f.number,
            ts: f.ts,
        };
        let frame_cut = f.orig_len.saturating_sub(f.data.len() as u32);
        if frame_cut > 0 {
            let c = self.limits.snap_cut.get_or_insert(SnapCut {
                frames: 0,
                first: f.number,
                snaplen: 0,
                tcp_payload_frames: 0,
            });
            c.frames += 1;
            c.snaplen = c.snaplen.max(f.data.len() as u32);
        }
        match decode(f.link_type, f.data) {
            Decoded::Ip(p) => {
                if p.encap.pppoe_session.is_some() {
                    let t = self.pppoe_traffic.get_or_insert(PppoeTraffic {
                        first: at,
                        last: at,
                        frames: 0,
                    });
                    t.last = at;
                    t.frames += 1;
                }
                if p.fragment {
                    self.limits.ip_fragments += 1;
                    return;
                }
                match &p.transport {
                    Transport::Tcp(seg) => {
                        let src = SocketAddr::new(p.src, seg.src_port);
                        let dst = SocketAddr::new(p.dst, seg.dst_port);
                        // Trusted only as far as the frame itself says it was cut: a bogus IP length
                        // in a whole frame is not a snapshot cut.
                        let seg = crate::decode::TcpSegment {
                            cut: seg.cut.min(frame_cut),
                            ..*seg
                        };
                        if seg.cut > 0
                            && let Some(c) = &mut self.limits.snap_cut
                        {
                            c.tcp_payload_frames += 1;
                        }
                        self.table.segment(src, dst, &seg, at, &mut self.streams);
                    }
                    Transport::Udp(d) => self.udp.datagram(at, p.src, p.dst, d),
                    Transport::Icmp(m) => self.icmp.message(at, p.src, p.dst, m),
                    Transport::Other { .. } => {}
                }
            }
            Decoded::PppoeDiscovery(d) => self.wan_event(WanEvent::Pppoe { at, frame: d }),
            Decoded::PppControl(c) => self.wan_event(WanEvent::Ppp { at, frame: c }),
            Decoded::NotIp { .. } => {}
            Decoded::Unsupported { .. } => self.limits.unsupported_frames += 1,
            Decoded::Malformed { .. } => self.limits.malformed_frames += 1,
        }
    }

    fn wan_event(&mut self, ev: WanEvent) {
        if self.wan.len() < MAX_WAN_EVENTS {
            self.wan.push(ev);
        } else {
            self.limits.dropped_items += 1;
        }
    }

    fn finish(mut self, capture: crate::capture::CaptureInfo) -> Facts {
        let (conns, table_stats) = self.table.finish(self.last_frame, &mut self.streams);
        let mut streams = self.streams.finish();
        debug_assert_eq!(
            streams.http_budget.used(),
            0,
            "every HTTP message was handed over or closed"
        );
        let mut limits = self.limits;
        limits.table = table_stats;
        limits.http_bodies_cut = streams.http_budget.bodies_cut;
        limits.http_heads_dropped = streams.http_budget.heads_dropped;
        limits.dropped_items +=
            self.icmp.dropped + self.udp.dropped + streams.tls_dropped + streams.dns_dropped;
        // DNS over UDP and over TCP are one list, in frame order, for the checks.
        let mut dns = self.udp.dns.into_vec();
        if !streams.dns.is_empty() {
            dns.append(&mut streams.dns);
            dns.sort_by_key(|d| d.at.frame);
        }
        Facts {
            capture,
            conns,
            messages: streams.messages,
            http_problems: streams.http_problems,
            tls: streams.tls,
            dns,
            dhcp: self.udp.dhcp.into_vec(),
            stun: self.udp.stun.into_vec(),
            udp_conn_requests: self.udp.conn_requests.into_vec(),
            echo: self.icmp.echo_flows(),
            icmp_errors: self.icmp.errors,
            wan: self.wan,
            pppoe_traffic: self.pppoe_traffic,
            limits,
        }
    }
}
