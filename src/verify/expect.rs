//! The contract's expected values, computed here rather than copied:
//! prime counts, the numeric aggregation, the fortune rows, and the small
//! judges ("expected X, got Y") the checks share.

use serde_json::Value;

use super::http::{Response, preview};

/// Primes `p` with `2 <= p <= n`, by the contract's trial division.
pub fn prime_count(n: u64) -> u64 {
    (2..=n)
        .filter(|&k| {
            let mut d = 2;
            while d * d <= k {
                if k % d == 0 {
                    return false;
                }
                d += 1;
            }
            true
        })
        .count() as u64
}

/// The `/numeric?n=N` figures for an already clamped `n`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Numeric {
    pub sum: f64,
    pub mean: f64,
    pub std: f64,
    pub dot: f64,
}

/// `x[i] = ((i * 7919) % 10007) / 10007.0`; sum, mean, population std, x·reverse(x).
pub fn numeric(n: u64) -> Numeric {
    let x: Vec<f64> = (0..n)
        .map(|i| ((i * 7919) % 10007) as f64 / 10007.0)
        .collect();
    let sum: f64 = x.iter().sum();
    let mean = sum / n as f64;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    let dot = x.iter().zip(x.iter().rev()).map(|(a, b)| a * b).sum();
    Numeric {
        sum,
        mean,
        std: var.sqrt(),
        dot,
    }
}

/// Equal within a relative tolerance of 1e-9 (absolute 1e-12 near zero).
pub fn close(got: f64, want: f64) -> bool {
    let diff = (got - want).abs();
    diff <= 1e-9 * got.abs().max(want.abs()) || diff <= 1e-12
}

/// The `fortune` table of `spec/schema.sql` plus the row added at request time.
pub const FORTUNES: [(i64, &str); 13] = [
    (0, "Additional fortune added at request time."),
    (1, "fortune: No such file or directory"),
    (
        2,
        "A computer scientist is someone who fixes things that aren't broken.",
    ),
    (3, "After enough decimal places, nobody gives a damn."),
    (
        4,
        "A bad random number generator: 1, 1, 1, 1, 1, 4.33e+67, 1, 1, 1",
    ),
    (
        5,
        "A computer program does what you tell it to do, not what you want it to do.",
    ),
    (
        6,
        "Emacs is a nice operating system, but I prefer UNIX. — Tom Christaensen",
    ),
    (7, "Any program that runs right is obsolete."),
    (
        8,
        "A list is only as strong as its weakest link. — Donald Knuth",
    ),
    (9, "Feature: A bug with seniority."),
    (10, "Computers make very fast, very accurate mistakes."),
    (
        11,
        "<script>alert(\"This should not be displayed in a browser alert box.\");</script>",
    ),
    (12, "フレームワークのベンチマーク"),
];

/// [`FORTUNES`] sorted by message, by code point: the order a page must show.
pub fn fortunes_sorted() -> Vec<(i64, &'static str)> {
    let mut rows = FORTUNES.to_vec();
    rows.sort_by(|a, b| a.1.cmp(b.1));
    rows
}

/// Status must be `want`.
pub fn status(resp: &Response, want: u16) -> Result<(), String> {
    if resp.status == want {
        Ok(())
    } else {
        Err(format!(
            "expected status {want}, got {} (body {})",
            resp.status,
            preview(&resp.body)
        ))
    }
}

/// The media type (before any `;`) must be `want`, case-insensitively.
pub fn content_type(resp: &Response, want: &str) -> Result<(), String> {
    match resp.header("content-type") {
        None => Err(format!("expected Content-Type {want}, got none")),
        Some(ct) => {
            let media = ct.split(';').next().unwrap_or("").trim();
            if media.eq_ignore_ascii_case(want) {
                Ok(())
            } else {
                Err(format!("expected Content-Type {want}, got {ct:?}"))
            }
        }
    }
}

/// Content-Type must carry `charset=utf-8`.
pub fn charset_utf8(resp: &Response) -> Result<(), String> {
    let ct = resp.header("content-type").unwrap_or("");
    let ok = ct.split(';').skip(1).any(|param| {
        let mut kv = param.splitn(2, '=');
        let key = kv.next().unwrap_or("").trim();
        let value = kv.next().unwrap_or("").trim().trim_matches('"');
        key.eq_ignore_ascii_case("charset") && value.eq_ignore_ascii_case("utf-8")
    });
    if ok {
        Ok(())
    } else {
        Err(format!(
            "expected a Content-Type with charset=utf-8, got {ct:?}"
        ))
    }
}

/// Content-Length or chunked transfer encoding must frame the body.
pub fn framed(resp: &Response) -> Result<(), String> {
    let chunked = resp
        .header("transfer-encoding")
        .is_some_and(|te| te.to_ascii_lowercase().contains("chunked"));
    if resp.header("content-length").is_some() || chunked {
        Ok(())
    } else {
        Err("expected Content-Length or Transfer-Encoding: chunked, got neither".into())
    }
}

/// The body parsed as JSON.
pub fn json(resp: &Response) -> Result<Value, String> {
    serde_json::from_slice(&resp.body)
        .map_err(|e| format!("expected JSON, got {} ({e})", preview(&resp.body)))
}

/// A world row `{"id": 1..=10000, "randomNumber": 1..=10000}`; returns (id, number).
pub fn world_row(v: &Value) -> Result<(i64, i64), String> {
    let Some(obj) = v.as_object() else {
        return Err(format!(
            "expected an object {{\"id\",\"randomNumber\"}}, got {}",
            short(v)
        ));
    };
    let field = |key: &str| -> Result<i64, String> {
        match obj.get(key) {
            None => Err(format!(
                "expected key `{key}`, got keys {:?}",
                obj.keys().collect::<Vec<_>>()
            )),
            Some(x) => match x.as_i64() {
                Some(n) if (1..=10000).contains(&n) => Ok(n),
                _ => Err(format!(
                    "`{key}`: expected an integer in 1..=10000, got {}",
                    short(x)
                )),
            },
        }
    };
    Ok((field("id")?, field("randomNumber")?))
}

/// An array of `want` world rows; returns them.
pub fn world_rows(v: &Value, want: usize) -> Result<Vec<(i64, i64)>, String> {
    let Some(items) = v.as_array() else {
        return Err(format!("expected a JSON array, got {}", short(v)));
    };
    if items.len() != want {
        return Err(format!(
            "expected {want} row{}, got {}",
            if want == 1 { "" } else { "s" },
            items.len()
        ));
    }
    items
        .iter()
        .enumerate()
        .map(|(i, item)| world_row(item).map_err(|e| format!("row {i}: {e}")))
        .collect()
}

/// The JSON value must equal `want` exactly (key order and whitespace free).
pub fn json_eq(got: &Value, want: &Value) -> Result<(), String> {
    if got == want {
        Ok(())
    } else {
        Err(format!("expected {want}, got {}", short(got)))
    }
}

/// An integer field of an object.
pub fn int_field(v: &Value, key: &str) -> Result<i64, String> {
    match v.get(key) {
        None => Err(format!("expected key `{key}`, got {}", short(v))),
        Some(x) => x
            .as_i64()
            .ok_or_else(|| format!("`{key}`: expected an integer, got {}", short(x))),
    }
}

/// A numeric field of an object.
pub fn float_field(v: &Value, key: &str) -> Result<f64, String> {
    match v.get(key) {
        None => Err(format!("expected key `{key}`, got {}", short(v))),
        Some(x) => x
            .as_f64()
            .ok_or_else(|| format!("`{key}`: expected a number, got {}", short(x))),
    }
}

/// A JSON value, cut to 120 characters.
pub fn short(v: &Value) -> String {
    let s = v.to_string();
    if s.chars().count() > 120 {
        format!("{}…", s.chars().take(120).collect::<String>())
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prime_counts_match_the_contract() {
        assert_eq!(prime_count(0), 0);
        assert_eq!(prime_count(1), 0);
        assert_eq!(prime_count(10), 4);
        assert_eq!(prime_count(10000), 1229);
        assert_eq!(prime_count(100000), 9592);
    }

    #[test]
    fn numeric_of_one_is_zero() {
        let r = numeric(1);
        assert_eq!((r.sum, r.mean, r.std, r.dot), (0.0, 0.0, 0.0, 0.0));
    }

    #[test]
    fn numeric_matches_a_hand_computation() {
        let r = numeric(3);
        let x = [0.0, 7919.0 / 10007.0, (15838 % 10007) as f64 / 10007.0];
        let sum: f64 = x.iter().sum();
        assert!(close(r.sum, sum));
        assert!(close(r.mean, sum / 3.0));
        assert!(close(r.dot, 2.0 * x[0] * x[2] + x[1] * x[1]));
        let mean = sum / 3.0;
        let var = x.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / 3.0;
        assert!(close(r.std, var.sqrt()));
    }

    #[test]
    fn closeness_is_relative() {
        assert!(close(1e6, 1e6 + 1e-4));
        assert!(!close(1e6, 1e6 + 1e-2));
        assert!(close(0.0, 1e-13));
    }

    #[test]
    fn fortunes_sort_puts_markup_first_and_japanese_last() {
        let sorted = fortunes_sorted();
        assert_eq!(sorted[0].0, 11);
        assert_eq!(sorted[12].0, 12);
    }

    #[test]
    fn world_rows_name_the_bad_field() {
        let v: Value = serde_json::json!([{"id": 1, "randomnumber": 5}]);
        let err = world_rows(&v, 1).unwrap_err();
        assert!(err.contains("randomNumber"), "{err}");
        let v: Value = serde_json::json!([{"id": 0, "randomNumber": 5}]);
        assert!(world_rows(&v, 1).unwrap_err().contains("got 0"));
        assert_eq!(
            world_rows(&serde_json::json!([]), 1).unwrap_err(),
            "expected 1 row, got 0"
        );
    }
}
