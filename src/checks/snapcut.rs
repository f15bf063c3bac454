//! Checks that could not judge because the capture's snapshot length cut the frames they read.
//!
//! Takes: the checks' results and the facts' [`SnapCut`]. Gives: the same results, where a check that reads
//! HTTP, TLS or SOAP skipped while TCP payload was cut, with a summary that says so — "no Inform in the
//! capture" would be false: the Inform may well be in the cut bytes (`tcpdump -s 160`).
//!
//! Invariants: a pass is never touched. While at least one CWMP session was read, only skips are
//! reworded (a warn or fail was judged on what was visible); when none was, a warn or fail of these
//! checks rests on the absence of what the cut hid ("no Inform"), so it becomes a skip too.
//! Checks that read only headers a snapshot keeps (PPPoE, DHCP, ping, the TCP handshake, the baseline
//! comparison's own input) are never reworded.

use super::{CheckResult, Status};
use crate::facts::SnapCut;

/// What a skipped check says when the snapshot length hid its evidence.
pub fn summary(c: &SnapCut) -> String {
    let frames = match c.tcp_payload_frames {
        1 => "1 frame was".to_string(),
        n => format!("{n} frames were"),
    };
    format!(
        "not judged: {frames} cut by the capture's snap length ({} bytes; first #{}) — the HTTP and \
         SOAP they carried are not visible",
        c.snaplen, c.first
    )
}

/// Whether the catalog marks check `id` as reading TCP payload.
fn reads_payload(id: &str) -> bool {
    super::catalog::catalog()
        .get(id)
        .is_some_and(|e| e.reads_payload)
}

/// Rewords the checks that read payload and could not judge because the capture cut TCP payload;
/// `cwmp_read` says whether any CWMP session was rebuilt.
pub fn explain_skips(cut: Option<&SnapCut>, cwmp_read: bool, results: &mut [CheckResult]) {
    let Some(c) = cut.filter(|c| c.tcp_payload_frames > 0) else {
        return;
    };
    let blind = |s: Status| s == Status::Skip || (!cwmp_read && s != Status::Pass);
    for r in results
        .iter_mut()
        .filter(|r| blind(r.status) && reads_payload(r.id))
    {
        r.status = Status::Skip;
        r.summary = summary(c);
        r.hint = Some(
            "capture again without a snap length: `tcpdump -s 0` (or Wireshark's default)".into(),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(id: &'static str, status: Status, summary: &str) -> CheckResult {
        CheckResult {
            id,
            module: 1,
            step: 1,
            title: id.into(),
            status,
            mode: "no-evidence",
            summary: summary.into(),
            evidence: Vec::new(),
            hint: None,
            filter: None,
        }
    }

    const CUT: SnapCut = SnapCut {
        frames: 7,
        first: 4,
        snaplen: 160,
        tcp_payload_frames: 7,
    };

    #[test]
    fn only_skips_of_payload_checks_are_reworded() {
        let mut rs = vec![
            result("wan.dial", Status::Skip, "no PPPoE or DHCP exchange"),
            result("acs.connect", Status::Pass, "handshake done"),
            result("session.inform", Status::Skip, "no Inform in the capture"),
            result("cwmp.credentials", Status::Fail, "401 twice"),
        ];
        explain_skips(Some(&CUT), true, &mut rs);
        assert_eq!(rs[0].summary, "no PPPoE or DHCP exchange");
        assert_eq!(rs[1].summary, "handshake done");
        assert!(rs[2].summary.contains("snap length (160 bytes; first #4)"));
        assert!(rs[2].hint.as_deref().unwrap().contains("-s 0"));
        assert_eq!(rs[3].summary, "401 twice");
    }

    #[test]
    fn a_cut_without_tcp_payload_changes_nothing() {
        let mut rs = vec![result("session.inform", Status::Skip, "no Inform")];
        let icmp_only = SnapCut {
            tcp_payload_frames: 0,
            ..CUT
        };
        explain_skips(Some(&icmp_only), false, &mut rs);
        explain_skips(None, false, &mut rs);
        assert_eq!(rs[0].summary, "no Inform");
    }

    #[test]
    fn with_no_cwmp_read_a_failure_on_absence_is_not_judged() {
        let mut rs = vec![
            result("session.inform", Status::Fail, "no Inform"),
            result("acs.connect", Status::Fail, "SYN unanswered"),
            result("acs.tls", Status::Pass, "TLS 1.3"),
        ];
        explain_skips(Some(&CUT), false, &mut rs);
        assert_eq!(rs[0].status, Status::Skip);
        assert!(rs[0].summary.starts_with("not judged: 7 frames"));
        assert_eq!((rs[1].status, rs[2].status), (Status::Fail, Status::Pass));
    }
}
