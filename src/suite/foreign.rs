//! Other processes on the measured cores. A steady competitor (a compile, a
//! browser, a second benchmark) moves every figure the same way, so the
//! trial-to-trial noise does not show it; the kernel does. Around every
//! point each process's CPU time is read from `/proc/PID/stat` (the
//! scheduler's own count, exact to the tick however short its bursts): what
//! every process that is neither ringside's (itself, every process carrying
//! this run's id, [`crate::proc::lock::RUN_ENV`], and their descendants) nor
//! a kernel thread used is other processes' use of the machine
//! ([`ForeignCpu`]), counted on the measured cores in proportion to the
//! cores it may run on. Above [`FOREIGN_LIMIT`] the point is flagged and
//! kept out of every verdict. Before the first round the cores are sampled
//! for a second ([`idle_check`]) and a busy one is named.
//!
//! Why not the cores' busy time less ringside's: `/proc/stat` charges a
//! tick spent in a softirq (the loopback network's work) to `softirq`, while
//! the process it interrupted is charged the same time (kernels without
//! `CONFIG_IRQ_TIME_ACCOUNTING`), so ringside's share exceeded the cores'
//! "busy" by 15 % of their time under an HTTP load and a 25 % duty-cycle
//! competitor read 0 %; and the per-CPU counters miss busy spells shorter
//! than a tick on a core that idles in between (the generator's).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::Duration;

use crate::results::ForeignCpu;

/// Share of the measured cores' time other processes may use during a
/// point before it is flagged. Measured on the project's 2-core VM (README,
/// "Reliability", `bench/foreign_cpu.sh`): a loop busy 10 % of the time on
/// one core took 4.8–5.0 % of the two cores' time (its own CPU time) and
/// moved node-http's throughput by 11–20 %, beyond the noise floor of two
/// runs alone (0.4–11 %); a quiet machine reads 0.5–1 % (other sessions'
/// idle processes). 2.5 % lies between the two.
pub const FOREIGN_LIMIT: f64 = 0.025;

/// Busy share of a core, before the run, above which it is named.
pub const IDLE_LIMIT: f64 = 0.10;

/// One core's counters from `/proc/stat`, clock ticks since boot.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct CoreTicks {
    /// user + nice + system + irq + softirq.
    pub busy: u64,
    /// user … steal: the core's accounted time.
    pub total: u64,
}

/// Another process's CPU at one instant.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Other {
    /// utime + stime + reaped children's, clock ticks.
    pub ticks: u64,
    /// Share of the cores it may run on that are measured (0..=1).
    pub weight: f64,
}

/// The measured cores' counters, ringside's own CPU and every other
/// process's at one instant.
#[derive(Debug, Clone, PartialEq)]
pub struct Snapshot {
    /// Per measured core.
    pub cores: BTreeMap<usize, CoreTicks>,
    /// CPU ticks of ringside and every process of this run (reaped ones included).
    pub ours: u64,
    /// Every other process (kernel threads left out), by (pid, start time).
    pub others: BTreeMap<(i32, u64), Other>,
}

/// Per-CPU counters from the text of `/proc/stat`.
pub fn parse_proc_stat(text: &str) -> BTreeMap<usize, CoreTicks> {
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
        let at = |i: usize| v.get(i).copied().unwrap_or(0);
        let busy = at(0) + at(1) + at(2) + at(5) + at(6);
        let total: u64 = v.iter().take(8).sum();
        out.insert(cpu, CoreTicks { busy, total });
    }
    out
}

/// One process of `/proc`, as [`snapshot`] reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proc {
    pub pid: i32,
    pub ppid: i32,
    /// Start time after boot, clock ticks (a reused pid is another process).
    pub start: u64,
    /// utime + stime + cutime + cstime, clock ticks.
    pub ticks: u64,
}

/// Parses `/proc/PID/stat`.
pub fn parse_stat(text: &str) -> Option<Proc> {
    let p = crate::proc::tree::parse_stat(text)?;
    let rest = &text[text.rfind(')')? + 1..];
    let start = rest.split_whitespace().nth(19)?.parse().ok()?;
    Some(Proc {
        pid: p.pid,
        ppid: p.ppid,
        start,
        ticks: p.self_ticks + p.children_ticks,
    })
}

/// True when process `pid` carries `marker` (`NAME=value`) in its environment.
fn has_env(pid: i32, marker: &[u8]) -> bool {
    std::fs::read(format!("/proc/{pid}/environ"))
        .is_ok_and(|env| env.split(|b| *b == 0).any(|kv| kv == marker))
}

/// Splits `procs` into ringside's (the `roots` and their descendants) and
/// the others; kernel threads (kthreadd, pid 2, and its children) are in
/// neither.
pub fn split<'a>(procs: &'a [Proc], roots: &BTreeSet<i32>) -> (Vec<&'a Proc>, Vec<&'a Proc>) {
    let mut kids: HashMap<i32, Vec<i32>> = HashMap::new();
    for p in procs {
        kids.entry(p.ppid).or_default().push(p.pid);
    }
    let mut ours: BTreeSet<i32> = BTreeSet::new();
    let mut stack: Vec<i32> = roots.iter().copied().collect();
    while let Some(pid) = stack.pop() {
        if ours.insert(pid)
            && let Some(k) = kids.get(&pid)
        {
            stack.extend(k);
        }
    }
    let kernel = |p: &Proc| p.pid == 2 || p.ppid == 2;
    let (mine, rest): (Vec<&Proc>, Vec<&Proc>) = procs.iter().partition(|p| ours.contains(&p.pid));
    (mine, rest.into_iter().filter(|p| !kernel(p)).collect())
}

/// Every process in `/proc`.
fn scan() -> Vec<Proc> {
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    dir.filter_map(|e| {
        let pid: i32 = e.ok()?.file_name().to_str()?.parse().ok()?;
        parse_stat(&std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?)
    })
    .collect()
}

/// Share of the cores `pid` may run on that are in `measured` (1 when unknown).
fn weight(pid: i32, measured: &[usize]) -> f64 {
    use nix::sched::{CpuSet, sched_getaffinity};
    let Ok(set) = sched_getaffinity(nix::unistd::Pid::from_raw(pid)) else {
        return 1.0;
    };
    let allowed: Vec<usize> = (0..CpuSet::count())
        .filter(|&c| set.is_set(c).unwrap_or(false))
        .collect();
    if allowed.is_empty() {
        return 1.0;
    }
    allowed.iter().filter(|c| measured.contains(c)).count() as f64 / allowed.len() as f64
}

/// CPU ticks of this process and of every process of this run.
pub fn ours_ticks() -> u64 {
    let procs = scan();
    let roots = roots(&procs);
    split(&procs, &roots).0.iter().map(|p| p.ticks).sum()
}

/// Processes the run started that left its process tree (the managed
/// PostgreSQL's postmaster: `pg_ctl` daemonizes it), counted as the run's
/// with their descendants.
static ADOPTED: std::sync::Mutex<BTreeSet<i32>> = std::sync::Mutex::new(BTreeSet::new());

/// Counts `pid` and its descendants as this run's from now on.
pub fn count_as_ours(pid: i32) {
    ADOPTED
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(pid);
}

/// This process, every process carrying this run's id, and the adopted ones.
fn roots(procs: &[Proc]) -> BTreeSet<i32> {
    let (key, id) = crate::proc::lock::child_env();
    let marker = format!("{key}={id}");
    let me = std::process::id() as i32;
    let adopted = ADOPTED.lock().unwrap_or_else(|e| e.into_inner()).clone();
    procs
        .iter()
        .filter(|p| p.pid == me || adopted.contains(&p.pid) || has_env(p.pid, marker.as_bytes()))
        .map(|p| p.pid)
        .collect()
}

/// Reads the counters of `cores` (`None` without `/proc/stat`).
pub fn snapshot(cores: &[usize]) -> Option<Snapshot> {
    let text = std::fs::read_to_string("/proc/stat").ok()?;
    let all = parse_proc_stat(&text);
    let measured: BTreeMap<usize, CoreTicks> = cores
        .iter()
        .filter_map(|c| all.get(c).map(|v| (*c, *v)))
        .collect();
    if measured.is_empty() {
        return None;
    }
    let procs = scan();
    let roots = roots(&procs);
    let (mine, rest) = split(&procs, &roots);
    Some(Snapshot {
        cores: measured,
        ours: mine.iter().map(|p| p.ticks).sum(),
        others: rest
            .iter()
            .map(|p| {
                let w = weight(p.pid, cores);
                (
                    (p.pid, p.start),
                    Other {
                        ticks: p.ticks,
                        weight: w,
                    },
                )
            })
            .collect(),
    })
}

/// Ticks other processes used between two snapshots, each weighted by its
/// share of measured cores. A process that ended meanwhile left its time in
/// its parent's reaped-children count, its earlier time included: that
/// earlier time is taken off again.
fn others_between(before: &Snapshot, after: &Snapshot) -> f64 {
    let mut used = 0.0;
    for (key, a) in &after.others {
        let earlier = before.others.get(key).map_or(0, |b| b.ticks);
        used += a.ticks.saturating_sub(earlier) as f64 * a.weight;
    }
    for (key, b) in &before.others {
        if !after.others.contains_key(key) {
            used -= b.ticks as f64 * b.weight;
        }
    }
    used.max(0.0)
}

/// Other processes' use of the cores between two snapshots `wall` apart,
/// at `hz` clock ticks a second.
pub fn between_at(
    before: &Snapshot,
    after: &Snapshot,
    wall: Duration,
    hz: u64,
) -> Option<ForeignCpu> {
    let mut busy = 0u64;
    let mut total = 0u64;
    let mut cores = Vec::new();
    for (c, a) in &after.cores {
        let b = before.cores.get(c)?;
        busy += a.busy.saturating_sub(b.busy);
        total += a.total.saturating_sub(b.total);
        cores.push(*c);
    }
    let capacity = wall.as_secs_f64() * hz as f64 * cores.len() as f64;
    if total == 0 || capacity <= 0.0 {
        return None;
    }
    let foreign = others_between(before, after).min(capacity);
    Some(ForeignCpu {
        cores,
        share: foreign / capacity,
        busy_share: (busy as f64 / total as f64).min(1.0),
        wall_us: wall.as_micros() as u64,
    })
}

/// [`between_at`] at the kernel's clock ticks a second.
pub fn between(before: &Snapshot, after: &Snapshot, wall: Duration) -> Option<ForeignCpu> {
    between_at(before, after, wall, crate::proc::tree::ticks_per_second())
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
        .filter_map(|(c, a)| {
            let b = before.cores.get(c)?;
            let total = a.total.saturating_sub(b.total);
            (total > 0).then(|| (*c, a.busy.saturating_sub(b.busy) as f64 / total as f64))
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
        assert_eq!(
            m[&0],
            CoreTicks {
                busy: 92,
                total: 594
            }
        );
        assert_eq!(
            m[&1],
            CoreTicks {
                busy: 60,
                total: 563
            }
        );
    }

    fn cpu(user: u64, system: u64, idle: u64, softirq: u64) -> CoreTicks {
        CoreTicks {
            busy: user + system + softirq,
            total: user + system + idle + softirq,
        }
    }

    fn snap(cores: &[CoreTicks], ours: u64, others: &[((i32, u64), u64, f64)]) -> Snapshot {
        Snapshot {
            cores: cores.iter().copied().enumerate().collect(),
            ours,
            others: others
                .iter()
                .map(|&(k, ticks, weight)| (k, Other { ticks, weight }))
                .collect(),
        }
    }

    /// Regression: a 25 % duty-cycle loop on core 0 beside node-http and
    /// the generator read 0 % foreign (`/proc/stat` deltas and process
    /// times measured here over 4 s, 100 ticks/s): the kernel charged the
    /// loopback's softirq ticks to node and the generator as well, so
    /// "busy less ours" went negative.
    #[test]
    fn a_duty_cycle_competitor_reads_its_share_though_softirq_is_charged_to_ringside() {
        let before = snap(
            &[cpu(0, 0, 0, 0), cpu(0, 0, 0, 0)],
            0,
            &[((4242, 7), 0, 1.0)],
        );
        let after = snap(
            &[cpu(279, 69, 3, 48), cpu(18, 115, 173, 32)],
            317 + 201,
            &[((4242, 7), 80, 1.0)],
        );
        // The old reading: user + system of the cores less ringside's time.
        let old = (279 + 69 + 18 + 115) as i64 - (317 + 201) as i64;
        assert!(old < 0, "{old}");
        let f = between_at(&before, &after, Duration::from_secs(4), 100).unwrap();
        // 80 ticks of the cores' 800: 10 %, the loop's own time.
        assert!((f.share - 0.10).abs() < 1e-9, "{f:?}");
        assert!(f.share > FOREIGN_LIMIT);
        assert_eq!(f.cores, vec![0, 1]);
        assert!(f.busy_share > 0.7 && f.busy_share <= 1.0, "{f:?}");
    }

    #[test]
    fn a_process_that_ended_counts_once_through_its_parent() {
        let cores = [cpu(0, 0, 0, 0)];
        // A shell (10 ticks) and its compiler child (30 ticks so far).
        let before = snap(&cores, 0, &[((100, 1), 10, 1.0), ((101, 5), 30, 1.0)]);
        // The child ended at 50 ticks and was reaped: the shell carries them.
        let after = snap(&[cpu(50, 0, 50, 0)], 0, &[((100, 1), 60, 1.0)]);
        let f = between_at(&before, &after, Duration::from_secs(1), 100).unwrap();
        assert!((f.share - 0.20).abs() < 1e-9, "{f:?}");
        // A reused pid is another process: its whole time is new.
        let after = snap(
            &[cpu(50, 0, 50, 0)],
            0,
            &[((100, 1), 10, 1.0), ((101, 9), 40, 1.0)],
        );
        let f = between_at(&before, &after, Duration::from_secs(1), 100).unwrap();
        assert!((f.share - 0.10).abs() < 1e-9, "{f:?}");
    }

    #[test]
    fn a_process_free_to_run_elsewhere_counts_in_proportion_and_never_above_the_cores() {
        let before = snap(&[cpu(0, 0, 0, 0)], 0, &[((7, 1), 0, 0.5), ((8, 1), 0, 0.0)]);
        let after = snap(
            &[cpu(40, 0, 60, 0)],
            0,
            &[((7, 1), 60, 0.5), ((8, 1), 90, 0.0)],
        );
        let f = between_at(&before, &after, Duration::from_secs(1), 100).unwrap();
        assert!((f.share - 0.30).abs() < 1e-9, "{f:?}");
        let after = snap(&[cpu(40, 0, 60, 0)], 0, &[((7, 1), 500, 1.0)]);
        let f = between_at(&before, &after, Duration::from_secs(1), 100).unwrap();
        assert_eq!(f.share, 1.0);
    }

    #[test]
    fn descendants_of_the_run_are_ours_and_kernel_threads_nobodys() {
        let p = |pid, ppid| Proc {
            pid,
            ppid,
            start: 1,
            ticks: 1,
        };
        let procs = [
            p(1, 0),
            p(2, 0),
            p(30, 2),
            p(500, 1),
            p(501, 500),
            p(502, 501),
            p(600, 1),
        ];
        let (ours, others) = split(&procs, &[500].into_iter().collect());
        let pids = |v: Vec<&Proc>| v.iter().map(|p| p.pid).collect::<Vec<_>>();
        assert_eq!(pids(ours), vec![500, 501, 502]);
        assert_eq!(pids(others), vec![1, 600]);
    }

    #[test]
    fn an_adopted_process_and_its_children_are_ours() {
        // A daemon outside this process's tree (here: a sleeping child of a
        // shell that exits, reparented away from us).
        let out = std::process::Command::new("sh")
            .args(["-c", "sleep 30 >/dev/null 2>&1 & echo $!"])
            .output()
            .unwrap();
        let pid: i32 = String::from_utf8_lossy(&out.stdout).trim().parse().unwrap();
        let procs = scan();
        assert!(!roots(&procs).contains(&pid), "not ours before adoption");
        count_as_ours(pid);
        let procs = scan();
        let (mine, others) = split(&procs, &roots(&procs));
        assert!(mine.iter().any(|p| p.pid == pid));
        assert!(!others.iter().any(|p| p.pid == pid));
        let _ = nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        );
    }

    #[test]
    fn stat_line_gives_start_time_and_all_ticks() {
        let line =
            "4242 (py thon) R 1 4242 4242 0 -1 4194304 100 0 0 0 70 10 3 2 20 0 1 0 98765 1000 10";
        let p = parse_stat(line).unwrap();
        assert_eq!((p.pid, p.ppid, p.start, p.ticks), (4242, 1, 98765, 85));
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
        // 300 ms of this thread's CPU, however busy the machine is.
        let start = crate::load::sys::thread_cpu_time();
        let mut x = 0u64;
        while crate::load::sys::thread_cpu_time() - start < Duration::from_millis(300) {
            x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
        }
        std::hint::black_box(x);
        let after = snapshot(&cores).unwrap();
        assert!(
            after.ours >= before.ours + 20,
            "{} {}",
            before.ours,
            after.ours
        );
    }
}
