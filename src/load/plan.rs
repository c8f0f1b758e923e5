//! The open-loop plan: when the g-th request of a run is meant to be sent,
//! under a [`RateSchedule`]. Pure arithmetic (no clock), so memory stays
//! constant however long the run; threads share one plan by taking every
//! T-th index (see [`Plan::send_time`]).

use std::time::Duration;

use super::config::{LoadConfig, RateSchedule, Schedule, Stop};

/// A rate schedule cut to a window and optionally to a request count.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// Piecewise-linear rate segments in order; the last is held forever.
    segments: Vec<Segment>,
    /// No send at or after this offset.
    window: Duration,
    /// No send with index at or above this.
    max_sends: Option<u64>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct Segment {
    /// Offset of the segment start, seconds.
    start_s: f64,
    /// Sends planned before the segment starts.
    before: f64,
    from_rps: f64,
    to_rps: f64,
    /// Length, seconds; infinite for the held tail.
    len_s: f64,
}

impl Segment {
    /// Sends planned in the first `t` seconds of this segment.
    fn count_at(&self, t: f64) -> f64 {
        let t = t.clamp(0.0, self.len_s);
        let slope = if self.len_s.is_finite() {
            (self.to_rps - self.from_rps) / self.len_s
        } else {
            0.0
        };
        self.from_rps * t + slope * t * t / 2.0
    }

    /// Seconds into this segment at which `k` sends (counted from its start) are planned.
    fn time_of(&self, k: f64) -> f64 {
        let slope = if self.len_s.is_finite() {
            (self.to_rps - self.from_rps) / self.len_s
        } else {
            0.0
        };
        // Root of slope/2·t² + from·t − k = 0, in the form that stays exact as slope → 0.
        let disc = (self.from_rps * self.from_rps + 2.0 * slope * k).max(0.0);
        let denom = self.from_rps + disc.sqrt();
        if denom > 0.0 { 2.0 * k / denom } else { 0.0 }
    }
}

impl Plan {
    /// The plan of `schedule` over `window`, at most `max_sends` sends.
    /// Rates must be positive (validated by the caller).
    pub fn new(schedule: &RateSchedule, window: Duration, max_sends: Option<u64>) -> Self {
        let mut pieces: Vec<(f64, f64, f64)> = Vec::new(); // (from, to, len_s)
        match schedule {
            RateSchedule::Constant { rps } => pieces.push((*rps, *rps, f64::INFINITY)),
            RateSchedule::Ramp {
                from_rps,
                to_rps,
                over,
            } => {
                if !over.is_zero() {
                    pieces.push((*from_rps, *to_rps, over.as_secs_f64()));
                }
                pieces.push((*to_rps, *to_rps, f64::INFINITY));
            }
            RateSchedule::Steps { steps } => {
                for &(rps, len) in steps {
                    if !len.is_zero() {
                        pieces.push((rps, rps, len.as_secs_f64()));
                    }
                }
                let last = steps.last().map_or(1.0, |s| s.0);
                pieces.push((last, last, f64::INFINITY));
            }
        }
        let mut segments = Vec::with_capacity(pieces.len());
        let (mut start_s, mut before) = (0.0, 0.0);
        for (from_rps, to_rps, len_s) in pieces {
            let seg = Segment {
                start_s,
                before,
                from_rps,
                to_rps,
                len_s,
            };
            start_s += len_s;
            before += seg.count_at(len_s);
            segments.push(seg);
        }
        Plan {
            segments,
            window,
            max_sends,
        }
    }

    /// The plan of an open-loop config (None for closed loop): over warm-up +
    /// duration, or — for a request count — capped at the warm-up's sends plus
    /// that count, since the count covers recorded sends only.
    pub fn for_config(cfg: &LoadConfig) -> Option<Plan> {
        let Schedule::Open(schedule) = &cfg.schedule else {
            return None;
        };
        Some(match cfg.stop {
            Stop::Duration(d) => Plan::new(schedule, cfg.warmup + d, None),
            Stop::Requests(n) => {
                let endless = Duration::from_secs(1_000_000_000);
                let warm = Plan::new(schedule, endless, None)
                    .planned_by(cfg.warmup)
                    .ceil();
                Plan::new(schedule, endless, Some(n + warm as u64))
            }
        })
    }

    /// The recorded part of the plan: its length after `warmup` and its mean
    /// offered rate, requests/s.
    pub fn recorded_rate(&self, warmup: Duration) -> (Duration, f64) {
        let end = self.active_window();
        let len = end.saturating_sub(warmup);
        let sends = self.planned_by(end) - self.planned_by(warmup);
        let rps = if len.is_zero() {
            0.0
        } else {
            sends / len.as_secs_f64()
        };
        (len, rps)
    }

    /// Sends planned in the first `t` of the run (fractional), capped by the request count.
    pub fn planned_by(&self, t: Duration) -> f64 {
        let t = t.min(self.window).as_secs_f64();
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.start_s <= t)
            .expect("the first segment starts at 0");
        let count = seg.before + seg.count_at(t - seg.start_s);
        match self.max_sends {
            Some(n) => count.min(n as f64),
            None => count,
        }
    }

    /// Mean offered rate over the window, requests/s.
    pub fn mean_rps(&self) -> f64 {
        let w = self.active_window().as_secs_f64();
        if w > 0.0 {
            self.planned_by(self.active_window()) / w
        } else {
            0.0
        }
    }

    /// The window, shortened to the last planned send when a request count ends it first.
    pub fn active_window(&self) -> Duration {
        match self.max_sends {
            Some(0) => Duration::ZERO,
            Some(n) => match self.unbounded_time(n - 1) {
                Some(last) => {
                    (last + Duration::from_secs_f64(1.0 / self.last_rps())).min(self.window)
                }
                None => self.window,
            },
            None => self.window,
        }
    }

    fn last_rps(&self) -> f64 {
        self.segments.last().map_or(1.0, |s| s.to_rps.max(1e-9))
    }

    /// When send `g` (0-based, over all threads) is intended, as an offset
    /// from the start of the run; `None` once the plan is over. A thread `i`
    /// of `T` takes indexes `i, i+T, i+2T, ...`, so together the threads
    /// follow the plan exactly.
    pub fn send_time(&self, g: u64) -> Option<Duration> {
        if self.max_sends.is_some_and(|n| g >= n) {
            return None;
        }
        self.unbounded_time(g).filter(|&t| t < self.window)
    }

    fn unbounded_time(&self, g: u64) -> Option<Duration> {
        let k = g as f64;
        let seg = self
            .segments
            .iter()
            .rev()
            .find(|s| s.before <= k)
            .expect("the first segment starts at 0 sends");
        let t = seg.start_s + seg.time_of(k - seg.before);
        (t.is_finite() && t < 1e9).then(|| Duration::from_secs_f64(t))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    fn close(a: Duration, b: f64) -> bool {
        (a.as_secs_f64() - b).abs() < 1e-6
    }

    #[test]
    fn constant_rate_is_evenly_spaced() {
        let p = Plan::new(&RateSchedule::Constant { rps: 100.0 }, secs(1.0), None);
        assert!(close(p.send_time(0).unwrap(), 0.0));
        assert!(close(p.send_time(1).unwrap(), 0.01));
        assert!(close(p.send_time(99).unwrap(), 0.99));
        assert_eq!(p.send_time(100), None);
        assert!((p.mean_rps() - 100.0).abs() < 1e-9);
    }

    #[test]
    fn ramp_then_hold() {
        let ramp = RateSchedule::Ramp {
            from_rps: 100.0,
            to_rps: 300.0,
            over: secs(2.0),
        };
        let p = Plan::new(&ramp, secs(3.0), None);
        // 400 sends in the ramp (mean 200/s × 2 s), then 300/s.
        assert!((p.planned_by(secs(2.0)) - 400.0).abs() < 1e-9);
        assert!(close(p.send_time(400).unwrap(), 2.0));
        assert!(close(p.send_time(430).unwrap(), 2.1));
        assert!((p.planned_by(secs(3.0)) - 700.0).abs() < 1e-9);
        assert!((p.mean_rps() - 700.0 / 3.0).abs() < 1e-9);
        // First gap is about 1/100 s, last ramp gap about 1/300 s.
        let first = p.send_time(1).unwrap().as_secs_f64();
        assert!((first - 0.01).abs() < 1e-4, "{first}");
    }

    #[test]
    fn steps_change_rate_at_boundaries() {
        let steps = RateSchedule::Steps {
            steps: vec![(10.0, secs(1.0)), (100.0, secs(1.0))],
        };
        let p = Plan::new(&steps, secs(2.0), None);
        assert!(close(p.send_time(9).unwrap(), 0.9));
        assert!(close(p.send_time(10).unwrap(), 1.0));
        assert!(close(p.send_time(11).unwrap(), 1.01));
        assert_eq!(p.send_time(110), None);
    }

    #[test]
    fn request_count_caps_the_plan() {
        let p = Plan::new(&RateSchedule::Constant { rps: 10.0 }, secs(100.0), Some(5));
        assert!(p.send_time(4).is_some());
        assert_eq!(p.send_time(5), None);
        assert!(close(p.active_window(), 0.5));
        assert!((p.mean_rps() - 10.0).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn send_times_are_monotonic_and_match_counts(
            a in 1.0f64..5000.0, b in 1.0f64..5000.0, over in 0.1f64..5.0, g in 0u64..20_000,
        ) {
            let p = Plan::new(&RateSchedule::Ramp { from_rps: a, to_rps: b, over: secs(over) },
                secs(1e6), None);
            let t0 = p.send_time(g).unwrap();
            let t1 = p.send_time(g + 1).unwrap();
            prop_assert!(t1 >= t0);
            let planned = p.planned_by(t0);
            prop_assert!((planned - g as f64).abs() < 1e-3 * (1.0 + g as f64 / 1000.0),
                "planned {} at send {}", planned, g);
        }
    }
}
