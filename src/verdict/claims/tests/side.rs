//! `side()` at every boundary, and the ratio of ratios.

use proptest::prelude::*;
use rand::{RngExt, SeedableRng};

use super::fixture::ratio;
use crate::stats::{Estimate, Ratio};
use crate::verdict::claims::{Side, ratio_of, side};

#[test]
fn side_at_each_boundary_from_both_sides() {
    use Side::*;
    let e = 1e-9;
    // (low, value, high, much, hardly, floor) → side
    let cases: &[(f64, f64, f64, f64, f64, f64, Side)] = &[
        // The whole interval at `much`, then a hair below it.
        (1.5, 1.6, 1.7, 1.5, 1.1, 0.0, Above),
        (1.5 - e, 1.6, 1.7, 1.5, 1.1, 0.0, Wide),
        // The whole interval at `hardly`, then a hair above it.
        (0.9, 1.0, 1.1, 1.5, 1.1, 0.0, Below),
        (0.9, 1.0, 1.1 + e, 1.5, 1.1, 0.0, Wide),
        // Between: strictly inside both thresholds.
        (1.1 + e, 1.2, 1.5 - e, 1.5, 1.1, 0.0, Between),
        (1.1, 1.2, 1.4, 1.5, 1.1, 0.0, Wide),
        (1.2, 1.3, 1.5, 1.5, 1.1, 0.0, Wide),
        // Across both thresholds.
        (1.0, 1.3, 2.0, 1.5, 1.1, 0.0, Wide),
        // The noise floor: a median at 1 + floor is beyond it, a hair
        // below is within it, whatever the interval says.
        (1.6, 1.6, 1.7, 1.5, 1.1, 0.6, Above),
        (1.55, 1.6 - e, 1.7, 1.5, 1.1, 0.6, Floor),
        (1.55, 1.56, 1.58, 1.5, 1.1, 0.6, Floor),
        // The floor never touches the other zones.
        (0.9, 1.0, 1.05, 1.5, 1.1, 0.6, Below),
        (1.2, 1.3, 1.4, 1.5, 1.1, 0.6, Between),
    ];
    for &(low, value, high, much, hardly, floor, want) in cases {
        let r = ratio(low, value, high);
        assert_eq!(
            side(&r, much, hardly, floor),
            want,
            "[{low}–{high}] median {value}, much {much}, hardly {hardly}, floor {floor}"
        );
    }
    let unjudged = Ratio {
        judged: false,
        ..ratio(3.0, 3.0, 3.0)
    };
    assert_eq!(side(&unjudged, 1.5, 1.1, 0.0), Unjudged);
}

fn arb_ratio() -> impl Strategy<Value = Ratio> {
    // Mostly near the thresholds (0.5–2.5), where the zones meet.
    (0.3f64..4.0, 0.0f64..1.0, 0.0f64..1.5).prop_map(|(low, at, width)| {
        let high = low * (1.0 + width);
        ratio(low, low + at * (high - low), high)
    })
}

proptest! {
    /// Each zone is exactly what its name says of the whole interval, and
    /// the noise floor only ever turns "above" into "within the floor".
    #[test]
    fn side_zones_are_what_they_say(
        r in arb_ratio(),
        hardly in 0.5f64..1.5,
        gap in 0.01f64..1.0,
        floor in 0.0f64..1.0,
    ) {
        let much = hardly + gap;
        let s = side(&r, much, hardly, floor);
        match s {
            Side::Above => prop_assert!(r.low >= much && r.value >= 1.0 + floor),
            Side::Floor => prop_assert!(r.low >= much && r.value < 1.0 + floor),
            Side::Below => prop_assert!(r.high <= hardly),
            Side::Between => prop_assert!(r.low > hardly && r.high < much),
            Side::Wide => prop_assert!(
                r.low < much && r.high > hardly && !(r.low > hardly && r.high < much)
            ),
            Side::Unjudged => prop_assert!(false, "judged ratios are judged"),
        }
        // Without a floor, nothing is within it.
        let bare = side(&r, much, hardly, 0.0);
        prop_assert!(bare != Side::Floor || r.value < 1.0);
        if s != Side::Floor {
            prop_assert_eq!(s, bare.max_floor(r.value, floor));
        }
    }

    /// Narrowing an interval never moves it from one decided zone to another.
    #[test]
    fn a_narrower_interval_keeps_its_zone(
        r in arb_ratio(),
        cut in 0.0f64..1.0,
        hardly in 0.5f64..1.5,
        gap in 0.01f64..1.0,
    ) {
        let much = hardly + gap;
        let inner = ratio(r.low + cut * (r.value - r.low), r.value, r.high - cut * (r.high - r.value));
        let (a, b) = (side(&r, much, hardly, 0.0), side(&inner, much, hardly, 0.0));
        if a != Side::Wide {
            prop_assert_eq!(a, b);
        }
    }

    /// The ratio of ratios: its median is the quotient and lies inside; it
    /// inverts; against a ratio of no width it is the other's interval; it
    /// is never narrower (log scale) than either; open ends stay open.
    #[test]
    fn ratio_of_ratios_properties(a in arb_ratio(), b in arb_ratio()) {
        let q = ratio_of(&a, &b);
        prop_assert!(q.judged);
        prop_assert!((q.value - a.value / b.value).abs() <= 1e-9 * q.value);
        prop_assert!(q.low <= q.value && q.value <= q.high);
        let back = ratio_of(&b, &a).inverse();
        prop_assert!((back.low / q.low - 1.0).abs() < 1e-6, "{:?} vs {:?}", back, q);
        prop_assert!((back.high / q.high - 1.0).abs() < 1e-6);
        let w = |r: &Ratio| (r.high / r.low).ln();
        prop_assert!(w(&q) >= w(&a).max(w(&b)) * (1.0 - 1e-9));
        let one = ratio(1.0, 1.0, 1.0);
        let same = ratio_of(&a, &one);
        prop_assert!((same.low / a.low - 1.0).abs() < 1e-6 && (same.high / a.high - 1.0).abs() < 1e-6);
        let open = ratio_of(&Ratio { high: f64::INFINITY, ..a }, &b);
        prop_assert!(open.high.is_infinite() && open.low <= a.low / b.high * (1.0 + 1e-9));
        let open = ratio_of(&a, &Ratio { low: 0.0, ..b });
        prop_assert!(open.high.is_infinite());
        let open = ratio_of(&Ratio { low: 0.0, ..a }, &b);
        prop_assert_eq!(open.low, 0.0);
    }
}

trait MaxFloor {
    fn max_floor(self, value: f64, floor: f64) -> Side;
}

impl MaxFloor for Side {
    /// What the floor does to a side decided without it.
    fn max_floor(self, value: f64, floor: f64) -> Side {
        match self {
            Side::Above if value < 1.0 + floor => Side::Floor,
            s => s,
        }
    }
}

#[test]
fn an_unjudged_ratio_makes_an_unjudged_ratio_of_ratios() {
    let a = Ratio {
        judged: false,
        ..ratio(2.0, 2.0, 2.0)
    };
    let q = ratio_of(&a, &ratio(1.0, 2.0, 3.0));
    assert!(!q.judged);
    assert_eq!((q.low, q.value, q.high), (1.0, 1.0, 1.0));
}

/// Coverage by simulation: four cells of three log-normal trials each (own
/// spread, two degrees of freedom a cell), two ratios, their ratio. The
/// interval must hold the true ratio of ratios about 95 % of the time.
#[test]
fn ratio_of_ratios_covers_the_truth() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(23);
    let mut normal = move || {
        let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    };
    let (runs, sigma) = (3000, 0.15);
    let mut hit = 0;
    for _ in 0..runs {
        let mut cell = |v: f64| {
            let t: Vec<f64> = (0..3).map(|_| v * (sigma * normal()).exp()).collect();
            Estimate::of(&t, None).unwrap()
        };
        let (a, b, c, d) = (cell(4000.0), cell(1000.0), cell(900.0), cell(600.0));
        let q = ratio_of(&Ratio::of(&c, &d), &Ratio::of(&a, &b));
        let truth = (900.0 / 600.0) / (4000.0 / 1000.0);
        if q.low <= truth && truth <= q.high {
            hit += 1;
        }
    }
    let cover = f64::from(hit) / f64::from(runs);
    assert!((0.93..=0.995).contains(&cover), "coverage {cover}");
}
