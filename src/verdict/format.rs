//! Formatting of figures for people: one function a unit, shared by every
//! exporter and terminal output so a number reads the same everywhere.

use crate::verdict::stats::Spread;

/// Thousands separators: `61234.4` → `61,234`.
pub fn fmt_int(v: f64) -> String {
    let neg = v < 0.0;
    let digits = format!("{:.0}", v.abs());
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if neg { format!("-{out}") } else { out }
}

/// A rate (requests/s and the like): 3 significant figures below 100, whole numbers above.
pub fn fmt_rate(v: f64) -> String {
    if v.abs() >= 100.0 {
        fmt_int(v)
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Microseconds as µs / ms / s.
pub fn fmt_us(us: f64) -> String {
    if us >= 1_000_000.0 {
        format!("{:.2} s", us / 1_000_000.0)
    } else if us >= 10_000.0 {
        format!("{:.0} ms", us / 1000.0)
    } else if us >= 1000.0 {
        format!("{:.2} ms", us / 1000.0)
    } else {
        format!("{us:.0} µs")
    }
}

/// Milliseconds as ms / s.
pub fn fmt_ms(ms: f64) -> String {
    fmt_us(ms * 1000.0)
}

/// Bytes in binary units: `1.5 KiB`, `62 MiB`.
pub fn fmt_bytes(b: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = b;
    let mut u = 0;
    while v.abs() >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 || v >= 100.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

/// A ratio: `3.21×`.
pub fn fmt_ratio(r: f64) -> String {
    if !r.is_finite() {
        "∞×".to_string()
    } else if r >= 10.0 {
        format!("{r:.0}×")
    } else if r > 0.0 && r < 0.1 {
        format!("{r:.3}×")
    } else {
        format!("{r:.2}×")
    }
}

/// A signed change: `+12.3 %`.
pub fn fmt_change(fraction: f64) -> String {
    format!("{:+.1} %", fraction * 100.0)
}

/// A spread of a rate: `61,234 req/s [59,800–62,900]` (range only with several trials).
pub fn fmt_spread(s: &Spread, unit: &str) -> String {
    if s.n > 1 && s.min != s.max {
        format!(
            "{} {unit} [{}–{}]",
            fmt_rate(s.median),
            fmt_rate(s.min),
            fmt_rate(s.max)
        )
    } else {
        format!("{} {unit}", fmt_rate(s.median))
    }
}

/// A spread of microseconds: `1.23 ms [1.10 ms–1.40 ms]`.
pub fn fmt_spread_us(s: &Spread) -> String {
    if s.n > 1 && s.min != s.max {
        format!("{} [{}–{}]", fmt_us(s.median), fmt_us(s.min), fmt_us(s.max))
    } else {
        fmt_us(s.median)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats() {
        assert_eq!(fmt_int(1234567.4), "1,234,567");
        assert_eq!(fmt_int(999.0), "999");
        assert_eq!(fmt_rate(12.345), "12.3");
        assert_eq!(fmt_us(850.0), "850 µs");
        assert_eq!(fmt_us(1234.0), "1.23 ms");
        assert_eq!(fmt_us(52_000.0), "52 ms");
        assert_eq!(fmt_bytes(1536.0), "1.5 KiB");
        assert_eq!(fmt_bytes(65.0 * 1024.0 * 1024.0), "65.0 MiB");
        assert_eq!(fmt_ratio(3.214), "3.21×");
        assert_eq!(fmt_change(0.123), "+12.3 %");
    }
}
