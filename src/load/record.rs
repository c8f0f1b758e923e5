//! Recording: latency histograms (HdrHistogram, constant memory) and the
//! conversions out of them — [`LatencyStats`], the base64 V2+deflate form kept
//! in reports, the plottable percentile-distribution text, and per-second
//! series. Pure functions, shared by the HTTP and WebSocket engines.

use std::fmt::Write as _;
use std::time::Duration;

use base64::Engine as _;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::{Deserializer, Serializer, V2DeflateSerializer};

use super::report::LatencyStats;

/// Largest latency a histogram records, microseconds (one hour); larger values saturate.
pub const MAX_LATENCY_US: u64 = 3_600_000_000;

/// Significant decimal digits kept by every latency histogram (0.1% precision).
pub const SIGFIG: u8 = 3;

/// A latency histogram in microseconds, 1 µs to [`MAX_LATENCY_US`], [`SIGFIG`] digits.
pub fn new_histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, MAX_LATENCY_US, SIGFIG)
        .expect("static histogram bounds are valid")
}

/// Records one latency, rounding to whole microseconds (at least 1, at most [`MAX_LATENCY_US`]).
#[inline]
pub fn record(hist: &mut Histogram<u64>, latency: Duration) {
    let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
    hist.saturating_record(us.clamp(1, MAX_LATENCY_US));
}

/// Summary statistics of a histogram of microseconds. An empty histogram gives all zeros.
pub fn stats(hist: &Histogram<u64>) -> LatencyStats {
    if hist.is_empty() {
        return LatencyStats::default();
    }
    LatencyStats {
        count: hist.len(),
        min_us: hist.min(),
        mean_us: hist.mean(),
        stdev_us: hist.stdev(),
        max_us: hist.max(),
        p50_us: hist.value_at_quantile(0.50),
        p90_us: hist.value_at_quantile(0.90),
        p99_us: hist.value_at_quantile(0.99),
        p999_us: hist.value_at_quantile(0.999),
        p9999_us: hist.value_at_quantile(0.9999),
    }
}

/// Serialises a histogram in HdrHistogram's V2+deflate format, base64 (standard alphabet),
/// the form `histogram_b64` holds; readable by every HdrHistogram implementation.
pub fn to_base64(hist: &Histogram<u64>) -> anyhow::Result<String> {
    let mut bytes = Vec::new();
    V2DeflateSerializer::new()
        .serialize(hist, &mut bytes)
        .map_err(|err| anyhow::anyhow!("serialising a latency histogram: {err:?}"))?;
    Ok(base64::engine::general_purpose::STANDARD.encode(bytes))
}

/// Reads back a histogram written by [`to_base64`].
pub fn from_base64(text: &str) -> anyhow::Result<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|err| anyhow::anyhow!("decoding a base64 histogram: {err}"))?;
    Deserializer::new()
        .deserialize(&mut bytes.as_slice())
        .map_err(|err| anyhow::anyhow!("reading a V2 histogram: {err:?}"))
}

/// HdrHistogram's plottable percentile distribution (the text `wrk2 --latency`
/// and Java's `outputPercentileDistribution` print, readable by the HdrHistogram
/// plotter), with values in milliseconds.
pub fn percentile_distribution(hist: &Histogram<u64>) -> String {
    const US_PER_MS: f64 = 1000.0;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:>12} {:>14} {:>10} {:>14}\n",
        "Value", "Percentile", "TotalCount", "1/(1-Percentile)"
    );
    let mut total = 0u64;
    for step in hist.iter_quantiles(5) {
        total += step.count_since_last_iteration();
        let value_ms = step.value_iterated_to() as f64 / US_PER_MS;
        let q = step.quantile_iterated_to();
        if q < 1.0 {
            let _ = writeln!(
                out,
                "{value_ms:12.3} {q:2.12} {total:10} {:14.2}",
                1.0 / (1.0 - q)
            );
        } else {
            let _ = writeln!(out, "{value_ms:12.3} {q:2.12} {total:10}");
        }
    }
    let (mean, stdev, max) = if hist.is_empty() {
        (0.0, 0.0, 0.0)
    } else {
        (hist.mean(), hist.stdev(), hist.max() as f64)
    };
    let _ = writeln!(
        out,
        "#[Mean    = {:12.3}, StdDeviation   = {:12.3}]",
        mean / US_PER_MS,
        stdev / US_PER_MS
    );
    let _ = writeln!(
        out,
        "#[Max     = {:12.3}, Total count    = {:12}]",
        max / US_PER_MS,
        hist.len()
    );
    let _ = writeln!(
        out,
        "#[Buckets = {:12}, SubBuckets     = {:12}]",
        hist.buckets(),
        (2 * 10u64.pow(u32::from(hist.sigfig()))).next_power_of_two()
    );
    out
}

/// Counts of events in each whole second of a recording window, growing on
/// demand; the last (partial) second is dropped by [`PerSecond::whole_seconds`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerSecond {
    counts: Vec<u64>,
}

impl PerSecond {
    /// Room for `seconds` seconds without reallocating.
    pub fn with_capacity(seconds: usize) -> Self {
        PerSecond {
            counts: Vec::with_capacity(seconds),
        }
    }

    /// Counts one event at `since_start` after the window began.
    #[inline]
    pub fn add(&mut self, since_start: Duration) {
        let second = since_start.as_secs() as usize;
        if second >= self.counts.len() {
            self.counts.resize(second + 1, 0);
        }
        self.counts[second] += 1;
    }

    /// Adds another series second by second (merging threads).
    pub fn merge(&mut self, other: &PerSecond) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    /// The counts of the whole seconds inside a window of `window` length.
    pub fn whole_seconds(&self, window: Duration) -> Vec<u64> {
        let whole = (window.as_secs() as usize).min(self.counts.len());
        let mut out = self.counts[..whole].to_vec();
        out.resize(window.as_secs() as usize, 0);
        out
    }

    /// All counted seconds, including a trailing partial one.
    pub fn raw(&self) -> &[u64] {
        &self.counts
    }
}

/// Counts of events in each 100 ms of a recording window: the resolution at
/// which a stall of the server shows (a whole-second series hides a pause
/// shorter than a second, and a 1 s window has a single second).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PerTenth {
    counts: Vec<u64>,
}

impl PerTenth {
    /// Counts one event at `since_start` after the window began.
    #[inline]
    pub fn add(&mut self, since_start: Duration) {
        let tenth = (since_start.as_millis() / 100) as usize;
        if tenth >= self.counts.len() {
            self.counts.resize(tenth + 1, 0);
        }
        self.counts[tenth] += 1;
    }

    /// Adds another series bin by bin (merging threads).
    pub fn merge(&mut self, other: &PerTenth) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
    }

    /// The counts of the whole 100 ms bins inside a window of `window` length.
    pub fn whole_tenths(&self, window: Duration) -> Vec<u64> {
        let n = (window.as_millis() / 100) as usize;
        let mut out = self.counts[..n.min(self.counts.len())].to_vec();
        out.resize(n, 0);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hist_of(values_us: &[u64]) -> Histogram<u64> {
        let mut h = new_histogram();
        for &v in values_us {
            record(&mut h, Duration::from_micros(v));
        }
        h
    }

    #[test]
    fn tenths_count_whole_bins_of_the_window() {
        let mut a = PerTenth::default();
        let mut b = PerTenth::default();
        for ms in [0, 50, 99, 100, 350] {
            a.add(Duration::from_millis(ms));
        }
        b.add(Duration::from_millis(1_000));
        b.add(Duration::from_millis(120));
        a.merge(&b);
        assert_eq!(a.whole_tenths(Duration::from_millis(450)), vec![3, 2, 0, 1]);
        assert_eq!(a.whole_tenths(Duration::from_secs(1)).len(), 10);
        assert_eq!(a.whole_tenths(Duration::from_secs(2)).len(), 20);
    }

    #[test]
    fn stats_of_one_to_one_thousand() {
        let values: Vec<u64> = (1..=1000).collect();
        let s = stats(&hist_of(&values));
        assert_eq!(s.count, 1000);
        assert_eq!(s.min_us, 1);
        assert_eq!(s.max_us, 1000);
        assert_eq!(s.p50_us, 500);
        assert_eq!(s.p90_us, 900);
        assert_eq!(s.p99_us, 990);
        assert!((s.mean_us - 500.5).abs() < 0.5, "{}", s.mean_us);
        assert!((s.stdev_us - 288.7).abs() < 1.0, "{}", s.stdev_us);
    }

    #[test]
    fn empty_histogram_gives_zeros() {
        assert_eq!(stats(&new_histogram()), LatencyStats::default());
    }

    #[test]
    fn zero_and_huge_latencies_are_clamped() {
        let mut h = new_histogram();
        record(&mut h, Duration::ZERO);
        record(&mut h, Duration::from_secs(100_000));
        assert_eq!(h.min(), 1);
        assert!(h.equivalent(h.max(), MAX_LATENCY_US));
    }

    #[test]
    fn base64_round_trip() {
        let h = hist_of(&[5, 50, 500, 5000, 50_000]);
        let back = from_base64(&to_base64(&h).unwrap()).unwrap();
        assert_eq!(back, h);
    }

    #[test]
    fn percentile_distribution_has_header_rows_and_footer() {
        let text = percentile_distribution(&hist_of(&[1000, 2000, 3000, 4000]));
        let first = text.lines().next().unwrap();
        assert!(first.contains("Value") && first.contains("1/(1-Percentile)"));
        assert!(text.contains("#[Max     =        4.001, Total count    =            4]"));
        let last_row = text.lines().rfind(|l| !l.starts_with('#')).unwrap();
        assert!(last_row.contains("1.000000000000"), "{last_row}");
        assert!(last_row.trim_end().ends_with(" 4"), "{last_row}");
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]
        #[test]
        fn stats_are_ordered_and_count_everything(
            values in proptest::collection::vec(1u64..10_000_000, 1..500),
        ) {
            let s = stats(&hist_of(&values));
            proptest::prop_assert_eq!(s.count, values.len() as u64);
            let ordered = [s.min_us, s.p50_us, s.p90_us, s.p99_us, s.p999_us, s.p9999_us, s.max_us];
            proptest::prop_assert!(ordered.windows(2).all(|w| w[0] <= w[1]), "{:?}", ordered);
            let h = hist_of(&values);
            let (lo, hi) = (*values.iter().min().unwrap(), *values.iter().max().unwrap());
            proptest::prop_assert!(h.equivalent(s.min_us, lo) && h.equivalent(s.max_us, hi));
            proptest::prop_assert!(s.mean_us >= s.min_us as f64 * 0.999 && s.mean_us <= s.max_us as f64 * 1.001);
        }
    }

    #[test]
    fn per_second_counts_whole_seconds() {
        let mut a = PerSecond::with_capacity(3);
        a.add(Duration::from_millis(100));
        a.add(Duration::from_millis(1500));
        a.add(Duration::from_millis(2500));
        let mut b = PerSecond::default();
        b.add(Duration::from_millis(1999));
        a.merge(&b);
        assert_eq!(a.raw(), &[1, 2, 1]);
        assert_eq!(a.whole_seconds(Duration::from_millis(2500)), vec![1, 2]);
        assert_eq!(a.whole_seconds(Duration::from_secs(5)), vec![1, 2, 1, 0, 0]);
    }
}
