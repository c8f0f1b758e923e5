//! The machine a run is measured on, read from `/proc` (no child processes).

use crate::results::Machine;

fn read(path: &str) -> String {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .trim()
        .to_string()
}

/// Hostname, OS, kernel, CPU model, cores and memory of this machine.
pub fn machine() -> Machine {
    let os = read("/etc/os-release")
        .lines()
        .find_map(|l| l.strip_prefix("PRETTY_NAME="))
        .map(|v| v.trim_matches('"').to_string())
        .unwrap_or_else(|| std::env::consts::OS.to_string());
    let cpu_model = read("/proc/cpuinfo")
        .lines()
        .find_map(|l| {
            l.strip_prefix("model name")
                .and_then(|r| r.split_once(':'))
                .map(|(_, v)| v.trim().to_string())
        })
        .unwrap_or_default();
    let memory_bytes = read("/proc/meminfo")
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024);
    Machine {
        hostname: read("/proc/sys/kernel/hostname"),
        os,
        kernel: read("/proc/sys/kernel/osrelease"),
        cpu_model,
        cores: super::config::cores(),
        memory_bytes,
    }
}

/// The CPU time this process's cgroup (or an ancestor) may use, in cores:
/// its CFS quota over its period, when there is one. A Kubernetes pod with
/// `limits.cpu: 2` on a 16-core node is allowed all 16 cores but 2 cores'
/// time; pinning the server and the generator to different cores then does
/// not keep them apart — they share the quota.
pub fn cpu_quota_cores() -> Option<f64> {
    static QUOTA: std::sync::OnceLock<Option<f64>> = std::sync::OnceLock::new();
    *QUOTA.get_or_init(|| {
        let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
        let mut limits = Vec::new();
        for (file, _) in quota_files(&own) {
            let text = std::fs::read_to_string(&file).ok();
            let quota = match (file.ends_with("cpu.max"), text) {
                (true, Some(t)) => parse_cpu_max(&t),
                (false, Some(q)) => {
                    let period = std::fs::read_to_string(
                        std::path::Path::new(&file).with_file_name("cpu.cfs_period_us"),
                    )
                    .unwrap_or_default();
                    parse_cfs(&q, &period)
                }
                _ => None,
            };
            limits.extend(quota);
        }
        limits.into_iter().reduce(f64::min)
    })
}

/// The quota files to read for the cgroups of `/proc/self/cgroup`: the own
/// cgroup's and every ancestor's, under the v2 mount (`cpu.max`) and the v1
/// `cpu` controller's (`cpu.cfs_quota_us`); in a container the paths start
/// at its own root.
fn quota_files(proc_self_cgroup: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for line in proc_self_cgroup.lines() {
        let mut parts = line.splitn(3, ':');
        let (Some(_), Some(controllers), Some(path)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let (mounts, file): (&[&str], &str) = if controllers.is_empty() {
            (&["/sys/fs/cgroup"], "cpu.max")
        } else if controllers.split(',').any(|c| c == "cpu") {
            (
                &["/sys/fs/cgroup/cpu,cpuacct", "/sys/fs/cgroup/cpu"],
                "cpu.cfs_quota_us",
            )
        } else {
            continue;
        };
        let mut dir = path.trim_end_matches('/').to_string();
        loop {
            for m in mounts {
                out.push((format!("{m}{dir}/{file}"), dir.clone()));
            }
            match dir.rfind('/') {
                Some(i) => dir.truncate(i),
                None => break,
            }
            if dir.is_empty() {
                for m in mounts {
                    out.push((format!("{m}/{file}"), "/".into()));
                }
                break;
            }
        }
    }
    out.dedup();
    out
}

/// `cpu.max` (`QUOTA PERIOD`, or `max PERIOD` for none) in cores.
pub fn parse_cpu_max(text: &str) -> Option<f64> {
    let mut it = text.split_whitespace();
    let quota: f64 = it.next()?.parse().ok()?;
    let period: f64 = it.next()?.parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// cgroup v1 `cpu.cfs_quota_us` (-1 for none) over `cpu.cfs_period_us`, in cores.
pub fn parse_cfs(quota: &str, period: &str) -> Option<f64> {
    let quota: f64 = quota.trim().parse().ok()?;
    let period: f64 = period.trim().parse().ok()?;
    (quota > 0.0 && period > 0.0).then(|| quota / period)
}

/// A warning when the CPU quota is below the cores the run pins, else None.
pub fn quota_warning(quota: Option<f64>, pinned_cores: usize) -> Option<String> {
    let quota = quota?;
    (quota + 0.01 < pinned_cores as f64).then(|| {
        format!(
            "this process may use {quota:.2} cores' CPU time (its cgroup's quota) but the run pins \
             {pinned_cores} cores: the server and the generator share that time as if they shared \
             cores, so every point is flagged shared cores; give the run whole cores (a Kubernetes \
             pod: integer CPU requests equal to limits, on a node with the static CPU manager policy)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_quotas_in_cores() {
        assert_eq!(parse_cpu_max("200000 100000\n"), Some(2.0));
        assert_eq!(parse_cpu_max("max 100000"), None);
        assert_eq!(parse_cfs("150000\n", "100000\n"), Some(1.5));
        assert_eq!(parse_cfs("-1", "100000"), None);
        let files = quota_files("0::/kubepods/pod1/c1\n");
        assert_eq!(files[0].0, "/sys/fs/cgroup/kubepods/pod1/c1/cpu.max");
        assert!(
            files
                .iter()
                .any(|(f, _)| f == "/sys/fs/cgroup/kubepods/cpu.max")
        );
        assert!(files.iter().any(|(f, _)| f == "/sys/fs/cgroup/cpu.max"));
        let v1 = quota_files("4:cpu,cpuacct:/docker/abc\n3:memory:/docker/abc\n");
        assert!(
            v1.iter()
                .any(|(f, _)| f == "/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us")
        );
        assert!(
            v1.iter()
                .any(|(f, _)| f == "/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
        );
        assert!(v1.iter().all(|(f, _)| !f.contains("memory")));
        assert!(quota_warning(Some(2.0), 2).is_none());
        assert!(quota_warning(None, 2).is_none());
        assert!(quota_warning(Some(1.5), 2).unwrap().contains("1.50 cores"));
    }
}
