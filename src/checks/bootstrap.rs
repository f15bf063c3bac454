//! `cwmp.bootstrap` (FAQ I.2): an Inform carries `0 BOOTSTRAP` — the router applied its CWMP settings
//! and contacts this ACS for the first time; other events only mean it is not the first contact; a
//! BOOTSTRAP repeated and never acknowledged is a warning.

use crate::checks::{Ctx, Evidence, Verdict};
use crate::facts::Message;

pub const BOOTSTRAP_MODES: &[&str] = &[
    "pass",
    "not-first-contact",
    "bootstrap-unacknowledged",
    "no-evidence",
];

pub fn bootstrap(ctx: &Ctx<'_>) -> Verdict {
    let informs: Vec<(&Message, bool)> = ctx
        .sessions
        .cwmp
        .iter()
        .flat_map(|s| {
            let acknowledged = s
                .steps
                .iter()
                .any(|st| st.to == crate::sessions::cwmp_table::State::CpeTurn);
            s.informs.iter().map(move |&i| (i, acknowledged))
        })
        .map(|(i, ack)| (ctx.msg(i), ack))
        .collect();
    if informs.is_empty() {
        return Verdict::skip(
            "no-evidence",
            ctx.no_cwmp("no Inform in the capture", "the Inform's events"),
        );
    }
    let events = |m: &Message| -> Vec<String> {
        m.envelope()
            .and_then(|e| e.inform())
            .map(|i| i.events.iter().map(|e| e.code.clone()).collect())
            .unwrap_or_default()
    };
    let bootstraps: Vec<&(&Message, bool)> = informs
        .iter()
        .filter(|(m, _)| events(m).iter().any(|c| c.trim() == "0 BOOTSTRAP"))
        .collect();
    let ev =
        |m: &Message| Evidence::message(ctx, m, &format!("EventCodes: {}", events(m).join(", ")));
    if let Some((m, _)) = bootstraps.iter().find(|(_, ack)| *ack) {
        return Verdict::pass("an Inform carries 0 BOOTSTRAP: the CWMP settings took effect")
            .with([ev(m)]);
    }
    if bootstraps.len() >= 2 {
        return Verdict::warn(
            "bootstrap-unacknowledged",
            format!(
                "0 BOOTSTRAP sent {} times and never acknowledged by an InformResponse",
                bootstraps.len()
            ),
        )
        .with(bootstraps.iter().take(3).map(|(m, _)| ev(m)));
    }
    if let Some((m, _)) = bootstraps.first() {
        return Verdict::pass(
            "an Inform carries 0 BOOTSTRAP: the CWMP settings took effect (not yet acknowledged)",
        )
        .with([ev(m)]);
    }
    // Only Informs whose events could be read say anything about the first contact.
    let Some(&(m, _)) = informs.iter().find(|(m, _)| !events(m).is_empty()) else {
        return Verdict::skip(
            "no-evidence",
            "no Inform's events could be read (see session.inform)",
        )
        .with([Evidence::message(ctx, informs[0].0, "")]);
    };
    Verdict::new(
        crate::checks::Status::Pass,
        "not-first-contact",
        format!(
            "not the first contact: the Informs carry {}",
            events(m).join(", ")
        ),
    )
    .with([ev(m)])
}
