//! The devices connection requests go to, so the `cr.*` checks judge each router on its own (one
//! router's success must not hide another's failure) and report the worst, as the session checks do.
//!
//! Takes: the ConnectionRequestURLs the Informs reported, the connection requests (GETs) seen, the CWMP
//! sessions and `--cpe-url`. Gives: [`CrDevice`]s — each device (its Inform DeviceId, else its address)
//! with the endpoints connection requests to it go to and the attempts made there.
//!
//! Invariants: every connection request belongs to exactly one device; an endpoint belongs to the device
//! whose URL named it (the latest URL wins), else to the device whose sessions come from its address.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::net::{IpAddr, SocketAddr};

use crate::checks::devices::worst;
use crate::checks::{Ctx, Status, Verdict};
use crate::config::UrlParts;
use crate::sessions::connreq::ConnRequest;
use crate::sessions::device::{Device, inform_device};

/// One device's connection-request story.
#[derive(Debug)]
pub struct CrDevice<'s> {
    pub device: Device,
    /// The address the device reported from, for its label.
    pub addr: IpAddr,
    /// Where connection requests to it go.
    pub targets: Vec<SocketAddr>,
    /// Its connection-request attempts, in capture order.
    pub crs: Vec<&'s ConnRequest>,
}

impl CrDevice<'_> {
    pub fn label(&self) -> String {
        self.device.label(self.addr)
    }
}

/// The device whose sessions come from `ip` (its latest), else the address itself.
fn device_at(ctx: &Ctx<'_>, ip: IpAddr) -> Device {
    ctx.sessions
        .cwmp
        .iter()
        .rev()
        .find(|s| s.cpe == ip)
        .map_or(Device::Addr(ip), |s| s.device.clone())
}

/// Every device connection requests go to, in order of first appearance.
pub fn cr_devices<'s>(ctx: &Ctx<'s>) -> Vec<CrDevice<'s>> {
    let mut out: Vec<CrDevice<'s>> = Vec::new();
    let mut slot_of: HashMap<Device, usize> = HashMap::new();
    let mut owner: HashMap<SocketAddr, usize> = HashMap::new();
    let mut slot = |out: &mut Vec<CrDevice<'s>>, device: Device, addr: IpAddr| {
        *slot_of.entry(device.clone()).or_insert_with(|| {
            out.push(CrDevice {
                device,
                addr,
                targets: Vec::new(),
                crs: Vec::new(),
            });
            out.len() - 1
        })
    };
    for u in &ctx.sessions.cr_urls {
        let m = ctx.msg(u.message);
        let from = m.http.src.ip();
        let device = inform_device(m).unwrap_or(Device::Addr(from));
        let i = slot(&mut out, device, from);
        if let Some(t) = u.target() {
            owner.insert(t, i);
        }
    }
    let cpe_url = ctx.config.cpe_url.as_deref().and_then(UrlParts::parse);
    let extra = cpe_url
        .and_then(|u| Some(SocketAddr::new(u.ip?, u.port)))
        .into_iter()
        .chain(ctx.sessions.conn_requests.iter().map(|c| c.cpe));
    for t in extra {
        if let Entry::Vacant(e) = owner.entry(t) {
            e.insert(slot(&mut out, device_at(ctx, t.ip()), t.ip()));
        }
    }
    for (t, &i) in &owner {
        out[i].targets.push(*t);
    }
    for cr in &ctx.sessions.conn_requests {
        out[owner[&cr.cpe]].crs.push(cr);
    }
    for d in &mut out {
        d.targets.sort();
    }
    out
}

/// The worst of the devices' verdicts (`judge` gives `None` for a device it has nothing to say about).
/// A device without evidence (skip) is left out when another device has some, so "no connection request
/// to this one" never hides another's result; `None` when no device was judged.
pub fn judge_devices<'s>(
    devices: &[CrDevice<'s>],
    judge: impl Fn(&CrDevice<'s>) -> Option<Verdict>,
) -> Option<Verdict> {
    let mut judged: Vec<(String, Verdict)> = devices
        .iter()
        .filter_map(|d| Some((d.label(), judge(d)?)))
        .collect();
    if judged.iter().any(|(_, v)| v.status != Status::Skip) {
        judged.retain(|(_, v)| v.status != Status::Skip);
    }
    // One device judged among several: name it, so its result is not read as every device's.
    let alone = (judged.len() == 1 && devices.len() > 1).then(|| judged[0].0.clone());
    let mut v = worst(judged)?;
    if let Some(label) = alone {
        v.summary = format!(
            "CPE {label} (the one of {} devices this step could be judged for): {}",
            devices.len(),
            v.summary
        );
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dev(n: u8) -> CrDevice<'static> {
        CrDevice {
            device: Device::Id(format!("00259E-HG8245-SN000{n}")),
            addr: IpAddr::from([203, 0, 113, 6 + n]),
            targets: Vec::new(),
            crs: Vec::new(),
        }
    }

    #[test]
    fn the_failing_device_is_named_even_when_another_passes() {
        let v = judge_devices(&[dev(1), dev(2)], |d| {
            Some(if d.addr.to_string().ends_with(".8") {
                Verdict::fail("syn-unanswered", "4 SYNs unanswered")
            } else {
                Verdict::pass("ok")
            })
        })
        .unwrap();
        assert_eq!(v.status, Status::Fail);
        assert_eq!(
            v.summary,
            "CPE 00259E-HG8245-SN0002 at 203.0.113.8 (1 of 2 devices fail): 4 SYNs unanswered"
        );
    }

    #[test]
    fn devices_without_evidence_do_not_hide_the_others() {
        let v = judge_devices(&[dev(1), dev(2)], |d| {
            Some(if d.addr.to_string().ends_with(".8") {
                Verdict::skip("no-evidence", "nothing")
            } else {
                Verdict::pass("ok")
            })
        })
        .unwrap();
        assert_eq!(v.status, Status::Pass);
        assert_eq!(
            v.summary,
            "CPE 00259E-HG8245-SN0001 at 203.0.113.7 (the one of 2 devices this step could be judged for): ok"
        );
        assert!(judge_devices(&[dev(1)], |_| None).is_none());
    }
}
