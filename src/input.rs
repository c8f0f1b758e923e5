//! Input that may be hostile — a file the user names, a parse error quoting
//! it — kept small before it reaches memory or the terminal: files are
//! refused above a bound per kind before they are read (and read through a
//! limit in case they grow), and text quoted back is cut to a short excerpt
//! with control bytes escaped.

use std::io::Read as _;
use std::path::Path;

/// Bound on a stack manifest (`stack.toml`): real ones are under 4 KiB.
pub const MANIFEST_MAX_BYTES: u64 = 1 << 20;
/// Bound on a `--profile-file`: real ones are under 1 KiB.
pub const PROFILE_MAX_BYTES: u64 = 1 << 20;
/// Bound on a results file, an agent's report or a run's log given to
/// `merge`, `report`, `recommend` or `run --resume`: the full run of
/// `tests/fixtures/results/full.json` is 1.2 MiB, so this leaves room for a
/// merged run of some 50 such shards, and a file this size parses in well
/// under a second.
pub const RESULTS_MAX_BYTES: u64 = 64 << 20;
/// Characters of an offending line quoted in an error.
pub const EXCERPT_CHARS: usize = 200;
/// Characters of a parser's own message quoted in an error (it may quote a
/// key or a value of the file).
pub const MESSAGE_CHARS: usize = 300;

/// `n` bytes as `1.0 GiB`, `512 KiB`, `64 MiB`.
pub fn fmt_bytes(n: u64) -> String {
    const UNITS: [&str; 4] = ["B", "KiB", "MiB", "GiB"];
    let mut value = n as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 || value.fract() == 0.0 {
        format!("{value:.0} {}", UNITS[unit])
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Parses a size: bytes, or a number with `KiB`, `MiB`, `GiB` (also `K`,
/// `M`, `G`, `KB`, `MB`, `GB`, all powers of 1024), e.g. `64MiB`, `512k`.
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let shift = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 10,
        "m" | "mb" | "mib" => 20,
        "g" | "gb" | "gib" => 30,
        _ => return Err(format!("`{text}` is not a size like 16MiB, 512KiB or 1GiB")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size like 16MiB, 512KiB or 1GiB"))?;
    n.checked_mul(1 << shift)
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}`: a size above 0 and below 16 EiB"))
}

fn too_large(what: &str, size: Option<u64>, max: u64) -> std::io::Error {
    let max = fmt_bytes(max);
    let size = size.map_or_else(|| format!("over {max}"), fmt_bytes);
    std::io::Error::new(
        std::io::ErrorKind::InvalidData,
        format!("it is {size}; {what} is at most {max} here: is it the right file?"),
    )
}

/// Reads `path` as UTF-8 text, refusing it before reading when its size
/// exceeds `max` bytes (`what` names the kind of file in the refusal, e.g.
/// "a stack manifest"), and reading at most `max + 1` bytes in case it grows.
pub fn read_text(path: &Path, what: &str, max: u64) -> std::io::Result<String> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > max {
        return Err(too_large(what, Some(len), max));
    }
    read_limited(file, what, max)
}

/// Reads at most `max` bytes of UTF-8 text from `reader` (standard input),
/// refusing more.
pub fn read_limited(reader: impl std::io::Read, what: &str, max: u64) -> std::io::Result<String> {
    let mut bytes = Vec::new();
    reader.take(max + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > max {
        return Err(too_large(what, None, max));
    }
    String::from_utf8(bytes).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("it is not UTF-8 text ({})", e.utf8_error()),
        )
    })
}

/// `text` safe for a terminal: at most `max` characters (an ellipsis marks
/// a cut), every control character escaped (`\0`, `\n`, `\u{1b}`).
pub fn printable(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// Bound on an error message printed by `main`, whatever built it.
pub const ERROR_MAX_CHARS: usize = 8 * 1024;

/// A message for the terminal: newlines and tabs kept, every other control
/// character escaped, at most `max` characters (then a note of the cut).
pub fn printable_message(text: &str, max: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == max {
            out.push_str("… (cut)");
            break;
        }
        if c.is_control() && c != '\n' && c != '\t' {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
    }
    out
}

/// A parse error of `text` at byte offset `at`: `line L, column C: MESSAGE`,
/// then at most [`EXCERPT_CHARS`] of the offending line around the column,
/// control bytes escaped — never the whole line, however long.
pub fn parse_error(text: &str, at: Option<usize>, message: &str) -> String {
    let message = printable(message.trim(), MESSAGE_CHARS);
    let Some(at) = at.map(|a| floor_char(text, a.min(text.len()))) else {
        return message;
    };
    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    let line_no = text[..line_start].matches('\n').count() + 1;
    let column = text[line_start..at].chars().count() + 1;
    // Up to half the excerpt before the column, the rest after it.
    let before: Vec<char> = text[line_start..at]
        .chars()
        .rev()
        .take(EXCERPT_CHARS / 2)
        .collect();
    let cut_before = before.len() < column - 1;
    let head: String = before.into_iter().rev().collect();
    let room = EXCERPT_CHARS - head.chars().count();
    let tail = &text[at..line_end];
    let mut excerpt = String::new();
    if cut_before {
        excerpt.push('…');
    }
    excerpt.push_str(&printable(&head, EXCERPT_CHARS));
    excerpt.push_str(&printable(tail, room));
    format!("line {line_no}, column {column}: {message}\n  | {excerpt}")
}

/// A TOML error of `text`, quoted through [`parse_error`].
pub fn toml_error(text: &str, err: &toml::de::Error) -> String {
    parse_error(text, err.span().map(|s| s.start), err.message())
}

/// A JSON error, cut and escaped (serde_json names the line and column; its
/// message may quote a value of the file).
pub fn json_error(err: &serde_json::Error) -> String {
    printable(&err.to_string(), MESSAGE_CHARS)
}

fn floor_char(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printable_escapes_controls_and_cuts() {
        assert_eq!(
            printable("a\0b\r\nc\u{1b}[2J", 100),
            "a\\0b\\r\\nc\\u{1b}[2J"
        );
        assert_eq!(printable("héllo", 2), "hé…");
        assert_eq!(printable(&"x".repeat(5000), 200).chars().count(), 201);
        assert_eq!(printable_message("a\n\tb\0\u{7}", 100), "a\n\tb\\0\\u{7}");
        assert!(printable_message(&"y".repeat(20_000), ERROR_MAX_CHARS).ends_with("… (cut)"));
    }

    #[test]
    fn a_parse_error_in_a_huge_line_quotes_an_excerpt() {
        let mut text = "name = \"ok\"\n".to_string();
        text.push_str(&"\0".repeat(1 << 20));
        let err = toml::from_str::<toml::Table>(&text).unwrap_err();
        let msg = toml_error(&text, &err);
        assert!(msg.starts_with("line 2, column "), "{msg}");
        assert!(
            msg.len() < 2 * (EXCERPT_CHARS * 2 + MESSAGE_CHARS),
            "{}",
            msg.len()
        );
        assert!(!msg.contains('\0'), "{msg}");
        assert!(msg.contains("\\0\\0"), "{msg}");
    }

    #[test]
    fn the_excerpt_is_centred_on_the_column() {
        let line = format!("{}X{}", "a".repeat(500), "b".repeat(500));
        let msg = parse_error(&line, Some(500), "bad X");
        let excerpt = msg.split("| ").nth(1).unwrap();
        assert!(excerpt.starts_with('…') && excerpt.contains("aX") && excerpt.ends_with('…'));
        assert!(excerpt.chars().count() <= EXCERPT_CHARS + 2, "{excerpt}");
        assert!(msg.starts_with("line 1, column 501: bad X"), "{msg}");
        // Multi-byte text: offsets inside a character are moved to its start.
        let msg = parse_error("é=1", Some(1), "bad");
        assert!(msg.starts_with("line 1, column 1"), "{msg}");
    }

    #[test]
    fn files_above_the_bound_are_refused_before_reading() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.toml");
        let f = std::fs::File::create(&path).unwrap();
        f.set_len(1 << 30).unwrap(); // sparse: no disk used
        let err = read_text(&path, "a stack manifest", MANIFEST_MAX_BYTES).unwrap_err();
        assert_eq!(
            err.to_string(),
            "it is 1 GiB; a stack manifest is at most 1 MiB here: is it the right file?"
        );
        let err = read_limited(&b"12345"[..], "a report", 4).unwrap_err();
        assert!(err.to_string().starts_with("it is over 4 B; "), "{err}");
        assert_eq!(read_limited(&b"1234"[..], "a report", 4).unwrap(), "1234");
        assert_eq!(fmt_bytes(64 << 20), "64 MiB");
        assert_eq!(parse_size("16MiB"), Ok(16 << 20));
        assert_eq!(parse_size("512k"), Ok(512 << 10));
        assert_eq!(parse_size("100"), Ok(100));
        assert!(
            parse_size("0").is_err() && parse_size("1.5G").is_err() && parse_size("x").is_err()
        );
        assert_eq!(fmt_bytes(1536), "1.5 KiB");
    }
}
