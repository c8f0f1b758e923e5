//! Confidence intervals of figures and of ratios of figures, from trials.
//!
//! The model, and why: on this kind of machine the noise is multiplicative —
//! a slow stretch of the host slows every request by the same factor — so a
//! figure's trial values are treated as log-normal around the true value. On
//! the log scale, trial values `y_i` have mean `μ` and standard deviation `σ`.
//! `σ` is the run's pooled trial-to-trial noise ([`Noise`]: repeated trials
//! of the same stack and scenario, an A/A check) with the cell's own trials
//! pooled in — a cell of two or three trials has too few degrees of freedom
//! to judge its own spread — unless the cell is clearly noisier than the
//! run ([`NOISIER`]), when its own spread is used. The 95 %
//! interval of `μ` is `ȳ ± t(df)·σ/√n` (Student's t); a ratio of two figures is
//! a difference of log means with Welch–Satterthwaite degrees of freedom.
//! For log-normal trials the coverage is exact; `tests` checks it by simulation.
//!
//! A difference is claimed only when the ratio's interval excludes 1 *and*
//! the ratio is beyond the run's noise floor ([`Noise::floor`]); anything else
//! is a tie. Pure functions, no I/O.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::basic::{mean, median, min_max};
use super::pool::{CellSpread, cell_spread, wild_cells};

/// Confidence level of every interval ringside prints.
pub const LEVEL: f64 = 0.95;

/// A cell whose own trial-to-trial sd exceeds the run's pooled sd by this
/// factor keeps its own interval instead of borrowing the run's (for one
/// degree of freedom against twenty, a ratio this large happens by chance
/// about 6 % of the time).
pub const NOISIER: f64 = 2.0;

/// Two-sided Student-t quantile for [`LEVEL`] with `df` degrees of freedom
/// (`df` may be fractional, as Welch's is).
pub fn t_quantile(df: f64) -> f64 {
    t_quantile_at(df, LEVEL)
}

/// Two-sided Student-t quantile for confidence `level` (0.95, 0.99, …).
pub fn t_quantile_at(df: f64, level: f64) -> f64 {
    let df = df.max(1.0);
    StudentsT::new(0.0, 1.0, df)
        .map(|t| t.inverse_cdf(0.5 + level / 2.0))
        .unwrap_or(f64::INFINITY)
}

fn default_level() -> f64 {
    LEVEL
}

/// The run's trial-to-trial noise of one kind of figure: the pooled standard
/// deviation of log trial values over every cell with two or more trials.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Noise {
    /// Pooled standard deviation of ln(value) between trials.
    pub sd_log: f64,
    /// Degrees of freedom: Σ (trials − 1) over the cells pooled.
    pub df: f64,
    /// Cells that had two or more trials.
    pub cells: usize,
}

impl Noise {
    /// Pools the trial values of several cells (each the trials of one stack
    /// and scenario); cells with fewer than two positive values are skipped,
    /// and a wild cell is set aside ([`super::pool`]) so that it widens its
    /// own interval only. `None` when no cell has two.
    pub fn pooled<'a>(cells: impl IntoIterator<Item = &'a [f64]>) -> Option<Noise> {
        let spreads: Vec<CellSpread> = cells.into_iter().filter_map(cell_spread).collect();
        let wild = wild_cells(&spreads);
        let (mut ss, mut df, mut n) = (0.0, 0.0, 0usize);
        for (i, c) in spreads.iter().enumerate() {
            if wild.contains(&i) {
                continue;
            }
            ss += c.ss;
            df += c.df;
            n += 1;
        }
        (df > 0.0).then(|| Noise {
            sd_log: (ss / df).sqrt(),
            df,
            cells: n,
        })
    }

    /// The noise floor, a fraction: two single trials of the same server
    /// differ by less than this 95 % of the time (`exp(t·σ·√2) − 1`). No
    /// ranking or verdict claims a difference smaller than it.
    pub fn floor(&self) -> f64 {
        (t_quantile(self.df) * self.sd_log * std::f64::consts::SQRT_2).exp() - 1.0
    }

    /// Trial-to-trial coefficient of variation, a fraction (≈ σ for small σ).
    pub fn cv(&self) -> f64 {
        ((self.sd_log * self.sd_log).exp() - 1.0).sqrt()
    }
}

/// Where an interval's width came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Basis {
    /// The cell's own trials.
    Trials,
    /// The run's pooled trial-to-trial noise (wider than the cell's own, or
    /// the cell has one trial).
    RunNoise,
    /// One trial and no measured noise: no interval.
    None,
    /// The interval spans more than [`TOO_NOISY_SPAN`]: a figure too noisy
    /// to judge. It is shown as such, with its trials' spread, and no
    /// ratio (so no ranking or verdict) rests on it; `low`/`high` are the
    /// smallest and largest trial.
    TooNoisy,
}

/// An interval whose top is more than this many times its bottom says
/// nothing a reader can use ("24 ms [0 µs–506139 s]"): the figure is shown
/// as too noisy to judge instead (a run's pooled noise gives spans of 1.5–3×
/// on this host; a cell using its own spread on one degree of freedom, 100× and more).
pub const TOO_NOISY_SPAN: f64 = 10.0;

/// A figure from its trials: the median, and the 95 % interval of the
/// typical value. Invariant: `low <= high`, `n >= 1`, all values positive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// Median of the trials.
    pub median: f64,
    /// Lower end of the 95 % interval (equals `median` without a basis).
    pub low: f64,
    /// Upper end of the 95 % interval.
    pub high: f64,
    /// Trials.
    pub n: usize,
    /// Smallest and largest trial.
    pub min: f64,
    pub max: f64,
    /// Mean of ln(trial values).
    pub log_mean: f64,
    /// Standard deviation of ln(value) the interval used.
    pub sd_log: f64,
    /// Its degrees of freedom.
    pub df: f64,
    pub basis: Basis,
    /// Confidence level of the interval: [`LEVEL`], or higher for a cell
    /// measured again by adaptive rounds ([`super::sequential`]).
    #[serde(default = "default_level")]
    pub level: f64,
}

impl Estimate {
    /// The estimate of `trials` (positive, finite values; others are
    /// dropped), with the run's `noise` when known. `None` when nothing is left.
    pub fn of(trials: &[f64], noise: Option<&Noise>) -> Option<Estimate> {
        Estimate::of_at(trials, noise, LEVEL)
    }

    /// [`Estimate::of`] at confidence `level`.
    pub fn of_at(trials: &[f64], noise: Option<&Noise>, level: f64) -> Option<Estimate> {
        let xs: Vec<f64> = trials
            .iter()
            .copied()
            .filter(|v| v.is_finite() && *v > 0.0)
            .collect();
        let (min, max) = min_max(&xs)?;
        let logs: Vec<f64> = xs.iter().map(|v| v.ln()).collect();
        let n = xs.len();
        let log_mean = mean(&logs)?;
        let own = (n >= 2).then(|| {
            let sd =
                (logs.iter().map(|y| (y - log_mean).powi(2)).sum::<f64>() / (n - 1) as f64).sqrt();
            (sd, (n - 1) as f64)
        });
        let half = |(sd, df): (f64, f64)| t_quantile_at(df, level) * sd / (n as f64).sqrt();
        let chosen = match (own, noise) {
            // A cell clearly noisier than the run (own sd over twice the
            // pooled) keeps its own interval, however wide.
            (Some(o), Some(z)) if o.0 > NOISIER * z.sd_log => Some((o, Basis::Trials)),
            // Otherwise the cell's own trials join the run's pool: the pooled
            // variance with the cell's degrees of freedom added.
            (Some((sd, df)), Some(z)) => {
                let v = (df * sd * sd + z.df * z.sd_log * z.sd_log) / (df + z.df);
                Some(((v.sqrt(), df + z.df), Basis::RunNoise))
            }
            (Some(o), None) => Some((o, Basis::Trials)),
            (None, Some(z)) => Some(((z.sd_log, z.df), Basis::RunNoise)),
            (None, None) => None,
        };
        let median = median(&xs)?;
        let (sd_log, df, basis, low, high) = match chosen {
            Some(((sd, df), basis)) => {
                let h = half((sd, df));
                // The interval is of the typical value; the median is shown
                // beside it and always lies inside.
                let (lo, hi) = ((log_mean - h).exp(), (log_mean + h).exp());
                (sd, df, basis, lo.min(median), hi.max(median))
            }
            None => (0.0, 0.0, Basis::None, median, median),
        };
        let (basis, low, high) = if basis != Basis::None && high > TOO_NOISY_SPAN * low {
            (Basis::TooNoisy, min, max)
        } else {
            (basis, low, high)
        };
        Some(Estimate {
            median,
            low,
            high,
            n,
            min,
            max,
            log_mean,
            sd_log,
            df,
            basis,
            level,
        })
    }

    /// True when the figure has an interval (two trials, or measured noise)
    /// a reader can use (not too noisy).
    pub fn has_interval(&self) -> bool {
        !matches!(self.basis, Basis::None | Basis::TooNoisy)
    }

    /// True when the figure is too noisy to judge ([`Basis::TooNoisy`]).
    pub fn too_noisy(&self) -> bool {
        self.basis == Basis::TooNoisy
    }

    /// Largest trial ÷ smallest: the spread a too-noisy figure is shown with.
    pub fn spread(&self) -> f64 {
        self.max / self.min
    }

    /// The interval kept within what is physically possible: `low` no lower
    /// than `floor`, `high` no higher than `ceiling` (the median and the
    /// trials, which were measured, stay as they are).
    pub fn within(mut self, floor: f64, ceiling: f64) -> Estimate {
        if self.has_interval() {
            self.low = self.low.max(floor).min(self.median);
            self.high = self.high.min(ceiling).max(self.median);
        }
        self
    }

    /// Half-width of the interval as a fraction of the median (for display).
    pub fn relative_half_width(&self) -> f64 {
        ((self.high - self.low) / 2.0) / self.median
    }
}

/// A ratio `a ÷ b` of two figures with its 95 % interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Ratio {
    /// `a.median ÷ b.median`.
    pub value: f64,
    pub low: f64,
    pub high: f64,
    /// Welch–Satterthwaite degrees of freedom (0 without an interval).
    pub df: f64,
    /// False when either figure has no interval: the ratio cannot be judged.
    pub judged: bool,
}

impl Ratio {
    /// `a ÷ b`, at the higher of the two figures' confidence levels.
    pub fn of(a: &Estimate, b: &Estimate) -> Ratio {
        let value = a.median / b.median;
        if !a.has_interval() || !b.has_interval() {
            return Ratio {
                value,
                low: value,
                high: value,
                df: 0.0,
                judged: false,
            };
        }
        let (va, vb) = (a.sd_log.powi(2) / a.n as f64, b.sd_log.powi(2) / b.n as f64);
        let se2 = va + vb;
        let df = if se2 == 0.0 {
            a.df + b.df
        } else {
            se2 * se2 / (va * va / a.df.max(1.0) + vb * vb / b.df.max(1.0))
        };
        let d = a.log_mean - b.log_mean;
        let h = t_quantile_at(df, a.level.max(b.level)) * se2.sqrt();
        Ratio {
            value,
            low: (d - h).exp().min(value),
            high: (d + h).exp().max(value),
            df,
            judged: true,
        }
    }

    /// The ratio seen from the other side (`b ÷ a`).
    pub fn inverse(&self) -> Ratio {
        Ratio {
            value: 1.0 / self.value,
            low: 1.0 / self.high,
            high: 1.0 / self.low,
            ..*self
        }
    }
}

/// How two figures compare, after the interval and the noise floor.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Comparison {
    /// `a` is higher: the ratio's interval is above 1 and beyond the floor.
    Higher,
    /// `a` is lower.
    Lower,
    /// Neither can be claimed.
    Tie,
}

/// Compares `a ÷ b` against "no difference": a difference is claimed only
/// when the interval excludes 1 and the ratio is beyond `floor` (a fraction).
pub fn compare(r: &Ratio, floor: f64) -> Comparison {
    if !r.judged {
        return Comparison::Tie;
    }
    let beyond = 1.0 + floor.max(0.0);
    if r.low > 1.0 && r.value >= beyond {
        Comparison::Higher
    } else if r.high < 1.0 && r.value <= 1.0 / beyond {
        Comparison::Lower
    } else {
        Comparison::Tie
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{RngExt, SeedableRng};

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol * b.abs().max(1e-12)
    }

    #[test]
    fn t_quantiles_match_the_tables() {
        assert!(close(t_quantile(1.0), 12.706, 1e-3));
        assert!(close(t_quantile(2.0), 4.303, 1e-3));
        assert!(close(t_quantile(10.0), 2.228, 1e-3));
        assert!(close(t_quantile(1e6), 1.960, 1e-3));
    }

    #[test]
    fn one_trial_without_noise_has_no_interval_and_ties() {
        let a = Estimate::of(&[100.0], None).unwrap();
        let b = Estimate::of(&[300.0], None).unwrap();
        assert_eq!(a.basis, Basis::None);
        assert_eq!((a.low, a.high), (100.0, 100.0));
        let r = Ratio::of(&b, &a);
        assert!(!r.judged);
        assert_eq!(
            compare(&r, 0.0),
            Comparison::Tie,
            "one trial each proves nothing"
        );
    }

    #[test]
    fn pooled_noise_gives_single_trials_an_interval() {
        let cells: Vec<Vec<f64>> = vec![vec![100.0, 110.0, 95.0], vec![50.0, 52.0]];
        let noise = Noise::pooled(cells.iter().map(|c| c.as_slice())).unwrap();
        assert_eq!(noise.cells, 2);
        assert_eq!(noise.df, 3.0);
        let e = Estimate::of(&[200.0], Some(&noise)).unwrap();
        assert_eq!(e.basis, Basis::RunNoise);
        assert!(e.low < 200.0 && e.high > 200.0);
        assert!(noise.floor() > 0.0);
    }

    #[test]
    fn overlapping_intervals_tie_and_separated_ones_do_not() {
        let a = Estimate::of(&[100.0, 104.0, 98.0], None).unwrap();
        let b = Estimate::of(&[103.0, 110.0, 108.0], None).unwrap();
        assert_eq!(compare(&Ratio::of(&b, &a), 0.0), Comparison::Tie);
        let c = Estimate::of(&[200.0, 205.0, 198.0], None).unwrap();
        assert_eq!(compare(&Ratio::of(&c, &a), 0.0), Comparison::Higher);
        assert_eq!(compare(&Ratio::of(&a, &c), 0.0), Comparison::Lower);
        // A clear difference below the noise floor is still a tie.
        assert_eq!(compare(&Ratio::of(&c, &a), 1.5), Comparison::Tie);
    }

    #[test]
    fn a_noisier_cell_keeps_its_own_interval_and_a_typical_one_joins_the_pool() {
        let quiet = Noise {
            sd_log: 0.01,
            df: 40.0,
            cells: 10,
        };
        let noisy = Estimate::of(&[100.0, 150.0, 70.0], Some(&quiet)).unwrap();
        assert_eq!(noisy.basis, Basis::Trials);
        let run = Noise {
            sd_log: 0.1,
            df: 40.0,
            cells: 10,
        };
        let typical = Estimate::of(&[100.0, 108.0], Some(&run)).unwrap();
        assert_eq!(typical.basis, Basis::RunNoise);
        assert_eq!(typical.df, 41.0);
        // Two trials alone would give t(1) = 12.7: the pool keeps it usable.
        let alone = Estimate::of(&[100.0, 108.0], None).unwrap();
        assert!(typical.high - typical.low < alone.high - alone.low);
    }

    /// Issue 20: "3,693 [283–46,266]" and "24 ms [0 µs–506139 s]" came from
    /// cells noisier than the run using their own spread on one degree of
    /// freedom. Such a cell is too noisy to judge, and no ratio rests on it.
    #[test]
    fn a_cell_with_one_wild_trial_is_too_noisy_to_judge_and_decides_nothing() {
        let run = Noise {
            sd_log: 0.1,
            df: 30.0,
            cells: 10,
        };
        let wild = Estimate::of(&[24_000.0, 25_000.0, 7_500_000.0], Some(&run)).unwrap();
        assert!(wild.too_noisy());
        assert!(!wild.has_interval());
        assert_eq!((wild.low, wild.high), (24_000.0, 7_500_000.0));
        assert!((wild.spread() - 312.5).abs() < 1e-9);
        let calm = Estimate::of(&[1000.0, 1100.0, 1050.0], Some(&run)).unwrap();
        assert!(calm.has_interval());
        let r = Ratio::of(&wild, &calm);
        assert!(!r.judged);
        assert_eq!(compare(&r, 0.0), Comparison::Tie);
        assert_eq!(compare(&r.inverse(), 0.0), Comparison::Tie);
    }

    #[test]
    fn a_cell_of_two_trials_keeps_its_interval_when_they_agree_and_not_when_they_do_not() {
        let run = Noise {
            sd_log: 0.1,
            df: 30.0,
            cells: 10,
        };
        let agree = Estimate::of(&[1000.0, 1150.0], Some(&run)).unwrap();
        assert!(agree.has_interval() && agree.high < 2.0 * agree.low);
        // Twelve times apart: its own spread, t(1) = 12.7: a span of thousands.
        let apart = Estimate::of(&[283.0, 3693.0], Some(&run)).unwrap();
        assert!(apart.too_noisy());
        assert_eq!((apart.low, apart.high), (283.0, 3693.0));
        // Alone (no run noise), t(1) = 12.7: two trials 10 % apart keep an
        // interval (3.5× wide), 30 % apart do not (28×).
        assert!(
            Estimate::of(&[1000.0, 1100.0], None)
                .unwrap()
                .has_interval()
        );
        assert!(Estimate::of(&[1000.0, 1300.0], None).unwrap().too_noisy());
    }

    #[test]
    fn within_keeps_an_interval_inside_the_possible_and_the_median_inside_it() {
        let run = Noise {
            sd_log: 0.3,
            df: 30.0,
            cells: 10,
        };
        let e = Estimate::of(&[900.0, 1000.0], Some(&run)).unwrap();
        assert!(e.high > 1100.0);
        let w = e.within(0.0, 1100.0);
        assert_eq!(w.high, 1100.0);
        assert_eq!(w.low, e.low);
        assert!(w.low <= w.median && w.median <= w.high);
        // A ceiling below the median keeps the median (it was measured).
        let m = e.within(0.0, 10.0);
        assert_eq!(m.high, m.median);
        // No interval: nothing to bound.
        let one = Estimate::of(&[5.0], None).unwrap().within(6.0, 7.0);
        assert_eq!((one.low, one.high), (5.0, 5.0));
    }

    /// Coverage on known distributions: log-normal trials with a known
    /// typical value; the 95 % interval must contain it 95 % of the time.
    #[test]
    fn coverage_of_figures_and_ratios_on_lognormal_trials() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        let mut normal = move || {
            // Box–Muller.
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let (runs, sigma, n) = (4000, 0.2, 3);
        let (mut hit_fig, mut hit_ratio) = (0, 0);
        for _ in 0..runs {
            let a: Vec<f64> = (0..n).map(|_| 1000.0 * (sigma * normal()).exp()).collect();
            let b: Vec<f64> = (0..n).map(|_| 500.0 * (sigma * normal()).exp()).collect();
            let ea = Estimate::of(&a, None).unwrap();
            let eb = Estimate::of(&b, None).unwrap();
            if ea.low <= 1000.0 && 1000.0 <= ea.high {
                hit_fig += 1;
            }
            let r = Ratio::of(&ea, &eb);
            if r.low <= 2.0 && 2.0 <= r.high {
                hit_ratio += 1;
            }
        }
        let (cf, cr) = (hit_fig as f64 / runs as f64, hit_ratio as f64 / runs as f64);
        // The median is always inside, which can only widen the interval.
        assert!((0.935..=0.985).contains(&cf), "figure coverage {cf}");
        assert!((0.935..=0.985).contains(&cr), "ratio coverage {cr}");
    }

    #[test]
    fn noise_floor_bounds_single_trial_aa_differences() {
        // Simulated A/A: pairs of single trials of the same server.
        let mut rng = rand::rngs::StdRng::seed_from_u64(11);
        let mut normal = move || {
            let (u1, u2): (f64, f64) = (rng.random::<f64>().max(1e-12), rng.random());
            (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
        };
        let sigma = 0.1;
        let cells: Vec<Vec<f64>> = (0..50)
            .map(|_| (0..3).map(|_| (sigma * normal()).exp()).collect())
            .collect();
        let noise = Noise::pooled(cells.iter().map(|c| c.as_slice())).unwrap();
        let floor = noise.floor();
        let pairs = 4000;
        let beyond = (0..pairs)
            .filter(|_| {
                let (a, b) = ((sigma * normal()).exp(), (sigma * normal()).exp());
                (a / b).max(b / a) - 1.0 > floor
            })
            .count();
        let share = beyond as f64 / pairs as f64;
        assert!(
            share < 0.08,
            "{share} of A/A pairs beyond the floor {floor}"
        );
    }

    proptest::proptest! {
        #[test]
        fn intervals_contain_the_median_and_ratios_invert(a in proptest::collection::vec(1.0f64..1e6, 1..6), b in proptest::collection::vec(1.0f64..1e6, 2..6)) {
            let noise = Noise { sd_log: 0.05, df: 20.0, cells: 5 };
            let ea = Estimate::of(&a, Some(&noise)).unwrap();
            let eb = Estimate::of(&b, None).unwrap();
            proptest::prop_assert!(ea.low <= ea.median && ea.median <= ea.high);
            proptest::prop_assert!(eb.low <= eb.median && eb.median <= eb.high);
            let r = Ratio::of(&ea, &eb);
            let back = Ratio::of(&eb, &ea);
            proptest::prop_assert!(r.low <= r.value && r.value <= r.high);
            proptest::prop_assert!(close(back.value, r.inverse().value, 1e-9));
            let (c1, c2) = (compare(&r, 0.05), compare(&back, 0.05));
            proptest::prop_assert!(matches!((c1, c2), (Comparison::Higher, Comparison::Lower) | (Comparison::Lower, Comparison::Higher) | (Comparison::Tie, Comparison::Tie)));
        }
    }
}
