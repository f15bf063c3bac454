//! The ICMP echo probe (`wan.ping`, `acs.ping`) and the privilege it needs.
//!
//! Takes: an address, an identifier and the step budget. Gives: [`PingResult`] — three echo requests
//! sent 100 ms apart with surge-ping, the round-trip time of each reply, losses and send errors — and
//! the two ping verdicts. FAQ I.1: "ping 8.8.8.8", then the ACS host.
//!
//! Privilege: Linux sends ICMP echo from a raw socket (needs CAP_NET_RAW in the effective set; root
//! normally has it, a container's root may not) or from an unprivileged "ping socket" (needs the
//! process's effective gid or a supplementary group inside `net.ipv4.ping_group_range`, which covers
//! IPv6 too). [`IcmpPrivilege`] reads both from `/proc` before any socket is opened, so a skip names
//! exactly what is missing instead of quoting an `EACCES`.

use std::net::IpAddr;
use std::time::Duration;

use surge_ping::{Client, Config, ICMP, IcmpPacket, PingIdentifier, PingSequence, SurgeError};

use super::clock::{Budget, ms, now, secs};
use super::{LiveEvidence, LiveStatus, LiveVerdict};
use crate::time::Timestamp;

/// The gap between the three echo requests of a probe.
const ECHO_GAP: Duration = Duration::from_millis(100);
const CAP_NET_RAW: u32 = 13;

/// What one ping probe saw.
#[derive(Clone, Debug, PartialEq)]
pub struct PingResult {
    /// The target as given (`8.8.8.8`, `acs.isp.example`).
    pub target: String,
    /// The address pinged, once known.
    pub addr: Option<IpAddr>,
    pub outcome: PingOutcome,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PingOutcome {
    /// No privilege for ICMP sockets: what is missing.
    NoPrivilege(String),
    /// The target's name did not resolve: why.
    Unresolved(String),
    /// The ICMP socket could not be opened although the privilege checks passed.
    SocketError(String),
    /// Echo requests sent: per request, the round-trip time of its reply or why there was none.
    Echoes(Vec<Result<Duration, String>>),
}

/// The privilege facts that decide whether this process may send ICMP echo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IcmpPrivilege {
    pub euid: u32,
    pub egid: u32,
    pub groups: Vec<u32>,
    /// CAP_NET_RAW (bit 13) in CapEff.
    pub cap_net_raw: bool,
    /// `net.ipv4.ping_group_range` (low, high); `None` when unreadable.
    pub ping_range: Option<(u32, u32)>,
}

impl IcmpPrivilege {
    /// Reads `/proc/self/status` and `/proc/sys/net/ipv4/ping_group_range`.
    pub fn current() -> IcmpPrivilege {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let range = std::fs::read_to_string("/proc/sys/net/ipv4/ping_group_range").ok();
        IcmpPrivilege::parse(&status, range.as_deref())
    }

    /// Reads the facts from the text of `/proc/self/status` and of `ping_group_range`.
    pub fn parse(status: &str, range: Option<&str>) -> IcmpPrivilege {
        let field = |name: &str| {
            status
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
                .unwrap_or("")
        };
        let nth = |name: &str, n: usize| field(name).split_whitespace().nth(n)?.parse().ok();
        let cap_eff = u64::from_str_radix(field("CapEff").trim(), 16).unwrap_or(0);
        let ping_range = range.and_then(|r| {
            let mut it = r.split_whitespace().map(str::parse::<u32>);
            Some((it.next()?.ok()?, it.next()?.ok()?))
        });
        IcmpPrivilege {
            euid: nth("Uid", 1).unwrap_or(u32::MAX),
            egid: nth("Gid", 1).unwrap_or(u32::MAX),
            groups: field("Groups")
                .split_whitespace()
                .filter_map(|g| g.parse().ok())
                .collect(),
            cap_net_raw: cap_eff & (1 << CAP_NET_RAW) != 0,
            ping_range,
        }
    }

    fn in_ping_range(&self) -> bool {
        self.ping_range.is_some_and(|(lo, hi)| {
            std::iter::once(&self.egid)
                .chain(&self.groups)
                .any(|g| (lo..=hi).contains(g))
        })
    }

    /// `None` when ICMP echo can be sent; otherwise exactly what is missing.
    pub fn missing(&self) -> Option<String> {
        if self.cap_net_raw || self.in_ping_range() {
            return None;
        }
        let who = if self.euid == 0 {
            "running as root (euid 0) but CAP_NET_RAW is not in the effective capabilities \
             (a container or a dropped capability)"
                .to_string()
        } else {
            format!(
                "not root (euid {}), CAP_NET_RAW not in the effective capabilities",
                self.euid
            )
        };
        let range = match self.ping_range {
            Some((lo, hi)) => format!("net.ipv4.ping_group_range \"{lo} {hi}\""),
            None => "net.ipv4.ping_group_range (unreadable)".to_string(),
        };
        let groups: Vec<String> = self.groups.iter().map(u32::to_string).collect();
        let groups = match groups.is_empty() {
            true => String::new(),
            false => format!(" or any of groups {}", groups.join(" ")),
        };
        Some(format!(
            "{who}, and {range} does not cover gid {}{groups}",
            self.egid
        ))
    }
}

/// Pings `addr` with three echo requests; waits at most the budget's step for the replies.
pub(crate) async fn ping(addr: IpAddr, ident: u16, budget: &Budget) -> PingOutcome {
    let config = match addr {
        IpAddr::V4(_) => Config::default(),
        IpAddr::V6(_) => Config::builder().kind(ICMP::V6).build(),
    };
    let client = match Client::new(&config) {
        Ok(c) => c,
        Err(e) => {
            let first_line = e.to_string().lines().next().unwrap_or("").to_string();
            return PingOutcome::SocketError(first_line);
        }
    };
    let wait = budget.step();
    let echo = |seq: u16| {
        let client = client.clone();
        async move {
            let offset = ECHO_GAP * u32::from(seq);
            tokio::time::sleep(offset).await;
            let mut pinger = client.pinger(addr, PingIdentifier(ident)).await;
            pinger.timeout(wait.saturating_sub(offset).max(Duration::from_millis(1)));
            match pinger.ping(PingSequence(seq), &[0u8; 56]).await {
                // surge-ping also hands back the ICMP error that quotes our request (a router's
                // "destination unreachable"): that is a failure, not a reply.
                Ok((IcmpPacket::V4(p), rtt)) if p.get_icmp_type().0 == 0 => Ok(rtt),
                Ok((IcmpPacket::V6(p), rtt)) if p.get_icmpv6_type().0 == 129 => Ok(rtt),
                Ok((IcmpPacket::V4(p), _)) => Err(icmp_error(
                    false,
                    p.get_icmp_type().0,
                    p.get_icmp_code().0,
                    p.get_source().into(),
                )),
                Ok((IcmpPacket::V6(p), _)) => Err(icmp_error(
                    true,
                    p.get_icmpv6_type().0,
                    p.get_icmpv6_code().0,
                    p.get_source().into(),
                )),
                Err(SurgeError::Timeout { .. }) => Err(format!("no reply within {}", secs(wait))),
                Err(e) => Err(e.to_string()),
            }
        }
    };
    let (a, b, c) = tokio::join!(echo(0), echo(1), echo(2));
    PingOutcome::Echoes(vec![a, b, c])
}

/// Pings `target` at `addr`, unless the process lacks the privilege.
pub(crate) async fn probe(target: &str, addr: IpAddr, ident: u16, budget: &Budget) -> PingResult {
    let outcome = match IcmpPrivilege::current().missing() {
        Some(missing) => PingOutcome::NoPrivilege(missing),
        None => ping(addr, ident, budget).await,
    };
    PingResult {
        target: target.to_string(),
        addr: Some(addr),
        outcome,
        at: now(),
    }
}

/// An ICMP error that answered an echo request, in words, with where it came from.
fn icmp_error(v6: bool, kind: u8, code: u8, from: IpAddr) -> String {
    let what = crate::apps::icmp::error_name(v6, kind, code);
    format!("{what} (ICMP type {kind} code {code} from {from})")
}

/// Judges a ping probe. `tcp_ok` is whether TCP to the same host worked (for `acs.ping`: an ACS
/// that filters ICMP but accepts TCP is only a warning).
pub(crate) fn verdict(id: &'static str, r: &PingResult, tcp_ok: Option<bool>) -> LiveVerdict {
    let who = match r.addr {
        Some(a) if a.to_string() != r.target => format!("{} ({a})", r.target),
        _ => r.target.clone(),
    };
    let (status, mode, summary) = match &r.outcome {
        PingOutcome::NoPrivilege(m) => (
            LiveStatus::Skip,
            "no-privilege",
            format!("cannot send ICMP echo: {m}"),
        ),
        PingOutcome::SocketError(e) => (
            LiveStatus::Skip,
            "no-privilege",
            format!("cannot open an ICMP socket: {e}"),
        ),
        PingOutcome::Unresolved(e) => (
            LiveStatus::Fail,
            "unresolved",
            format!("cannot ping {}: {e}", r.target).replace("ping : ", "ping: "),
        ),
        PingOutcome::Echoes(echoes) => {
            let rtts: Vec<Duration> = echoes
                .iter()
                .filter_map(|e| e.as_ref().ok().copied())
                .collect();
            let n = echoes.len();
            if rtts.len() == n {
                (
                    LiveStatus::Pass,
                    "pass",
                    format!("{who} answered {n}/{n} echo requests ({})", rtt_text(&rtts)),
                )
            } else if !rtts.is_empty() {
                let loss = 100 * (n - rtts.len()) / n;
                (
                    LiveStatus::Warn,
                    "partial-loss",
                    format!(
                        "{who} answered {}/{n} echo requests ({loss}% loss; {})",
                        rtts.len(),
                        rtt_text(&rtts)
                    ),
                )
            } else if tcp_ok == Some(true) {
                (
                    LiveStatus::Warn,
                    "unanswered-tcp-ok",
                    format!("{n} echo requests to {who} unanswered, but TCP to the ACS works"),
                )
            } else {
                // A router on the way that answers with an ICMP error says where the path ends.
                let icmp = echoes
                    .iter()
                    .find_map(|e| e.as_ref().err().filter(|why| why.contains("(ICMP type")));
                let how = match icmp {
                    Some(why) => format!("answered by ICMP errors: {why}"),
                    None => "unanswered".into(),
                };
                (
                    LiveStatus::Fail,
                    "unanswered",
                    format!("{n} echo requests to {who} {how}"),
                )
            }
        }
    };
    let evidence = match &r.outcome {
        PingOutcome::Echoes(echoes) => echoes
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let what = match e {
                    Ok(rtt) => format!("reply in {}", ms(*rtt)),
                    Err(why) => why.clone(),
                };
                LiveEvidence::new(r.at, format!("echo request {} to {who}: {what}", i + 1))
            })
            .collect(),
        _ => vec![LiveEvidence::new(r.at, summary.clone())],
    };
    LiveVerdict::new(id, status, mode, summary).with(evidence)
}

fn rtt_text(rtts: &[Duration]) -> String {
    let min = rtts.iter().min().copied().unwrap_or_default();
    let max = rtts.iter().max().copied().unwrap_or_default();
    let avg = rtts.iter().sum::<Duration>() / rtts.len().max(1) as u32;
    format!("rtt min/avg/max {}/{}/{}", ms(min), ms(avg), ms(max))
}

#[cfg(test)]
mod tests {
    use super::*;

    const STATUS: &str = "Name:\tcat\nUid:\t1000\t1000\t1000\t1000\nGid:\t1000\t1000\t1000\t1000\nGroups:\t27 1000 \nCapEff:\t0000000000000000\n";

    #[test]
    fn unprivileged_user_is_told_all_three_things_missing() {
        let p = IcmpPrivilege::parse(STATUS, Some("1\t0\n"));
        assert_eq!(
            (p.euid, p.egid, p.groups.clone(), p.cap_net_raw),
            (1000, 1000, vec![27, 1000], false)
        );
        let m = p.missing().expect("no privilege");
        assert!(m.contains("not root (euid 1000)"), "{m}");
        assert!(
            m.contains("CAP_NET_RAW not in the effective capabilities"),
            "{m}"
        );
        assert!(
            m.contains("ping_group_range \"1 0\" does not cover gid 1000 or any of groups 27 1000"),
            "{m}"
        );
    }

    #[test]
    fn ping_group_range_or_cap_net_raw_suffices() {
        let p = IcmpPrivilege::parse(STATUS, Some("0 2147483647"));
        assert_eq!(p.missing(), None);
        let supplementary = IcmpPrivilege::parse(STATUS, Some("27 27"));
        assert_eq!(supplementary.missing(), None);
        let cap = STATUS.replace("0000000000000000", "0000000000002000");
        assert_eq!(IcmpPrivilege::parse(&cap, Some("1 0")).missing(), None);
    }

    #[test]
    fn root_without_cap_net_raw_is_named_as_such() {
        let root = STATUS
            .replace("1000", "0")
            .replace("Groups:\t27 0 ", "Groups:");
        let m = IcmpPrivilege::parse(&root, None)
            .missing()
            .expect("no privilege");
        assert!(
            m.starts_with("running as root (euid 0) but CAP_NET_RAW"),
            "{m}"
        );
        assert!(m.contains("(unreadable)"), "{m}");
    }

    fn result(outcome: PingOutcome) -> PingResult {
        PingResult {
            target: "acs.test".into(),
            addr: Some("192.0.2.7".parse().unwrap()),
            outcome,
            at: Timestamp::new(1_700_000_000, 0),
        }
    }

    #[test]
    fn verdicts_follow_the_replies() {
        let ok = Ok(Duration::from_micros(500));
        let lost = || Err("no reply within 2 s".to_string());
        let all = verdict(
            "acs.ping",
            &result(PingOutcome::Echoes(vec![
                ok.clone(),
                ok.clone(),
                ok.clone(),
            ])),
            Some(true),
        );
        assert_eq!((all.status, all.mode), (LiveStatus::Pass, "pass"));
        assert!(
            all.summary.starts_with("acs.test (192.0.2.7) answered 3/3"),
            "{}",
            all.summary
        );
        let some = verdict(
            "wan.ping",
            &result(PingOutcome::Echoes(vec![ok, lost(), lost()])),
            None,
        );
        assert_eq!((some.status, some.mode), (LiveStatus::Warn, "partial-loss"));
        assert!(some.summary.contains("66% loss"), "{}", some.summary);
        let none = || PingOutcome::Echoes(vec![lost(), lost(), lost()]);
        let filtered = verdict("acs.ping", &result(none()), Some(true));
        assert_eq!(
            (filtered.status, filtered.mode),
            (LiveStatus::Warn, "unanswered-tcp-ok")
        );
        let down = verdict("acs.ping", &result(none()), Some(false));
        assert_eq!((down.status, down.mode), (LiveStatus::Fail, "unanswered"));
        assert_eq!(down.evidence.len(), 3);
    }

    #[test]
    fn no_privilege_is_a_skip_that_says_why() {
        let v = verdict(
            "wan.ping",
            &result(PingOutcome::NoPrivilege("not root".into())),
            None,
        );
        assert_eq!((v.status, v.mode), (LiveStatus::Skip, "no-privilege"));
        assert_eq!(v.summary, "cannot send ICMP echo: not root");
    }

    #[test]
    fn an_icmp_error_quoting_the_echo_is_named_not_taken_for_a_reply() {
        let from: IpAddr = "192.0.2.1".parse().unwrap();
        assert_eq!(
            icmp_error(false, 3, 1, from),
            "host unreachable (ICMP type 3 code 1 from 192.0.2.1)"
        );
        assert!(
            icmp_error(true, 1, 3, "2001:db8::1".parse().unwrap())
                .starts_with("address unreachable")
        );
        assert!(
            icmp_error(false, 3, 13, from).starts_with("communication administratively prohibited")
        );
        assert!(icmp_error(false, 11, 0, from).starts_with("time exceeded"));
    }
}
