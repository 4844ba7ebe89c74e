//! Reading grpc-web responses as a browser client does; shared by the `serve` and `edge` suites.

use std::collections::BTreeMap;

/// The frames of a grpc-web body: `(flags, payload)`.
pub(crate) fn grpc_web_frames(body: &[u8]) -> Vec<(u8, Vec<u8>)> {
    let mut frames = Vec::new();
    let mut rest = body;
    while !rest.is_empty() {
        assert!(rest.len() >= 5, "truncated grpc-web frame header: {rest:?}");
        let length = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]) as usize;
        assert!(rest.len() >= 5 + length, "truncated grpc-web frame: {rest:?}");
        frames.push((rest[0], rest[5..5 + length].to_vec()));
        rest = &rest[5 + length..];
    }
    frames
}

/// `name:value` lines of a grpc-web trailer frame, names lower-cased.
pub(crate) fn parse_trailer_block(block: &[u8]) -> BTreeMap<String, String> {
    String::from_utf8_lossy(block)
        .split("\r\n")
        .filter(|line| !line.is_empty())
        .map(|line| {
            let (name, value) = line.split_once(':').expect("a `name:value` trailer line");
            (name.trim().to_ascii_lowercase(), value.trim().to_owned())
        })
        .collect()
}

/// The gRPC status of a grpc-web response, as a grpc-web client reads it: the trailer frame of
/// the body when there is one, else the headers of a trailers-only response.
pub(crate) fn grpc_web_status(
    headers: &http::HeaderMap,
    frames: &[(u8, Vec<u8>)],
) -> BTreeMap<String, String> {
    if let Some((_, block)) = frames.iter().find(|(flags, _)| flags & 0x80 != 0) {
        return parse_trailer_block(block);
    }
    headers
        .iter()
        .filter(|(name, _)| name.as_str().starts_with("grpc-"))
        .map(|(name, value)| (name.as_str().to_owned(), value.to_str().unwrap().to_owned()))
        .collect()
}
