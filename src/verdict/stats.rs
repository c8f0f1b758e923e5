//! Statistics of the verdict as pure functions: median and spread of trials,
//! the tie rule, and ratios that hold "beyond the spread".
//!
//! A [`Spread`] is the median of the valid trials with their min–max range;
//! two figures whose ranges overlap are a tie. Medians, summaries and the tie
//! rule are the harness's ([`crate::stats::basic`]); this adds the serialisable
//! figure the verdict passes around and ratios that hold beyond the spread.

use serde::Serialize;

use crate::stats::basic::{Summary, is_tie, summarize};

/// Median of valid trials with their range. Invariant: `min <= median <= max`, `n >= 1`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Spread {
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// Trials the figure is made of.
    pub n: usize,
}

/// Median of `values` (the harness's [`crate::stats::basic::median`]).
pub use crate::stats::basic::median;

impl Spread {
    /// Median and range of `values`; `None` when empty or not finite.
    pub fn of(values: &[f64]) -> Option<Spread> {
        if values.iter().any(|v| !v.is_finite()) {
            return None;
        }
        let s = summarize(values)?;
        Some(Spread {
            median: s.median,
            min: s.min,
            max: s.max,
            n: s.n,
        })
    }

    /// The harness's summary of the same trials (for its tie rule).
    pub fn summary(&self) -> Summary {
        Summary {
            n: self.n,
            median: self.median,
            min: self.min,
            max: self.max,
            spread: if self.median != 0.0 {
                (self.max - self.min) / self.median.abs()
            } else {
                0.0
            },
            cv: None,
        }
    }

    /// A single exact value (n = 1).
    pub fn exact(value: f64) -> Spread {
        Spread {
            median: value,
            min: value,
            max: value,
            n: 1,
        }
    }

    /// True when the two ranges overlap: the difference is inside the spread.
    pub fn ties(&self, other: &Spread) -> bool {
        tie(self, other)
    }
}

/// The tie rule of [`crate::stats::basic::is_tie`] with no noise floor: two
/// figures are a tie when their min–max ranges overlap.
pub fn tie(a: &Spread, b: &Spread) -> bool {
    is_tie(&a.summary(), &b.summary(), 0.0)
}

/// `a / b` of the medians; `None` when `b` is not positive.
pub fn ratio(a: &Spread, b: &Spread) -> Option<f64> {
    (b.median > 0.0).then(|| a.median / b.median)
}

/// The smallest ratio `a / b` the trials allow (`a.min / b.max`): when it is at
/// least `x`, "a is x times b" holds beyond the spread.
pub fn ratio_low(a: &Spread, b: &Spread) -> Option<f64> {
    (b.max > 0.0).then(|| a.min / b.max)
}

/// Relative change from `before` to `after` of the medians, as a fraction (0.1 = +10 %).
pub fn change(before: &Spread, after: &Spread) -> Option<f64> {
    (before.median != 0.0).then(|| (after.median - before.median) / before.median)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn median_exact_vectors() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        assert_eq!(Spread::of(&[1.0, f64::NAN]), None);
    }

    #[test]
    fn spread_and_ties() {
        let a = Spread::of(&[100.0, 110.0, 105.0]).unwrap();
        assert_eq!((a.min, a.median, a.max, a.n), (100.0, 105.0, 110.0, 3));
        let b = Spread::of(&[108.0, 120.0, 125.0]).unwrap();
        assert!(a.ties(&b));
        let c = Spread::of(&[111.0, 120.0]).unwrap();
        assert!(!a.ties(&c));
        assert!((ratio(&c, &a).unwrap() - 115.5 / 105.0).abs() < 1e-9);
        assert!((ratio_low(&c, &a).unwrap() - 111.0 / 110.0).abs() < 1e-9);
        assert!((change(&a, &c).unwrap() - 0.1).abs() < 1e-9);
    }

    proptest! {
        #[test]
        fn median_is_inside_the_range(v in proptest::collection::vec(-1e9f64..1e9, 1..20)) {
            let s = Spread::of(&v).unwrap();
            prop_assert!(s.min <= s.median && s.median <= s.max);
            prop_assert_eq!(s.n, v.len());
            prop_assert!(s.ties(&s));
        }

        #[test]
        fn tie_is_symmetric(a in proptest::collection::vec(0f64..100.0, 1..5), b in proptest::collection::vec(0f64..100.0, 1..5)) {
            let (a, b) = (Spread::of(&a).unwrap(), Spread::of(&b).unwrap());
            prop_assert_eq!(a.ties(&b), b.ties(&a));
            prop_assert!(ratio_low(&a, &b).unwrap_or(0.0) <= ratio(&a, &b).unwrap_or(f64::INFINITY) + 1e-9);
        }
    }
}
