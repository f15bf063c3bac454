//! Why a capture cannot be read at all.
//!
//! Takes: what went wrong before the first record (open, read, file header).
//! Gives: [`CaptureError`], whose `Display` is one line naming the file and the problem, as the
//! CLI prints it before exiting with status 2 (DESIGN.md §3, exit status).
//!
//! Damage after the file header is not an error but a [`super::Truncation`].

use std::fmt;
use std::io;

/// The capture cannot be read: there is nothing to diagnose.
#[derive(Debug)]
pub enum CaptureError {
    /// The file cannot be opened.
    Open { file: String, error: io::Error },
    /// Reading the file header failed (e.g. the path is a directory).
    Read { file: String, error: io::Error },
    /// The input holds no byte at all.
    Empty { file: String },
    /// The first bytes are no pcap or pcapng magic; `first_bytes` holds up to four of them.
    NotCapture { file: String, first_bytes: Vec<u8> },
    /// The input ends inside the pcap file header or the first pcapng section header.
    TruncatedHeader {
        file: String,
        format: &'static str,
        got: u64,
        need: u64,
    },
    /// The pcap file header or first pcapng section header is invalid.
    BadHeader { file: String, reason: String },
}

impl CaptureError {
    /// The file name (or `stdin`) the error is about.
    pub fn file(&self) -> &str {
        match self {
            CaptureError::Open { file, .. }
            | CaptureError::Read { file, .. }
            | CaptureError::Empty { file }
            | CaptureError::NotCapture { file, .. }
            | CaptureError::TruncatedHeader { file, .. }
            | CaptureError::BadHeader { file, .. } => file,
        }
    }
}

impl fmt::Display for CaptureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CaptureError::Open { file, error } => write!(f, "{file}: cannot open: {error}"),
            CaptureError::Read { file, error } => write!(f, "{file}: cannot read: {error}"),
            CaptureError::Empty { file } => write!(f, "{file}: empty file"),
            CaptureError::NotCapture { file, first_bytes } => {
                write!(f, "{file}: not a pcap or pcapng capture (starts with")?;
                for byte in first_bytes {
                    write!(f, " {byte:02x}")?;
                }
                write!(f, ")")
            }
            CaptureError::TruncatedHeader {
                file,
                format,
                got,
                need,
            } => write!(
                f,
                "{file}: file ends inside the {format} header ({got} of {need} bytes)"
            ),
            CaptureError::BadHeader { file, reason } => write!(f, "{file}: {reason}"),
        }
    }
}

impl std::error::Error for CaptureError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            CaptureError::Open { error, .. } | CaptureError::Read { error, .. } => Some(error),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_line_naming_the_file() {
        let not = CaptureError::NotCapture {
            file: "notes.txt".into(),
            first_bytes: vec![0x3c, 0x3f, 0x78, 0x6d],
        };
        assert_eq!(
            not.to_string(),
            "notes.txt: not a pcap or pcapng capture (starts with 3c 3f 78 6d)"
        );
        let empty = CaptureError::Empty {
            file: "empty.pcap".into(),
        };
        assert_eq!(empty.to_string(), "empty.pcap: empty file");
        let open = CaptureError::Open {
            file: "x.pcap".into(),
            error: io::Error::from(io::ErrorKind::NotFound),
        };
        assert!(open.to_string().starts_with("x.pcap: cannot open: "));
        assert!(std::error::Error::source(&open).is_some());
        let cut = CaptureError::TruncatedHeader {
            file: "c.pcap".into(),
            format: "pcap file",
            got: 10,
            need: 24,
        };
        assert_eq!(
            cut.to_string(),
            "c.pcap: file ends inside the pcap file header (10 of 24 bytes)"
        );
        assert_eq!(cut.file(), "c.pcap");
        assert!(!cut.to_string().contains('\n'));
    }
}
