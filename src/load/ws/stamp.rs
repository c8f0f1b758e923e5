//! The send time (`ts`, microseconds since the plan's time zero) of a chat
//! frame the server broadcast back. The servers relay our frames byte for
//! byte (spec/ws-chat.md), so nearly every frame has the exact shape the
//! writers produce, `{"id":"<client>-<k>","ts":<digits>}`: that shape is read
//! without a JSON parser; anything else goes through `serde_json`, so a frame
//! is accepted or refused exactly as the JSON reading alone would.

use serde::Deserialize;

#[derive(Deserialize)]
struct Stamp {
    ts: u64,
}

/// The `ts` of a text frame's payload, or `None` when it is not a JSON
/// object with an unsigned integer `ts` (a malformed frame).
pub(crate) fn parse_ts(payload: &str) -> Option<u64> {
    match own_shape(payload.as_bytes()) {
        Some(ts) => Some(ts),
        None => serde_json::from_str::<Stamp>(payload).ok().map(|s| s.ts),
    }
}

/// `ts` of `{"id":"<no quote, backslash or control byte>","ts":<1-20 digits>}`
/// (the writers' own shape), `None` for anything else, including a `ts` that
/// does not fit a `u64` or has a leading zero (left to the JSON reading).
fn own_shape(b: &[u8]) -> Option<u64> {
    let rest = b.strip_prefix(br#"{"id":""#)?;
    let end = rest.iter().position(|&c| c == b'"')?;
    if rest[..end].iter().any(|&c| c == b'\\' || c < 0x20) {
        return None;
    }
    let digits = rest[end + 1..]
        .strip_prefix(br#","ts":"#)?
        .strip_suffix(b"}")?;
    if digits.is_empty() || (digits.len() > 1 && digits[0] == b'0') {
        return None;
    }
    let mut ts: u64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        ts = ts.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
    }
    Some(ts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by_json(payload: &str) -> Option<u64> {
        serde_json::from_str::<Stamp>(payload).ok().map(|s| s.ts)
    }

    #[test]
    fn the_writers_own_frames_are_read_without_json() {
        assert_eq!(own_shape(br#"{"id":"12-3","ts":456}"#), Some(456));
        assert_eq!(own_shape(br#"{"id":"0-0","ts":0}"#), Some(0));
        assert_eq!(
            own_shape(br#"{"id":"9-9","ts":18446744073709551615}"#),
            Some(u64::MAX)
        );
    }

    #[test]
    fn other_shapes_fall_back_to_the_json_reading() {
        for payload in [
            r#"{"id":"1-2","ts":18446744073709551616}"#, // beyond u64
            r#"{"id":"1-2","ts":007}"#,
            r#"{"id":"1-2","ts":-1}"#,
            r#"{"id":"1-2","ts":1.5}"#,
            r#"{"id":"1-2","ts":}"#,
            r#"{"id":"a\"b","ts":5}"#,
            r#"{ "id": "1-2", "ts": 5 }"#,
            r#"{"ts":5,"id":"1-2"}"#,
            r#"{"id":"1-2","ts":5,"room":"r"}"#,
            r#"{"id":"1-2","ts":"5"}"#,
            r#"{"id":"1-2"}"#,
            "not json",
            "",
        ] {
            assert_eq!(own_shape(payload.as_bytes()), None, "{payload}");
            assert_eq!(parse_ts(payload), by_json(payload), "{payload}");
        }
        assert_eq!(parse_ts(r#"{ "id": "1-2", "ts": 5 }"#), Some(5));
        assert_eq!(parse_ts(r#"{"id":"1-2","ts":5,"room":"r"}"#), Some(5));
        assert_eq!(parse_ts(r#"{"id":"1-2","ts":007}"#), None);
    }

    #[test]
    fn agrees_with_the_json_reading_on_every_writer_frame() {
        // The writers' format string, over ids and stamps of every length.
        let mut ts = 1u64;
        for client in [0usize, 7, 12_345, usize::MAX] {
            for k in [0u64, 1, 99, 1 << 40] {
                for _ in 0..20 {
                    let text = format!(r#"{{"id":"{client}-{k}","ts":{ts}}}"#);
                    assert_eq!(own_shape(text.as_bytes()), Some(ts), "{text}");
                    assert_eq!(parse_ts(&text), by_json(&text), "{text}");
                    ts = ts.wrapping_mul(7).wrapping_add(3);
                }
            }
        }
    }

    #[test]
    fn truncated_frames_are_malformed_either_way() {
        let text = r#"{"id":"3-4","ts":123456}"#;
        for cut in 0..text.len() {
            assert_eq!(parse_ts(&text[..cut]), None, "{}", &text[..cut]);
        }
    }
}
