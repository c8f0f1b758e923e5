//! Other processes on the measured cores. A steady competitor (a compile, a
//! browser, a second benchmark) moves every figure the same way, so the
//! trial-to-trial noise does not show it; the kernel does. Around every
//! point the busy time of the measured cores (`/proc/stat`, per CPU) is
//! read, less what ringside and every process it started used (ringside's
//! own threads, the server's tree, the database: every process carrying
//! this run's id, [`crate::proc::lock::RUN_ENV`]). What is left is other
//! processes' use of the cores being measured ([`ForeignCpu`]); above
//! [`FOREIGN_LIMIT`] the point is flagged and kept out of every verdict.
//! Before the first round the cores are sampled for a second
//! ([`idle_check`]) and a busy one is named.
//!
//! Busy is user + nice + system time: interrupt time is left out on both
//! sides, as kernels that account it apart do not charge it to a process.
//! `/proc/stat` is sampled at the timer tick: a competitor that runs in
//! short bursts between ticks escapes it (README, "Reliability").

use std::collections::BTreeMap;
use std::time::Duration;

use crate::results::ForeignCpu;

/// Share of the measured cores' time other processes may use during a
/// point before it is flagged. Measured on the project's 2-core VM (README,
/// "Reliability", `bench/foreign_cpu.sh`): a competitor taking 10 % of one
/// core (5 % of the two) moved node-http's throughput by 11–20 %, beyond the
/// noise floor of two runs alone (0.4–11 %).
pub const FOREIGN_LIMIT: f64 = 0.05;

/// Busy share of a core, before the run, above which it is named.
pub const IDLE_LIMIT: f64 = 0.10;

/// The measured cores' counters and ringside's own CPU at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Per measured core: (busy, total) clock ticks since boot.
    pub cores: BTreeMap<usize, (u64, u64)>,
    /// CPU ticks of ringside and every process of this run (reaped ones included).
    pub ours: u64,
}

/// Per-CPU (busy, total) ticks from the text of `/proc/stat`.
pub fn parse_proc_stat(text: &str) -> BTreeMap<usize, (u64, u64)> {
    let mut out = BTreeMap::new();
    for line in text.lines() {
        // `cpu0 …`, not the `cpu  …` total line.
        let Some(rest) = line
            .strip_prefix("cpu")
            .filter(|r| r.starts_with(|c: char| c.is_ascii_digit()))
        else {
            continue;
        };
        let mut f = rest.split_whitespace();
        let Some(Ok(cpu)) = f.next().map(str::parse::<usize>) else {
            continue;
        };
        let v: Vec<u64> = f.filter_map(|x| x.parse().ok()).collect();
        if v.len() < 4 {
            continue;
        }
        // user nice system idle iowait irq softirq steal (guest is in user).
        let busy = v[0] + v[1] + v[2];
        let total: u64 = v.iter().take(8).sum();
        out.insert(cpu, (busy, total));
    }
    out
}

/// True when process `pid` carries `marker` (`NAME=value`) in its environment.
fn has_env(pid: i32, marker: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == marker))
}

/// CPU ticks of this process and of every process of this run.
pub fn ours_ticks() -> u64 {
    let (key, id) = crate::proc::lock::child_env();
    let marker = format!("{key}={id}");
    let me = std::process::id() as i32;
    crate::proc::tree::scan()
        .iter()
        .filter(|p| p.pid == me || has_env(p.pid, marker.as_bytes()))
        .map(|p| p.self_ticks + p.children_ticks)
        .sum()
}

/// Reads the counters of `cores` (`None` without `/proc/stat`).
pub fn snapshot(cores: &[usize]) -> Option<Snapshot> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let all = parse_proc_stat(&text);
    let cores: BTreeMap<usize, (u64, u64)> = cores
        .iter()
        .filter_map(|c| all.get(c).map(|v| (*c, *v)))
        .collect();
    if cores.is_empty() {
        return None;
    }
    Some(Snapshot {
        cores,
        ours: ours_ticks(),
    })
}

/// Other processes' use of the cores between two snapshots.
pub fn between(before: &Snapshot, after: &Snapshot, wall: Duration) -> Option<ForeignCpu> {
    let mut busy = 0u64;
    let mut total = 0u64;
    let mut cores = Vec::new();
    for (c, (b1, t1)) in &after.cores {
        let (b0, t0) = before.cores.get(c)?;
        busy += b1.saturating_sub(*b0);
        total += t1.saturating_sub(*t0);
        cores.push(*c);
    }
    if total == 0 {
        return None;
    }
    let ours = after.ours.saturating_sub(before.ours);
    let foreign = busy.saturating_sub(ours);
    Some(ForeignCpu {
        cores,
        share: foreign as f64 / total as f64,
        busy_share: busy as f64 / total as f64,
        wall_us: wall.as_micros() as u64,
    })
}

/// The cores a point is measured on: the server's and the generator's
/// (`workers` runs the server on every core).
pub fn measured_cores(cfg: &super::config::SuiteConfig, all_cores: bool) -> Vec<usize> {
    let s = &cfg.settings;
    let mut v: Vec<usize> = if all_cores {
        crate::load::sys::allowed_cpus()
    } else {
        s.server_cpus
            .iter()
            .chain(&s.generator_cpus)
            .copied()
            .collect()
    };
    v.sort_unstable();
    v.dedup();
    v
}

/// The busy share of each core between two snapshots (nothing of the run
/// is busy before the first round, so this is other processes' use).
pub fn per_core_busy(before: &Snapshot, after: &Snapshot) -> Vec<(usize, f64)> {
    after
        .cores
        .iter()
        .filter_map(|(c, (b1, t1))| {
            let (b0, t0) = before.cores.get(c)?;
            let total = t1.saturating_sub(*t0);
            (total > 0).then(|| (*c, b1.saturating_sub(*b0) as f64 / total as f64))
        })
        .collect()
}

/// Samples `cores` for `window` and returns one warning per core busier
/// than [`IDLE_LIMIT`] with other processes.
pub async fn idle_check(cores: &[usize], window: Duration) -> Vec<String> {
    let Some(before) = snapshot(cores) else {
        return Vec::new();
    };
    tokio::time::sleep(window).await;
    let Some(after) = snapshot(cores) else {
        return Vec::new();
    };
    idle_warnings(&per_core_busy(&before, &after))
}

/// The warnings of [`idle_check`] from per-core busy shares.
pub fn idle_warnings(busy: &[(usize, f64)]) -> Vec<String> {
    busy.iter()
        .filter(|(_, share)| *share > IDLE_LIMIT)
        .map(|(c, share)| {
            format!(
                "core {c} is {:.0} % busy with other processes: figures will be low and noisy — close them or pass --shared-machine",
                share * 100.0
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "cpu  100 0 50 1000 5 1 1 0 0 0\n\
                        cpu0 60 0 30 500 2 1 1 0 0 0\n\
                        cpu1 40 0 20 500 3 0 0 0 0 0\n\
                        intr 12345\n";

    #[test]
    fn proc_stat_gives_busy_and_total_per_cpu() {
        let m = parse_proc_stat(STAT);
        assert_eq!(m.len(), 2);
        assert_eq!(m[&0], (90, 594));
        assert_eq!(m[&1], (60, 563));
    }

    #[test]
    fn foreign_is_busy_less_ours_over_the_cores_time() {
        let snap = |b0: u64, b1: u64, t: u64, ours: u64| Snapshot {
            cores: [(0, (b0, t)), (1, (b1, t))].into_iter().collect(),
            ours,
        };
        let before = snap(0, 0, 0, 0);
        // 2 cores × 100 ticks; 120 busy, 90 of them ours: 30 foreign = 15 %.
        let after = snap(70, 50, 100, 90);
        let f = between(&before, &after, Duration::from_secs(1)).unwrap();
        assert!((f.share - 0.15).abs() < 1e-9, "{f:?}");
        assert!((f.busy_share - 0.6).abs() < 1e-9);
        assert_eq!(f.cores, vec![0, 1]);
        // Ours above busy (ringside ran on other cores too): never negative.
        let after = snap(10, 10, 100, 90);
        assert_eq!(
            between(&before, &after, Duration::from_secs(1))
                .unwrap()
                .share,
            0.0
        );
    }

    #[test]
    fn a_busy_core_is_named_with_its_share() {
        let w = idle_warnings(&[(0, 0.48), (1, 0.02)]);
        assert_eq!(
            w,
            vec![
                "core 0 is 48 % busy with other processes: figures will be low and noisy — close them or pass --shared-machine"
            ]
        );
    }

    #[test]
    fn a_busy_loop_of_this_process_is_ours_not_foreign() {
        let cores = crate::load::sys::allowed_cpus();
        let before = snapshot(&cores).expect("/proc/stat");
        let start = std::time::Instant::now();
        let mut x = 0u64;
        while start.elapsed() < Duration::from_millis(300) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let after = snapshot(&cores).unwrap();
        assert!(after.ours >= before.ours + 20, "{before:?} {after:?}");
    }
}
