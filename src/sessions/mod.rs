//! CWMP sessions and connection requests, rebuilt from the HTTP messages of the capture.
//!
//! Takes: [`crate::facts::Facts`]. Gives: the CPE→ACS sessions ([`cwmp::CwmpSession`], run through the
//! transition table in [`cwmp_table`]), the ACS→CPE connection requests ([`connreq::ConnRequest`], table
//! in [`connreq::cr_step`]), the redirects a session met ([`redirect::Pending`]), and the
//! ConnectionRequestURLs the CPE reported ([`url::CrUrl`]); the device each session and connection
//! belongs to ([`device::Device`]: its DeviceId, not its address, since routers behind one NAT share an
//! address).

pub mod connreq;
pub mod cwmp;
pub mod cwmp_table;
pub mod device;
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

/// Where each device's and each address's sessions are in [`Sessions::cwmp`], and which device each
/// session connection is: checks and the connection-request linking look them up once per device or
/// request, and an ACS-side capture holds thousands.
#[derive(Debug, Default)]
pub struct CpeIndex {
    by_addr: HashMap<IpAddr, Vec<usize>>,
    by_device: HashMap<device::Device, Vec<usize>>,
    by_conn: HashMap<u32, usize>,
}

impl CpeIndex {
    pub fn new(cwmp: &[cwmp::CwmpSession]) -> CpeIndex {
        let mut index = CpeIndex::default();
        for (i, s) in cwmp.iter().enumerate() {
            index.by_addr.entry(s.cpe).or_default().push(i);
            index.by_device.entry(s.device.clone()).or_default().push(i);
            for &c in &s.conns {
                index.by_conn.entry(c).or_insert(i);
            }
        }
        index
    }

    /// The indices of the sessions from address `cpe` (every device there), oldest first.
    pub fn get(&self, cpe: IpAddr) -> &[usize] {
        self.by_addr.get(&cpe).map_or(&[], Vec::as_slice)
    }
}

impl Sessions {
    /// The sessions from one address (every device behind it), oldest first.
    pub fn of_cpe(&self, cpe: IpAddr) -> impl Iterator<Item = &cwmp::CwmpSession> {
        self.by_cpe.get(cpe).iter().map(|&i| &self.cwmp[i])
    }

    /// The sessions of one device, oldest first.
    pub fn of_device(&self, d: &device::Device) -> impl Iterator<Item = &cwmp::CwmpSession> {
        let found = self.by_cpe.by_device.get(d).map_or(&[][..], Vec::as_slice);
        found.iter().map(|&i| &self.cwmp[i])
    }

    /// The device that used TCP connection `conn` from `addr`: its session's device, else the one device
    /// seen at that address, else the address itself.
    pub fn device_of_conn(&self, conn: u32, addr: IpAddr) -> device::Device {
        if let Some(&i) = self.by_cpe.by_conn.get(&conn) {
            return self.cwmp[i].device.clone();
        }
        let mut there = self.of_cpe(addr).map(|s| &s.device);
        match there.next() {
            Some(first) if there.all(|d| d == first) => first.clone(),
            _ => device::Device::Addr(addr),
        }
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
