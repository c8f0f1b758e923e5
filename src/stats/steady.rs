//! Steady state: has a warming server's per-chunk figure stopped moving?
//!
//! The series is a figure measured over consecutive short chunks of load
//! (throughput, or server CPU per request). It has settled when the median
//! of the last `window` chunks is within `tolerance` of the median of the
//! `window` chunks before — medians, because single chunks on a shared
//! machine jump by tens of per cent; two windows, so a slow ramp (a JIT still
//! tiering up) does not pass for a plateau. A series that has not settled by
//! `max_chunks` never settles, and the points measured after it are flagged.

use serde::{Deserialize, Serialize};

use super::basic::median;

/// When a series counts as settled.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SteadyRule {
    /// Chunks per window.
    pub window: usize,
    /// Largest relative change between the two windows' medians (0.1 = 10 %).
    pub tolerance: f64,
    /// Fewest chunks before settling can be declared (at least 2 windows).
    pub min_chunks: usize,
    /// The ceiling: chunks after which the series never settled.
    pub max_chunks: usize,
}

/// The state of a warming series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Steadiness {
    /// Not settled yet: take another chunk.
    Warming,
    /// Settled after `chunks` chunks.
    Settled { chunks: usize },
    /// Reached the ceiling without settling.
    Never { chunks: usize },
}

impl SteadyRule {
    /// Assesses one series.
    pub fn assess(&self, series: &[f64]) -> Steadiness {
        let n = series.len();
        let w = self.window.max(1);
        if self.max_chunks <= 1 && n >= 1 {
            // A token warm-up: one chunk, nothing to judge.
            return Steadiness::Settled { chunks: n };
        }
        if n >= self.min_chunks.max(2 * w) && self.flat(&series[n - 2 * w..]) {
            return Steadiness::Settled { chunks: n };
        }
        if n >= self.max_chunks {
            Steadiness::Never { chunks: n }
        } else {
            Steadiness::Warming
        }
    }

    /// Assesses several series of the same chunks (throughput and CPU per
    /// request): settled when every one has settled.
    pub fn assess_all(&self, series: &[&[f64]]) -> Steadiness {
        let n = series.iter().map(|s| s.len()).min().unwrap_or(0);
        let mut state = Steadiness::Settled { chunks: n };
        for s in series {
            match self.assess(&s[..n]) {
                Steadiness::Settled { .. } => {}
                other => state = other,
            }
        }
        if series.is_empty() {
            return self.assess(&[]);
        }
        state
    }

    fn flat(&self, last_two: &[f64]) -> bool {
        let w = last_two.len() / 2;
        let (Some(before), Some(now)) = (median(&last_two[..w]), median(&last_two[w..])) else {
            return false;
        };
        if before <= 0.0 || !before.is_finite() || !now.is_finite() {
            return false;
        }
        (now / before - 1.0).abs() <= self.tolerance
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: SteadyRule = SteadyRule {
        window: 3,
        tolerance: 0.08,
        min_chunks: 6,
        max_chunks: 30,
    };

    /// Feeds the series chunk by chunk, as the harness does.
    fn run(series: &[f64]) -> Steadiness {
        for n in 1..=series.len() {
            let s = RULE.assess(&series[..n]);
            if s != Steadiness::Warming {
                return s;
            }
        }
        Steadiness::Warming
    }

    #[test]
    fn a_jit_warm_up_settles_once_the_plateau_holds() {
        // Cold start, tier-up, then a noisy plateau (±15 % single chunks).
        let s = [
            7.0, 30.0, 45.0, 58.0, 60.0, 66.0, 52.0, 63.0, 61.0, 69.0, 57.0, 64.0,
        ];
        assert_eq!(run(&s), Steadiness::Settled { chunks: 9 });
    }

    #[test]
    fn an_interpreter_settles_at_the_minimum() {
        let s = [100.0, 104.0, 97.0, 101.0, 99.0, 103.0, 100.0];
        assert_eq!(run(&s), Steadiness::Settled { chunks: 6 });
    }

    #[test]
    fn a_series_that_keeps_jumping_never_settles() {
        let s: Vec<f64> = (0..40)
            .map(|i| if (i / 3) % 2 == 0 { 20.0 } else { 50.0 })
            .collect();
        assert_eq!(run(&s), Steadiness::Never { chunks: 30 });
    }

    #[test]
    fn a_slow_ramp_is_not_a_plateau() {
        // +4 % a chunk: two windows of 3 differ by ~12 %.
        let s: Vec<f64> = (0..40).map(|i| 100.0 * 1.04f64.powi(i)).collect();
        assert_eq!(run(&s), Steadiness::Never { chunks: 30 });
        // +1 % a chunk is within the tolerance: it settles at the minimum.
        let s: Vec<f64> = (0..40).map(|i| 100.0 * 1.01f64.powi(i)).collect();
        assert_eq!(run(&s), Steadiness::Settled { chunks: 6 });
    }

    #[test]
    fn every_series_must_settle() {
        let thr = [100.0; 8];
        let cpu = [40.0, 30.0, 25.0, 20.0, 17.0, 15.0, 14.0, 13.0];
        assert_eq!(RULE.assess_all(&[&thr, &cpu]), Steadiness::Warming);
        assert_eq!(
            RULE.assess_all(&[&thr, &thr[..7]]),
            Steadiness::Settled { chunks: 7 }
        );
    }
}
