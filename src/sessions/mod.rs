//! CWMP sessions and connection requests, rebuilt from the HTTP messages of the capture.
//!
//! Takes: [`crate::facts::Facts`]. Gives: the CPE→ACS sessions ([`cwmp::CwmpSession`], run through the
//! transition table in [`cwmp_table`]), the ACS→CPE connection requests ([`connreq::ConnRequest`], table
//! in [`connreq::cr_step`]), and the ConnectionRequestURLs the CPE reported ([`url::CrUrl`]).

pub mod connreq;
pub mod cwmp;
pub mod cwmp_table;
pub mod exchange;
pub mod url;

use crate::facts::Facts;

/// Everything the session stage derives from the facts.
#[derive(Debug, Default)]
pub struct Sessions {
    pub cwmp: Vec<cwmp::CwmpSession>,
    pub conn_requests: Vec<connreq::ConnRequest>,
    pub cr_urls: Vec<url::CrUrl>,
}

pub fn build(facts: &Facts) -> Sessions {
    let cwmp = cwmp::build_sessions(facts);
    let cr_urls = url::cr_urls(facts);
    let conn_requests = connreq::build_conn_requests(facts, &cwmp, &cr_urls);
    Sessions {
        cwmp,
        conn_requests,
        cr_urls,
    }
}
