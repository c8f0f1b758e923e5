//! Tests of the HPACK decoder: RFC 7541's response examples (Appendix C.5
//! without Huffman coding, C.6 with), every octet through the Huffman code,
//! and malformed blocks refused.

use super::*;

fn fields(d: &mut Decoder, block: &[u8]) -> Result<Vec<(String, String)>, HpackError> {
    let mut out = Vec::new();
    d.decode(block, |n, v| {
        out.push((
            String::from_utf8(n.to_vec()).unwrap(),
            String::from_utf8(v.to_vec()).unwrap(),
        ));
    })?;
    Ok(out)
}

fn list(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect()
}

fn table(d: &Decoder) -> Vec<(String, String)> {
    d.table
        .iter()
        .map(|(n, v)| {
            (
                String::from_utf8(n.to_vec()).unwrap(),
                String::from_utf8(v.to_vec()).unwrap(),
            )
        })
        .collect()
}

#[test]
fn rfc7541_c6_responses_with_huffman_and_eviction() {
    let mut d = Decoder::new(256);
    let c61 = [
        0x48, 0x82, 0x64, 0x02, 0x58, 0x85, 0xae, 0xc3, 0x77, 0x1a, 0x4b, 0x61, 0x96, 0xd0, 0x7a,
        0xbe, 0x94, 0x10, 0x54, 0xd4, 0x44, 0xa8, 0x20, 0x05, 0x95, 0x04, 0x0b, 0x81, 0x66, 0xe0,
        0x82, 0xa6, 0x2d, 0x1b, 0xff, 0x6e, 0x91, 0x9d, 0x29, 0xad, 0x17, 0x18, 0x63, 0xc7, 0x8f,
        0x0b, 0x97, 0xc8, 0xe9, 0xae, 0x82, 0xae, 0x43, 0xd3,
    ];
    let first = [
        (":status", "302"),
        ("cache-control", "private"),
        ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
        ("location", "https://www.example.com"),
    ];
    assert_eq!(fields(&mut d, &c61).unwrap(), list(&first));
    assert_eq!(d.size, 222);

    let c62 = [0x48, 0x83, 0x64, 0x0e, 0xff, 0xc1, 0xc0, 0xbf];
    let mut second = first;
    second[0] = (":status", "307");
    assert_eq!(fields(&mut d, &c62).unwrap(), list(&second));
    assert_eq!(
        table(&d),
        list(&[
            (":status", "307"),
            ("location", "https://www.example.com"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("cache-control", "private"),
        ])
    );

    let c63 = [
        0x88, 0xc1, 0x61, 0x96, 0xd0, 0x7a, 0xbe, 0x94, 0x10, 0x54, 0xd4, 0x44, 0xa8, 0x20, 0x05,
        0x95, 0x04, 0x0b, 0x81, 0x66, 0xe0, 0x84, 0xa6, 0x2d, 0x1b, 0xff, 0xc0, 0x5a, 0x83, 0x9b,
        0xd9, 0xab, 0x77, 0xad, 0x94, 0xe7, 0x82, 0x1d, 0xd7, 0xf2, 0xe6, 0xc7, 0xb3, 0x35, 0xdf,
        0xdf, 0xcd, 0x5b, 0x39, 0x60, 0xd5, 0xaf, 0x27, 0x08, 0x7f, 0x36, 0x72, 0xc1, 0xab, 0x27,
        0x0f, 0xb5, 0x29, 0x1f, 0x95, 0x87, 0x31, 0x60, 0x65, 0xc0, 0x03, 0xed, 0x4e, 0xe5, 0xb1,
        0x06, 0x3d, 0x50, 0x07,
    ];
    let cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
    assert_eq!(
        fields(&mut d, &c63).unwrap(),
        list(&[
            (":status", "200"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
            ("location", "https://www.example.com"),
            ("content-encoding", "gzip"),
            ("set-cookie", cookie),
        ])
    );
    assert_eq!(
        table(&d),
        list(&[
            ("set-cookie", cookie),
            ("content-encoding", "gzip"),
            ("date", "Mon, 21 Oct 2013 20:13:22 GMT"),
        ])
    );
    assert_eq!(d.size, 215);
}

#[test]
fn rfc7541_c5_first_response_without_huffman() {
    let mut d = Decoder::new(256);
    let mut block = vec![0x48, 0x03];
    block.extend_from_slice(b"302");
    block.extend_from_slice(&[0x58, 0x07]);
    block.extend_from_slice(b"private");
    block.extend_from_slice(&[0x61, 0x1d]);
    block.extend_from_slice(b"Mon, 21 Oct 2013 20:13:21 GMT");
    block.extend_from_slice(&[0x6e, 0x17]);
    block.extend_from_slice(b"https://www.example.com");
    assert_eq!(
        fields(&mut d, &block).unwrap(),
        list(&[
            (":status", "302"),
            ("cache-control", "private"),
            ("date", "Mon, 21 Oct 2013 20:13:21 GMT"),
            ("location", "https://www.example.com"),
        ])
    );
    assert_eq!(d.size, 222);
}

/// Huffman-encodes `src` with the code table (the test's own encoder).
fn encode(src: &[u8]) -> Vec<u8> {
    let (mut acc, mut bits, mut out) = (0u64, 0u32, Vec::new());
    for &b in src {
        acc = acc << LENGTHS[b as usize] | u64::from(CODES[b as usize]);
        bits += u32::from(LENGTHS[b as usize]);
        while bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    if bits > 0 {
        out.push((acc << (8 - bits) | (0xff >> bits)) as u8);
    }
    out
}

#[test]
fn every_octet_round_trips_through_the_huffman_code() {
    let all: Vec<u8> = (0..=255).collect();
    let mut out = Vec::new();
    huffman_decode(&encode(&all), &mut out).unwrap();
    assert_eq!(out, all);
    for s in [&b""[..], b"0", b"text/plain", b"Hello, World!"] {
        out.clear();
        huffman_decode(&encode(s), &mut out).unwrap();
        assert_eq!(out, s);
    }
}

#[test]
fn bad_huffman_padding_and_eos_are_refused() {
    let mut out = Vec::new();
    // '0' is 00000 (5 bits): padded with zeros instead of ones.
    assert!(huffman_decode(&[0x00], &mut out).is_err());
    // A whole byte of padding (over 7 bits).
    let mut long = encode(b"0");
    long.push(0xff);
    assert!(huffman_decode(&long, &mut out).is_err());
    // EOS: 30 ones.
    assert!(huffman_decode(&[0xff, 0xff, 0xff, 0xff], &mut out).is_err());
}

#[test]
fn malformed_blocks_are_refused() {
    let mut d = Decoder::default();
    let no = |d: &mut Decoder, b: &[u8]| d.decode(b, |_, _| {}).is_err();
    assert!(no(&mut d, &[0x80]), "index 0");
    assert!(no(&mut d, &[0xbe]), "index 62 with an empty dynamic table");
    assert!(
        no(&mut d, &[0x58, 0x05, b'a']),
        "string longer than the block"
    );
    assert!(no(&mut d, &[0xff]), "truncated integer");
    assert!(no(&mut d, &[0x3f, 0xe2, 0x1f]), "size update to 4097");
    assert!(no(&mut d, &[0x88, 0x20]), "size update after a field");
    // A size update to 0 first empties the table.
    fields(&mut d, &[0x58, 0x01, b'x']).unwrap();
    assert_eq!(d.size, 13 + 1 + 32);
    fields(&mut d, &[0x20, 0x88]).unwrap();
    assert_eq!((d.size, d.table.len()), (0, 0));
}
