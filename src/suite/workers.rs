//! The harness-only scenarios that need their own launches: `workers` (the
//! chosen endpoints at 1 worker on the server's cores, then N workers on all
//! cores) and `idle` over WebSocket (the server as launched for ws-chat).

use std::time::Duration;

use crate::scenario::Scenario;
use crate::stack::Stack;

use super::measure::{self, PointSpec};
use super::results::PointKind;
use super::runner::Runner;

impl Runner<'_> {
    /// `idle` over WebSocket: the server as launched for ws-chat, K idle chat clients.
    pub(crate) async fn idle_ws(&mut self, stack: &Stack, trial: u32) -> anyhow::Result<()> {
        let cpus = self.cfg.settings.server_cpus.clone();
        let Some(running) = self.launch(stack, 1, cpus, Some(Scenario::WsChat)).await else {
            return Ok(());
        };
        if self
            .verify(&stack.name, &running, &[Scenario::WsChat])
            .await
            .is_empty()
        {
            let _ = running.stop().await;
            return self.updated();
        }
        self.measuring(
            &stack.name,
            "idle",
            trial,
            "idle websockets",
            Duration::from_secs(3),
        );
        let rec =
            super::idle::measure_idle_ws(&running, self.cfg.settings.idle_connections, trial).await;
        let _ = running.stop().await;
        if let Some(rec) = rec {
            self.record(&stack.name).idle.push(rec);
            self.updated()?;
        }
        Ok(())
    }

    /// `workers`: the chosen scenarios at 1 worker (server cores) and at N (all cores).
    pub(crate) async fn workers(
        &mut self,
        stack: &Stack,
        passed: &[Scenario],
        trial: u32,
    ) -> anyhow::Result<()> {
        let chosen: Vec<Scenario> = self
            .cfg
            .settings
            .workers_scenarios
            .iter()
            .copied()
            .filter(|sc| passed.contains(sc))
            .collect();
        let n = self.cfg.settings.workers_n.min(stack.max_workers.max(1));
        let all_cores: Vec<usize> = (0..self.results.machine.cores.max(1)).collect();
        for w in [1, n] {
            let todo: Vec<Scenario> = chosen
                .iter()
                .copied()
                .filter(|&sc| !self.workers_done(&stack.name, sc, w, trial))
                .collect();
            if todo.is_empty() {
                continue;
            }
            let cpus = if w == 1 {
                self.cfg.settings.server_cpus.clone()
            } else {
                all_cores.clone()
            };
            let shared = w > 1 || self.cfg.shared_cores();
            let Some(mut running) = self.launch(stack, w, cpus, Some(Scenario::Workers)).await
            else {
                continue;
            };
            for sc in todo {
                let path = sc.default_path().unwrap_or("/").to_string();
                let conns = self.top_concurrency();
                self.measuring(
                    &stack.name,
                    "workers",
                    trial,
                    &format!("{sc} w={w} warm-up"),
                    self.cfg.warmup(),
                );
                measure::warm_up(&running, self.cfg, &path, conns).await;
                let spec = PointSpec {
                    stack: stack.name.clone(),
                    scenario: Scenario::Workers,
                    path,
                    kind: PointKind::Peak { connections: conns },
                    workers: w,
                    trial,
                    shared_cores: shared,
                };
                self.point(&mut running, spec).await?;
                if !running.is_alive() {
                    self.crashed(&stack.name, Scenario::Workers, &mut running)?;
                    break;
                }
            }
            let _ = running.stop().await;
            if w == n {
                break;
            }
        }
        Ok(())
    }
}
