//! CWMP sessions and connection requests, rebuilt from the HTTP messages of the capture.
//!
//! Takes: [`crate::facts::Facts`]. Gives: the CPE→ACS sessions ([`cwmp::CwmpSession`], run through the
//! transition table in [`cwmp_table`]), the ACS→CPE connection requests ([`connreq::ConnRequest`], table
//! in [`connreq::cr_step`]), the redirects a session met ([`redirect::Pending`]), and the ConnectionRequestURLs the CPE reported ([`url::CrUrl`]).

pub mod connreq;
pub mod cwmp;
pub mod cwmp_table;
pub mod exchange;
pub mod redirect;
pub mod url;

use std::collections::HashMap;
use std::net::IpAddr;

use crate::facts::Facts;

/// Everything the session stage derives from the facts.
#[derive(Debug, Default)]
pub struct Sessions {
    pub cwmp: Vec<cwmp::CwmpSession>,
    pub conn_requests: Vec<connreq::ConnRequest>,
    pub cr_urls: Vec<url::CrUrl>,
    pub by_cpe: CpeIndex,
}

/// Where each device's sessions are in [`Sessions::cwmp`]: checks and the connection-request linking
/// look a device's sessions up once per device or request, and an ACS-side capture holds thousands.
#[derive(Debug, Default)]
pub struct CpeIndex(HashMap<IpAddr, Vec<usize>>);

impl CpeIndex {
    pub fn new(cwmp: &[cwmp::CwmpSession]) -> CpeIndex {
        let mut by_cpe: HashMap<IpAddr, Vec<usize>> = HashMap::new();
        for (i, s) in cwmp.iter().enumerate() {
            by_cpe.entry(s.cpe).or_default().push(i);
        }
        CpeIndex(by_cpe)
    }

    /// The indices of `cpe`'s sessions, oldest first.
    pub fn get(&self, cpe: IpAddr) -> &[usize] {
        self.0.get(&cpe).map_or(&[], Vec::as_slice)
    }
}

impl Sessions {
    /// The sessions of one device, oldest first.
    pub fn of_cpe(&self, cpe: IpAddr) -> impl Iterator<Item = &cwmp::CwmpSession> {
        self.by_cpe.get(cpe).iter().map(|&i| &self.cwmp[i])
    }
}

pub fn build(facts: &Facts) -> Sessions {
    let cwmp = cwmp::build_sessions(facts);
    let cr_urls = url::cr_urls(facts);
    let by_cpe = CpeIndex::new(&cwmp);
    let conn_requests = connreq::build_conn_requests(facts, &cwmp, &by_cpe, &cr_urls);
    Sessions {
        cwmp,
        conn_requests,
        cr_urls,
        by_cpe,
    }
}
