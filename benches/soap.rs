//! Micro-benchmark of the SOAP stage (benches/README.md): `cwmp::parse_envelope` over real bodies.
//!
//! Usage: `soap [SECONDS]` (default 3 per set). Takes: the `*.xml` files of `../shared/corpus/xml/`
//! (relative to the repository root; the set is skipped, with the reason printed, when absent) and a
//! 148-parameter Inform generated here from a template shaped like the 25 KB TP-Link Inform of
//! `fixtures/http-large-inform` (the message that makes up half the benchmark capture's SOAP bytes).
//! Gives: per set, one line `set=… messages=… bytes=… msg_per_s=… mb_per_s=… allocs_per_msg=…
//! digest=…`. The digest hashes the `Debug` form of every outcome, so two builds that print the
//! same digest returned the same outcomes; the allocation count comes from a counting allocator
//! wrapped around the system one (as in `diagnose.rs`), over one pass of the set.

use std::alloc::{GlobalAlloc, Layout, System};
use std::hash::{DefaultHasher, Hash, Hasher};
use std::hint::black_box;
use std::path::Path;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::{Duration, Instant};

use cwmp_doctor::cwmp::parse_envelope;

static ALLOCATIONS: AtomicU64 = AtomicU64::new(0);

struct Counting;

// SAFETY: every call is forwarded unchanged to the system allocator; only a counter is added.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() -> ExitCode {
    let seconds = match std::env::args().nth(1).map(|s| s.parse::<f64>()) {
        None => 3.0,
        Some(Ok(s)) if s > 0.0 && s.is_finite() => s,
        Some(_) => {
            eprintln!("usage: soap [SECONDS]");
            return ExitCode::from(2);
        }
    };
    let budget = Duration::from_secs_f64(seconds);
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/xml");
    match corpus_bodies(&corpus) {
        Ok(bodies) => run("corpus", &bodies, budget),
        Err(reason) => println!("set=corpus SKIPPED: {}: {reason}", corpus.display()),
    }
    run("inform148", &[inform(148)], budget);
    ExitCode::SUCCESS
}

/// The `*.xml` files of `dir`, in name order.
fn corpus_bodies(dir: &Path) -> Result<Vec<Vec<u8>>, String> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .collect();
    paths.sort();
    if paths.is_empty() {
        return Err("no *.xml file".into());
    }
    paths
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display())))
        .collect()
}

/// Parses every body of `set` until `budget` has passed, then prints the rates.
fn run(name: &str, set: &[Vec<u8>], budget: Duration) {
    let bytes_per_pass: usize = set.iter().map(Vec::len).sum();
    let mut digest = DefaultHasher::new();
    let before = ALLOCATIONS.load(Relaxed);
    let outcomes: Vec<_> = set.iter().map(|b| parse_envelope(b)).collect();
    let allocations = ALLOCATIONS.load(Relaxed) - before;
    for outcome in &outcomes {
        format!("{outcome:?}").hash(&mut digest);
    }
    let (mut passes, started) = (0u64, Instant::now());
    while started.elapsed() < budget {
        for body in set {
            black_box(parse_envelope(black_box(body)));
        }
        passes += 1;
    }
    let secs = started.elapsed().as_secs_f64();
    let messages = passes * set.len() as u64;
    let bytes = passes * bytes_per_pass as u64;
    println!(
        "set={name} messages={messages} bytes={bytes} msg_per_s={:.0} mb_per_s={:.1} allocs_per_msg={:.1} digest={:016x}",
        messages as f64 / secs,
        bytes as f64 / 1e6 / secs,
        allocations as f64 / set.len() as f64,
        digest.finish()
    );
}

/// An Inform with `params` ParameterValueStructs, one element per line like the TP-Link one:
/// eight device parameters, then hosts of seven parameters each (strings, an int, a boolean).
fn inform(params: usize) -> Vec<u8> {
    let mut xml = String::from(concat!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n",
        "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"http://schemas.xmlsoap.org/soap/envelope/\" ",
        "xmlns:SOAP-ENC=\"http://schemas.xmlsoap.org/soap/encoding/\" ",
        "xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\" ",
        "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" ",
        "xmlns:cwmp=\"urn:dslforum-org:cwmp-1-0\">\n",
        "<SOAP-ENV:Header>\n<cwmp:ID SOAP-ENV:mustUnderstand=\"1\">1</cwmp:ID>\n</SOAP-ENV:Header>\n",
        "<SOAP-ENV:Body>\n<cwmp:Inform>\n<DeviceId>\n<Manufacturer>TP-Link</Manufacturer>\n",
        "<OUI>50C7BF</OUI>\n<ProductClass>Archer VR600</ProductClass>\n",
        "<SerialNumber>2191234000817</SerialNumber>\n</DeviceId>\n",
        "<Event SOAP-ENC:arrayType=\"cwmp:EventStruct[2]\">\n",
        "<EventStruct>\n<EventCode>0 BOOTSTRAP</EventCode>\n<CommandKey></CommandKey>\n</EventStruct>\n",
        "<EventStruct>\n<EventCode>1 BOOT</EventCode>\n<CommandKey></CommandKey>\n</EventStruct>\n",
        "</Event>\n<MaxEnvelopes>1</MaxEnvelopes>\n",
        "<CurrentTime>2026-11-21T03:30:57+00:00</CurrentTime>\n<RetryCount>0</RetryCount>\n",
    ));
    xml.push_str(&format!(
        "<ParameterList SOAP-ENC:arrayType=\"cwmp:ParameterValueStruct[{params}]\">\n"
    ));
    const DEVICE: [(&str, &str); 8] = [
        (
            "DeviceSummary",
            "InternetGatewayDevice:1.4[](Baseline:2, EthernetLAN:1, WiFiLAN:2)",
        ),
        ("DeviceInfo.SpecVersion", "1.0"),
        ("DeviceInfo.HardwareVersion", "Archer VR600 v3 00000000"),
        (
            "DeviceInfo.SoftwareVersion",
            "1.2.0 0.9.1 v5006.0 Build 211015 Rel.53012n",
        ),
        ("DeviceInfo.ProvisioningCode", ""),
        (
            "ManagementServer.ConnectionRequestURL",
            "http://127.0.0.10:7547/tr069",
        ),
        ("ManagementServer.ParameterKey", ""),
        (
            "WANDevice.1.WANConnectionDevice.1.WANIPConnection.1.ExternalIPAddress",
            "127.0.0.10",
        ),
    ];
    for n in 0..params {
        let (name, kind, value) = match DEVICE.get(n) {
            Some(&(name, value)) => (name.to_string(), "string", value.to_string()),
            None => {
                let host = (n - DEVICE.len()) / 7 + 1;
                let (field, kind, value) = match (n - DEVICE.len()) % 7 {
                    0 => ("IPAddress", "string", format!("192.168.1.{}", 100 + host)),
                    1 => ("AddressSource", "string", "DHCP".to_string()),
                    2 => ("LeaseTimeRemaining", "int", format!("{}", 86_400 - host)),
                    3 => ("MACAddress", "string", format!("9c:a2:f4:00:00:{host:02x}")),
                    4 => ("HostName", "string", format!("host-{host}")),
                    5 => ("InterfaceType", "string", "Ethernet".to_string()),
                    _ => ("Active", "boolean", "1".to_string()),
                };
                let name = format!("LANDevice.1.Hosts.Host.{host}.{field}");
                (name, kind, value)
            }
        };
        xml.push_str(&format!(
            "<ParameterValueStruct>\n<Name>InternetGatewayDevice.{name}</Name>\n<Value xsi:type=\"xsd:{kind}\">{value}</Value>\n</ParameterValueStruct>\n"
        ));
    }
    xml.push_str("</ParameterList>\n</cwmp:Inform>\n</SOAP-ENV:Body>\n</SOAP-ENV:Envelope>\n");
    xml.into_bytes()
}
