//! Captures with several devices: an ACS-side capture holds the sessions of many routers, and each
//! device's story (its last session, its retries) is judged on its own. The check's verdict is then the
//! worst device's, naming that device and how many others there were.

use std::collections::HashMap;
use std::net::IpAddr;

use crate::checks::{Status, Verdict};

/// `items` grouped by device, devices in order of their first item, items in their order.
pub fn group_by_device<T>(items: Vec<T>, device: impl Fn(&T) -> IpAddr) -> Vec<(IpAddr, Vec<T>)> {
    let mut slot_of: HashMap<IpAddr, usize> = HashMap::new();
    let mut groups: Vec<(IpAddr, Vec<T>)> = Vec::new();
    for item in items {
        let ip = device(&item);
        let slot = *slot_of.entry(ip).or_insert_with(|| {
            groups.push((ip, Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(item);
    }
    groups
}

/// The worst of the devices' verdicts (the first device among equals). With several devices the
/// summary names the device and how the others fared, so a pass on one router is never read as a
/// pass on all of them without saying so.
pub fn worst(verdicts: Vec<(IpAddr, Verdict)>) -> Option<Verdict> {
    let n = verdicts.len();
    let same = |s: Status| verdicts.iter().filter(|(_, v)| v.status == s).count();
    let worst_status = verdicts.iter().map(|(_, v)| v.status).max()?;
    let alike = same(worst_status);
    let (cpe, mut v) = verdicts
        .into_iter()
        .find(|(_, v)| v.status == worst_status)?;
    if n > 1 {
        let others = if alike == n {
            format!("all {n} devices {}", worst_status.as_str())
        } else {
            format!("{alike} of {n} devices {}", worst_status.as_str())
        };
        v.summary = format!("CPE {cpe} ({others}): {}", v.summary);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::from([192, 0, 2, last])
    }

    #[test]
    fn groups_keep_first_appearance_order() {
        let groups = group_by_device(vec![(1, 'a'), (2, 'b'), (1, 'c')], |(d, _)| ip(*d));
        let shape: Vec<(IpAddr, Vec<char>)> = groups
            .into_iter()
            .map(|(d, xs)| (d, xs.into_iter().map(|(_, c)| c).collect()))
            .collect();
        assert_eq!(shape, vec![(ip(1), vec!['a', 'c']), (ip(2), vec!['b'])]);
    }

    #[test]
    fn the_worst_device_is_named_with_the_count() {
        let v = worst(vec![
            (ip(1), Verdict::pass("ok")),
            (ip(2), Verdict::fail("x", "broken")),
            (ip(3), Verdict::pass("ok")),
        ])
        .unwrap();
        assert_eq!(v.status, Status::Fail);
        assert_eq!(v.summary, "CPE 192.0.2.2 (1 of 3 devices fail): broken");
    }

    #[test]
    fn one_device_is_not_named_and_all_passing_says_so() {
        assert_eq!(
            worst(vec![(ip(1), Verdict::pass("ok"))]).unwrap().summary,
            "ok"
        );
        let v = worst(vec![
            (ip(1), Verdict::pass("ok")),
            (ip(2), Verdict::pass("ok")),
        ])
        .unwrap();
        assert_eq!(v.summary, "CPE 192.0.2.1 (all 2 devices pass): ok");
        assert!(worst(Vec::new()).is_none());
    }
}
