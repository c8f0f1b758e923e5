//! Adaptive rounds: after the planned rounds, more interleaved rounds of just
//! the cells (stack × scenario) whose intervals decide the claims still
//! undecided, until every claim is decided, another round would overrun the
//! budget, or the looks run out.
//!
//! The budget is the run's wall clock from its start — installs, checks,
//! the database and the planned rounds included — so `--budget 10m` means
//! the command ends about ten minutes after it starts: the planned rounds
//! always run, and the adaptive rounds fill what is left ([`fits`]). Time
//! spent waiting for another ringside to release the machine is not the
//! run's and is not counted; a resumed run counts what its earlier
//! invocations spent up to their last point.
//!
//! Which claims are undecided and which cells decide them is the verdict's
//! business: the command layer passes a [`Judge`] in, so the harness does not
//! reach up into the verdict. Each adaptive round is a look: its record
//! carries `look`, and the figures of the cells it measured are read at the
//! level `stats::sequential` gives that look (97 % after the planned rounds,
//! then 99 %, 99.5 %, …), so looking again does not inflate the error rate.
//! Rounds are recorded before they are measured and every point is written
//! as it lands: an interrupted run resumes the round it was in, then goes on
//! judging.

use std::time::{Duration, Instant};

use crate::results::{AdaptiveSettings, Results, RoundKind, RoundRecord};
use crate::scenario::Scenario;
use crate::stats::sequential::MAX_LOOKS;

use super::plan::{Group, rotation};
use super::runner::Runner;

/// Wall-clock budget of the default run, from its start (installs included).
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(600);

/// Ceiling of `--until-decided` without `--budget`.
pub const UNTIL_DECIDED_CEILING: Duration = Duration::from_secs(3600);

/// A claim still undecided and the cells that would decide it.
#[derive(Debug, Clone, PartialEq)]
pub struct Need {
    /// `K2`.
    pub claim: String,
    /// The scenarios whose figures decide it.
    pub scenarios: Vec<Scenario>,
    /// The stacks of the deciding ratios (empty: the run's finalists).
    pub stacks: Vec<String>,
    /// Why it is undecided, and what would decide it, in one line.
    pub why: String,
}

/// Reads the claims of the results so far: the undecided ones, with their cells.
pub type Judge<'a> = &'a (dyn Fn(&Results) -> Vec<Need> + Send + Sync);

/// The adaptive settings of a run from its flags: the default run adds
/// rounds within [`DEFAULT_BUDGET`]; other runs only when asked (`--budget`
/// or `--until-decided`); sharded and `--url` runs never (a shard cannot
/// judge the claims, a bring-your-own server is no party to them).
pub fn settings(
    budget: Option<Duration>,
    until_decided: bool,
    standard: bool,
    can_judge: bool,
) -> Option<AdaptiveSettings> {
    if !can_judge || (!standard && budget.is_none() && !until_decided) {
        return None;
    }
    let budget = budget.unwrap_or(if until_decided {
        UNTIL_DECIDED_CEILING
    } else {
        DEFAULT_BUDGET
    });
    Some(AdaptiveSettings {
        budget_s: budget.as_secs_f64(),
        until_decided,
        fit_planned: false,
    })
}

/// The record of adaptive round `number` (look `look`) for `needs`: the
/// stacks of the deciding ratios (else `finalists`, the stacks of the last
/// planned round that are party to the claims), the union of the
/// scenarios, in the rotation of the round number. `None`: nothing to measure.
pub fn round_record(
    number: u32,
    look: u32,
    needs: &[Need],
    finalists: &[String],
    workers_extra: &[String],
    run_scenarios: &[Scenario],
) -> Option<RoundRecord> {
    let mut stacks: Vec<String> = Vec::new();
    let mut scenarios: Vec<Scenario> = Vec::new();
    for n in needs {
        let named = if n.stacks.is_empty() {
            finalists
        } else {
            &n.stacks
        };
        for s in named {
            if finalists.contains(s) && !stacks.contains(s) {
                stacks.push(s.clone());
            }
        }
        for sc in &n.scenarios {
            if run_scenarios.contains(sc) && !scenarios.contains(sc) {
                scenarios.push(*sc);
            }
        }
    }
    if stacks.is_empty() || scenarios.is_empty() {
        return None;
    }
    stacks.sort_by_key(|s| finalists.iter().position(|f| f == s));
    scenarios.sort();
    let workers_extra = if scenarios.contains(&Scenario::Workers) {
        workers_extra.to_vec()
    } else {
        Vec::new()
    };
    Some(RoundRecord {
        number,
        kind: RoundKind::Adaptive,
        stacks: rotation(&stacks, (number - 1) as usize),
        scenarios,
        workers_extra,
        reason: needs.iter().map(|n| n.why.clone()).collect(),
        look,
    })
}

/// The needs the next adaptive round measures: all of them when their round
/// fits in `room_s` seconds; otherwise the cheapest first, each added while
/// the round of those chosen still fits (`cost_s`: a round's estimated
/// seconds for some needs, `None`: nothing of them to measure). So the end
/// of the budget goes to the claims a short round can still settle (numeric
/// for K5) rather than to nothing because `workers` would not fit. Kept in
/// the order given; empty when no need fits alone.
pub fn fitting(needs: &[Need], room_s: f64, cost_s: &dyn Fn(&[Need]) -> Option<f64>) -> Vec<Need> {
    if cost_s(needs).is_some_and(|c| c <= room_s) {
        return needs.to_vec();
    }
    let mut alone: Vec<(usize, f64)> = needs
        .iter()
        .enumerate()
        .filter_map(|(i, n)| Some((i, cost_s(std::slice::from_ref(n))?)))
        .collect();
    alone.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut chosen: Vec<usize> = Vec::new();
    for (i, _) in alone {
        let mut with = chosen.clone();
        with.push(i);
        with.sort();
        let picked: Vec<Need> = with.iter().map(|&k| needs[k].clone()).collect();
        if cost_s(&picked).is_some_and(|c| c <= room_s) {
            chosen = with;
        }
    }
    chosen.into_iter().map(|k| needs[k].clone()).collect()
}

/// Whether another adaptive round of about `cost_s` seconds fits a run that
/// has spent `spent_s` seconds of wall clock since its start (installs and
/// planned rounds included) within `budget_s`.
pub fn fits(spent_s: f64, cost_s: f64, budget_s: f64) -> bool {
    spent_s + cost_s <= budget_s
}

/// The stacks of the last planned round that are party to the claims (the
/// Rust ceiling is not), and the extra stacks of its `workers` phases.
pub fn finalists(results: &Results, planned: u32) -> (Vec<String>, Vec<String>) {
    let Some(last) = results
        .rounds
        .iter()
        .filter(|r| r.number <= planned)
        .max_by_key(|r| r.number)
    else {
        return (Vec::new(), Vec::new());
    };
    let party = |name: &String| {
        results
            .stacks
            .iter()
            .find(|r| &r.name == name)
            .is_some_and(|r| Group::of(r) != Some(Group::Rust))
    };
    let mut stacks: Vec<String> = last.stacks.iter().filter(|s| party(s)).cloned().collect();
    // The planned round's order, not its rotation.
    stacks.sort_by_key(|s| results.stacks.iter().position(|r| &r.name == s));
    (stacks, last.workers_extra.clone())
}

impl Runner<'_> {
    /// Runs adaptive rounds after the planned ones while `judge` finds
    /// claims undecided and the budget pays for another round.
    /// `measuring`: when this invocation's first round began (for the
    /// pace of this machine against the plan's estimate);
    /// `planned_estimate`: the plan's estimated measuring time. The budget
    /// is counted from the run's start ([`Runner::started`]).
    pub(crate) async fn adaptive_rounds(
        &mut self,
        judge: Judge<'_>,
        measuring: Instant,
        planned_estimate: Duration,
    ) -> anyhow::Result<()> {
        let Some(adaptive) = self.cfg.settings.plan.adaptive.clone() else {
            return Ok(());
        };
        let planned = self.trials();
        // Seconds spent before this invocation (a resumed run): the latest
        // point's time, which the earlier invocation counted from its start.
        let before_s = match &self.cfg.resume {
            Some(r) => r.points.iter().map(|p| p.at_s).fold(0.0, f64::max),
            None => 0.0,
        };
        // How the plan's estimate compares with this machine's pace.
        let pace = if self.cfg.resume.is_none() && planned_estimate > Duration::ZERO {
            (measuring.elapsed().as_secs_f64() / planned_estimate.as_secs_f64()).clamp(0.5, 4.0)
        } else {
            1.5
        };
        let budget_s = adaptive.budget_s;
        let mut number = planned + 1;
        loop {
            if let Some(r) = self.results.rounds.iter().find(|r| r.number == number) {
                // Resumed: finish the round the run was in.
                let r = r.clone();
                self.round(&r).await?;
                number += 1;
                continue;
            }
            let look = number - planned;
            let needs = judge(&self.results);
            // Claims whose scenarios this run does not measure cannot be
            // decided by another round of it.
            let run_scenarios = &self.cfg.settings.scenarios;
            let (needs, elsewhere): (Vec<Need>, Vec<Need>) = needs
                .into_iter()
                .partition(|n| n.scenarios.iter().any(|s| run_scenarios.contains(s)));
            if !elsewhere.is_empty() && look == 1 {
                self.report.note(&format!(
                    "adaptive: {} undecided for want of scenarios this run does not measure",
                    elsewhere
                        .iter()
                        .map(|n| n.claim.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            if needs.is_empty() {
                if look > 1 || elsewhere.is_empty() {
                    self.report.note(
                        "adaptive: every claim this run can decide is decided; no more rounds",
                    );
                }
                break;
            }
            let spent_s = before_s + self.started.elapsed().as_secs_f64();
            let stop = |this: &mut Self, why: String| {
                this.report.note(&format!("adaptive: {why}; undecided:"));
                for n in &needs {
                    this.report.note(&format!("  {}", n.why));
                }
            };
            if look > MAX_LOOKS {
                stop(
                    self,
                    format!("{MAX_LOOKS} adaptive rounds taken, the most a run takes"),
                );
                break;
            }
            let (finalists, extra) = finalists(&self.results, planned);
            let cfg = self.cfg;
            let record = |ns: &[Need]| {
                round_record(
                    number,
                    look,
                    ns,
                    &finalists,
                    &extra,
                    &cfg.settings.scenarios,
                )
            };
            let cost_of = |rec: &RoundRecord| {
                // The cells were searched in the planned rounds: seeded.
                super::points::planned_per_stack(cfg, &rec.scenarios, &rec.scenarios).as_secs_f64()
                    * rec.stacks.len() as f64
                    * pace
            };
            let Some(all) = record(&needs) else {
                stop(
                    self,
                    "no stack of the run measures the deciding cells".into(),
                );
                break;
            };
            let chosen = fitting(&needs, budget_s - spent_s, &|ns: &[Need]| {
                record(ns).map(|r| cost_of(&r))
            });
            let rec = record(&chosen).unwrap_or(all);
            let cost_s = cost_of(&rec);
            if !fits(spent_s, cost_s, budget_s) {
                stop(
                    self,
                    format!(
                        "another round (~{cost_s:.0} s) would overrun the budget ({:.0} s spent of {budget_s:.0} s{})",
                        spent_s,
                        if adaptive.until_decided {
                            ""
                        } else {
                            "; `--until-decided` or a larger `--budget` buys more"
                        }
                    ),
                );
                break;
            }
            let claims = |ns: &[Need]| {
                ns.iter()
                    .map(|n| n.claim.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let later: Vec<Need> = needs
                .iter()
                .filter(|n| !chosen.iter().any(|c| c.claim == n.claim))
                .cloned()
                .collect();
            self.report.note(&format!(
                "adaptive round {number} (look {look}): {} on {} for {}{}",
                rec.stacks.join(", "),
                rec.scenarios
                    .iter()
                    .map(|s| s.name())
                    .collect::<Vec<_>>()
                    .join(", "),
                claims(&chosen),
                if later.is_empty() {
                    String::new()
                } else {
                    format!(
                        " ({}: their cells would overrun the budget; the cheaper claims first)",
                        claims(&later)
                    )
                }
            ));
            self.report.extended(Duration::from_secs_f64(cost_s));
            self.results.rounds.push(rec.clone());
            self.updated()?;
            self.round(&rec).await?;
            number += 1;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn need(claim: &str, scenarios: &[Scenario], stacks: &[&str]) -> Need {
        Need {
            claim: claim.into(),
            scenarios: scenarios.to_vec(),
            stacks: stacks.iter().map(|s| s.to_string()).collect(),
            why: format!("{claim}: undecided"),
        }
    }

    #[test]
    fn a_round_measures_the_union_of_the_deciding_cells_of_finalists() {
        let finalists: Vec<String> = vec!["node-http".into(), "python-fastapi".into()];
        let run = [
            Scenario::Json,
            Scenario::Io,
            Scenario::Idle,
            Scenario::Workers,
        ];
        let needs = [
            need("K2", &[Scenario::Io, Scenario::Idle], &[]),
            // A deciding stack that is no finalist is not measured again.
            need("K1", &[Scenario::Json], &["node-express", "python-fastapi"]),
            // A scenario the run does not measure is left out.
            need("K5", &[Scenario::Numeric], &[]),
        ];
        let r = round_record(5, 1, &needs, &finalists, &["python-gunicorn".into()], &run).unwrap();
        assert_eq!(r.kind, RoundKind::Adaptive);
        assert_eq!(r.look, 1);
        assert_eq!(r.scenarios, [Scenario::Json, Scenario::Io, Scenario::Idle]);
        let mut stacks = r.stacks.clone();
        stacks.sort();
        assert_eq!(stacks, finalists);
        assert!(r.workers_extra.is_empty(), "no workers scenario");
        assert_eq!(r.reason.len(), 3);
        // The visiting order rotates with the round number.
        let next = round_record(6, 2, &needs, &finalists, &[], &run).unwrap();
        assert_ne!(r.stacks, next.stacks);
        let w = round_record(
            6,
            2,
            &[need("K4", &[Scenario::Workers], &[])],
            &finalists,
            &["python-gunicorn".into()],
            &run,
        )
        .unwrap();
        assert_eq!(w.workers_extra, ["python-gunicorn"]);
        assert!(
            round_record(
                5,
                1,
                &[need("K5", &[Scenario::Numeric], &[])],
                &finalists,
                &[],
                &run
            )
            .is_none()
        );
    }

    #[test]
    fn a_round_that_would_overrun_measures_the_cheapest_claims_that_fit() {
        let needs = [
            need("K4", &[Scenario::Workers], &[]),
            need("K5", &[Scenario::Numeric], &[]),
            need("K8", &[Scenario::Json, Scenario::Db], &[]),
        ];
        // Stand-in costs a scenario (s), summed over the union of the needs'.
        let cost = |ns: &[Need]| -> Option<f64> {
            let mut sc: Vec<Scenario> = ns.iter().flat_map(|n| n.scenarios.clone()).collect();
            sc.sort();
            sc.dedup();
            (!sc.is_empty()).then(|| {
                sc.iter()
                    .map(|s| match s {
                        Scenario::Workers => 90.0,
                        Scenario::Numeric => 12.0,
                        Scenario::Json => 30.0,
                        _ => 15.0,
                    })
                    .sum()
            })
        };
        let claims = |ns: Vec<Need>| ns.into_iter().map(|n| n.claim).collect::<Vec<_>>();
        assert_eq!(claims(fitting(&needs, 147.0, &cost)), ["K4", "K5", "K8"]);
        assert_eq!(claims(fitting(&needs, 146.0, &cost)), ["K5", "K8"]);
        assert_eq!(claims(fitting(&needs, 56.0, &cost)), ["K5"]);
        assert_eq!(claims(fitting(&needs, 100.0, &cost)), ["K5", "K8"]);
        assert!(fitting(&needs, 11.0, &cost).is_empty());
        // A need with nothing to measure is never chosen alone.
        let none = |ns: &[Need]| ns.iter().all(|n| n.claim != "K5").then_some(10.0);
        assert_eq!(claims(fitting(&needs, 20.0, &none)), ["K4", "K8"]);
    }

    #[test]
    fn the_budget_counts_installs_and_planned_rounds() {
        // 10 min budget; installs 3 min and planned rounds 4 min spent
        // (420 s from the start): a 3 min round would end at 600 s, fits;
        // a 4 min one would not, though the measuring alone (240 s) leaves room.
        assert!(fits(420.0, 180.0, 600.0));
        assert!(!fits(420.0, 240.0, 600.0));
        assert!(!fits(601.0, 0.0, 600.0), "planned rounds past the budget");
    }

    #[test]
    fn the_default_run_adds_rounds_within_ten_minutes_and_others_only_when_asked() {
        let d = settings(None, false, true, true).unwrap();
        assert_eq!(d.budget_s, 600.0);
        assert!(!d.until_decided);
        assert!(settings(None, false, false, true).is_none());
        assert!(settings(Some(Duration::from_secs(60)), false, true, false).is_none());
        let u = settings(None, true, false, true).unwrap();
        assert_eq!(u.budget_s, 3600.0);
        assert!(u.until_decided);
        let b = settings(Some(Duration::from_secs(1800)), true, true, true).unwrap();
        assert_eq!(b.budget_s, 1800.0);
    }
}
