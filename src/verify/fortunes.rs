//! The `/fortunes` page: rows parsed out of the HTML table, entities
//! decoded, and compared with `spec/schema.sql` plus the request-time row.

use super::expect::FORTUNES;

/// One `<tr><td>id</td><td>message</td></tr>` row, as sent (still escaped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRow {
    pub id: String,
    pub message: String,
}

/// The data rows of the page's table (rows with `<th>` cells are skipped).
pub fn parse_rows(html: &str) -> Result<Vec<RawRow>, String> {
    let lower = html.to_ascii_lowercase();
    let mut rows = Vec::new();
    let mut pos = 0;
    while let Some(start) = find_tag(&lower, "tr", pos) {
        let end = lower[start..]
            .find("</tr>")
            .map(|i| start + i)
            .ok_or_else(|| "a <tr> without its </tr>".to_string())?;
        pos = end + 5;
        if find_tag(&lower[..end], "th", start).is_some() {
            continue;
        }
        let mut cells = Vec::new();
        let mut cpos = start;
        while let Some(td) = find_tag(&lower[..end], "td", cpos) {
            let open_end = lower[td..end]
                .find('>')
                .map(|i| td + i + 1)
                .ok_or_else(|| "a <td> tag not closed by `>`".to_string())?;
            let close = lower[open_end..end]
                .find("</td>")
                .map(|i| open_end + i)
                .ok_or_else(|| format!("a <td> without its </td> in {:?}", &html[start..end]))?;
            cells.push(html[open_end..close].trim().to_string());
            cpos = close + 5;
        }
        if cells.len() != 2 {
            return Err(format!(
                "expected rows of 2 cells <td>id</td><td>message</td>, got {} cell(s) in {:?}",
                cells.len(),
                &html[start..end]
            ));
        }
        let message = cells.pop().unwrap_or_default();
        let id = cells.pop().unwrap_or_default();
        rows.push(RawRow { id, message });
    }
    Ok(rows)
}

/// Position of the next `<NAME>` or `<NAME attr...>` tag at or after `from`.
fn find_tag(lower: &str, name: &str, from: usize) -> Option<usize> {
    let pat = format!("<{name}");
    let mut at = from;
    while let Some(i) = lower.get(at..)?.find(&pat) {
        let abs = at + i;
        match lower.as_bytes().get(abs + pat.len()) {
            Some(b'>') | Some(b' ') | Some(b'\t') | Some(b'\n') | Some(b'\r') => {
                return Some(abs);
            }
            _ => at = abs + pat.len(),
        }
    }
    None
}

/// Decodes the entities a template engine emits: named `&lt; &gt; &amp; &quot;
/// &apos;` and numeric `&#34; &#39; &#x27;` (any code point).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').filter(|&j| j <= 10).and_then(|j| {
            let entity = &rest[1..j];
            let ch = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => {
                    let num = entity.strip_prefix('#')?;
                    let code = match num.strip_prefix(['x', 'X']) {
                        Some(hex) => u32::from_str_radix(hex, 16).ok()?,
                        None => num.parse().ok()?,
                    };
                    char::from_u32(code)
                }
            }?;
            Some((ch, j + 1))
        });
        match decoded {
            Some((ch, len)) => {
                out.push(ch);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether the markup of every message is escaped: no raw `<script>` and no
/// raw `<`, `>` or `"` inside a message cell.
pub fn check_escaped(html: &str, rows: &[RawRow]) -> Result<(), String> {
    if html.to_ascii_lowercase().contains("<script") {
        return Err(
            "expected the <script> message escaped (&lt;script&gt;), got a raw <script> tag in the page"
                .into(),
        );
    }
    for row in rows {
        if let Some(c) = row.message.chars().find(|c| matches!(c, '<' | '>' | '"')) {
            return Err(format!(
                "expected `{c}` escaped in row id {}, got it raw: {:?}",
                row.id, row.message
            ));
        }
    }
    Ok(())
}

/// Decoded `(id, message)` rows, or the first id that is not an integer.
pub fn decode(rows: &[RawRow]) -> Result<Vec<(i64, String)>, String> {
    rows.iter()
        .map(|r| {
            r.id.parse::<i64>()
                .map(|id| (id, unescape(&r.message)))
                .map_err(|_| format!("expected an integer id, got {:?}", r.id))
        })
        .collect()
}

/// The 13 expected rows are all there with their messages (non-ASCII rows
/// are checked by [`check_non_ascii`]).
pub fn check_rows(rows: &[(i64, String)]) -> Result<(), String> {
    if rows.len() != FORTUNES.len() {
        return Err(format!(
            "expected {} rows (12 from the table + id 0 added at request time), got {}",
            FORTUNES.len(),
            rows.len()
        ));
    }
    for (id, want) in FORTUNES.iter().filter(|(_, m)| m.is_ascii()) {
        match rows.iter().find(|(got_id, _)| got_id == id) {
            None => {
                return Err(format!("expected a row id {id} {want:?}, got none"));
            }
            Some((_, got)) if got != want => {
                return Err(format!(
                    "row id {id}: expected message {want:?}, got {got:?}"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// The rows carrying non-ASCII text (ids 6, 8, 12) arrive intact as UTF-8.
pub fn check_non_ascii(rows: &[(i64, String)]) -> Result<(), String> {
    for (id, want) in FORTUNES.iter().filter(|(_, m)| !m.is_ascii()) {
        match rows.iter().find(|(got_id, _)| got_id == id) {
            None => return Err(format!("expected a row id {id} {want:?}, got none")),
            Some((_, got)) if got != want => {
                return Err(format!(
                    "row id {id}: expected message {want:?}, got {got:?}"
                ));
            }
            Some(_) => {}
        }
    }
    Ok(())
}

/// Rows are in message order (by code point).
pub fn check_sorted(rows: &[(i64, String)]) -> Result<(), String> {
    let got: Vec<i64> = rows.iter().map(|(id, _)| *id).collect();
    let mut by_message: Vec<&(i64, String)> = rows.iter().collect();
    by_message.sort_by(|a, b| a.1.cmp(&b.1));
    let want: Vec<i64> = by_message.iter().map(|(id, _)| *id).collect();
    if got == want {
        Ok(())
    } else {
        Err(format!(
            "expected rows sorted by message, ids {}, got ids {}",
            join(&want),
            join(&got)
        ))
    }
}

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::verify::expect::fortunes_sorted;

    fn page(rows: &[(i64, &str)]) -> String {
        let mut html = String::from(
            "<!DOCTYPE html><html><head><title>Fortunes</title></head><body><table>\n<tr><th>id</th><th>message</th></tr>",
        );
        for (id, msg) in rows {
            let esc = msg
                .replace('&', "&amp;")
                .replace('<', "&lt;")
                .replace('>', "&gt;")
                .replace('"', "&#34;")
                .replace('\'', "&#x27;");
            html.push_str(&format!("\n  <tr>\n<td>{id}</td><td>{esc}</td></tr>"));
        }
        html.push_str("</table></body></html>");
        html
    }

    #[test]
    fn a_good_page_passes() {
        let html = page(&fortunes_sorted());
        let raw = parse_rows(&html).unwrap();
        assert_eq!(raw.len(), 13);
        check_escaped(&html, &raw).unwrap();
        let rows = decode(&raw).unwrap();
        check_rows(&rows).unwrap();
        check_non_ascii(&rows).unwrap();
        check_sorted(&rows).unwrap();
    }

    #[test]
    fn unsorted_and_missing_rows_are_named() {
        let mut unsorted: Vec<_> = FORTUNES.to_vec();
        let rows = decode(&parse_rows(&page(&unsorted)).unwrap()).unwrap();
        assert!(
            check_sorted(&rows)
                .unwrap_err()
                .contains("sorted by message")
        );
        unsorted.remove(0);
        let rows = decode(&parse_rows(&page(&unsorted)).unwrap()).unwrap();
        assert!(check_rows(&rows).unwrap_err().contains("got 12"));
    }

    #[test]
    fn raw_markup_is_caught() {
        let html = "<table><tr><td>11</td><td><script>alert(\"x\");</script></td></tr></table>";
        let raw = parse_rows(html).unwrap();
        assert_eq!(raw[0].message, "<script>alert(\"x\");</script>");
        assert!(
            check_escaped(html, &raw)
                .unwrap_err()
                .contains("raw <script>")
        );
        let html = "<table><tr><td>2</td><td>say \"hi\"</td></tr></table>";
        let raw = parse_rows(html).unwrap();
        assert!(check_escaped(html, &raw).unwrap_err().contains("`\"`"));
    }

    #[test]
    fn entities_decode() {
        assert_eq!(
            unescape("&lt;a&gt; &amp;amp; &quot;&#34;&#39;&#x27;&apos; & x &bogus;"),
            "<a> &amp; \"\"''' & x &bogus;"
        );
    }
}
