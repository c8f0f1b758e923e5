//! `ringside load --ws`: the chat flags, the terminal summary and `--json`.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use clap::Args;

use super::{WsConfig, execute};
use crate::load::report::WsReport;
use crate::load::sys;

/// Flags of `ringside load --ws` (the URL, `-d`, `--json`, `--cpus` are shared with HTTP).
#[derive(Debug, Clone, Args)]
pub struct WsFlags {
    /// WebSocket clients (with --ws).
    #[arg(long, default_value_t = 100, value_name = "N")]
    pub clients: usize,
    /// Rooms the clients are spread over, round robin (with --ws).
    #[arg(long, default_value_t = 10, value_name = "R")]
    pub rooms: usize,
    /// Messages each client sends per second, on a plan (with --ws).
    #[arg(long, default_value_t = 1.0, value_name = "PER_S")]
    pub msg_rate: f64,
    /// How long to keep receiving after sending ends; later deliveries count as lost (with --ws).
    #[arg(long, default_value = "2s", value_parser = humantime::parse_duration, value_name = "DUR")]
    pub drain: Duration,
}

/// What the HTTP flags contribute to a WebSocket run.
#[derive(Debug, Clone)]
pub struct Common {
    pub url: url::Url,
    pub duration: Duration,
    /// `--warmup`: sending on plan before the recorded window.
    pub warmup: Duration,
    pub json: bool,
    pub cpus: Option<Vec<usize>>,
    pub threads: usize,
    pub keep_histogram: bool,
    /// One part of a run split over agents (`--shard`, `--start-at`).
    pub agent: crate::load::shard::AgentPlan,
}

/// Runs `ringside load --ws` on its own runtime (pinned when asked) and prints the result.
pub fn run(common: Common, flags: &WsFlags) -> anyhow::Result<ExitCode> {
    let mut cfg = WsConfig::new(
        common.url,
        flags.clients,
        flags.rooms,
        flags.msg_rate,
        common.duration,
    );
    cfg.drain = flags.drain;
    cfg.warmup = common.warmup;
    cfg.keep_histogram = common.keep_histogram;
    cfg.agent = common.agent;
    cfg.deadline_grace = Some(crate::load::config::DEADLINE_GRACE);
    cfg.cores = common.cpus.as_ref().map(Vec::len);
    cfg.cpus = common.cpus.clone();
    cfg.validate()?;

    let cpus = common.cpus.clone();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(common.threads.max(1))
        .enable_all()
        .on_thread_start(move || {
            if let Some(cpus) = &cpus {
                let _ = sys::pin_current_thread(cpus);
            }
        })
        .build()?;
    let report = runtime.block_on(execute(&cfg))?;
    let mut out = std::io::stdout().lock();
    if common.json {
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    } else {
        write!(out, "{}", summary(&report))?;
    }
    Ok(match nothing_delivered(&report) {
        Some(why) => {
            eprintln!("error: {why}");
            ExitCode::FAILURE
        }
        None => ExitCode::SUCCESS,
    })
}

/// Why the run delivered nothing a script could use (exit 1), or `None`.
pub fn nothing_delivered(r: &WsReport) -> Option<String> {
    if r.connected == 0 {
        return Some(format!(
            "no client connected ({} failed to connect)",
            r.connect_failed
        ));
    }
    (r.delivered == 0).then(|| {
        format!(
            "nothing was delivered: {} sent, {} of {} connected clients dropped",
            r.sent, r.dropped, r.connected
        )
    })
}

/// The terminal summary of a chat run.
pub fn summary(r: &WsReport) -> String {
    let ms = |us: u64| format!("{:.2} ms", us as f64 / 1000.0);
    let mut s = String::new();
    s.push_str(&format!(
        "WebSocket chat: {} clients in {} rooms, {} msg/s each, {:.1} s\n",
        r.clients, r.rooms, r.msg_rate_per_client, r.duration_s
    ));
    s.push_str(&format!(
        "  connections   {} connected, {} failed, {} dropped\n",
        r.connected, r.connect_failed, r.dropped
    ));
    s.push_str(&format!(
        "  messages      {} sent ({:.0}/s of {:.0}/s offered, {} late sends)\n",
        r.sent, r.achieved_msg_rps, r.target_msg_rps, r.late_sends
    ));
    s.push_str(&format!(
        "  deliveries    {} of {} expected ({:.0}/s), {} lost, {} malformed\n",
        r.delivered, r.expected_deliveries, r.delivered_per_s, r.lost, r.malformed
    ));
    if let Some(agents) = r.run.as_ref().and_then(crate::load::terminal::agents_line) {
        s.push_str(&format!("  agents        {agents}\n"));
    }
    let l = &r.latency;
    s.push_str(
        "  delivery latency (send → receipt at every member; from the plan when a send queued)\n",
    );
    s.push_str(&format!(
        "    p50 {}   p90 {}   p99 {}   p99.9 {}   max {}\n",
        ms(l.p50_us),
        ms(l.p90_us),
        ms(l.p99_us),
        ms(l.p999_us),
        ms(l.max_us)
    ));
    s.push_str(&format!(
        "  generator     {:.2} CPU-s, {:.0}% of {} thread(s)\n",
        r.generator.cpu_s,
        r.generator.utilization * 100.0,
        r.generator.threads
    ));
    for w in &r.warnings {
        s.push_str(&format!("warning: {w}\n"));
    }
    s
}
