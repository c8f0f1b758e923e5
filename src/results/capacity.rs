//! The capacity bracket of one stack × scenario over its trials, reduced
//! from the searches' steps alone (a pure function: the verdict's figures
//! and the harness, which seeds a later trial's search from the earlier
//! ones, read the same bracket).
//!
//! `low` is the lowest pass: the smallest of the trials' capacities (each
//! trial's highest passing step). `high` is the lowest failure above it over
//! the trials and their steps — a step failed by the server (`slo` or
//! `errors`) above its own trial's capacity. Every trial's capacity is at
//! least `low`, and the trial that failed at `high` has a capacity below
//! it, so the worst trial's capacity lies in `[low, high)`. A step stopped
//! by the generator or the offered rate bounds nothing from above (the
//! server was not what failed), nor does a search that passed its largest
//! step: without a server failure above `low`, `high` is `None` — a lower
//! bound stays a lower bound.

use super::{CapacityRecord, CapacityStep};

/// Capacity at the SLO over trials: the worst trial's capacity is at least
/// `low` and, when `high` is known, below it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bracket {
    /// Lowest of the trials' capacities (0 for a trial whose every step failed).
    pub low: f64,
    /// Lowest server failure above `low`; `None`: a lower bound.
    pub high: Option<f64>,
}

/// True when the server, not the generator or the offered rate, failed the step.
pub fn server_failed(s: &CapacityStep) -> bool {
    !s.passed && matches!(s.failed_by.as_deref(), Some("slo" | "errors") | None)
}

impl CapacityRecord {
    /// The lowest step the server failed above this trial's capacity: the
    /// trial's capacity lies below it (`None`: nothing above it failed by
    /// the server's fault). A record without steps (made by hand) offers
    /// its `upper_bound` when the search stopped on the server's failure.
    pub fn server_upper_bound(&self) -> Option<f64> {
        if self.steps.is_empty() {
            return self
                .upper_bound
                .filter(|_| matches!(self.limited_by.as_str(), "slo" | "errors"));
        }
        let cap = self.capacity.unwrap_or(0.0);
        self.steps
            .iter()
            .filter(|s| server_failed(s) && s.offered > cap)
            .map(|s| s.offered)
            .reduce(f64::min)
    }
}

/// The bracket over `records` (one stack × scenario × workers, any trials);
/// `None` when there are none.
pub fn bracket(records: &[&CapacityRecord]) -> Option<Bracket> {
    let low = records
        .iter()
        .map(|r| r.capacity.unwrap_or(0.0))
        .reduce(f64::min)?;
    let high = records
        .iter()
        .filter_map(|r| r.server_upper_bound())
        .filter(|u| *u > low)
        .reduce(f64::min);
    Some(Bracket { low, high })
}

/// Where a later trial's search starts (`low`) and bisects towards
/// (`high`): the median trial's pass (the lower middle one of an even
/// count) and the lowest server failure above it over the trials. The worst
/// trial's bracket ([`bracket`]) drifts down as trials are added — the
/// lowest of n passes — so searches seeded from it start further below a
/// typical trial's capacity and run out of steps before a failure.
pub fn seed_bracket(records: &[&CapacityRecord]) -> Option<Bracket> {
    let mut passes: Vec<f64> = records.iter().map(|r| r.capacity.unwrap_or(0.0)).collect();
    passes.sort_by(f64::total_cmp);
    let low = *passes.get(passes.len().checked_sub(1)? / 2)?;
    // Each trial's own server failures above its pass (a record without
    // steps: its upper bound), the lowest above `low`.
    let high = records
        .iter()
        .flat_map(|r| {
            let cap = r.capacity.unwrap_or(0.0);
            let steps = r
                .steps
                .iter()
                .filter(move |s| server_failed(s) && s.offered > cap)
                .map(|s| s.offered);
            let made_by_hand = r.steps.is_empty().then(|| r.server_upper_bound());
            steps.chain(made_by_hand.flatten())
        })
        .filter(|u| *u > low)
        .reduce(f64::min);
    Some(Bracket { low, high })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::Scenario;

    fn step(offered: f64, failed_by: Option<&str>) -> CapacityStep {
        CapacityStep {
            offered,
            achieved: offered,
            p99_us: 1000,
            errors: 0,
            passed: failed_by.is_none(),
            failed_by: failed_by.map(String::from),
            generator_utilization: None,
        }
    }

    fn record(trial: u32, steps: Vec<CapacityStep>) -> CapacityRecord {
        let cap = steps
            .iter()
            .filter(|s| s.passed)
            .map(|s| s.offered)
            .reduce(f64::max);
        CapacityRecord {
            stack: "s".into(),
            scenario: Scenario::WsChat,
            workers: 1,
            trial,
            slo_ms: 100.0,
            unit: "clients".into(),
            capacity: cap,
            upper_bound: None,
            limited_by: "slo".into(),
            steps,
        }
    }

    /// The installed default run's searches (figs/run2.out): python-fastapi
    /// 2,366 (errors at 3,549) and 2,673 (slo at 4,010); node-http 5,000
    /// (the ceiling) and 4,203 (slo at 5,000).
    #[test]
    fn lowest_pass_to_the_lowest_server_failure_above_it() {
        let py = [
            record(
                2,
                vec![
                    step(1051.0, None),
                    step(2366.0, None),
                    step(3549.0, Some("errors")),
                ],
            ),
            record(
                3,
                vec![
                    step(1188.0, None),
                    step(2673.0, None),
                    step(4010.0, Some("slo")),
                ],
            ),
        ];
        let b = bracket(&py.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(
            b,
            Bracket {
                low: 2366.0,
                high: Some(3549.0)
            }
        );
        let node = [
            record(2, vec![step(4505.0, None), step(5000.0, None)]),
            record(
                3,
                vec![
                    step(3405.0, None),
                    step(5000.0, Some("slo")),
                    step(4203.0, None),
                ],
            ),
        ];
        let b = bracket(&node.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(
            b,
            Bracket {
                low: 4203.0,
                high: Some(5000.0)
            },
            "trial 3's failure at 5,000 bounds the worst trial though trial 2 passed it"
        );
    }

    #[test]
    fn generator_rate_and_ceiling_stops_leave_a_lower_bound() {
        let recs = [
            record(1, vec![step(4000.0, None), step(6000.0, Some("generator"))]),
            record(2, vec![step(4500.0, None), step(5000.0, Some("rate"))]),
            record(3, vec![step(5000.0, None)]),
        ];
        let b = bracket(&recs.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(
            b,
            Bracket {
                low: 4000.0,
                high: None
            }
        );
    }

    #[test]
    fn a_first_step_failure_its_own_trial_then_passed_bounds_nothing() {
        // A cold first step at 3,000 fails, the re-probe passes it: the
        // trial's capacity is at least 3,000, so 3,000 bounds nothing.
        let recs = [record(
            1,
            vec![
                step(3000.0, Some("slo")),
                step(2500.0, None),
                step(3000.0, None),
                step(3600.0, Some("slo")),
            ],
        )];
        let r = &recs[0];
        assert_eq!(r.server_upper_bound(), Some(3600.0));
        assert_eq!(
            bracket(&[r]),
            Some(Bracket {
                low: 3000.0,
                high: Some(3600.0)
            })
        );
        assert_eq!(bracket(&[]), None);
    }

    #[test]
    fn a_record_without_steps_offers_its_upper_bound_when_the_server_failed() {
        let mut r = record(1, vec![]);
        r.capacity = Some(1000.0);
        r.upper_bound = Some(1250.0);
        assert_eq!(r.server_upper_bound(), Some(1250.0));
        r.limited_by = "generator".into();
        assert_eq!(r.server_upper_bound(), None);
    }

    #[test]
    fn a_trial_that_passed_nothing_has_capacity_zero() {
        let recs = [
            record(1, vec![step(1000.0, Some("errors"))]),
            record(2, vec![step(800.0, None), step(1200.0, Some("slo"))]),
        ];
        let b = bracket(&recs.iter().collect::<Vec<_>>()).unwrap();
        assert_eq!(
            b,
            Bracket {
                low: 0.0,
                high: Some(1000.0)
            }
        );
    }

    /// Later trials start from the median trial's pass, not the worst's:
    /// with trials at 1,500 (one slow trial), 2,157 and 2,265, the worst
    /// pass (1,500) is a third below where the others' capacities lay.
    #[test]
    fn a_later_trial_is_seeded_from_the_median_trials_pass() {
        let recs = [
            record(1, vec![step(2157.0, None), step(2265.0, Some("slo"))]),
            record(2, vec![step(2157.0, Some("slo")), step(1500.0, None)]),
            record(
                3,
                vec![
                    step(2265.0, None),
                    step(2400.0, Some("slo")),
                    step(2900.0, Some("errors")),
                ],
            ),
        ];
        let all: Vec<&CapacityRecord> = recs.iter().collect();
        assert_eq!(bracket(&all).unwrap().low, 1500.0);
        assert_eq!(
            seed_bracket(&all),
            Some(Bracket {
                low: 2157.0,
                high: Some(2265.0)
            })
        );
        // Two trials: the lower one; one trial: its own bracket.
        assert_eq!(seed_bracket(&all[1..]).unwrap().low, 1500.0);
        assert_eq!(
            seed_bracket(&all[2..]),
            Some(Bracket {
                low: 2265.0,
                high: Some(2400.0)
            })
        );
        // A cold first step failed below the trial's own pass bounds nothing.
        let cold = record(
            4,
            vec![
                step(2000.0, Some("slo")),
                step(1800.0, None),
                step(2000.0, None),
                step(2300.0, Some("slo")),
            ],
        );
        assert_eq!(
            seed_bracket(&[&cold, &recs[1]]),
            Some(Bracket {
                low: 1500.0,
                high: Some(2157.0)
            })
        );
        assert_eq!(
            seed_bracket(&[&cold]),
            Some(Bracket {
                low: 2000.0,
                high: Some(2300.0)
            })
        );
        assert_eq!(seed_bracket(&[]), None);
    }

    proptest::proptest! {
        /// Whatever the trials' true capacities and steps, the bracket holds
        /// the worst trial's capacity (a step passes when at or below it).
        #[test]
        fn the_bracket_holds_the_worst_trials_capacity(
            trials in proptest::collection::vec(
                (100.0f64..10_000.0, proptest::collection::vec((50.0f64..12_000.0, 0u8..4), 1..8)),
                1..5,
            )
        ) {
            let recs: Vec<CapacityRecord> = trials
                .iter()
                .enumerate()
                .map(|(t, (cap, offers))| {
                    let steps = offers
                        .iter()
                        .map(|&(o, why)| {
                            if o <= *cap {
                                step(o, None)
                            } else {
                                step(o, Some(["slo", "errors", "generator", "rate"][why as usize]))
                            }
                        })
                        .collect();
                    record(t as u32, steps)
                })
                .collect();
            let worst = trials.iter().map(|t| t.0).fold(f64::INFINITY, f64::min);
            let b = bracket(&recs.iter().collect::<Vec<_>>()).unwrap();
            proptest::prop_assert!(b.low <= worst);
            if let Some(h) = b.high {
                proptest::prop_assert!(worst < h, "worst {} high {}", worst, h);
                proptest::prop_assert!(h > b.low);
            }
        }
    }
}
