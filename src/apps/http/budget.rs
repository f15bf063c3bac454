//! The bytes all open HTTP messages of one pass may store together.
//!
//! Takes: what each HTTP direction holds (the head being read, the body being stored). Gives: how much
//! more a body may store, whether a head may grow, and how often either was refused. Follows DESIGN.md §6
//! (peak memory ≤ 64 MiB whatever the capture's size): [`crate::apps::http::MAX_BODY`] alone lets the
//! [`crate::flows::table::MAX_LIVE`] connections of a hostile capture store 256 GiB.
//!
//! Invariants:
//! - One budget per pass (owned by the engine's stream sink), never process-global: passes run in
//!   parallel threads.
//! - What is charged is allocated capacity, not content length, so the bound holds for the heap.
//! - Bodies stop being stored when the open messages hold [`BODY_SHARE`] of the budget; the rest is kept
//!   for heads, so messages keep being found and reported when bodies have taken their share.
//! - `used` is the sum of what every open direction was charged: 0 once every connection was closed
//!   (checked in debug builds at the end of the pass).

/// Bytes all open HTTP messages (heads being read and bodies being stored) hold together: with the
/// out-of-order budget (16 MiB) and the tables this keeps a pass under 64 MiB, and it still holds
/// hundreds of ordinary CWMP bodies open at once (an Inform is a few KiB, a full parameter dump a few
/// hundred).
pub const HTTP_BUDGET: usize = 24 * 1024 * 1024;

/// The part of [`HTTP_BUDGET`] bodies may fill: the last eighth is for heads only.
pub const BODY_SHARE: usize = HTTP_BUDGET - HTTP_BUDGET / 8;

/// Stored HTTP bytes of one pass.
#[derive(Debug)]
pub struct HttpBudget {
    limit: usize,
    used: usize,
    /// Messages whose body was not stored whole because bodies held their share.
    pub bodies_cut: u64,
    /// Message heads given up because heads and bodies held the whole budget.
    pub heads_dropped: u64,
}

impl Default for HttpBudget {
    fn default() -> Self {
        HttpBudget::new(HTTP_BUDGET)
    }
}

impl HttpBudget {
    /// A budget of `limit` bytes, of which bodies may fill seven eighths.
    pub fn new(limit: usize) -> Self {
        HttpBudget {
            limit,
            used: 0,
            bodies_cut: 0,
            heads_dropped: 0,
        }
    }

    /// Bytes charged now.
    pub fn used(&self) -> usize {
        self.used
    }

    /// How many more bytes a body may take.
    pub fn body_room(&self) -> usize {
        (self.limit - self.limit / 8).saturating_sub(self.used)
    }

    /// True when heads and bodies together hold more than the budget.
    pub fn over(&self) -> bool {
        self.used > self.limit
    }

    /// Brings one direction's charge (`charged`) to what it holds now.
    pub fn settle(&mut self, charged: &mut usize, held: usize) {
        debug_assert!(*charged <= self.used, "charged {charged} of {}", self.used);
        self.used = self.used.saturating_sub(*charged) + held;
        *charged = held;
    }
}

/// Appends what `budget` and [`crate::apps::http::MAX_BODY`] allow of `bytes` to `body`, whose
/// direction is charged `charged`. Capacity grows by doubling as `Vec` does, but never past the room the
/// budget has. Returns false, storing nothing, when the budget has no room for the bytes: the body is then
/// cut. Bytes beyond `MAX_BODY` are silently left out (the caller notices the length).
pub fn store(
    body: &mut Vec<u8>,
    bytes: &[u8],
    max: usize,
    budget: &mut HttpBudget,
    charged: &mut usize,
    others: usize,
) -> bool {
    let want = bytes.len().min(max.saturating_sub(body.len()));
    let spare = body.capacity() - body.len();
    if want > spare {
        let need = want - spare;
        let room = budget.body_room();
        if need > room {
            return false;
        }
        let cap = body.capacity();
        let grow = need.max(cap.min(room).min(max.saturating_sub(cap)));
        body.reserve_exact(spare + grow);
        budget.settle(charged, others + body.capacity());
    }
    body.extend_from_slice(&bytes[..want]);
    true
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::apps::http::{BodyCut, HttpEvent};

    #[test]
    fn bodies_grow_within_their_share_and_the_charge_follows_the_capacity() {
        let mut budget = HttpBudget::new(800);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let (mut ca, mut cb) = (0, 0);
        assert!(store(&mut a, &[1; 100], 1000, &mut budget, &mut ca, 0));
        assert_eq!((a.capacity(), budget.used()), (100, 100));
        assert!(store(&mut a, &[1; 50], 1000, &mut budget, &mut ca, 0));
        assert_eq!(a.capacity(), 200, "doubled");
        assert_eq!(budget.used(), 200);
        assert!(store(&mut b, &[2; 400], 1000, &mut budget, &mut cb, 0));
        assert_eq!(budget.used(), 600);
        assert_eq!(budget.body_room(), 100, "bodies may fill 700 of 800");
        assert!(store(&mut a, &[1; 120], 1000, &mut budget, &mut ca, 0));
        assert_eq!(
            a.capacity(),
            300,
            "grew by the room left, less than doubling"
        );
        assert!(
            !store(&mut b, &[2; 1], 1000, &mut budget, &mut cb, 0),
            "no room left for bodies"
        );
        assert_eq!((b.len(), budget.used()), (400, 700));
        assert!(!budget.over());
        budget.settle(&mut ca, 0);
        budget.settle(&mut cb, 0);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_body_keeps_at_most_max_bytes_and_the_rest_is_left_out() {
        let mut budget = HttpBudget::default();
        let mut body = Vec::new();
        let mut charged = 0;
        assert!(store(&mut body, &[7; 30], 16, &mut budget, &mut charged, 0));
        assert!(store(&mut body, &[7; 30], 16, &mut budget, &mut charged, 0));
        assert_eq!((body.len(), body.capacity(), budget.used()), (16, 16, 16));
    }

    /// Connections sharing one budget, fed whole deliveries from the client side.
    mod conns {
        use crate::apps::http::{BodyCut, HttpBudget, HttpConn, HttpEvent, HttpMessage};
        use crate::decode::TcpFlags;
        use crate::flows::{At, ConnFacts, Delivery};
        use crate::time::Timestamp;

        pub struct Conns {
            pub budget: HttpBudget,
            conns: Vec<(ConnFacts, HttpConn)>,
            pub out: Vec<HttpEvent>,
        }

        impl Conns {
            pub fn new(n: u32, limit: usize) -> Conns {
                let at = At {
                    frame: 1,
                    ts: Timestamp::default(),
                };
                let flags = TcpFlags {
                    syn: true,
                    ..Default::default()
                };
                let conns = (0..n)
                    .map(|i| {
                        let cli = format!("203.0.113.7:{}", 50000 + i).parse().unwrap();
                        let c = ConnFacts::new(
                            i,
                            cli,
                            "198.51.100.20:7547".parse().unwrap(),
                            flags,
                            at,
                        );
                        (c, HttpConn::default())
                    })
                    .collect();
                Conns {
                    budget: HttpBudget::new(limit),
                    conns,
                    out: Vec::new(),
                }
            }
            pub fn send(&mut self, conn: usize, bytes: &[u8], frame: u64) {
                let d = Delivery::Data {
                    bytes,
                    frame,
                    ts: Timestamp::default(),
                    trigger: frame,
                };
                let (c, http) = &mut self.conns[conn];
                http.deliver(c, true, d, &mut self.budget, &mut self.out);
            }
            pub fn close(&mut self, conn: usize) {
                let (c, http) = &mut self.conns[conn];
                http.close(c, &mut self.budget, &mut self.out);
            }
            pub fn message(&self, conn: u32) -> &HttpMessage {
                self.out
                    .iter()
                    .find_map(|e| match e {
                        HttpEvent::Message(m) if m.conn == conn => Some(&**m),
                        _ => None,
                    })
                    .expect("a message")
            }
            pub fn cut(&self, conn: u32) -> Option<BodyCut> {
                self.message(conn).body_cut
            }
        }
    }

    fn post(len: usize) -> Vec<u8> {
        format!("POST /acs HTTP/1.1\r\nContent-Length: {len}\r\n\r\n").into_bytes()
    }

    #[test]
    fn beyond_the_bodies_share_a_body_is_counted_not_stored_and_says_why() {
        let mut c = conns::Conns::new(3, 8 * 1024);
        c.send(0, &post(6 * 1024), 1);
        c.send(0, &[b'a'; 5 * 1024], 2);
        c.send(1, &post(100_000), 3);
        c.send(1, &[b'b'; 4 * 1024], 4);
        c.send(1, &[b'b'; 4 * 1024], 5);
        c.send(0, &[b'a'; 1024], 6);
        assert_eq!(c.cut(0), None, "completed within the budget");
        assert_eq!(c.message(0).body.len(), 6 * 1024);
        assert_eq!(
            c.budget.used(),
            0,
            "a completed message gives its bytes back"
        );
        c.send(2, &post(2048), 7);
        c.send(2, &[b'c'; 2048], 8);
        assert_eq!(
            c.cut(2),
            None,
            "room again once the first message completed"
        );
        c.close(1);
        let m = c.message(1);
        assert_eq!(m.body_cut, Some(BodyCut::Budget));
        assert_eq!(m.body_len, 8 * 1024, "counted");
        assert!(m.body.is_empty(), "not stored");
        assert_eq!(c.budget.bodies_cut, 1);
        assert!(
            BodyCut::Budget
                .describe()
                .starts_with("body not kept: more than 21 MiB of HTTP bodies were open at once")
        );
        c.close(0);
        c.close(2);
        assert_eq!(c.budget.used(), 0);
    }

    #[test]
    fn a_head_that_would_overfill_the_budget_is_given_up_and_the_connection_reads_on() {
        let mut c = conns::Conns::new(2, 1024);
        c.send(0, &post(100_000), 1);
        for _ in 0..9 {
            c.send(0, &[b'a'; 100], 2);
        }
        assert_eq!(
            c.budget.used(),
            800,
            "the body took what bodies may, 896 of 1024"
        );
        let mut head = b"POST /acs HTTP/1.1\r\nX-Pad: ".to_vec();
        head.extend([b'p'; 400]);
        c.send(1, &head, 3);
        assert_eq!(c.budget.heads_dropped, 1);
        let problem = c.out.iter().find_map(|e| match e {
            HttpEvent::Problem { reason, .. } => Some(reason.as_str()),
            HttpEvent::Message(_) => None,
        });
        assert_eq!(
            problem,
            Some("message head not kept: more than 24 MiB of HTTP messages were open at once")
        );
        c.close(0);
        assert_eq!(c.cut(0), Some(BodyCut::Budget));
        c.send(1, &post(0), 4);
        assert_eq!(c.message(1).summary(), "POST /acs", "the next head is read");
        c.close(1);
        assert_eq!(c.budget.used(), 0);
    }
}
