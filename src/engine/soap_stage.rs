//! The SOAP stage of the pass (DESIGN.md §2 "apps → cwmp"), on a second core when there is one.
//!
//! Takes: complete HTTP bodies, each with the slot of its message and its `Content-Encoding`. Gives:
//! each body's [`Reading`] — the SOAP outcome (slimmed to what the checks read) and, for a body that
//! is not SOAP, its printable start — tagged with the slot, to be put into the message there.
//!
//! Parsing XML is a third of a diagnosis's time on a capture full of CWMP, and it needs nothing from
//! the frames that follow: a worker thread parses while the pass goes on reading and reassembling.
//!
//! Invariants:
//! - The readings are the same, whichever thread made them: [`read_body`] is the one function that
//!   makes a reading, and every slot submitted gets exactly one reading back (by [`SoapStage::finish`]
//!   at the latest).
//! - Memory is bounded: at most `max_in_flight` body bytes are waiting for or in the worker; beyond
//!   that, [`SoapStage::submit`] waits for readings to come back before it sends more.
//! - With one core, or when the worker cannot be started, bodies are read where they are submitted.
//! - A panic in the worker is a bug; it is resumed on the pass's thread rather than lost.

use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::thread::JoinHandle;

use crate::cwmp::{SoapOutcome, parse_envelope};
use crate::facts::EXCERPT_CHARS;

/// Body bytes handed to the worker and not yet read back. Bodies are at most
/// [`crate::apps::http::MAX_BODY`] each, so this is a few messages' worth: enough to keep the worker
/// busy, small beside the 64 MiB the whole diagnosis may use (DESIGN.md §6).
pub const MAX_IN_FLIGHT: usize = 8 * 1024 * 1024;

/// What a message's body turned out to be.
#[derive(Debug, PartialEq)]
pub struct Reading {
    pub soap: SoapOutcome,
    /// The start of a body that is not SOAP (an HTML error page, …), for evidence.
    pub excerpt: Option<String>,
}

/// Reads one body: undoes its content coding, parses it as SOAP, keeps what the checks read.
pub fn read_body(body: &[u8], coding: Option<&str>) -> Reading {
    let mut soap = match coding {
        Some(coding) => match crate::apps::http::coding::decode(coding, body) {
            Ok((decoded, _)) => parse_envelope(&decoded),
            Err(reason) => SoapOutcome::NotSoap { reason },
        },
        None => parse_envelope(body),
    };
    crate::facts::slim(&mut soap);
    if let SoapOutcome::NotSoap { reason } = &mut soap {
        *reason = crate::secrets::redact_echoes(reason);
    }
    let excerpt = matches!(
        soap,
        SoapOutcome::NotSoap { .. } | SoapOutcome::Malformed { .. }
    )
    .then(|| excerpt(body));
    Reading { soap, excerpt }
}

/// The first characters of a body, printable, for evidence, with credentials the peer echoes redacted
/// (redacted over a wider window first, so a token cut at the edge cannot slip through).
pub fn excerpt(body: &[u8]) -> String {
    let window: String = String::from_utf8_lossy(&body[..body.len().min(4 * EXCERPT_CHARS)])
        .chars()
        .filter(|c| !c.is_control() || *c == ' ')
        .collect();
    crate::secrets::redact_echoes(&window)
        .chars()
        .take(EXCERPT_CHARS)
        .collect::<String>()
        .trim()
        .to_string()
}

struct Job {
    slot: usize,
    body: Vec<u8>,
    coding: Option<String>,
}

struct Worker {
    jobs: SyncSender<Job>,
    readings: Receiver<(usize, usize, Reading)>,
    thread: JoinHandle<()>,
}

/// Where bodies are read: here, or on a worker thread started with the first body.
pub struct SoapStage {
    threaded: bool,
    max_in_flight: usize,
    worker: Option<Worker>,
    in_flight: usize,
    done: Vec<(usize, Reading)>,
}

impl Default for SoapStage {
    /// A worker when the machine has a second core.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        SoapStage::new(cores > 1, MAX_IN_FLIGHT)
    }
}

impl SoapStage {
    pub fn new(threaded: bool, max_in_flight: usize) -> Self {
        SoapStage {
            threaded,
            max_in_flight,
            worker: None,
            in_flight: 0,
            done: Vec::new(),
        }
    }

    /// Reads the body of the message in `slot`, now or on the worker; its reading comes out of
    /// [`Self::drain`] or [`Self::finish`].
    pub fn submit(&mut self, slot: usize, body: Vec<u8>, coding: Option<String>) {
        if self.threaded && self.worker.is_none() {
            self.worker = spawn();
            self.threaded = self.worker.is_some();
        }
        let Some(worker) = &self.worker else {
            self.done.push((slot, read_body(&body, coding.as_deref())));
            return;
        };
        while self.in_flight > 0 && self.in_flight + body.len() > self.max_in_flight {
            let Ok((slot, len, reading)) = worker.readings.recv() else {
                self.worker_died();
            };
            self.in_flight -= len;
            self.done.push((slot, reading));
        }
        self.in_flight += body.len();
        let job = Job { slot, body, coding };
        if worker.jobs.send(job).is_err() {
            self.worker_died();
        }
    }

    /// The readings ready so far, in no particular order.
    pub fn drain(&mut self) -> std::vec::Drain<'_, (usize, Reading)> {
        if let Some(worker) = &self.worker {
            while let Ok((slot, len, reading)) = worker.readings.try_recv() {
                self.in_flight -= len;
                self.done.push((slot, reading));
            }
        }
        self.done.drain(..)
    }

    /// Waits for the worker and gives every reading not drained yet.
    pub fn finish(mut self) -> Vec<(usize, Reading)> {
        if let Some(Worker {
            jobs,
            readings,
            thread,
        }) = self.worker.take()
        {
            drop(jobs);
            self.done
                .extend(readings.iter().map(|(slot, _, reading)| (slot, reading)));
            if let Err(panic) = thread.join() {
                std::panic::resume_unwind(panic);
            }
        }
        self.done
    }

    /// The worker hung up early: only a panic does that, and the panic is the news.
    fn worker_died(&mut self) -> ! {
        let worker = self.worker.take().expect("a worker was running");
        drop(worker.jobs);
        match worker.thread.join() {
            Err(panic) => std::panic::resume_unwind(panic),
            Ok(()) => unreachable!("the SOAP worker stops only when its job queue closes"),
        }
    }
}

/// Starts the worker; `None` when the system will not give a thread (then bodies are read inline).
fn spawn() -> Option<Worker> {
    // The queue itself is bounded by bytes in `submit`; this bound only keeps a flood of tiny bodies
    // from queueing without limit.
    let (jobs, queue) = sync_channel::<Job>(1024);
    let (send, readings) = sync_channel::<(usize, usize, Reading)>(1024);
    let thread = std::thread::Builder::new()
        .name("soap".into())
        .spawn(move || {
            for job in queue {
                let reading = read_body(&job.body, job.coding.as_deref());
                if send.send((job.slot, job.body.len(), reading)).is_err() {
                    return;
                }
            }
        })
        .ok()?;
    Some(Worker {
        jobs,
        readings,
        thread,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const INFORM: &[u8] = br#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-0"><soap:Body><cwmp:InformResponse><MaxEnvelopes>1</MaxEnvelopes></cwmp:InformResponse></soap:Body></soap:Envelope>"#;

    fn bodies() -> Vec<(Vec<u8>, Option<String>)> {
        vec![
            (INFORM.to_vec(), None),
            (
                b"<html><body>Service Unavailable</body></html>".to_vec(),
                None,
            ),
            (b"<soap:Envelope><unclosed".to_vec(), None),
            (b"not gzip".to_vec(), Some("gzip".into())),
        ]
    }

    fn run(mut stage: SoapStage) -> Vec<(usize, Reading)> {
        let mut out = Vec::new();
        for round in 0..50 {
            for (i, (body, coding)) in bodies().into_iter().enumerate() {
                stage.submit(round * 4 + i, body, coding);
                out.extend(stage.drain());
            }
        }
        out.extend(stage.finish());
        out.sort_by_key(|(slot, _)| *slot);
        out
    }

    #[test]
    fn the_worker_reads_every_body_as_the_inline_stage_does() {
        let inline = run(SoapStage::new(false, MAX_IN_FLIGHT));
        let threaded = run(SoapStage::new(true, MAX_IN_FLIGHT));
        assert_eq!(inline.len(), 200);
        assert_eq!(inline, threaded);
        assert!(matches!(inline[0].1.soap, SoapOutcome::Envelope(_)));
        assert!(
            inline[1]
                .1
                .excerpt
                .as_deref()
                .unwrap()
                .contains("Service Unavailable")
        );
        assert!(matches!(inline[2].1.soap, SoapOutcome::Malformed { .. }));
        assert!(matches!(inline[3].1.soap, SoapOutcome::NotSoap { .. }));
    }

    #[test]
    fn bytes_in_flight_stay_under_the_bound() {
        let bound = 3 * INFORM.len();
        let mut stage = SoapStage::new(true, bound);
        for slot in 0..100 {
            stage.submit(slot, INFORM.to_vec(), None);
            assert!(stage.in_flight <= bound, "{} > {bound}", stage.in_flight);
        }
        assert_eq!(stage.drain().count() + stage.finish().len(), 100);
    }

    #[test]
    fn a_body_larger_than_the_bound_still_goes_through() {
        let mut stage = SoapStage::new(true, 10);
        stage.submit(0, INFORM.to_vec(), None);
        stage.submit(1, INFORM.to_vec(), None);
        let mut got: Vec<usize> = stage.finish().into_iter().map(|(s, _)| s).collect();
        got.sort_unstable();
        assert_eq!(got, vec![0, 1]);
    }
}
