//! Launching a stack: pick the port, substitute the start command, spawn it in
//! its own process group (pinned to cores, in its own cpuacct cgroup), drain
//! its output, wait for `GET /health` → `200 ok`; stop it with SIGTERM then
//! SIGKILL. Every exit path kills the whole tree.

use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, anyhow, bail};
use nix::sys::signal::{Signal, killpg};
use nix::unistd::Pid;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::task::JoinHandle;

use super::manifest::substitute;
use super::{LaunchOpts, ProcSample, Stack};
use crate::proc::cgroup::{Cgroup, join_in_child};
use crate::proc::guard::{self, Guard};
use crate::proc::run::{Tail, describe_status, resolve_program};
use crate::proc::tree;

/// Lines of server output kept for error messages.
pub const OUTPUT_LINES: usize = 200;
/// Lines quoted in a startup error.
const QUOTED_LINES: usize = 20;
/// Grace period between SIGTERM and SIGKILL in [`Running::stop`].
pub const STOP_GRACE: Duration = Duration::from_secs(5);

static NEXT_CGROUP: AtomicU64 = AtomicU64::new(1);

/// A launched stack. Dropping it kills its whole process group.
#[derive(Debug)]
pub struct Running {
    name: String,
    port: u16,
    base_url: String,
    protocol: super::Protocol,
    streams: u32,
    ready_after: Duration,
    child: tokio::process::Child,
    pid: i32,
    output: Arc<Mutex<Tail>>,
    cgroup: Option<Arc<Cgroup>>,
    guard: Option<Guard>,
    drains: Vec<JoinHandle<()>>,
    /// HTTP/2 over TLS: the throwaway certificate, removed with the launch.
    tls: Option<super::tls::ThrowawayCert>,
}

impl Running {
    /// `http://127.0.0.1:PORT` (`https://` for HTTP/2 over TLS)
    pub fn base_url(&self) -> &str {
        &self.base_url
    }
    pub fn port(&self) -> u16 {
        self.port
    }
    /// The HTTP version the server speaks (its manifest's `[start] protocol`).
    pub fn protocol(&self) -> super::Protocol {
        self.protocol
    }
    /// HTTP/2 streams the harness keeps in flight a connection (1 for HTTP/1.1).
    pub fn streams(&self) -> u32 {
        self.streams
    }
    /// HTTP/2 over TLS: the throwaway certificate the server was handed.
    pub fn tls(&self) -> Option<&super::tls::ThrowawayCert> {
        self.tls.as_ref()
    }
    /// Stack name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Pid of the server's main process, which is also its process group id.
    pub fn pid(&self) -> i32 {
        self.pid
    }
    /// Launch to first good `/health`.
    pub fn ready_after(&self) -> Duration {
        self.ready_after
    }
    /// CPU and memory of the whole process tree now (memory is Pss where
    /// the kernel offers it, else RSS).
    pub fn sample(&self) -> ProcSample {
        super::sample::sample(self.pid, self.cgroup.as_deref())
    }
    /// `cgroup` or `proc`: where [`Running::sample`]'s CPU figure comes from.
    pub fn cpu_source(&self) -> &'static str {
        if self.cgroup.is_some() {
            "cgroup"
        } else {
            "proc"
        }
    }
    /// False once the main process has exited.
    pub fn is_alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
    /// How the main process ended (`exit status 3`, `signal 9`), once it has.
    pub fn exit_status(&mut self) -> Option<String> {
        self.child
            .try_wait()
            .ok()
            .flatten()
            .map(|s| describe_status(&s))
    }
    /// The last `n` lines the server wrote to stderr (and stdout).
    pub fn stderr_tail(&self, n: usize) -> Vec<String> {
        self.output
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .last(n)
    }
    /// Pids of the live processes of the tree (group, descendants, cgroup).
    pub fn pids(&self) -> Vec<i32> {
        live_tree(self.pid, self.cgroup.as_deref())
    }

    /// SIGTERM to the group, SIGKILL after [`STOP_GRACE`]; waits for exit.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        let deadline = Instant::now() + STOP_GRACE;
        // Descendants outside the group are found through the leader while it lives.
        let escapees: Vec<(i32, Option<u64>)> = self
            .pids()
            .into_iter()
            .map(|p| (p, tree::start_time(p)))
            .collect();
        let _ = killpg(Pid::from_raw(self.pid), Signal::SIGTERM);
        for (p, _) in &escapees {
            let _ = nix::sys::signal::kill(Pid::from_raw(*p), Signal::SIGTERM);
        }
        let remaining = deadline.saturating_duration_since(Instant::now());
        let _ = tokio::time::timeout(remaining, self.child.wait()).await;
        while Instant::now() < deadline && !self.pids().is_empty() {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        for (p, started) in &escapees {
            // Only the same process: its pid may have been reused meanwhile.
            if started.is_some() && tree::start_time(*p) == *started {
                let _ = nix::sys::signal::kill(Pid::from_raw(*p), Signal::SIGKILL);
            }
        }
        kill_tree(self.pid, self.cgroup.as_deref());
        let _ = self.child.wait().await;
        let until = Instant::now() + Duration::from_secs(2);
        let mut left = self.pids();
        while !left.is_empty() && Instant::now() < until {
            tokio::time::sleep(Duration::from_millis(10)).await;
            left = self.pids();
        }
        // Runs the cleanup (kill again, remove the cgroup).
        drop(self.guard.take());
        if !left.is_empty() {
            bail!(
                "stopping stack {}: processes {left:?} still alive after SIGKILL",
                self.name
            );
        }
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // The guard's cleanup kills the group and the cgroup's members;
        // tokio reaps the killed leader (`kill_on_drop`).
        drop(self.guard.take());
        for d in &self.drains {
            d.abort();
        }
    }
}

/// SIGKILL to the group, to every descendant of the leader (a child that
/// called `setsid` left the group) and to every member of the cgroup.
fn kill_tree(pid: i32, cgroup: Option<&Cgroup>) {
    let pids = live_tree(pid, cgroup);
    guard::kill_group(pid);
    for p in pids {
        if p > 1 {
            let _ = nix::sys::signal::kill(Pid::from_raw(p), Signal::SIGKILL);
        }
    }
    if let Some(cg) = cgroup {
        cg.kill_all();
    }
}

fn live_tree(pid: i32, cgroup: Option<&Cgroup>) -> Vec<i32> {
    let extra = cgroup.map(Cgroup::pids).unwrap_or_default();
    tree::live_pids(pid, pid, &extra)
}

/// Errors when something already listens on `127.0.0.1:port`.
pub fn check_port_free(port: u16) -> anyhow::Result<()> {
    match std::net::TcpListener::bind(("127.0.0.1", port)) {
        Ok(_) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AddrInUse => {
            bail!("port {port} is already in use")
        }
        Err(e) => Err(anyhow!(e).context(format!("checking that port {port} is free"))),
    }
}

/// The start argv for `opts` (override for the scenario, placeholders filled).
pub fn start_argv(stack: &Stack, port: u16, opts: &LaunchOpts) -> Vec<String> {
    let template = opts
        .scenario
        .and_then(|s| stack.start_override.get(&s))
        .unwrap_or(&stack.start);
    substitute(template, port, opts.workers.max(1))
}

fn cpu_set(cpus: &[usize]) -> anyhow::Result<nix::sched::CpuSet> {
    let allowed = nix::sched::sched_getaffinity(Pid::from_raw(0))?;
    let mut set = nix::sched::CpuSet::new();
    for &c in cpus {
        if !allowed.is_set(c).unwrap_or(false) {
            let ok: Vec<String> = (0..nix::sched::CpuSet::count())
                .filter(|&i| allowed.is_set(i).unwrap_or(false))
                .map(|i| i.to_string())
                .collect();
            return Err(crate::error::bad_input_msg(format!(
                "cpu {c} is not available (available: {})",
                ok.join(",")
            )));
        }
        set.set(c)?;
    }
    if cpus.is_empty() {
        return Err(crate::error::bad_input_msg("empty cpu list"));
    }
    Ok(set)
}

/// Launches a stack (its own process group, pinned, env set) and waits for
/// `/health`; on failure the error quotes the server's last stderr lines.
pub async fn launch(stack: &Stack, opts: &LaunchOpts) -> anyhow::Result<Running> {
    let workers = opts.workers.max(1);
    if workers > stack.max_workers {
        return Err(crate::error::bad_input_msg(format!(
            "stack {} supports at most {} workers (max_workers), {workers} asked",
            stack.name, stack.max_workers
        )));
    }
    let port = match opts.port {
        Some(p) => {
            check_port_free(p).with_context(|| format!("starting stack {}", stack.name))?;
            p
        }
        None => crate::net::free_port().context("picking a free port")?,
    };
    let argv = start_argv(stack, port, opts);
    let program = resolve_program(&stack.dir, &argv[0]);
    // glibc's malloc thresholds pinned (spec/fairness.md R17), unless the
    // manifest sets its own.
    let mut env: BTreeMap<String, String> = super::malloc::env(&stack.env).into_iter().collect();
    env.extend(stack.env.clone());
    env.extend(opts.env.iter().cloned());
    env.insert("RINGSIDE_PORT".into(), port.to_string());
    env.insert("RINGSIDE_WORKERS".into(), workers.to_string());
    let (run_key, run_id) = crate::proc::lock::child_env();
    env.insert(run_key.into(), run_id.into());
    // HTTP/2 over TLS: a certificate made now, its files gone with the launch.
    let tls = if stack.protocol.is_tls() {
        let cert = super::tls::ThrowawayCert::create()
            .with_context(|| format!("starting stack {}", stack.name))?;
        env.extend(cert.env());
        Some(cert)
    } else {
        None
    };
    let tls_dir = tls.as_ref().map(|c| c.dir().to_path_buf());

    let cpuset = opts.cpus.as_deref().map(cpu_set).transpose()?;
    let cgroup = Cgroup::create(&format!(
        "ringside-{}-{}",
        std::process::id(),
        NEXT_CGROUP.fetch_add(1, Ordering::Relaxed)
    ));
    let procs = cgroup.as_ref().map(Cgroup::procs_cstring);

    let mut cmd = tokio::process::Command::new(&program);
    cmd.args(&argv[1..])
        .current_dir(&stack.dir)
        .envs(&env)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .process_group(0);
    let parent = std::process::id() as libc::pid_t;
    // SAFETY: the closure only makes async-signal-safe syscalls
    // (prctl, getppid, sched_setaffinity, open/write/close) on data prepared
    // before fork. The death signal is safe here: see `proc::deathsig` for
    // why the forking thread outlives the stack.
    unsafe {
        cmd.pre_exec(move || {
            crate::proc::deathsig::arm_in_child(parent)?;
            if let Some(set) = &cpuset {
                nix::sched::sched_setaffinity(Pid::from_raw(0), set)
                    .map_err(std::io::Error::from)?;
            }
            if let Some(p) = &procs {
                join_in_child(p);
            }
            Ok(())
        });
    }
    let started = Instant::now();
    let mut child = cmd.spawn().map_err(|e| {
        let what = if e.kind() == std::io::ErrorKind::NotFound {
            anyhow!("`{}` not found (cwd {})", argv[0], stack.dir.display())
        } else {
            anyhow!(e).context(format!("spawning `{}`", argv.join(" ")))
        };
        what.context(format!("starting stack {}", stack.name))
    })?;
    let pid = child
        .id()
        .context("the server exited before its pid was read")? as i32;

    let cgroup = cgroup.and_then(|cg| {
        if cg.pids().contains(&pid) || cg.add(pid).is_ok() {
            Some(Arc::new(cg))
        } else {
            None
        }
    });
    let cleanup_cg = cgroup.clone();
    let guard = guard::register(format!("stack {} (pgid {pid})", stack.name), move || {
        kill_tree(pid, cleanup_cg.as_deref());
        if let Some(cg) = cleanup_cg {
            cg.remove();
        }
        // On a signal the certificate's drop may never run: remove its files here.
        if let Some(dir) = &tls_dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    });

    let output = Arc::new(Mutex::new(Tail::new(OUTPUT_LINES)));
    let mut drains = Vec::new();
    if let Some(out) = child.stdout.take() {
        drains.push(tokio::spawn(drain(out, output.clone())));
    }
    if let Some(err) = child.stderr.take() {
        drains.push(tokio::spawn(drain(err, output.clone())));
    }

    let mut running = Running {
        name: stack.name.clone(),
        port,
        base_url: format!(
            "{}://127.0.0.1:{port}",
            if stack.protocol.is_tls() {
                "https"
            } else {
                "http"
            }
        ),
        protocol: stack.protocol,
        streams: stack.streams,
        ready_after: Duration::ZERO,
        child,
        pid,
        output,
        cgroup,
        guard: Some(guard),
        drains,
        tls,
    };
    running.ready_after = wait_ready(&mut running, stack.ready_timeout, started).await?;
    Ok(running)
}

async fn drain(stream: impl AsyncRead + Unpin, tail: Arc<Mutex<Tail>>) {
    let mut reader = BufReader::new(stream);
    let mut buf = Vec::new();
    while reader.read_until(b'\n', &mut buf).await.unwrap_or(0) > 0 {
        let line = String::from_utf8_lossy(&buf).trim_end().to_string();
        tail.lock().unwrap_or_else(|e| e.into_inner()).push(line);
        buf.clear();
    }
}

/// Polls `/health` until `200 ok`; errors when the server exits or the timeout passes.
async fn wait_ready(
    running: &mut Running,
    timeout: Duration,
    started: Instant,
) -> anyhow::Result<Duration> {
    let deadline = started + timeout;
    loop {
        if let Some(status) = running.child.try_wait()? {
            // Let the drains read what the server wrote before it died.
            let drains = std::mem::take(&mut running.drains);
            let _ = tokio::time::timeout(Duration::from_millis(500), async {
                for d in drains {
                    let _ = d.await;
                }
            })
            .await;
            bail!(
                "stack {} exited during startup ({}):{}",
                running.name,
                describe_status(&status),
                quote(&running.stderr_tail(QUOTED_LINES))
            );
        }
        let answer = match running.protocol {
            super::Protocol::Http1 => health(running.port).await,
            p => super::h2::health(p, running.port).await,
        };
        let last = match answer {
            Ok(()) => return Ok(started.elapsed()),
            Err(e) => e,
        };
        if Instant::now() >= deadline {
            bail!(
                "stack {} did not answer GET /health{} with 200 ok within {:.1}s (last attempt: {last}):{}",
                running.name,
                running.protocol.over(),
                timeout.as_secs_f64(),
                quote(&running.stderr_tail(QUOTED_LINES))
            );
        }
        // Fine-grained at first: `startup` measures time to first good response.
        let pause = if started.elapsed() < Duration::from_secs(2) {
            5
        } else {
            50
        };
        tokio::time::sleep(Duration::from_millis(pause)).await;
    }
}

/// Output lines as an indented block (or a note that there was none).
pub fn quote(lines: &[String]) -> String {
    if lines.is_empty() {
        " (no output)".to_string()
    } else {
        lines.iter().map(|l| format!("\n  {l}")).collect()
    }
}

/// One `GET /health` over a fresh connection: `Ok` on `200` with body `ok`.
pub async fn health(port: u16) -> Result<(), String> {
    let attempt = async {
        let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .map_err(|e| format!("connect: {e}"))?;
        let req =
            format!("GET /health HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n");
        s.write_all(req.as_bytes())
            .await
            .map_err(|e| format!("write: {e}"))?;
        // Read until the response is complete, not until EOF: a server may
        // ignore `Connection: close` and keep the connection open.
        let mut buf = Vec::new();
        let mut chunk = [0u8; 4096];
        loop {
            let n = s.read(&mut chunk).await.map_err(|e| format!("read: {e}"))?;
            buf.extend_from_slice(&chunk[..n]);
            if n == 0 || response_complete(&buf) || buf.len() > 64 * 1024 {
                break;
            }
        }
        parse_health(&buf)
    };
    tokio::time::timeout(Duration::from_secs(2), attempt)
        .await
        .unwrap_or_else(|_| Err("no answer within 2s".into()))
}

/// True once `raw` holds a whole response (headers plus a body framed by
/// `Content-Length` or chunked encoding).
fn response_complete(raw: &[u8]) -> bool {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(at)) = resp.parse(raw) else {
        return false;
    };
    let body = &raw[at..];
    for h in resp.headers.iter() {
        if h.name.eq_ignore_ascii_case("content-length") {
            let len: usize = String::from_utf8_lossy(h.value).trim().parse().unwrap_or(0);
            return body.len() >= len;
        }
        if h.name.eq_ignore_ascii_case("transfer-encoding") {
            return body.ends_with(b"0\r\n\r\n");
        }
    }
    false
}

/// Checks a raw HTTP/1.1 response: status 200 and body `ok` (chunked or not).
pub fn parse_health(raw: &[u8]) -> Result<(), String> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut resp = httparse::Response::new(&mut headers);
    let body_at = match resp.parse(raw) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Err("incomplete response".into()),
        Err(e) => return Err(format!("bad response: {e}")),
    };
    let code = resp.code.unwrap_or(0);
    let chunked = resp.headers.iter().any(|h| {
        h.name.eq_ignore_ascii_case("transfer-encoding")
            && String::from_utf8_lossy(h.value)
                .to_ascii_lowercase()
                .contains("chunked")
    });
    let body = &raw[body_at..];
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_vec()
    };
    let text = String::from_utf8_lossy(&body);
    if code == 200 && text.trim() == "ok" {
        Ok(())
    } else {
        let shown: String = text.trim().chars().take(60).collect();
        Err(format!("status {code}, body {shown:?}"))
    }
}

fn dechunk(mut body: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = body.windows(2).position(|w| w == b"\r\n") {
        let size_txt = String::from_utf8_lossy(&body[..eol]);
        let size_txt = size_txt.split(';').next().unwrap_or("").trim();
        let Ok(size) = usize::from_str_radix(size_txt, 16) else {
            break;
        };
        body = &body[eol + 2..];
        if size == 0 || body.len() < size {
            out.extend_from_slice(&body[..size.min(body.len())]);
            break;
        }
        out.extend_from_slice(&body[..size]);
        body = body.get(size + 2..).unwrap_or(&[]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_parses_plain_and_chunked() {
        assert!(parse_health(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok").is_ok());
        assert!(
            parse_health(
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n"
            )
            .is_ok()
        );
        let err =
            parse_health(b"HTTP/1.1 503 Busy\r\nContent-Length: 7\r\n\r\nloading").unwrap_err();
        assert!(err.contains("503"), "{err}");
    }
}
