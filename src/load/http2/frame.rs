//! HTTP/2 frames as the lean client writes and reads them (RFC 9113 §4, §6)
//! and the request's header block, encoded once per request (HPACK,
//! RFC 7541: static-table indices and literals without indexing, no
//! Huffman coding and no dynamic table, so the block never changes and
//! every request reuses the same bytes).

/// Frame types (RFC 9113 §6).
pub const DATA: u8 = 0x0;
pub const HEADERS: u8 = 0x1;
pub const RST_STREAM: u8 = 0x3;
pub const SETTINGS: u8 = 0x4;
pub const PUSH_PROMISE: u8 = 0x5;
pub const PING: u8 = 0x6;
pub const GOAWAY: u8 = 0x7;
pub const WINDOW_UPDATE: u8 = 0x8;
pub const CONTINUATION: u8 = 0x9;

/// Frame flags.
pub const END_STREAM: u8 = 0x1;
pub const ACK: u8 = 0x1;
pub const END_HEADERS: u8 = 0x4;
pub const PADDED: u8 = 0x8;
pub const PRIORITY: u8 = 0x20;

/// SETTINGS identifiers.
pub const SETTINGS_ENABLE_PUSH: u16 = 0x2;
pub const SETTINGS_MAX_CONCURRENT_STREAMS: u16 = 0x3;
pub const SETTINGS_INITIAL_WINDOW_SIZE: u16 = 0x4;
pub const SETTINGS_MAX_FRAME_SIZE: u16 = 0x5;

/// Error codes.
pub const PROTOCOL_ERROR: u32 = 0x1;
pub const FLOW_CONTROL_ERROR: u32 = 0x3;
pub const FRAME_SIZE_ERROR: u32 = 0x6;
pub const CANCEL: u32 = 0x8;
pub const COMPRESSION_ERROR: u32 = 0x9;

/// Length of a frame header.
pub const HEAD: usize = 9;
/// The largest frame payload either side may send before SETTINGS say more
/// (the client never says more).
pub const DEFAULT_MAX_FRAME: usize = 16_384;
/// The connection flow-control window every connection starts with.
pub const DEFAULT_WINDOW: u32 = 65_535;

/// The client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Appends a frame header.
pub fn head(out: &mut Vec<u8>, len: usize, kind: u8, flags: u8, stream: u32) {
    let len = len as u32;
    out.extend_from_slice(&[(len >> 16) as u8, (len >> 8) as u8, len as u8, kind, flags]);
    out.extend_from_slice(&(stream & 0x7fff_ffff).to_be_bytes());
}

/// A parsed frame header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    pub len: usize,
    pub kind: u8,
    pub flags: u8,
    pub stream: u32,
}

/// Reads a frame header from the first [`HEAD`] bytes of `b`.
pub fn parse_head(b: &[u8]) -> Head {
    Head {
        len: (b[0] as usize) << 16 | (b[1] as usize) << 8 | b[2] as usize,
        kind: b[3],
        flags: b[4],
        stream: u32::from_be_bytes([b[5], b[6], b[7], b[8]]) & 0x7fff_ffff,
    }
}

/// Appends the connection preface, our SETTINGS (no push, windows of
/// `window`) and a WINDOW_UPDATE raising the connection window to `window`.
pub fn preface(out: &mut Vec<u8>, window: u32) {
    out.extend_from_slice(PREFACE);
    head(out, 12, SETTINGS, 0, 0);
    out.extend_from_slice(&SETTINGS_ENABLE_PUSH.to_be_bytes());
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&SETTINGS_INITIAL_WINDOW_SIZE.to_be_bytes());
    out.extend_from_slice(&window.to_be_bytes());
    window_update(out, 0, window - DEFAULT_WINDOW);
}

/// Appends a WINDOW_UPDATE of `increment` for `stream` (0: the connection).
pub fn window_update(out: &mut Vec<u8>, stream: u32, increment: u32) {
    head(out, 4, WINDOW_UPDATE, 0, stream);
    out.extend_from_slice(&increment.to_be_bytes());
}

/// Appends RST_STREAM with `code`.
pub fn rst_stream(out: &mut Vec<u8>, stream: u32, code: u32) {
    head(out, 4, RST_STREAM, 0, stream);
    out.extend_from_slice(&code.to_be_bytes());
}

/// Appends GOAWAY with `code` (the client never processes server streams: last id 0).
pub fn goaway(out: &mut Vec<u8>, code: u32) {
    head(out, 8, GOAWAY, 0, 0);
    out.extend_from_slice(&0u32.to_be_bytes());
    out.extend_from_slice(&code.to_be_bytes());
}

/// Appends a request's HEADERS frame (and CONTINUATIONs when `block`
/// exceeds `max_frame`), ending the stream when `end_stream`.
pub fn headers(out: &mut Vec<u8>, stream: u32, block: &[u8], end_stream: bool, max_frame: usize) {
    let first = block.len().min(max_frame);
    let es = if end_stream { END_STREAM } else { 0 };
    let eh = if first == block.len() { END_HEADERS } else { 0 };
    head(out, first, HEADERS, es | eh, stream);
    out.extend_from_slice(&block[..first]);
    let mut rest = &block[first..];
    while !rest.is_empty() {
        let n = rest.len().min(max_frame);
        let eh = if n == rest.len() { END_HEADERS } else { 0 };
        head(out, n, CONTINUATION, eh, stream);
        out.extend_from_slice(&rest[..n]);
        rest = &rest[n..];
    }
}

/// Appends a DATA frame.
pub fn data(out: &mut Vec<u8>, stream: u32, payload: &[u8], end_stream: bool) {
    head(
        out,
        payload.len(),
        DATA,
        if end_stream { END_STREAM } else { 0 },
        stream,
    );
    out.extend_from_slice(payload);
}

/// The payload without its padding (PADDED flag) and, for HEADERS, without
/// the priority fields (PRIORITY flag); None when the padding is malformed.
pub fn unpad<'a>(h: &Head, payload: &'a [u8]) -> Option<&'a [u8]> {
    let mut p = payload;
    if h.flags & PADDED != 0 {
        let (&pad, rest) = p.split_first()?;
        p = rest.get(..rest.len().checked_sub(pad as usize)?)?;
    }
    if h.kind == HEADERS && h.flags & PRIORITY != 0 {
        p = p.get(5..)?;
    }
    Some(p)
}

/// HPACK integer with an `n`-bit prefix, the first byte's high bits `first`.
fn int(out: &mut Vec<u8>, first: u8, n: u8, v: usize) {
    let max = (1usize << n) - 1;
    if v < max {
        out.push(first | v as u8);
        return;
    }
    out.push(first | max as u8);
    let mut v = v - max;
    while v >= 128 {
        out.push((v % 128) as u8 | 0x80);
        v /= 128;
    }
    out.push(v as u8);
}

/// HPACK string literal, not Huffman-coded.
fn string(out: &mut Vec<u8>, s: &[u8]) {
    int(out, 0, 7, s.len());
    out.extend_from_slice(s);
}

/// Literal field without indexing whose name is static-table entry `index`.
fn literal_indexed_name(out: &mut Vec<u8>, index: usize, value: &[u8]) {
    int(out, 0, 4, index);
    string(out, value);
}

/// The HPACK header block of a request: pseudo-headers first, `headers`
/// (names already lower case) after.
pub fn request_block<'a>(
    method: &str,
    scheme: &str,
    authority: &str,
    path: &str,
    headers: impl Iterator<Item = (&'a str, &'a [u8])>,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(64);
    match method {
        "GET" => int(&mut out, 0x80, 7, 2),
        "POST" => int(&mut out, 0x80, 7, 3),
        m => literal_indexed_name(&mut out, 2, m.as_bytes()),
    }
    match scheme {
        "https" => int(&mut out, 0x80, 7, 7),
        _ => int(&mut out, 0x80, 7, 6),
    }
    literal_indexed_name(&mut out, 1, authority.as_bytes());
    match path {
        "/" => int(&mut out, 0x80, 7, 4),
        p => literal_indexed_name(&mut out, 4, p.as_bytes()),
    }
    for (name, value) in headers {
        out.push(0);
        string(&mut out, name.as_bytes());
        string(&mut out, value);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(block: &[u8]) -> Vec<(String, String)> {
        let mut d = loona_hpack::Decoder::new();
        d.decode(block)
            .unwrap()
            .into_iter()
            .map(|(n, v)| (String::from_utf8(n).unwrap(), String::from_utf8(v).unwrap()))
            .collect()
    }

    #[test]
    fn request_block_decodes_to_the_request() {
        let long = "v".repeat(300);
        let block = request_block(
            "GET",
            "http",
            "127.0.0.1:8080",
            "/plaintext?q=1",
            [("x-a", b"1".as_slice()), ("x-long", long.as_bytes())].into_iter(),
        );
        let pairs = decode(&block);
        let want: Vec<(String, String)> = [
            (":method", "GET"),
            (":scheme", "http"),
            (":authority", "127.0.0.1:8080"),
            (":path", "/plaintext?q=1"),
            ("x-a", "1"),
            ("x-long", long.as_str()),
        ]
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
        assert_eq!(pairs, want);
        let block = request_block("DELETE", "https", "h:1", "/", std::iter::empty());
        assert_eq!(
            decode(&block),
            [
                (":method", "DELETE"),
                (":scheme", "https"),
                (":authority", "h:1"),
                (":path", "/")
            ]
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect::<Vec<_>>()
        );
    }

    #[test]
    fn frame_heads_round_trip_and_headers_split_into_continuations() {
        let mut out = Vec::new();
        let block: Vec<u8> = (0..40u8).collect();
        headers(&mut out, 7, &block, true, 16);
        let mut frames = Vec::new();
        let mut rest = &out[..];
        while !rest.is_empty() {
            let h = parse_head(rest);
            frames.push((h, rest[HEAD..HEAD + h.len].to_vec()));
            rest = &rest[HEAD + h.len..];
        }
        let kinds: Vec<(u8, u8, usize)> = frames
            .iter()
            .map(|(h, _)| (h.kind, h.flags, h.len))
            .collect();
        assert_eq!(
            kinds,
            [
                (HEADERS, END_STREAM, 16),
                (CONTINUATION, 0, 16),
                (CONTINUATION, END_HEADERS, 8)
            ]
        );
        assert!(frames.iter().all(|(h, _)| h.stream == 7));
        let joined: Vec<u8> = frames.into_iter().flat_map(|(_, p)| p).collect();
        assert_eq!(joined, block);
    }

    #[test]
    fn unpad_strips_padding_and_priority() {
        let h = Head {
            len: 0,
            kind: HEADERS,
            flags: PADDED | PRIORITY,
            stream: 1,
        };
        let payload = [2u8, 0, 0, 0, 0, 9, b'a', b'b', 0, 0];
        assert_eq!(unpad(&h, &payload), Some(&b"ab"[..]));
        let bad = [9u8, 1, 2];
        assert_eq!(
            unpad(
                &Head {
                    kind: DATA,
                    flags: PADDED,
                    ..h
                },
                &bad
            ),
            None
        );
    }
}
