//! What holds an undecided claim open when no throughput ratio speaks for it
//! (memory, capacity, cores, requests in flight, a ratio of gaps): the
//! ledger's own evidence line whose interval reaches across one of the
//! thresholds the claim's rule reads, or the line that has no interval yet.
//! Read back from the evidence lines, so what is named is exactly what the
//! ledger printed.

use super::claims::*;
use super::figures::{Family, Figures};

/// An evidence line whose interval holds a threshold of its claim.
#[derive(Debug, Clone, PartialEq)]
pub struct Straddle {
    pub line: String,
    pub low: f64,
    pub high: f64,
    pub threshold: f64,
}

impl Straddle {
    /// `K9: per idle ws connection: … → Python 1.27× [1.05–1.34×]: its interval reaches across 1.3×`.
    pub fn describe(&self, id: &str, unit: &str) -> String {
        format!(
            "{id}: {}: its interval [{}–{}{unit}] reaches across {}{unit}",
            self.line,
            num(self.low),
            num(self.high),
            fmt_threshold(self.threshold),
        )
    }
}

fn num(v: f64) -> String {
    if !v.is_finite() {
        "∞".into()
    } else if v >= 10.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.2}")
    }
}

/// The thresholds claim `id`'s rule reads, for one of its evidence lines,
/// and the unit they are printed in.
fn thresholds(fig: &Figures, id: &str, line: &str) -> (Vec<f64>, &'static str) {
    match id {
        "K1" => (vec![K1_MUCH, K1_HARDLY], "×"),
        "K2" if line.starts_with("idle ") => {
            let no_less = 1.0 / (1.0 + fig.noise.floor(Family::Idle));
            (vec![no_less, K2_MEMORY_CLOSE], "×")
        }
        "K2" => (vec![K2_MUCH, K2_HARDLY], "×"),
        "K3" => {
            // Per worker process: `…, 2 worker processes → …`.
            let workers = line
                .split(" worker process")
                .next()
                .and_then(|s| s.rsplit(' ').next())
                .and_then(|w| w.parse::<f64>().ok())
                .unwrap_or(1.0);
            (vec![K3_ONE_AT_A_TIME * workers], "")
        }
        "K4" => (vec![K4_ONE_CORE, K4_SEVERAL], " cores"),
        "K5" => (vec![K5_WINS, 1.0 / K5_WINS], "×"),
        "K6" => (vec![K6_FASTER, K6_HARDLY], "×"),
        "K7" => (vec![K7_BETTER, K7_HARDLY], "×"),
        "K8" => (vec![K8_SMALL_GAP, 1.0 / K8_SMALL_GAP], "×"),
        "K9" => (vec![K9_MORE, K9_NO_MORE], "×"),
        _ => (Vec::new(), ""),
    }
}

/// A number as the ledger prints it (`1,234`, `1.27×`, `∞`); `None` for a
/// figure with a unit of its own (`11.1 KiB`, `52 ms`), which no threshold reads.
fn parse(s: &str) -> Option<f64> {
    let s = s.trim().trim_end_matches('×').trim();
    if s == "∞" {
        return Some(f64::INFINITY);
    }
    s.replace(',', "").parse().ok()
}

/// The intervals of one evidence line a rule compares with its thresholds:
/// for a ratio, what follows the last `→` (`1.30× [1.15–1.47×]`, or a
/// capacity bracket `1.33×–4.35×`); for cores and requests in flight
/// (K3, K4), every `[low–high]` of the line.
pub fn intervals(id: &str, line: &str) -> Vec<(f64, f64)> {
    let part = match id {
        "K3" | "K4" => line,
        _ => match line.rsplit_once('→') {
            Some((_, tail)) => tail,
            None => return Vec::new(),
        },
    };
    let mut out = Vec::new();
    let mut rest = part;
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find(']') else { break };
        if let Some((a, b)) = after[..close].split_once('–')
            && let (Some(a), Some(b)) = (parse(a), parse(b))
        {
            out.push((a, b));
        }
        rest = &after[close + 1..];
    }
    if out.is_empty() && id == "K7" {
        // The capacity bracket: `1.33×–4.35×` (or `1.33×–∞`).
        let first = part.split([',', '(']).next().unwrap_or("");
        if let Some((a, b)) = first.split_once('–')
            && let (Some(a), Some(b)) = (parse(a), parse(b))
        {
            out.push((a, b));
        }
    }
    out
}

/// The evidence line of claim `id` whose interval holds one of its
/// thresholds (the first such line, the threshold nearest the interval's
/// centre on the log scale).
pub fn straddling(
    fig: &Figures,
    id: &str,
    evidence: &[String],
) -> Option<(Straddle, &'static str)> {
    for line in evidence {
        let (ts, unit) = thresholds(fig, id, line);
        for (low, high) in intervals(id, line) {
            let centre = if high.is_finite() && low > 0.0 {
                (low * high).sqrt()
            } else {
                low
            };
            let t = ts
                .iter()
                .copied()
                .filter(|t| low < *t && *t < high)
                .min_by(|a, b| (a / centre).ln().abs().total_cmp(&(b / centre).ln().abs()));
            if let Some(threshold) = t {
                return Some((
                    Straddle {
                        line: line.clone(),
                        low,
                        high,
                        threshold,
                    },
                    unit,
                ));
            }
        }
    }
    None
}

/// An evidence line whose figure or ratio has no interval yet.
pub fn without_interval(evidence: &[String]) -> Option<&String> {
    evidence
        .iter()
        .find(|l| l.contains("(no interval)") || l.contains("too noisy"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_are_read_as_the_ledger_prints_them() {
        assert_eq!(
            intervals(
                "K9",
                "per idle http connection: python-fastapi 11.1 KiB [10.6 KiB–11.6 KiB] vs node-http 8.7 KiB [8.4 KiB–9.3 KiB] → Python 1.27× [1.18–1.34×]"
            ),
            [(1.18, 1.34)]
        );
        assert_eq!(
            intervals(
                "K1",
                "json: node 53,765 req/s [49,003–59,152] vs py 10,717 req/s [9,448–11,519] → 27× [23–∞]"
            ),
            [(23.0, f64::INFINITY)]
        );
        assert_eq!(
            intervals(
                "K7",
                "ws-chat capacity at p99 < 100 ms: node 2,873–4,737 clients vs py 1,090–2,156 clients → 1.33×–4.35×"
            ),
            [(1.33, 4.35)]
        );
        assert!(
            intervals("K8", "db (SQLite) gap ÷ json gap: 0.86× [0.63–1.41×]").is_empty(),
            "K8's ratio of the gaps is evidence, not a threshold's figure"
        );
        assert!(
            intervals("K1", "json: node 59,124 req/s [47,854–70,015]").is_empty(),
            "a line without a ratio holds no claim's threshold"
        );
        assert_eq!(
            intervals(
                "K4",
                "py (Python /cpu, 1 thread a process): 1 process 0.97 cores [0.91–1.05], 2 processes 1.67 cores [1.56–1.80]"
            ),
            [(0.91, 1.05), (1.56, 1.80)]
        );
        assert!(
            intervals(
                "K9",
                "per idle ws connection: a vs b → Python 4.89× (no interval)"
            )
            .is_empty()
        );
        assert!(intervals("K9", "no arrow [1–2]").is_empty());
    }
}
