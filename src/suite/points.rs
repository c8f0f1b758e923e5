//! Measuring one scenario on a running target: warm-up, peak throughput
//! (closed loop at each concurrency; `io`: many connections), latency at the
//! fixed offered rates, and the capacity search — skipping whatever a resumed
//! run already holds.

use std::time::Duration;

use crate::scenario::Scenario;

use super::capacity;
use super::config::base_rate_rps;
use super::measure::{self, PointSpec};
use super::results::{Point, PointKind};
use super::runner::Runner;
use super::target::Target;

/// The loads of one scenario, in the order measured.
pub fn point_kinds(
    runner_settings: &super::results::Settings,
    scenario: Scenario,
    rates: &[f64],
) -> Vec<PointKind> {
    if scenario == Scenario::WsChat {
        return super::ws::WsSettings::from_settings(runner_settings).kinds();
    }
    let mut kinds = Vec::new();
    if scenario == Scenario::Io {
        kinds.push(PointKind::Io {
            connections: runner_settings.io_connections,
        });
    } else {
        kinds.extend(
            runner_settings
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

fn same_point(
    p: &Point,
    stack: &str,
    scenario: Scenario,
    path: &str,
    kind: &PointKind,
    workers: u32,
    trial: u32,
) -> bool {
    p.stack == stack
        && p.scenario == scenario
        && p.target == path
        && &p.kind == kind
        && p.workers == workers
        && p.trial == trial
}

impl Runner<'_> {
    /// True when every point and the capacity search of a scenario are in the results.
    pub(crate) fn scenario_done(
        &self,
        stack: &str,
        sc: Scenario,
        workers: u32,
        trial: u32,
    ) -> bool {
        let path = scenario_path(sc);
        let kinds = point_kinds(&self.cfg.settings, sc, &self.cfg.rates(sc));
        kinds.iter().all(|k| {
            self.results
                .points
                .iter()
                .any(|p| same_point(p, stack, sc, path, k, workers, trial))
        }) && self.capacity_done(stack, sc, workers, trial)
    }

    fn capacity_done(&self, stack: &str, sc: Scenario, workers: u32, trial: u32) -> bool {
        self.cfg.settings.capacity_max_steps == 0
            || self.results.capacity.iter().any(|c| {
                c.stack == stack && c.scenario == sc && c.workers == workers && c.trial == trial
            })
    }

    pub(crate) fn workers_done(&self, stack: &str, sc: Scenario, workers: u32, trial: u32) -> bool {
        let path = sc.default_path().unwrap_or("/");
        let kind = PointKind::Peak {
            connections: self.top_concurrency(),
        };
        self.results
            .points
            .iter()
            .any(|p| same_point(p, stack, Scenario::Workers, path, &kind, workers, trial))
    }

    /// Measures one point and records it (and the failure, when the load failed).
    pub(crate) async fn point(
        &mut self,
        target: &mut dyn Target,
        spec: PointSpec,
    ) -> anyhow::Result<Point> {
        let what = super::events::point_line_kind(&spec.kind);
        self.measuring(
            &spec.stack,
            spec.scenario.name(),
            spec.trial,
            &what,
            self.cfg.duration(),
        );
        let (point, err) =
            measure::measure_point(target, self.cfg, &spec, self.cfg.duration()).await?;
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
                rec.failures.push(super::results::FailureRecord {
                    scenario: Some(spec.scenario),
                    message: msg,
                    stderr_tail: tail,
                });
            }
        }
        self.results.points.push(point.clone());
        self.report.point_measured(&self.results, &point)?;
        Ok(point)
    }

    /// Every load of one endpoint scenario on a running target.
    pub(crate) async fn scenario(
        &mut self,
        target: &mut dyn Target,
        stack: &str,
        sc: Scenario,
        workers: u32,
        trial: u32,
        shared: bool,
    ) -> anyhow::Result<()> {
        let shared = shared || self.cfg.shared_cores();
        if sc == Scenario::WsChat {
            return self.ws_scenario(target, stack, trial, shared).await;
        }
        let path = sc.default_path().unwrap_or("/").to_string();
        let warm_conns = if sc == Scenario::Io {
            self.cfg.settings.io_connections
        } else {
            self.top_concurrency()
        };
        self.measuring(stack, sc.name(), trial, "warm-up", self.cfg.warmup());
        measure::warm_up(&*target, self.cfg, &path, warm_conns).await;
        let rates = self.cfg.rates(sc);
        for kind in point_kinds(&self.cfg.settings, sc, &rates) {
            if self
                .results
                .points
                .iter()
                .any(|p| same_point(p, stack, sc, &path, &kind, workers, trial))
            {
                continue;
            }
            let spec = PointSpec {
                stack: stack.into(),
                scenario: sc,
                path: path.clone(),
                kind,
                workers,
                trial,
                shared_cores: shared,
            };
            self.point(target, spec).await?;
            if !target.is_alive() {
                return Ok(());
            }
        }
        if self.capacity_done(stack, sc, workers, trial) {
            return Ok(());
        }
        let peak = self
            .results
            .points
            .iter()
            .filter(|p| {
                p.valid
                    && p.stack == stack
                    && p.scenario == sc
                    && p.workers == workers
                    && p.trial == trial
            })
            .filter(|p| matches!(p.kind, PointKind::Peak { .. } | PointKind::Io { .. }))
            .filter_map(|p| p.load.as_ref().map(|l| l.throughput_rps))
            .reduce(f64::max);
        let seed = peak.map_or(base_rate_rps(sc), |p| (0.8 * p).max(1.0));
        let step = Duration::from_secs_f64(self.cfg.settings.capacity_step_s);
        let trials = self.cfg.settings.trials;
        let report = &mut *self.report;
        let record = capacity::search(
            &*target,
            self.cfg,
            stack,
            sc,
            &path,
            workers,
            trial,
            seed,
            |n| {
                let at = super::events::Position {
                    stack: stack.into(),
                    scenario: sc.name().into(),
                    trial,
                    trials,
                    what: format!("capacity step {n}"),
                };
                report.measuring(&at, step);
            },
        )
        .await;
        self.results.capacity.push(record.clone());
        self.report.capacity_measured(&self.results, &record)?;
        Ok(())
    }
}

impl Runner<'_> {
    /// ws-chat: the fixed message rates, then capacity in clients.
    async fn ws_scenario(
        &mut self,
        target: &mut dyn Target,
        stack: &str,
        trial: u32,
        shared: bool,
    ) -> anyhow::Result<()> {
        let sc = Scenario::WsChat;
        let path = scenario_path(sc);
        for kind in point_kinds(&self.cfg.settings, sc, &[]) {
            if self
                .results
                .points
                .iter()
                .any(|p| same_point(p, stack, sc, path, &kind, 1, trial))
            {
                continue;
            }
            let what = super::events::point_line_kind(&kind);
            self.measuring(stack, sc.name(), trial, &what, self.cfg.duration());
            let (point, err) =
                super::ws::ws_point(target, stack, kind, trial, self.cfg.duration(), shared)
                    .await?;
            if let Some(e) = err {
                let msg = format!("{stack} {sc} {what}: load failed: {e:#}");
                self.report.note(&msg);
                let tail = target.stderr_tail(20);
                if let Some(rec) = self.results.stacks.iter_mut().find(|r| r.name == stack) {
                    rec.failures.push(super::results::FailureRecord {
                        scenario: Some(sc),
                        message: msg,
                        stderr_tail: tail,
                    });
                }
            }
            self.results.points.push(point.clone());
            self.report.point_measured(&self.results, &point)?;
            if !target.is_alive() {
                return Ok(());
            }
        }
        if self.capacity_done(stack, sc, 1, trial) {
            return Ok(());
        }
        let step = Duration::from_secs_f64(self.cfg.settings.capacity_step_s);
        let trials = self.cfg.settings.trials;
        let report = &mut *self.report;
        let record = super::ws::ws_capacity(&*target, self.cfg, stack, trial, |n| {
            let at = super::events::Position {
                stack: stack.into(),
                scenario: sc.name().into(),
                trial,
                trials,
                what: format!("capacity step {n} (clients)"),
            };
            report.measuring(&at, step);
        })
        .await;
        self.results.capacity.push(record.clone());
        self.report.capacity_measured(&self.results, &record)?;
        Ok(())
    }
}

/// Estimated measuring time of one stack-trial, for the progress display.
pub fn planned_per_stack(cfg: &super::config::SuiteConfig) -> Duration {
    let s = &cfg.settings;
    let d = cfg.duration();
    let mut total = Duration::ZERO;
    for &sc in &s.scenarios {
        if sc.is_endpoint() {
            let n = point_kinds(s, sc, &cfg.rates(sc)).len() as u32;
            total += cfg.warmup()
                + d * n
                + Duration::from_secs_f64(s.capacity_step_s) * s.capacity_max_steps;
        }
    }
    if s.scenarios.contains(&Scenario::Workers) {
        total += (cfg.warmup() + d) * 2 * s.workers_scenarios.len() as u32;
    }
    if s.scenarios.contains(&Scenario::Idle) {
        total += Duration::from_secs(3);
    }
    total
}
