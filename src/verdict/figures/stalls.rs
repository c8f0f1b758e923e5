//! How often a cell's server stalled inside a measuring window, and for how
//! long at most: the server's behaviour, reported beside its figures rather
//! than averaged into them (the stalled windows themselves are flagged and
//! kept out of every verdict, [`super::Evidence`]). Pure.

use serde::Serialize;

use crate::results::{Flag, Point};

/// The stalls among a cell's windows.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StallSummary {
    /// Windows in which the server stalled.
    pub stalled: usize,
    /// Windows measured (a re-measurement is a window of its own).
    pub windows: usize,
    /// The longest pause, seconds.
    pub longest_s: f64,
    /// A re-measurement stalled again: the pauses are how this server runs.
    pub recurred: bool,
}

impl StallSummary {
    /// The summary of `points`, or `None` when no window stalled.
    pub fn of(points: &[Point]) -> Option<StallSummary> {
        let mut out = StallSummary {
            stalled: 0,
            windows: points.len(),
            longest_s: 0.0,
            recurred: false,
        };
        for p in points {
            for f in &p.flags {
                if let Flag::Stalled {
                    longest_s,
                    recurred,
                    ..
                } = f
                {
                    out.stalled += 1;
                    out.longest_s = out.longest_s.max(*longest_s);
                    out.recurred |= *recurred;
                }
            }
        }
        (out.stalled > 0).then_some(out)
    }

    /// For a table cell: `stalls ≤ 2.5 s (2 of 6)`.
    pub fn cell(&self) -> String {
        format!(
            "stalls ≤ {:.1} s ({} of {})",
            self.longest_s, self.stalled, self.windows
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_stalled_windows_and_the_longest_pause() {
        let mut p: Point = serde_json::from_value(serde_json::json!({
            "stack": "s", "scenario": "json", "target": "/json", "kind": "peak",
            "connections": 4, "workers": 1, "trial": 1, "load": null, "ws": null,
            "server": {"cpu_us": 0, "cpu_us_per_req": null, "cpu_source": "proc",
                       "rss_idle_bytes": 0, "rss_peak_bytes": 0, "concurrency_achieved": null},
            "flags": [], "valid": true
        }))
        .unwrap();
        let clean = p.clone();
        assert_eq!(StallSummary::of(std::slice::from_ref(&clean)), None);
        p.flags.push(Flag::Stalled {
            longest_s: 0.7,
            pauses: 1,
            stalled_s: 0.7,
            recurred: false,
        });
        let mut again = p.clone();
        again.flags = vec![Flag::Stalled {
            longest_s: 2.5,
            pauses: 1,
            stalled_s: 2.5,
            recurred: true,
        }];
        let s = StallSummary::of(&[clean, p, again]).unwrap();
        assert_eq!(
            (s.stalled, s.windows, s.longest_s, s.recurred),
            (2, 3, 2.5, true)
        );
        assert_eq!(s.cell(), "stalls ≤ 2.5 s (2 of 3)");
    }
}
