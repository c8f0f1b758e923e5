//! Statistics over trials, as pure functions: median, range, spread,
//! coefficient of variation and the tie rule. No I/O; NaN never enters
//! (callers pass finite figures), empty input gives `None`.

/// Median of `xs` (mean of the two middle values for an even count).
pub fn median(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    let mut v = xs.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    Some(if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    })
}

/// Smallest and largest of `xs`.
pub fn min_max(xs: &[f64]) -> Option<(f64, f64)> {
    let first = *xs.first()?;
    Some(
        xs.iter()
            .fold((first, first), |(lo, hi), &x| (lo.min(x), hi.max(x))),
    )
}

/// Arithmetic mean.
pub fn mean(xs: &[f64]) -> Option<f64> {
    if xs.is_empty() {
        None
    } else {
        Some(xs.iter().sum::<f64>() / xs.len() as f64)
    }
}

/// Sample standard deviation (n − 1); `None` below two values.
pub fn stdev(xs: &[f64]) -> Option<f64> {
    if xs.len() < 2 {
        return None;
    }
    let m = mean(xs)?;
    let var = xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64;
    Some(var.sqrt())
}

/// Coefficient of variation: sample stdev / mean (a fraction, 0.05 = 5 %);
/// `None` below two values or when the mean is zero.
pub fn cv(xs: &[f64]) -> Option<f64> {
    let m = mean(xs)?;
    if m == 0.0 {
        return None;
    }
    Some(stdev(xs)? / m.abs())
}

/// Relative spread: (max − min) / |median| (a fraction); 0 for one value,
/// `None` when the median is zero.
pub fn spread(xs: &[f64]) -> Option<f64> {
    let (lo, hi) = min_max(xs)?;
    let m = median(xs)?;
    if m == 0.0 {
        return if hi == lo { Some(0.0) } else { None };
    }
    Some((hi - lo) / m.abs())
}

/// One figure over its trials.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Summary {
    /// Number of trials.
    pub n: usize,
    pub median: f64,
    pub min: f64,
    pub max: f64,
    /// (max − min) / |median|, a fraction.
    pub spread: f64,
    /// Coefficient of variation (a fraction); `None` for one trial.
    pub cv: Option<f64>,
}

/// Summarises the trials of one figure; `None` when there are none.
pub fn summarize(xs: &[f64]) -> Option<Summary> {
    let (min, max) = min_max(xs)?;
    Some(Summary {
        n: xs.len(),
        median: median(xs)?,
        min,
        max,
        spread: spread(xs).unwrap_or(0.0),
        cv: cv(xs),
    })
}

/// The tie rule: two figures tie when their trial ranges overlap, or when
/// their medians differ by no more than `noise_floor` (a fraction of the
/// larger median; covers single trials, whose range is a point).
pub fn is_tie(a: &Summary, b: &Summary, noise_floor: f64) -> bool {
    let overlap = a.min <= b.max && b.min <= a.max;
    let scale = a.median.abs().max(b.median.abs());
    let close = scale == 0.0 || (a.median - b.median).abs() <= noise_floor * scale;
    overlap || close
}

/// `a / b`, or `None` when `b` is zero.
pub fn ratio(a: f64, b: f64) -> Option<f64> {
    if b == 0.0 { None } else { Some(a / b) }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn approx(a: f64, b: f64) -> bool {
        (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1.0)
    }

    #[test]
    fn exact_vectors() {
        assert_eq!(median(&[]), None);
        assert_eq!(median(&[3.0]), Some(3.0));
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(min_max(&[2.0, -1.0, 5.0]), Some((-1.0, 5.0)));
        assert_eq!(spread(&[90.0, 100.0, 110.0]), Some(0.2));
        assert_eq!(spread(&[7.0]), Some(0.0));
        assert_eq!(stdev(&[1.0]), None);
        assert_eq!(cv(&[0.0, 0.0]), None);
    }

    #[test]
    fn approximate_floats() {
        // stdev of 2,4,4,4,5,5,7,9 with n-1 is sqrt(32/7).
        let xs = [2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0];
        assert!(approx(stdev(&xs).unwrap(), (32.0f64 / 7.0).sqrt()));
        assert!(approx(cv(&xs).unwrap(), (32.0f64 / 7.0).sqrt() / 5.0));
        assert!(approx(mean(&[0.1, 0.2, 0.3]).unwrap(), 0.2));
    }

    #[test]
    fn tie_rule() {
        let a = summarize(&[100.0, 104.0, 98.0]).unwrap();
        let b = summarize(&[103.0, 110.0, 108.0]).unwrap();
        let c = summarize(&[120.0, 125.0, 122.0]).unwrap();
        assert!(is_tie(&a, &b, 0.0), "overlapping ranges tie");
        assert!(!is_tie(&a, &c, 0.0));
        let one = summarize(&[100.0]).unwrap();
        let two = summarize(&[101.5]).unwrap();
        assert!(is_tie(&one, &two, 0.02));
        assert!(!is_tie(&one, &two, 0.01));
    }

    proptest! {
        #[test]
        fn median_lies_within_range(xs in prop::collection::vec(-1e9f64..1e9, 1..40)) {
            let m = median(&xs).unwrap();
            let (lo, hi) = min_max(&xs).unwrap();
            prop_assert!(lo <= m && m <= hi);
            let s = summarize(&xs).unwrap();
            prop_assert_eq!(s.n, xs.len());
            prop_assert!(s.min <= s.median && s.median <= s.max);
        }

        #[test]
        fn median_ignores_order_and_shifts(mut xs in prop::collection::vec(0.0f64..1e6, 1..30), k in -1e3f64..1e3) {
            let m = median(&xs).unwrap();
            xs.reverse();
            prop_assert_eq!(median(&xs).unwrap(), m);
            let shifted: Vec<f64> = xs.iter().map(|x| x + k).collect();
            prop_assert!(approx(median(&shifted).unwrap(), m + k));
        }

        #[test]
        fn spread_and_cv_are_scale_free_and_non_negative(xs in prop::collection::vec(1.0f64..1e6, 2..30), k in 0.001f64..1000.0) {
            let scaled: Vec<f64> = xs.iter().map(|x| x * k).collect();
            let (s1, s2) = (spread(&xs).unwrap(), spread(&scaled).unwrap());
            prop_assert!(s1 >= 0.0);
            prop_assert!((s1 - s2).abs() <= 1e-6 * s1.max(1.0));
            let (c1, c2) = (cv(&xs).unwrap(), cv(&scaled).unwrap());
            prop_assert!(c1 >= 0.0);
            prop_assert!((c1 - c2).abs() <= 1e-6 * c1.max(1.0));
        }

        #[test]
        fn tie_is_symmetric_and_reflexive(a in prop::collection::vec(1.0f64..1e4, 1..5), b in prop::collection::vec(1.0f64..1e4, 1..5), f in 0.0f64..0.2) {
            let (sa, sb) = (summarize(&a).unwrap(), summarize(&b).unwrap());
            prop_assert_eq!(is_tie(&sa, &sb, f), is_tie(&sb, &sa, f));
            prop_assert!(is_tie(&sa, &sa, 0.0));
        }
    }
}
