//! TCP: connections and their reassembled byte streams (RFC 9293).
//!
//! Takes: decoded TCP segments with their frame numbers. Gives: per-connection facts (handshake, FIN/RST,
//! gaps, retransmissions — [`conn::ConnFacts`]) and, for the connections the application layer recognises
//! by content, in-order bytes that still know the frames that carried them ([`assembler::Delivery`]).

pub mod assembler;
pub mod budget;
pub mod conn;
pub mod table;
pub mod watch;

pub use assembler::Delivery;
pub use budget::PendingBudget;
pub use conn::{AppKind, At, ConnFacts, Reset, RoleSource};
pub use table::{FlowTable, Interest, StreamSink, TableStats};
