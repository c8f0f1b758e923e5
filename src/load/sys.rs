//! The generator's footing on the machine: its own CPU time, pinning threads
//! to cores, the open-file limit, and the rule that says when the generator
//! itself (not the target) was the bottleneck. Shared by the HTTP and
//! WebSocket engines; Linux-first, harmless elsewhere.

use std::time::Duration;

use nix::sys::resource::{Resource, UsageWho, getrlimit, getrusage, setrlimit};

use super::report::GeneratorUsage;

/// Utilisation (CPU seconds per thread-second) above which the generator is
/// flagged as saturated: its threads were busy ≥ 90% of the window.
pub const SATURATION_THRESHOLD: f64 = 0.9;

fn usage_time(who: UsageWho) -> Duration {
    match getrusage(who) {
        Ok(u) => timeval(u.user_time()) + timeval(u.system_time()),
        Err(_) => Duration::ZERO,
    }
}

fn timeval(tv: nix::sys::time::TimeVal) -> Duration {
    Duration::from_secs(tv.tv_sec().max(0) as u64)
        + Duration::from_micros(tv.tv_usec().max(0) as u64)
}

/// User+system CPU time of the whole process so far (`getrusage(RUSAGE_SELF)`).
pub fn process_cpu_time() -> Duration {
    usage_time(UsageWho::RUSAGE_SELF)
}

/// User+system CPU time of the calling thread so far (`getrusage(RUSAGE_THREAD)`);
/// zero where unsupported. Sum it over worker threads to cost a run when the
/// process does other work too (the harness).
pub fn thread_cpu_time() -> Duration {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    {
        usage_time(UsageWho::RUSAGE_THREAD)
    }
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    {
        Duration::ZERO
    }
}

/// Parses a core list: `1`, `0,1`, `0-3`, `0-1,4` (ascending, deduplicated).
/// The error names the offending part.
pub fn parse_cpu_list(text: &str) -> Result<Vec<usize>, String> {
    let mut cpus = Vec::new();
    for part in text.split(',').map(str::trim) {
        let number = |s: &str| {
            s.trim()
                .parse::<usize>()
                .map_err(|_| format!("`{part}` is not a core number or range like 0-3"))
        };
        match part.split_once('-') {
            Some((lo, hi)) => {
                let (lo, hi) = (number(lo)?, number(hi)?);
                if lo > hi {
                    return Err(format!("range `{part}` runs backwards"));
                }
                if hi - lo > 4096 {
                    return Err(format!("range `{part}` is too large"));
                }
                cpus.extend(lo..=hi);
            }
            None => cpus.push(number(part)?),
        }
    }
    cpus.sort_unstable();
    cpus.dedup();
    if cpus.is_empty() {
        return Err("the core list is empty".into());
    }
    Ok(cpus)
}

/// `cpus` (ascending) as a Linux cpu list: `0-3,6`.
pub fn cpu_list(cpus: &[usize]) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut i = 0;
    while i < cpus.len() {
        let mut j = i;
        while j + 1 < cpus.len() && cpus[j + 1] == cpus[j] + 1 {
            j += 1;
        }
        parts.push(if j > i {
            format!("{}-{}", cpus[i], cpus[j])
        } else {
            cpus[i].to_string()
        });
        i = j + 1;
    }
    parts.join(",")
}

/// Cores this process may run on (its affinity mask), ascending.
pub fn allowed_cpus() -> Vec<usize> {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_getaffinity};
        use nix::unistd::Pid;
        if let Ok(set) = sched_getaffinity(Pid::from_raw(0)) {
            return (0..CpuSet::count())
                .filter(|&c| set.is_set(c).unwrap_or(false))
                .collect();
        }
    }
    (0..std::thread::available_parallelism().map_or(1, |n| n.get())).collect()
}

/// Pins the calling thread to `cpus` (threads it creates afterwards inherit
/// the mask, so pinning `main` before building a runtime pins the process).
pub fn pin_current_thread(cpus: &[usize]) -> anyhow::Result<()> {
    #[cfg(target_os = "linux")]
    {
        use nix::sched::{CpuSet, sched_setaffinity};
        use nix::unistd::Pid;
        let mut set = CpuSet::new();
        for &cpu in cpus {
            set.set(cpu)
                .map_err(|err| anyhow::anyhow!("core {cpu} cannot be pinned: {err}"))?;
        }
        sched_setaffinity(Pid::from_raw(0), &set)
            .map_err(|err| anyhow::anyhow!("pinning to cores {cpus:?}: {err}"))?;
    }
    #[cfg(not(target_os = "linux"))]
    let _ = cpus;
    Ok(())
}

/// Raises the soft open-file limit to the hard limit (a run with many
/// connections needs one descriptor each; children inherit it). Returns the
/// soft limit now in force (1024, the usual default, when it cannot be read).
pub fn raise_nofile_limit() -> u64 {
    match getrlimit(Resource::RLIMIT_NOFILE) {
        Ok((soft, hard)) if soft < hard => {
            if setrlimit(Resource::RLIMIT_NOFILE, hard, hard).is_ok() {
                hard
            } else {
                soft
            }
        }
        Ok((soft, _)) => soft,
        Err(_) => 1024,
    }
}

/// The generator's usage over a window: `cpu` spent by `threads` driving
/// threads over `window` of wall time. Threads beyond `cores` (when pinned to
/// fewer cores than threads) do not add capacity, so the divisor is
/// `min(threads, cores)`. Saturated when utilisation ≥ [`SATURATION_THRESHOLD`].
pub fn generator_usage(
    cpu: Duration,
    window: Duration,
    threads: usize,
    cores: Option<usize>,
) -> GeneratorUsage {
    let capacity = cores.map_or(threads, |c| threads.min(c)).max(1) as f64;
    let wall = window.as_secs_f64();
    let utilization = if wall > 0.0 {
        cpu.as_secs_f64() / (wall * capacity)
    } else {
        0.0
    };
    GeneratorUsage {
        cpu_s: cpu.as_secs_f64(),
        threads,
        utilization,
        saturated: utilization >= SATURATION_THRESHOLD,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_lists() {
        assert_eq!(parse_cpu_list("1"), Ok(vec![1]));
        assert_eq!(parse_cpu_list("0,1"), Ok(vec![0, 1]));
        assert_eq!(parse_cpu_list("0-1"), Ok(vec![0, 1]));
        assert_eq!(parse_cpu_list("3, 0-1,1"), Ok(vec![0, 1, 3]));
        assert!(parse_cpu_list("").is_err());
        assert!(parse_cpu_list("a").unwrap_err().contains("`a`"));
        assert!(parse_cpu_list("2-1").unwrap_err().contains("backwards"));
        assert!(parse_cpu_list("-1").is_err());
        for text in ["0-3,6", "1", "0,2,4-5"] {
            assert_eq!(cpu_list(&parse_cpu_list(text).unwrap()), text);
        }
    }

    #[test]
    fn cpu_time_advances_with_work() {
        let before = thread_cpu_time();
        let mut x = 0u64;
        let start = std::time::Instant::now();
        while start.elapsed() < Duration::from_millis(30) {
            x = x.wrapping_mul(31).wrapping_add(7);
        }
        std::hint::black_box(x);
        assert!(thread_cpu_time() > before);
        assert!(process_cpu_time() >= thread_cpu_time());
    }

    #[test]
    fn saturation_rule() {
        let busy = generator_usage(Duration::from_secs(19), Duration::from_secs(10), 2, None);
        assert!((busy.utilization - 0.95).abs() < 1e-9);
        assert!(busy.saturated);
        let idle = generator_usage(Duration::from_secs(5), Duration::from_secs(10), 2, None);
        assert!(!idle.saturated);
        let oversubscribed =
            generator_usage(Duration::from_secs(10), Duration::from_secs(10), 4, Some(1));
        assert!(oversubscribed.saturated);
        assert_eq!(
            generator_usage(Duration::ZERO, Duration::ZERO, 0, None).utilization,
            0.0
        );
    }

    #[test]
    fn nofile_limit_is_positive() {
        assert!(raise_nofile_limit() > 0);
    }

    #[test]
    fn allowed_cpus_not_empty() {
        assert!(!allowed_cpus().is_empty());
    }
}
