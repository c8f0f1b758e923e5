//! Stalls inside a measuring window: stretches where the server completed
//! next to nothing while the load kept asking, found in the window's series
//! of completions per 100 ms. Pure.
//!
//! The rule: a bin is stalled when it holds under [`STALLED_SHARE`] (10 %)
//! of the window's reference bin, its 90th-percentile bin; consecutive
//! stalled bins lasting at least [`MIN_STALL`] (0.5 s) are one pause. The
//! reference is a high quantile, not the median, so a pause filling most of
//! the window (2.5 s of a 3 s one) still has the running seconds to be
//! measured against. 10 % is far outside noise: the README measures windows
//! of the same server varying with a CV of 16.5 %, so a bin a tenth of its
//! neighbours is more than five standard deviations down — a pause, not
//! jitter. Bins are widened (200 ms, 500 ms, 1 s) until the reference bin
//! holds at least [`MIN_REFERENCE`] completions, so a slow endpoint's gaps
//! between single responses are not read as pauses; a window too short or
//! too slow for any width is not judged. A window with no completion at all
//! is not judged either: it is invalid already (nothing measured).

use std::time::Duration;

/// Width of one bin of the series [`detect`] reads.
pub const BIN: Duration = Duration::from_millis(100);
/// A bin under this share of the reference bin is stalled.
pub const STALLED_SHARE: f64 = 0.10;
/// The reference bin: this quantile of the window's bins.
pub const REFERENCE_QUANTILE: f64 = 0.9;
/// Fewest completions the reference bin must hold for bins of a width to be judged.
pub const MIN_REFERENCE: u64 = 20;
/// Shortest run of stalled bins that counts as a pause.
pub const MIN_STALL: Duration = Duration::from_millis(500);
/// Bin widths tried, in 100 ms bins.
const WIDTHS: [usize; 4] = [1, 2, 5, 10];
/// Fewest bins a width needs to be judged.
const MIN_BINS: usize = 3;

/// The pauses of one window.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stall {
    /// The longest pause, seconds.
    pub longest_s: f64,
    /// Pauses of at least [`MIN_STALL`].
    pub pauses: u32,
    /// All pauses together, seconds.
    pub stalled_s: f64,
}

/// The pauses in a window's completions per 100 ms ([`BIN`]), or `None`
/// when there are none (or the window cannot be judged).
pub fn detect(per_100ms: &[u64]) -> Option<Stall> {
    for width in WIDTHS {
        let bins: Vec<u64> = per_100ms
            .chunks_exact(width)
            .map(|c| c.iter().sum())
            .collect();
        if bins.len() < MIN_BINS {
            return None;
        }
        let reference = quantile(&bins, REFERENCE_QUANTILE);
        if reference < MIN_REFERENCE {
            continue;
        }
        return pauses(&bins, reference, BIN * width as u32);
    }
    None
}

/// Nearest-rank quantile of counts.
fn quantile(v: &[u64], q: f64) -> u64 {
    let mut sorted = v.to_vec();
    sorted.sort_unstable();
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn pauses(bins: &[u64], reference: u64, width: Duration) -> Option<Stall> {
    let threshold = STALLED_SHARE * reference as f64;
    let mut stall = Stall {
        longest_s: 0.0,
        pauses: 0,
        stalled_s: 0.0,
    };
    let mut run = 0u32;
    // A trailing sentinel above the threshold closes the last run.
    for &count in bins.iter().chain(std::iter::once(&reference)) {
        if (count as f64) < threshold {
            run += 1;
            continue;
        }
        let length = width * run;
        if run > 0 && length >= MIN_STALL {
            let s = length.as_secs_f64();
            stall.pauses += 1;
            stall.stalled_s += s;
            stall.longest_s = stall.longest_s.max(s);
        }
        run = 0;
    }
    (stall.pauses > 0).then_some(stall)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn the_issues_window_stopped_for_two_and_a_half_seconds() {
        // node-http, 3 s window, stopped 0.5 s in: 5 running bins, 25 empty.
        let mut bins = vec![5_800; 5];
        bins.push(1_200);
        bins.extend([0; 24]);
        let s = detect(&bins).unwrap();
        assert!(close(s.longest_s, 2.4) && s.pauses == 1, "{s:?}");
    }

    #[test]
    fn two_pauses_and_a_short_dip() {
        let mut bins = vec![300; 40];
        bins[5..12].fill(0); // 0.7 s
        bins[20..22].fill(3); // 0.2 s: too short to count
        bins[30..36].fill(10); // 0.6 s under 10 % of 300
        let s = detect(&bins).unwrap();
        assert_eq!(s.pauses, 2);
        assert!(close(s.longest_s, 0.7) && close(s.stalled_s, 1.3), "{s:?}");
    }

    #[test]
    fn noise_and_a_half_rate_second_are_no_stall() {
        // ±30 % jitter, and one second at half the rate (a slow-down is not a pause).
        let mut bins: Vec<u64> = (0..30).map(|i| 300 + (i * 37 % 180) - 90).collect();
        bins[10..20].iter_mut().for_each(|b| *b /= 2);
        assert_eq!(detect(&bins), None);
    }

    #[test]
    fn slow_endpoints_are_judged_on_wider_bins() {
        // 30 req/s: 3 a bin, gaps between single responses are no pause...
        let steady: Vec<u64> = (0..30).map(|i| [2, 4, 3][i % 3]).collect();
        assert_eq!(detect(&steady), None);
        // ...but a whole second without one is (judged on 1 s bins).
        let mut paused = steady.clone();
        paused[10..20].fill(0);
        let s = detect(&paused).unwrap();
        assert!(close(s.longest_s, 1.0), "{s:?}");
        // Too slow for any width, or too short a window: not judged.
        assert_eq!(detect(&[1, 0, 0, 0, 0, 0, 1, 0, 0, 0]), None);
        assert_eq!(detect(&[500, 0]), None);
        assert_eq!(detect(&[0; 30]), None);
    }

    #[test]
    fn a_pause_at_either_end_counts() {
        let mut bins = vec![200; 20];
        bins[..6].fill(0);
        assert!(close(detect(&bins).unwrap().longest_s, 0.6));
        let mut bins = vec![200; 20];
        bins[14..].fill(1);
        assert!(close(detect(&bins).unwrap().longest_s, 0.6));
    }

    proptest! {
        #[test]
        fn a_steady_window_never_stalls(rate in 20u64..100_000, n in 3usize..120, seed in 0u64..1000) {
            // Every bin within ±50 % of the rate.
            let bins: Vec<u64> = (0..n as u64)
                .map(|i| rate / 2 + (i * 7919 + seed) % (rate + 1))
                .collect();
            prop_assert_eq!(detect(&bins), None);
        }

        #[test]
        fn pauses_add_up(bins in proptest::collection::vec(0u64..400, 0..80)) {
            if let Some(s) = detect(&bins) {
                prop_assert!(s.pauses >= 1);
                prop_assert!(s.longest_s >= MIN_STALL.as_secs_f64() - 1e-9);
                prop_assert!(s.longest_s <= s.stalled_s + 1e-9);
                prop_assert!(s.stalled_s <= bins.len() as f64 * BIN.as_secs_f64() + 1e-9);
            }
        }
    }
}
