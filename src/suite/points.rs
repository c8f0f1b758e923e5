//! The points of a scenario and their bookkeeping: which loads a scenario
//! measures, whether a resumed run already holds a point, recording a
//! measured point (and its failure), and the run's time estimate.

use std::time::Duration;

use crate::scenario::Scenario;

use super::measure::{self, PointSpec};
use super::runner::Runner;
use super::stall;
use super::target::Target;
use super::workload::{DriveOpts, Workload};
use crate::results::{IdleKind, Point, PointKind, Settings};

/// The loads of one scenario, in the order measured.
pub fn point_kinds(settings: &Settings, scenario: Scenario, rates: &[f64]) -> Vec<PointKind> {
    if scenario == Scenario::WsChat {
        return super::ws::WsSettings::from_settings(settings).kinds();
    }
    let mut kinds = Vec::new();
    if scenario == Scenario::Io {
        kinds.push(PointKind::Io {
            connections: settings.io_connections,
        });
    } else {
        kinds.extend(
            settings
                .concurrency
                .iter()
                .map(|&c| PointKind::Peak { connections: c }),
        );
    }
    kinds.extend(rates.iter().map(|&rps| PointKind::FixedRate { rps }));
    kinds
}

/// The path a scenario's points record as their target.
pub fn scenario_path(sc: Scenario) -> &'static str {
    if sc == Scenario::WsChat {
        "/ws/chat"
    } else {
        sc.default_path().unwrap_or("/")
    }
}

/// True when `p` is the point of these coordinates (a window set aside for
/// a stall does not count: its re-measurement does).
#[allow(clippy::too_many_arguments)]
pub fn same_point(
    p: &Point,
    stack: &str,
    scenario: Scenario,
    w: &Workload,
    workers: u32,
    trial: u32,
    slice: u32,
) -> bool {
    !stall::set_aside_point(p)
        && p.stack == stack
        && p.scenario == scenario
        && p.target == w.path
        && p.kind == w.kind
        && p.workers == workers
        && p.trial == trial
        && p.slice == slice
}

impl Runner<'_> {
    pub(crate) fn point_done(
        &self,
        stack: &str,
        sc: Scenario,
        w: &Workload,
        workers: u32,
        trial: u32,
        slice: u32,
    ) -> bool {
        self.results
            .points
            .iter()
            .any(|p| same_point(p, stack, sc, w, workers, trial, slice))
    }

    pub(crate) fn capacity_done(
        &self,
        stack: &str,
        sc: Scenario,
        workers: u32,
        trial: u32,
    ) -> bool {
        self.results.capacity.iter().any(|c| {
            c.stack == stack && c.scenario == sc && c.workers == workers && c.trial == trial
        })
    }

    pub(crate) fn idle_done(&self, stack: &str, kind: IdleKind, trial: u32) -> bool {
        self.results
            .stacks
            .iter()
            .find(|r| r.name == stack)
            .is_some_and(|r| r.idle.iter().any(|i| i.trial == trial && i.kind == kind))
    }

    /// Measures one point and records it (and the failure, when the load
    /// failed). A window in which the server stalled is recorded set aside
    /// and measured once more ([`super::stall`]).
    pub(crate) async fn point(
        &mut self,
        target: &mut dyn Target,
        spec: PointSpec,
        opts: &DriveOpts,
    ) -> anyhow::Result<Point> {
        let mut point = self.point_once(target, &spec, opts, "").await;
        let crashed = point
            .flags
            .iter()
            .any(|f| matches!(f, crate::results::Flag::ServerCrashed { .. }));
        let stalled = stall::of_point(&point)
            .filter(|_| !crashed && target.is_alive() && !crate::proc::guard::interrupted());
        let Some(first) = stalled else {
            return self.keep_point(point);
        };
        let what = format!(
            "{} {} {}",
            spec.stack,
            spec.scenario,
            super::events::point_line_kind(&spec.workload.kind)
        );
        stall::set_aside(&mut point, &first);
        self.report.note(&stall::note(&what, &first, false));
        self.keep_point(point)?;
        let mut again = self
            .point_once(target, &spec, opts, ", again after a stall")
            .await;
        if let Some(s) = stall::of_point(&again) {
            stall::recurred(&mut again, &s);
            self.report.note(&stall::note(&what, &s, true));
        }
        self.keep_point(again)
    }

    fn keep_point(&mut self, point: Point) -> anyhow::Result<Point> {
        self.results.points.push(point.clone());
        self.report.point_measured(&self.results, &point)?;
        Ok(point)
    }

    /// Measures one point (and records the failure, when the load failed).
    async fn point_once(
        &mut self,
        target: &mut dyn Target,
        spec: &PointSpec,
        opts: &DriveOpts,
        again: &str,
    ) -> Point {
        let what = super::events::point_line_kind(&spec.workload.kind);
        let what = if self.cfg.settings.plan.slices > 1 && !spec.workload.is_planned() {
            format!("{what} slice {}", spec.slice + 1)
        } else {
            what
        } + again;
        self.measuring(
            &spec.stack,
            spec.scenario.name(),
            spec.trial,
            &what,
            opts.window + opts.preroll,
        );
        let cores = super::foreign::measured_cores(self.cfg, spec.scenario == Scenario::Workers);
        let before = super::foreign::snapshot(&cores);
        let started = std::time::Instant::now();
        let (mut point, err) = measure::measure_point(target, self.cfg, spec, opts).await;
        let after = super::foreign::snapshot(&cores);
        point.foreign_cpu = before
            .zip(after)
            .and_then(|(b, a)| super::foreign::between(&b, &a, started.elapsed()));
        self.mark_not_alone(&mut point);
        if let Some(e) = err {
            let tail = target.stderr_tail(20);
            let msg = format!(
                "{} {} {what}: load failed: {e:#}",
                spec.stack, spec.scenario
            );
            self.report.note(&msg);
            if let Some(rec) = self
                .results
                .stacks
                .iter_mut()
                .find(|r| r.name == spec.stack)
            {
                rec.failures.push(crate::results::FailureRecord {
                    scenario: Some(spec.scenario),
                    trial: None,
                    message: msg,
                    stderr_tail: tail,
                });
            }
        }
        point
    }
}

impl Runner<'_> {
    /// Flags a point measured with `--shared-machine`, or while other
    /// processes used more than [`super::foreign::FOREIGN_LIMIT`] of its
    /// cores (and says so on the terminal).
    fn mark_not_alone(&mut self, point: &mut Point) {
        if self.cfg.shared_machine {
            point.flags.push(crate::results::Flag::SharedMachine);
        }
        if let Some(f) = &point.foreign_cpu
            && f.share > super::foreign::FOREIGN_LIMIT
        {
            point
                .flags
                .push(crate::results::Flag::ForeignCpu { share: f.share });
            let cores: Vec<String> = f.cores.iter().map(usize::to_string).collect();
            self.report.note(&format!(
                "{} {} trial {}: other processes used {:.0} % of cores {} during this point: flagged, kept out of the verdicts",
                point.stack,
                point.scenario,
                point.trial,
                f.share * 100.0,
                cores.join(",")
            ));
        }
    }
}

/// Estimated measuring time of one stack in one round of `scenarios`, for
/// the progress display: warm-ups at their minimum, every slice and point,
/// capacity steps, idle connections, launches. A capacity search of a
/// scenario in `searched` (searched in an earlier round) is seeded, the
/// others are first searches; each counts its most steps
/// ([`super::capacity::Plan::most_steps`]).
pub fn planned_per_stack(
    cfg: &super::config::SuiteConfig,
    scenarios: &[Scenario],
    searched: &[Scenario],
) -> Duration {
    let s = &cfg.settings;
    let plan = &s.plan;
    let secs = |x: f64| Duration::from_secs_f64(x);
    let chunk = secs(plan.chunk_s);
    let slice = secs(plan.slice_s + plan.preroll_s) * plan.slices.max(1);
    let launch = secs(1.5);
    let mut total = launch;
    let mut first = true;
    for &sc in scenarios {
        if !sc.is_endpoint() {
            continue;
        }
        let rule = if first {
            plan.first_warmup
        } else {
            plan.warmup
        };
        first = false;
        total += chunk * rule.min_chunks as u32;
        let kinds = point_kinds(s, sc, &cfg.rates(sc));
        for k in &kinds {
            total += if matches!(k, PointKind::FixedRate { .. }) {
                if plan.fixed_rate_scenarios.contains(&sc) {
                    secs(plan.fixed_s)
                } else {
                    Duration::ZERO
                }
            } else {
                slice
            };
        }
        if plan.capacity_scenarios.contains(&sc) {
            let steps =
                super::capacity::Plan::most_steps(s.capacity_max_steps, searched.contains(&sc));
            let step = super::capacity::step_estimate_s(s.capacity_step_s, sc == Scenario::WsChat);
            total += secs(step) * steps;
        }
        if sc == Scenario::WsChat {
            total += launch;
        }
    }
    if scenarios.contains(&Scenario::Workers) {
        let per = chunk * plan.warmup.min_chunks as u32 + slice;
        total += (launch + per * s.workers_scenarios.len() as u32) * 2;
    }
    if scenarios.contains(&Scenario::Idle) {
        total += secs(2.5);
        if scenarios.contains(&Scenario::WsChat) {
            total += secs(2.5);
        }
    }
    total
}

#[cfg(test)]
mod tests;
