//! What the harness measures: a launched stack ([`crate::stack::Running`]) or
//! a server the user already runs (`--url`, optionally `--pid` for CPU and
//! memory, sampled from `/proc`), behind one small trait.

use crate::stack::{ProcSample, Running};

/// A server under measurement.
pub trait Target {
    /// `http://127.0.0.1:PORT`, no trailing slash.
    fn base_url(&self) -> String;
    /// CPU and RSS of the server's process tree now (`None`: not measurable).
    fn sample(&self) -> Option<ProcSample>;
    /// `cgroup` or `proc`, or empty when CPU is not measured.
    fn cpu_source(&self) -> String;
    /// False once the server has exited.
    fn is_alive(&mut self) -> bool;
    /// The server's last output lines (empty when unknown).
    fn stderr_tail(&self, n: usize) -> Vec<String>;
    /// HTTP/2 streams a connection when the server speaks h2c (its loads
    /// then go out over HTTP/2, [`super::h2::apply`]); `None`: HTTP/1.1.
    fn http2_streams(&self) -> Option<u32> {
        None
    }
}

impl Target for Running {
    fn base_url(&self) -> String {
        Running::base_url(self).trim_end_matches('/').to_string()
    }
    fn sample(&self) -> Option<ProcSample> {
        Some(Running::sample(self))
    }
    fn cpu_source(&self) -> String {
        Running::cpu_source(self).to_string()
    }
    fn is_alive(&mut self) -> bool {
        Running::is_alive(self)
    }
    fn stderr_tail(&self, n: usize) -> Vec<String> {
        Running::stderr_tail(self, n)
    }
    fn http2_streams(&self) -> Option<u32> {
        self.protocol().is_http2().then(|| self.streams())
    }
}

/// A server ringside did not start (`--url`, `--pid`).
#[derive(Debug, Clone)]
pub struct External {
    pub url: url::Url,
    pub pid: Option<u32>,
}

impl Target for External {
    fn base_url(&self) -> String {
        self.url.as_str().trim_end_matches('/').to_string()
    }
    fn sample(&self) -> Option<ProcSample> {
        // The same sampler as a launched stack's /proc fallback (Pss memory,
        // reaped children's CPU included), so `--pid` figures compare.
        let pid = self.pid.filter(|&pid| pid_exists(pid))?;
        Some(crate::stack::sample_tree(pid as i32, None))
    }
    fn cpu_source(&self) -> String {
        if self.pid.is_some() {
            "proc".into()
        } else {
            String::new()
        }
    }
    fn is_alive(&mut self) -> bool {
        self.pid.is_none_or(pid_exists)
    }
    fn stderr_tail(&self, _n: usize) -> Vec<String> {
        Vec::new()
    }
}

fn pid_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_own_process_tree() {
        let target = |pid| External {
            url: "http://127.0.0.1:1".parse().unwrap(),
            pid: Some(pid),
        };
        let s = target(std::process::id()).sample().expect("own process");
        assert!(s.rss_bytes > 0);
        assert!(s.processes >= 1);
        assert!(target(u32::MAX - 1).sample().is_none());
    }
}
