//! Captures with several devices: an ACS-side capture holds the sessions of many routers, and each
//! device's story (its last session, its retries) is judged on its own. The check's verdict is then the
//! worst device's, naming that device and how many others there were.
//!
//! A device is its Inform DeviceId where one was seen ([`crate::sessions::device::Device`]), so routers
//! behind one NAT address are told apart; reports name it with the address it came from
//! ("CPE 00259E-HG8245-RV02 at 203.0.113.50 (1 of 2 devices fail): …").

use std::collections::HashMap;
use std::hash::Hash;

use crate::checks::{Status, Verdict};

/// `items` grouped by device, devices in order of their first item, items in their order.
pub fn group_by_device<T, K: Hash + Eq + Clone>(
    items: Vec<T>,
    device: impl Fn(&T) -> K,
) -> Vec<(K, Vec<T>)> {
    let mut slot_of: HashMap<K, usize> = HashMap::new();
    let mut groups: Vec<(K, Vec<T>)> = Vec::new();
    for item in items {
        let key = device(&item);
        let slot = *slot_of.entry(key.clone()).or_insert_with(|| {
            groups.push((key, Vec::new()));
            groups.len() - 1
        });
        groups[slot].1.push(item);
    }
    groups
}

/// The worst of the devices' verdicts (the first device among equals). With several devices the
/// summary names the device and how the others fared, so a pass on one router is never read as a
/// pass on all of them without saying so.
pub fn worst(verdicts: Vec<(String, Verdict)>) -> Option<Verdict> {
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
    use crate::sessions::device::Device;
    use std::net::IpAddr;

    fn ip(last: u8) -> String {
        IpAddr::from([192, 0, 2, last]).to_string()
    }

    #[test]
    fn groups_keep_first_appearance_order() {
        let groups = group_by_device(vec![(1, 'a'), (2, 'b'), (1, 'c')], |(d, _)| ip(*d));
        let shape: Vec<(String, Vec<char>)> = groups
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

    #[test]
    fn devices_behind_one_address_are_named_by_their_device_id() {
        let nat = IpAddr::from([203, 0, 113, 50]);
        let groups = group_by_device(
            vec![("RV01", 'a'), ("RV02", 'b'), ("RV01", 'c')],
            |(sn, _)| Device::Id(format!("00259E-HG8245-{sn}")),
        );
        assert_eq!(groups.len(), 2, "one address, two devices");
        let v = worst(
            groups
                .iter()
                .map(|(d, xs)| {
                    let v = if xs.len() == 1 {
                        Verdict::fail("x", "rejected")
                    } else {
                        Verdict::pass("ok")
                    };
                    (d.label(nat), v)
                })
                .collect(),
        )
        .unwrap();
        assert_eq!(
            v.summary,
            "CPE 00259E-HG8245-RV02 at 203.0.113.50 (1 of 2 devices fail): rejected"
        );
    }
}
