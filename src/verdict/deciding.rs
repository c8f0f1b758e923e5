//! Which cells decide an undecided claim, and how far it is from a verdict.
//!
//! For every claim the ledger leaves at "not enough evidence": the scenarios
//! whose figures its rule reads, the stacks of the ratios it compares (the
//! best of each language, as the rule picks them; empty: the run's
//! finalists), and — for the claims decided by a throughput ratio — the
//! ratio, the threshold its interval reaches across, and about how many more
//! trials of each cell would narrow it enough at this run's noise. The
//! adaptive rounds of `ringside run` measure those cells again; the reports
//! say why a claim stayed undecided. For the other claims (memory,
//! capacity, cores, requests in flight, a ratio of gaps) the evidence line
//! that holds the claim open is named ([`super::straddle`]). Reads only [`Figures`].

use crate::scenario::Scenario;
use crate::stats::Ratio;
use crate::stats::sequential::level_at_look;

use super::claims::{self, Verdict, duel, throughput};
use super::figures::{Figures, Lang};
use super::straddle::{straddling, without_interval};

/// A claim the ledger cannot decide yet.
#[derive(Debug, Clone)]
pub struct Undecided {
    pub id: &'static str,
    /// The scenarios whose figures the claim's rule reads.
    pub scenarios: Vec<Scenario>,
    /// The stacks of the deciding ratios (empty: the run's finalists).
    pub stacks: Vec<String>,
    /// The ledger's reason.
    pub because: String,
    /// The deciding ratio against its threshold, when a throughput ratio decides.
    pub outlook: Option<Outlook>,
    /// Otherwise: the evidence line whose interval reaches across a
    /// threshold of the rule, or that has no interval yet, said in one line.
    pub open: Option<String>,
}

/// A deciding ratio whose interval reaches across a threshold.
#[derive(Debug, Clone)]
pub struct Outlook {
    /// The ratio's evidence line (`json: node-http … → 4.1× [3.2–5.3]`).
    pub line: String,
    pub ratio: Ratio,
    /// The threshold its interval reaches across.
    pub threshold: f64,
    /// Fewest trials of the two cells.
    pub trials: usize,
    /// Trials more of each cell that would narrow the interval clear of the
    /// threshold if the median held (`None`: the median sits on the
    /// threshold, within 2 %: no number of rounds can be counted on).
    pub more_trials: Option<u32>,
}

impl Outlook {
    /// `the ratio 1.42× [1.05–1.93] reaches across 1.5×: needs ~6 more trials of each at this noise`.
    pub fn describe(&self) -> String {
        let what = format!(
            "{} reaches across {}×",
            self.line,
            fmt_threshold(self.threshold)
        );
        match self.more_trials {
            None => format!("{what}: the ratio sits on the threshold"),
            Some(m) => format!(
                "{what}: needs ~{m} more trial(s) of each stack at this noise ({} now)",
                self.trials
            ),
        }
    }
}

fn fmt_threshold(t: f64) -> String {
    let two = format!("{t:.2}");
    two.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The scenarios whose figures decide claim `id` (its `checked_by`). The
/// memory of idle WebSocket connections (K2, K9) is measured on the ws-chat
/// launch, so ws-chat measures it again.
pub fn deciding_scenarios(id: &str) -> &'static [Scenario] {
    use Scenario::*;
    match id {
        "K1" => &[Plaintext, Json],
        "K2" => &[Io, Idle, WsChat],
        "K3" => &[Io],
        "K4" => &[Workers],
        "K5" => &[Numeric],
        "K6" => &[Cpu],
        "K7" => &[WsChat],
        "K8" => &[Json, Db, Queries, Fortunes],
        "K9" => &[Json, Idle, WsChat],
        _ => &[],
    }
}

/// The throughput duels of claim `id`: scenario, numerator and denominator
/// language, and the thresholds the rule reads.
fn duels(id: &str) -> &'static [(Scenario, Lang, Lang, &'static [f64])] {
    use claims::*;
    const K1: &[f64] = &[K1_MUCH, K1_HARDLY];
    const K2: &[f64] = &[K2_MUCH, K2_HARDLY];
    const K5: &[f64] = &[K5_WINS, 1.0 / K5_WINS];
    const K6: &[f64] = &[K6_FASTER, K6_HARDLY];
    const K8: &[f64] = &[K8_SMALL_GAP, 1.0 / K8_SMALL_GAP];
    match id {
        "K1" => &[
            (Scenario::Plaintext, Lang::Node, Lang::Python, K1),
            (Scenario::Json, Lang::Node, Lang::Python, K1),
        ],
        "K2" => &[(Scenario::Io, Lang::Node, Lang::Python, K2)],
        "K5" => &[(Scenario::Numeric, Lang::Python, Lang::Node, K5)],
        "K6" => &[(Scenario::Cpu, Lang::Node, Lang::Python, K6)],
        "K8" => &[
            (Scenario::Json, Lang::Node, Lang::Python, K8),
            (Scenario::Db, Lang::Node, Lang::Python, K8),
            (Scenario::Queries, Lang::Node, Lang::Python, K8),
            (Scenario::Fortunes, Lang::Node, Lang::Python, K8),
        ],
        _ => &[],
    }
}

/// The claims the ledger leaves undecided, with the cells that decide them.
/// `look`: the look these figures are read at (for the projection's level).
pub fn undecided(fig: &Figures, look: u32, adaptive: bool) -> Vec<Undecided> {
    claims::ledger(fig)
        .into_iter()
        .filter(|v| v.verdict == Verdict::NotEnoughEvidence)
        .map(|v| {
            let mut stacks = Vec::new();
            let mut outlooks = Vec::new();
            let mut settled = Vec::new();
            for (sc, a, b, thresholds) in duels(v.id) {
                let Some(d) = duel(fig, *sc, *a, *b, throughput, "req/s") else {
                    continue;
                };
                if settles(&d.ratio, thresholds) {
                    settled.push(*sc);
                }
                for s in [&d.a.stack, &d.b.stack] {
                    if !stacks.contains(s) {
                        stacks.push(s.clone());
                    }
                }
                let trials = [&d.a, &d.b]
                    .iter()
                    .filter_map(|f| f.throughput_rps.map(|e| e.n))
                    .min()
                    .unwrap_or(0);
                if let Some(o) = outlook(&d.line, d.ratio, thresholds, trials, look, adaptive) {
                    outlooks.push(o);
                }
            }
            // The ratio furthest from a verdict speaks for the claim.
            let outlook = outlooks
                .into_iter()
                .max_by_key(|o| o.more_trials.map_or(u64::MAX, u64::from));
            let open = match straddling(fig, v.id, &v.evidence) {
                Some((s, unit)) => Some(s.describe(v.id, unit)),
                None => without_interval(&v.evidence).map(|l| {
                    format!(
                        "{}: {l}: no interval yet, so nothing decides; {}",
                        v.id, v.because
                    )
                }),
            };
            Undecided {
                id: v.id,
                scenarios: unsettled(fig, v.id, &settled),
                stacks,
                because: v.because,
                outlook,
                open,
            }
        })
        .collect()
}

/// Whether a throughput duel's ratio is already on one side of every
/// threshold its rule reads (an interval, clear of each): measuring it
/// again cannot be what decides the claim.
fn settles(r: &Ratio, thresholds: &[f64]) -> bool {
    r.judged && thresholds.iter().all(|t| *t < r.low || *t > r.high)
}

/// The scenarios an adaptive round measures again for claim `id`: its
/// deciding scenarios without the duels already `settled` (K8's json gap
/// 7× when only the db cell is too noisy), so the round is as short as
/// the undecided figures allow. All of them when none of the rest was
/// measured (the claim is open for another reason, such as the noise
/// floor, or for want of a scenario).
fn unsettled(fig: &Figures, id: &str, settled: &[Scenario]) -> Vec<Scenario> {
    let all = deciding_scenarios(id);
    let left: Vec<Scenario> = all
        .iter()
        .filter(|s| !settled.contains(s))
        .copied()
        .collect();
    if left.iter().any(|s| !fig.scenario(*s).is_empty()) {
        left
    } else {
        all.to_vec()
    }
}

/// The outlook of one ratio whose interval reaches across one of
/// `thresholds` (`None`: it reaches across none, or cannot be judged).
///
/// On the log scale the interval is `centre ± h`, `h = q·s/√n`; with `m`
/// more trials of each cell and the next look's quantile `q'`, it clears a
/// threshold at distance `d` from the centre when `q'·s/√(n+m) < d`:
/// `m > n·((h·q'/q)/d)² − n`.
pub fn outlook(
    line: &str,
    ratio: Ratio,
    thresholds: &[f64],
    trials: usize,
    look: u32,
    adaptive: bool,
) -> Option<Outlook> {
    if !(ratio.judged && ratio.low > 0.0 && ratio.high.is_finite()) {
        return None;
    }
    let (lo, hi) = (ratio.low.ln(), ratio.high.ln());
    let centre = (lo + hi) / 2.0;
    let h = (hi - lo) / 2.0;
    let threshold = thresholds
        .iter()
        .copied()
        .filter(|t| ratio.low <= *t && *t <= ratio.high)
        .min_by(|a, b| (a.ln() - centre).abs().total_cmp(&(b.ln() - centre).abs()))?;
    let d = (threshold.ln() - centre).abs();
    let n = trials.max(1) as f64;
    let q_now = crate::stats::interval::t_quantile_at(ratio.df, level_at_look(look, adaptive));
    let q_next =
        crate::stats::interval::t_quantile_at(ratio.df + 2.0, level_at_look(look + 1, adaptive));
    let more_trials = (d > 0.02).then(|| {
        let m = n * ((h * q_next / q_now) / d).powi(2) - n;
        m.max(1.0).ceil().min(999.0) as u32
    });
    Some(Outlook {
        line: line.to_string(),
        ratio,
        threshold,
        trials,
        more_trials,
    })
}

/// One line per undecided claim: why it is undecided and what would decide it.
pub fn describe(u: &Undecided) -> String {
    match (&u.outlook, &u.open) {
        (Some(o), _) => format!("{}: {}", u.id, o.describe()),
        (None, Some(open)) => open.clone(),
        (None, None) => format!("{}: {}", u.id, u.because),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ratio(value: f64, low: f64, high: f64) -> Ratio {
        Ratio {
            value,
            low,
            high,
            df: 30.0,
            judged: true,
        }
    }

    /// K8 with its json gap 7.4× clear of 1.25×: a db gap across 1.25×
    /// sends only the database scenarios to the next round; both clear but
    /// within a 50 % noise floor (K8 open for the floor, not for a ratio
    /// more trials would move): every deciding scenario again.
    #[test]
    fn a_claim_open_only_on_some_duels_measures_those_again() {
        use crate::verdict::claims::tests::fixture::{figures, gap, with_floor};
        let mut fig = figures();
        gap(&mut fig, Scenario::Json, 6.0, 7.4, 9.0);
        gap(&mut fig, Scenario::Db, 1.1, 1.3, 1.6);
        let k8 = |fig: &Figures| {
            undecided(fig, 0, true)
                .into_iter()
                .find(|u| u.id == "K8")
                .expect("K8 undecided")
                .scenarios
        };
        assert_eq!(
            k8(&fig),
            [Scenario::Db, Scenario::Queries, Scenario::Fortunes]
        );
        let mut fig = with_floor(figures(), 0.5);
        gap(&mut fig, Scenario::Json, 6.0, 7.4, 9.0);
        gap(&mut fig, Scenario::Db, 1.3, 1.4, 1.45);
        assert_eq!(k8(&fig), deciding_scenarios("K8"));
        // Settled: judged and clear of every threshold, and nothing less.
        assert!(settles(&ratio(2.0, 1.7, 2.3), &[1.5, 1.1]));
        assert!(!settles(&ratio(1.6, 1.5, 2.3), &[1.5, 1.1]));
        assert!(!settles(
            &Ratio {
                judged: false,
                ..ratio(2.0, 1.7, 2.3)
            },
            &[1.5]
        ));
    }

    #[test]
    fn a_ratio_across_a_threshold_needs_more_trials_and_one_on_it_cannot_be_counted_on() {
        let o = outlook("io", ratio(1.3, 1.05, 1.6), &[1.5, 1.1], 2, 0, true).unwrap();
        assert_eq!(o.threshold, 1.5);
        let m = o.more_trials.unwrap();
        assert!((1..100).contains(&m), "{m}");
        // Twice as far from the threshold needs fewer trials.
        let far = outlook("io", ratio(1.2, 1.05, 1.55), &[1.5, 1.1], 2, 0, true).unwrap();
        assert_eq!(far.threshold, 1.1);
        let on = outlook("io", ratio(1.5, 1.2, 1.88), &[1.5, 1.1], 2, 0, true).unwrap();
        assert_eq!(on.more_trials, None);
        assert!(on.describe().contains("sits on the threshold"));
        // Clear of every threshold: nothing to say.
        assert!(outlook("io", ratio(2.0, 1.7, 2.3), &[1.5, 1.1], 2, 0, true).is_none());
        assert!(
            outlook(
                "io",
                Ratio {
                    judged: false,
                    ..ratio(1.3, 1.0, 1.6)
                },
                &[1.5],
                2,
                0,
                true
            )
            .is_none()
        );
    }

    #[test]
    fn every_claim_names_the_scenarios_that_decide_it() {
        for c in claims::CLAIMS.iter() {
            assert!(!deciding_scenarios(c.id).is_empty(), "{}", c.id);
        }
    }
}
