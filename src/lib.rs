//! cwmp-doctor: diagnoses why a CPE fails to register with its TR-069 ACS, or to take a
//! connection request or a configuration, following the operator FAQ step by step.
//!
//! The pipeline (DESIGN.md §2) is plain functions called in order; only the edges do I/O:
//! capture → decode → flows → apps → cwmp → sessions → facts → checks → report → renderers.

pub mod apps;
pub mod capture;
pub mod cwmp;
pub mod decode;
pub mod engine;
pub mod facts;
pub mod flows;
pub mod live;
pub mod sessions;
pub mod time;
