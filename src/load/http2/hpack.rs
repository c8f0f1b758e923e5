//! The HPACK decoder of the lean HTTP/2 client (RFC 7541): decodes every
//! response header block, so the dynamic table follows the server's, and
//! hands each field to a callback (the driver keeps only `:status`).
//!
//! Built because `loona-hpack` rebuilt its Huffman decoder (two levels of
//! hash maps) for every Huffman-coded string: measured at about 80 % of the
//! lean client's CPU. Here the Huffman decoding tree is built once per
//! process, and a block whose fields are all indexed (the common response
//! once the table is warm) allocates nothing.

use std::collections::VecDeque;
use std::sync::OnceLock;

use super::huffman_table::{CODES, LENGTHS};

/// SETTINGS_HEADER_TABLE_SIZE the client leaves at its default (RFC 9113 §6.5.2).
pub const TABLE_SIZE: usize = 4096;

/// The static table (RFC 7541 Appendix A), index 1 first.
const STATIC: [(&str, &str); 61] = [
    (":authority", ""),
    (":method", "GET"),
    (":method", "POST"),
    (":path", "/"),
    (":path", "/index.html"),
    (":scheme", "http"),
    (":scheme", "https"),
    (":status", "200"),
    (":status", "204"),
    (":status", "206"),
    (":status", "304"),
    (":status", "400"),
    (":status", "404"),
    (":status", "500"),
    ("accept-charset", ""),
    ("accept-encoding", "gzip, deflate"),
    ("accept-language", ""),
    ("accept-ranges", ""),
    ("accept", ""),
    ("access-control-allow-origin", ""),
    ("age", ""),
    ("allow", ""),
    ("authorization", ""),
    ("cache-control", ""),
    ("content-disposition", ""),
    ("content-encoding", ""),
    ("content-language", ""),
    ("content-length", ""),
    ("content-location", ""),
    ("content-range", ""),
    ("content-type", ""),
    ("cookie", ""),
    ("date", ""),
    ("etag", ""),
    ("expect", ""),
    ("expires", ""),
    ("from", ""),
    ("host", ""),
    ("if-match", ""),
    ("if-modified-since", ""),
    ("if-none-match", ""),
    ("if-range", ""),
    ("if-unmodified-since", ""),
    ("last-modified", ""),
    ("link", ""),
    ("location", ""),
    ("max-forwards", ""),
    ("proxy-authenticate", ""),
    ("proxy-authorization", ""),
    ("range", ""),
    ("referer", ""),
    ("refresh", ""),
    ("retry-after", ""),
    ("server", ""),
    ("set-cookie", ""),
    ("strict-transport-security", ""),
    ("transfer-encoding", ""),
    ("user-agent", ""),
    ("vary", ""),
    ("via", ""),
    ("www-authenticate", ""),
];

/// A header block the decoder cannot read (a COMPRESSION_ERROR for the connection).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HpackError(pub &'static str);

/// The dynamic table: (name, value) entries, newest first.
type Table = VecDeque<(Box<[u8]>, Box<[u8]>)>;

/// One decoder per connection (its dynamic table is the connection's).
#[derive(Debug)]
pub struct Decoder {
    table: Table,
    /// Size of the table as RFC 7541 §4.1 counts it.
    size: usize,
    /// The largest the server may make it (our SETTINGS_HEADER_TABLE_SIZE).
    limit: usize,
    /// The server's current maximum (dynamic table size updates).
    max: usize,
    /// Scratch for Huffman-decoded strings.
    name: Vec<u8>,
    value: Vec<u8>,
}

impl Default for Decoder {
    fn default() -> Self {
        Decoder::new(TABLE_SIZE)
    }
}

fn entry_size(name: &[u8], value: &[u8]) -> usize {
    name.len() + value.len() + 32
}

/// Where a decoded string is: in the block itself or in a scratch buffer.
enum Str {
    Block(usize, usize),
    Scratch,
}

impl Decoder {
    /// A decoder whose dynamic table may hold `limit` octets.
    pub fn new(limit: usize) -> Decoder {
        Decoder {
            table: VecDeque::new(),
            size: 0,
            limit,
            max: limit,
            name: Vec::new(),
            value: Vec::new(),
        }
    }

    /// Decodes one complete header block, calling `field(name, value)` for
    /// each field in order.
    pub fn decode(
        &mut self,
        block: &[u8],
        mut field: impl FnMut(&[u8], &[u8]),
    ) -> Result<(), HpackError> {
        let mut pos = 0;
        let mut may_resize = true;
        while pos < block.len() {
            let b = block[pos];
            if b & 0x80 != 0 {
                let index = int(block, &mut pos, 7)?;
                let (name, value) = lookup(&self.table, index)?;
                field(name, value);
            } else if b & 0xe0 == 0x20 {
                if !may_resize {
                    return Err(HpackError("table size update after a field"));
                }
                let max = int(block, &mut pos, 5)?;
                if max > self.limit {
                    return Err(HpackError("table size update above our limit"));
                }
                self.max = max;
                self.evict(0);
                continue;
            } else {
                let (prefix, indexing) = if b & 0x40 != 0 { (6, true) } else { (4, false) };
                let index = int(block, &mut pos, prefix)?;
                let name = if index == 0 {
                    string(block, &mut pos, &mut self.name)?
                } else {
                    self.name.clear();
                    self.name.extend_from_slice(lookup(&self.table, index)?.0);
                    Str::Scratch
                };
                let value = string(block, &mut pos, &mut self.value)?;
                let name = match name {
                    Str::Block(a, z) => &block[a..z],
                    Str::Scratch => &self.name[..],
                };
                let value = match value {
                    Str::Block(a, z) => &block[a..z],
                    Str::Scratch => &self.value[..],
                };
                field(name, value);
                if indexing {
                    let (name, value): (Box<[u8]>, Box<[u8]>) = (name.into(), value.into());
                    self.insert(name, value);
                }
            }
            may_resize = false;
        }
        Ok(())
    }

    /// Evicts the oldest entries until `room` more octets fit under the maximum.
    fn evict(&mut self, room: usize) {
        while self.size + room > self.max {
            match self.table.pop_back() {
                Some((n, v)) => self.size -= entry_size(&n, &v),
                None => break,
            }
        }
    }

    fn insert(&mut self, name: Box<[u8]>, value: Box<[u8]>) {
        let size = entry_size(&name, &value);
        self.evict(size);
        // An entry larger than the table empties it and is not added (RFC 7541 §4.4).
        if size <= self.max {
            self.size += size;
            self.table.push_front((name, value));
        }
    }
}

/// The field at `index` of the static table, then `table` (newest first).
fn lookup(table: &Table, index: usize) -> Result<(&[u8], &[u8]), HpackError> {
    match index {
        0 => Err(HpackError("index 0")),
        1..=61 => {
            let (n, v) = STATIC[index - 1];
            Ok((n.as_bytes(), v.as_bytes()))
        }
        _ => table
            .get(index - 62)
            .map(|(n, v)| (&n[..], &v[..]))
            .ok_or(HpackError("index beyond the dynamic table")),
    }
}

/// An HPACK integer with an `n`-bit prefix at `block[*pos]` (RFC 7541 §5.1).
fn int(block: &[u8], pos: &mut usize, n: u8) -> Result<usize, HpackError> {
    let max = (1usize << n) - 1;
    let first = usize::from(*block.get(*pos).ok_or(HpackError("truncated integer"))?) & max;
    *pos += 1;
    if first < max {
        return Ok(first);
    }
    let mut value = max;
    let mut shift = 0;
    loop {
        let b = *block.get(*pos).ok_or(HpackError("truncated integer"))?;
        *pos += 1;
        if shift > 28 {
            return Err(HpackError("integer too large"));
        }
        value += usize::from(b & 0x7f) << shift;
        shift += 7;
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
}

/// A string literal at `block[*pos]` (RFC 7541 §5.2): a range of the block,
/// or Huffman-decoded into `scratch`.
fn string(block: &[u8], pos: &mut usize, scratch: &mut Vec<u8>) -> Result<Str, HpackError> {
    let huffman = block.get(*pos).ok_or(HpackError("truncated string"))? & 0x80 != 0;
    let len = int(block, pos, 7)?;
    let end = pos
        .checked_add(len)
        .filter(|&e| e <= block.len())
        .ok_or(HpackError("truncated string"))?;
    let start = *pos;
    *pos = end;
    if !huffman {
        return Ok(Str::Block(start, end));
    }
    scratch.clear();
    huffman_decode(&block[start..end], scratch)?;
    Ok(Str::Scratch)
}

/// A node of the Huffman decoding tree: children for bit 0 and bit 1, each
/// a node index, or `LEAF | symbol`.
const LEAF: u16 = 0x8000;
/// The symbol EOS (RFC 7541 §5.2: an error inside a string).
const EOS: u16 = 256;

fn tree() -> &'static [[u16; 2]] {
    static TREE: OnceLock<Vec<[u16; 2]>> = OnceLock::new();
    TREE.get_or_init(|| {
        let mut nodes: Vec<[u16; 2]> = vec![[0, 0]];
        let codes = CODES
            .iter()
            .zip(LENGTHS)
            .map(|(&c, l)| (c, l))
            .chain([(0x3fff_ffff, 30)]);
        for (symbol, (code, len)) in codes.enumerate() {
            let mut node = 0usize;
            for i in (0..len).rev() {
                let bit = ((code >> i) & 1) as usize;
                if i == 0 {
                    nodes[node][bit] = LEAF | symbol as u16;
                } else {
                    if nodes[node][bit] == 0 {
                        nodes.push([0, 0]);
                        nodes[node][bit] = (nodes.len() - 1) as u16;
                    }
                    node = usize::from(nodes[node][bit]);
                }
            }
        }
        nodes
    })
}

/// Huffman-decodes `src` onto `out`: the padding must be under 8 bits, all
/// ones (a prefix of EOS), and EOS itself must not appear.
fn huffman_decode(src: &[u8], out: &mut Vec<u8>) -> Result<(), HpackError> {
    let tree = tree();
    let mut node = 0usize;
    // Bits read since the last symbol, and whether they were all ones.
    let mut pending = 0u32;
    let mut ones = true;
    for &byte in src {
        for i in (0..8).rev() {
            let bit = (byte >> i) & 1;
            pending += 1;
            ones &= bit == 1;
            let next = tree[node][usize::from(bit)];
            if next & LEAF != 0 {
                let symbol = next & !LEAF;
                if symbol == EOS {
                    return Err(HpackError("EOS in a Huffman string"));
                }
                out.push(symbol as u8);
                node = 0;
                pending = 0;
                ones = true;
            } else {
                node = usize::from(next);
            }
        }
    }
    if pending > 7 || !ones {
        return Err(HpackError("bad Huffman padding"));
    }
    Ok(())
}

#[cfg(test)]
#[path = "hpack_tests.rs"]
mod tests;
