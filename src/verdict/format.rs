//! Formatting of figures for people: one function a unit, shared by every
//! exporter and terminal output so a number reads the same everywhere.

use crate::stats::{Estimate, Ratio};

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

/// A figure with its interval: `61,234 req/s [59,800–62,900]` (no brackets
/// without an interval).
pub fn fmt_est(e: &Estimate, unit: &str) -> String {
    if e.too_noisy() {
        fmt_too_noisy(e)
    } else if e.has_interval() {
        format!(
            "{} {unit} [{}–{}]",
            fmt_rate(e.median),
            fmt_rate(e.low),
            fmt_rate(e.high)
        )
    } else {
        format!("{} {unit}", fmt_rate(e.median))
    }
}

/// A figure too noisy to judge: `too noisy to judge (3 trials, spread ×12)`.
pub fn fmt_too_noisy(e: &Estimate) -> String {
    format!(
        "too noisy to judge ({} trials, spread ×{})",
        e.n,
        fmt_rate(e.spread())
    )
}

/// A figure's interval as `±9%` of its median (empty without one;
/// `too noisy` for a figure too noisy to judge).
pub fn fmt_pm(e: &Estimate) -> String {
    if e.too_noisy() {
        "too noisy".to_string()
    } else if e.has_interval() {
        let pct = 100.0 * e.relative_half_width();
        // Beyond ±100 % the figure says only "unknown within a factor".
        if pct > 100.0 {
            "±>100%".to_string()
        } else {
            format!("±{pct:.0}%")
        }
    } else {
        String::new()
    }
}

/// Microseconds with an interval: `1.23 ms [1.10 ms–1.40 ms]`.
pub fn fmt_est_us(e: &Estimate) -> String {
    if e.too_noisy() {
        fmt_too_noisy(e)
    } else if e.has_interval() {
        format!(
            "{} [{}–{}]",
            fmt_us(e.median),
            fmt_us(e.low),
            fmt_us(e.high)
        )
    } else {
        fmt_us(e.median)
    }
}

/// A ratio with its interval: `7.91× [7.03–8.90×]`, or `7.91× (no interval)`.
pub fn fmt_ratio_ci(r: &Ratio) -> String {
    if r.judged {
        let hi = if r.high.is_finite() {
            fmt_ratio(r.high)
        } else {
            "∞".into()
        };
        format!(
            "{} [{}–{}]",
            fmt_ratio(r.value),
            fmt_ratio(r.low).trim_end_matches('×'),
            hi
        )
    } else {
        format!("{} (no interval)", fmt_ratio(r.value))
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

    #[test]
    fn a_figure_too_noisy_to_judge_shows_its_trials_and_spread_not_a_range() {
        let run = crate::stats::Noise {
            sd_log: 0.1,
            df: 30.0,
            cells: 10,
        };
        let wild = Estimate::of(&[283.0, 3693.0], Some(&run)).unwrap();
        let text = "too noisy to judge (2 trials, spread ×13.0)";
        assert_eq!(fmt_est(&wild, "req/s"), text);
        assert_eq!(fmt_est_us(&wild), text);
        assert_eq!(fmt_pm(&wild), "too noisy");
        let calm = Estimate::of(&[1000.0, 1100.0], Some(&run)).unwrap();
        assert!(fmt_est(&calm, "req/s").starts_with("1,050 req/s ["));
    }
}
