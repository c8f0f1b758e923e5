//! The live progress bar of `ringside load` (indicatif, on stderr, only when
//! stderr is a terminal): it polls the engine's [`Live`] counters while the
//! run goes, so the hot path never waits on the display.

use std::io::IsTerminal as _;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use super::config::{LoadConfig, Stop};
use super::engine::{Live, execute_with};
use super::report::LoadReport;

const TICK: Duration = Duration::from_millis(100);

/// Runs the load test, with a progress bar on stderr when it is a terminal.
pub async fn execute_with_progress(cfg: &LoadConfig) -> anyhow::Result<LoadReport> {
    if !std::io::stderr().is_terminal() {
        return execute_with(cfg, None).await;
    }
    let live = Live::new();
    let bar = new_bar(cfg);
    let run = execute_with(cfg, Some(live.clone()));
    tokio::pin!(run);
    let mut ticker = tokio::time::interval(TICK);
    let result = loop {
        tokio::select! {
            result = &mut run => break result,
            _ = ticker.tick() => update(&bar, cfg, &live),
        }
    };
    bar.finish_and_clear();
    result
}

fn new_bar(cfg: &LoadConfig) -> ProgressBar {
    let (len, template) = match cfg.stop {
        Stop::Duration(d) => (
            (cfg.warmup + d).as_millis() as u64,
            "{spinner} [{elapsed_precise}] {wide_bar} {msg}",
        ),
        Stop::Requests(n) => (
            n,
            "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} {msg}",
        ),
    };
    let bar = ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr());
    if let Ok(style) = ProgressStyle::with_template(template) {
        bar.set_style(style);
    }
    bar.set_message("connecting…");
    bar
}

fn update(bar: &ProgressBar, cfg: &LoadConfig, live: &Live) {
    let Some(started) = live.started() else {
        bar.tick();
        return;
    };
    let elapsed = started.elapsed();
    let done = live.completed();
    let recording = elapsed.saturating_sub(cfg.warmup).as_secs_f64();
    let rate = if recording > 0.0 {
        done as f64 / recording
    } else {
        0.0
    };
    match cfg.stop {
        Stop::Duration(_) => bar.set_position(elapsed.as_millis() as u64),
        Stop::Requests(_) => bar.set_position(done),
    }
    let phase = if elapsed < cfg.warmup {
        "warming up · "
    } else {
        ""
    };
    bar.set_message(format!(
        "{phase}{done} responses · {rate:.0} req/s · {} errors",
        live.errors()
    ));
}
