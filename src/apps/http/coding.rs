//! HTTP content codings (RFC 9110 §8.4.1): the gzip and deflate bodies CWMP Amd 5 allows
//! (`HTTPCompression`), decoded with `flate2`.
//!
//! Takes: a `Content-Encoding` value and the body as captured. Gives: the decoded body, at most
//! [`MAX_BODY`] bytes of it (a compressed body may expand a thousandfold: the output is bounded, not the
//! input trusted), or why it cannot be decoded.

use std::io::Read;

use crate::apps::http::MAX_BODY;

/// The decoded body and whether it was cut at [`MAX_BODY`].
pub fn decode(coding: &str, body: &[u8]) -> Result<(Vec<u8>, bool), String> {
    let coding = coding.trim().to_ascii_lowercase();
    let mut reader: Box<dyn Read + '_> = match coding.as_str() {
        "gzip" | "x-gzip" => Box::new(flate2::read::GzDecoder::new(body)),
        // "deflate" is zlib-wrapped by the RFC; some stacks send raw deflate anyway.
        "deflate" if body.first().is_some_and(|b| b & 0x0f == 8) => {
            Box::new(flate2::read::ZlibDecoder::new(body))
        }
        "deflate" => Box::new(flate2::read::DeflateDecoder::new(body)),
        other => return Err(format!("body encoded with {other}, which is not decoded")),
    };
    let mut out = Vec::new();
    (&mut reader)
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| format!("{coding} body that does not decode: {e}"))?;
    let capped = out.len() > MAX_BODY;
    out.truncate(MAX_BODY);
    Ok((out, capped))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(data).unwrap();
        e.finish().unwrap()
    }

    #[test]
    fn gzip_and_both_deflate_forms_decode() {
        let soap = b"<soap:Envelope>...</soap:Envelope>";
        assert_eq!(decode("gzip", &gzip(soap)).unwrap(), (soap.to_vec(), false));
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        z.write_all(soap).unwrap();
        assert_eq!(decode("deflate", &z.finish().unwrap()).unwrap().0, soap);
        let mut raw =
            flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
        raw.write_all(soap).unwrap();
        assert_eq!(decode("Deflate", &raw.finish().unwrap()).unwrap().0, soap);
    }

    #[test]
    fn a_compression_bomb_stops_at_the_body_cap() {
        let bomb = gzip(&vec![b'a'; MAX_BODY * 3]);
        assert!(bomb.len() < MAX_BODY / 100);
        let (out, capped) = decode("gzip", &bomb).unwrap();
        assert_eq!(out.len(), MAX_BODY);
        assert!(capped);
    }

    #[test]
    fn garbage_and_unknown_codings_say_why() {
        assert!(
            decode("gzip", b"not gzip")
                .unwrap_err()
                .contains("does not decode")
        );
        assert!(decode("br", b"x").unwrap_err().contains("br"));
    }
}
