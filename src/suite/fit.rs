//! The planned rounds fitted to the run's budget.
//!
//! The budget (`--budget`, 10 min by default) is the run's wall clock from
//! its start, installs included ([`super::adaptive`]). A first run spends
//! minutes installing the stacks; if the planned rounds then ran in full the
//! run would end well past its budget. So, when the run did not fix
//! `--trials`, it plans the rounds to fit what the installs left: the most
//! planned rounds (down to [`fewest`]) whose estimated time ends within the
//! budget, and the adaptive rounds spend whatever is left on the claims
//! still undecided. Fewer trials give wider intervals, so a claim they
//! cannot settle reads "not enough evidence", never a verdict on too little.
//!
//! The fit is made twice: in the header, on the installs' estimate; then
//! after the installs, the database and the checks, on the time they took
//! (which may restore rounds the estimate had cut). Pure functions; the
//! runner applies them.

use crate::results::{PlanFit, Settings};

/// Planned rounds of `settings`.
pub fn rounds(settings: &Settings) -> u32 {
    super::plan::round_count(&settings.plan, settings.trials)
}

/// The fewest planned rounds a cut leaves: the screening rounds and one
/// final round (every stack screened, every scenario measured on the
/// finalists), or two rounds where every round measures every stack (a
/// figure's interval needs two trials). Never more than asked.
pub fn fewest(settings: &Settings) -> u32 {
    let plan = &settings.plan;
    let floor = if plan.final_rounds > 0 {
        plan.screening_rounds + 1
    } else {
        2
    };
    floor.min(rounds(settings))
}

/// `settings` with `n` planned rounds (final rounds, or trials where every
/// round measures every stack).
pub fn with_rounds(settings: &Settings, n: u32) -> Settings {
    let mut s = settings.clone();
    if s.plan.final_rounds > 0 {
        let finals = n.saturating_sub(s.plan.screening_rounds).max(1);
        s.plan.final_rounds = finals;
        s.trials = finals;
    } else {
        s.trials = n.max(1);
    }
    s
}

/// The most planned rounds, from the asked count down to `fewest`, whose
/// estimated time (`cost_s(n)`, seconds) ends within `budget_s` after
/// `spent_s`; `fewest` when none does.
pub fn fitted_rounds(
    asked: u32,
    fewest: u32,
    spent_s: f64,
    budget_s: f64,
    cost_s: &dyn Fn(u32) -> f64,
) -> u32 {
    (fewest..=asked)
        .rev()
        .find(|&n| spent_s + cost_s(n) <= budget_s)
        .unwrap_or(fewest.min(asked))
}

/// Fits the planned rounds of `asked` to its budget after `before_s`
/// seconds (installs, database, checks; `estimated`: the installs'
/// estimate), `cost_s(settings)` estimating the planned rounds of a
/// settings. Returns the settings to run, with `plan.fitted` saying what
/// was cut (`None` there: every asked round fits). Settings that may not be
/// fitted (no budget, `--trials` given) come back unchanged.
pub fn fit(
    asked: &Settings,
    before_s: f64,
    estimated: bool,
    cost_s: &dyn Fn(&Settings) -> f64,
) -> Settings {
    let mut out = asked.clone();
    out.plan.fitted = None;
    let Some(a) = asked.plan.adaptive.as_ref().filter(|a| a.fit_planned) else {
        return out;
    };
    let n_asked = rounds(asked);
    let cost = |n: u32| cost_s(&with_rounds(asked, n));
    let n = fitted_rounds(n_asked, fewest(asked), before_s, a.budget_s, &cost);
    if n == n_asked {
        return out;
    }
    let mut out = with_rounds(asked, n);
    out.plan.fitted = Some(PlanFit {
        rounds_asked: n_asked,
        rounds: n,
        before_s,
        estimated,
        rounds_s: cost(n),
        budget_s: a.budget_s,
    });
    out
}

/// The settings as the run stands (`current`: stack names and all) with
/// the planned rounds `asked` for: what [`fit`] starts from.
pub fn as_asked(current: &Settings, asked: &Settings) -> Settings {
    let mut s = current.clone();
    s.trials = asked.trials;
    s.plan.final_rounds = asked.plan.final_rounds;
    s.plan.fitted = None;
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::AdaptiveSettings;

    /// The default run's layout: one screening round, `finals` final rounds,
    /// a budget of `budget_s` that may be fitted.
    fn standard(finals: u32, budget_s: f64, fit_planned: bool) -> Settings {
        let mut s: Settings =
            serde_json::from_str(include_str!("../../tests/fixtures/results/full.json"))
                .map(|r: crate::results::Results| r.settings)
                .unwrap();
        s.plan.screening_rounds = 1;
        s.plan.final_rounds = finals;
        s.trials = finals;
        s.plan.adaptive = Some(AdaptiveSettings {
            budget_s,
            until_decided: false,
            fit_planned,
        });
        s
    }

    fn json(s: &Settings) -> serde_json::Value {
        serde_json::to_value(s).unwrap()
    }

    /// Stand-in round costs: screening 150 s, each final round 120 s.
    fn cost(s: &Settings) -> f64 {
        150.0 * s.plan.screening_rounds as f64 + 120.0 * s.plan.final_rounds as f64
    }

    #[test]
    fn installs_that_ate_the_budget_leave_fewer_planned_rounds() {
        let asked = standard(2, 600.0, true);
        assert_eq!(rounds(&asked), 3);
        // Installs of 5 min: 3 rounds (390 s) would end at 690 s; 2 (270 s) at 570 s.
        let s = fit(&asked, 300.0, false, &cost);
        assert_eq!(rounds(&s), 2);
        assert_eq!((s.plan.final_rounds, s.trials), (1, 1));
        let f = s.plan.fitted.clone().unwrap();
        assert_eq!((f.rounds_asked, f.rounds), (3, 2));
        assert_eq!(f.rounds_s, 270.0);
        assert_eq!(
            f.sentence(),
            "installs and checks took 5 min: 2 planned rounds instead of 3 (to fit the 10 min budget; adaptive rounds spend what is left where claims are undecided, and a claim fewer trials cannot settle reads \"not enough evidence\")"
        );
        // Installs of 3 min: all 3 rounds end at 570 s.
        let s = fit(&asked, 180.0, false, &cost);
        assert_eq!(rounds(&s), 3);
        assert!(s.plan.fitted.is_none());
        assert_eq!(json(&s), json(&asked));
    }

    #[test]
    fn the_cut_stops_at_one_final_round_and_says_it_overruns() {
        let asked = standard(3, 600.0, true);
        // 8 min of installs: even screening + one final (270 s) ends at 750 s.
        let s = fit(&asked, 480.0, true, &cost);
        assert_eq!(rounds(&s), 2);
        assert_eq!(s.plan.final_rounds, 1);
        let f = s.plan.fitted.unwrap();
        assert!(f.estimated);
        assert_eq!(
            f.sentence(),
            "installs expected to take about 8 min: 2 planned rounds instead of 4 (the fewest that measure every scenario; they overrun the 10 min budget by about 2 min 30 s, so no adaptive round)"
        );
    }

    #[test]
    fn rounds_the_user_fixed_or_a_run_without_budget_are_kept() {
        let fixed = standard(2, 600.0, false);
        assert_eq!(json(&fit(&fixed, 590.0, false, &cost)), json(&fixed));
        let mut none = standard(2, 600.0, true);
        none.plan.adaptive = None;
        assert_eq!(json(&fit(&none, 590.0, false, &cost)), json(&none));
    }

    #[test]
    fn a_run_of_equal_rounds_keeps_two_for_an_interval() {
        let mut asked = standard(0, 120.0, true);
        asked.plan.screening_rounds = 0;
        asked.trials = 5;
        let per_round = |s: &Settings| 30.0 * s.trials as f64;
        // 60 s spent: 2 rounds (60 s) fit exactly, 3 do not.
        let s = fit(&asked, 60.0, false, &per_round);
        assert_eq!((rounds(&s), s.trials), (2, 2));
        // Nothing fits: still two.
        let s = fit(&asked, 200.0, false, &per_round);
        assert_eq!(s.trials, 2);
        // Asked for fewer than the floor: never more than asked.
        asked.trials = 1;
        assert_eq!(fit(&asked, 200.0, false, &per_round).trials, 1);
    }

    #[test]
    fn fitted_rounds_takes_the_most_that_fit() {
        let c = |n: u32| 100.0 * n as f64;
        assert_eq!(fitted_rounds(5, 2, 0.0, 350.0, &c), 3);
        assert_eq!(fitted_rounds(5, 2, 0.0, 500.0, &c), 5);
        assert_eq!(fitted_rounds(5, 2, 400.0, 500.0, &c), 2);
        assert_eq!(fitted_rounds(1, 2, 400.0, 500.0, &c), 1);
    }
}
