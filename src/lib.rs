//! cwmp-doctor: diagnoses why a CPE fails to register with its TR-069 ACS, or to take a
//! connection request or a configuration, following the operator FAQ step by step.
//!
//! The pipeline (DESIGN.md §2) is plain functions called in order; only the edges do I/O:
//! capture → decode → flows → apps → cwmp → sessions → facts → checks → report → renderers.

pub mod apps;
pub mod capture;
pub mod checks;
pub mod cli;
pub mod config;
pub mod cwmp;
pub mod decode;
pub mod diagnose;
pub mod engine;
pub mod evidence_pcap;
pub mod facts;
pub mod flows;
pub mod interned;
pub mod live;
pub mod report;
pub mod secrets;
pub mod sessions;
pub mod time;
