//! Launch → health → sample → stop of fixture stacks (no install needed:
//! Python standard library only), and the failure paths of launch.

use std::path::PathBuf;
use std::time::Duration;

use ringside::scenario::Scenario;
use ringside::stack::{self, LaunchOpts, RuntimeStatus};

fn fixture(name: &str) -> stack::Stack {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/stacks")
        .join(name)
        .join("stack.toml");
    stack::load_manifest(&path).expect("fixture manifest")
}

/// True when `pid` is a live (non-zombie) process.
fn alive(pid: i32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(s) => {
            let state = s[s.rfind(')').unwrap() + 1..].split_whitespace().next();
            !matches!(state, Some("Z") | Some("X"))
        }
        Err(_) => false,
    }
}

async fn get(url: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let u = url::Url::parse(url).unwrap();
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", u.port().unwrap()))
        .await
        .unwrap();
    let req = format!(
        "GET {} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
        u.path()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).await.unwrap();
    out
}

#[tokio::test]
async fn start_health_sample_stop() {
    let st = fixture("py-basic");
    assert!(matches!(
        stack::runtime_status(&st),
        RuntimeStatus::Present { .. }
    ));
    let mut running = stack::launch(&st, &LaunchOpts::default()).await.unwrap();
    assert!(running.is_alive());
    assert!(running.ready_after() > Duration::ZERO);
    assert_eq!(
        running.base_url(),
        format!("http://127.0.0.1:{}", running.port())
    );
    let before = running.sample();
    let body = get(&format!("{}/burn", running.base_url())).await;
    assert!(body.starts_with("HTTP/1.1 200"), "{body}");
    let s = running.sample();
    assert!(s.cpu_us > before.cpu_us, "{before:?} -> {s:?}");
    assert!(s.cpu_us > 0, "{s:?} via {}", running.cpu_source());
    eprintln!("cpu source: {}, sample {s:?}", running.cpu_source());
    let cgroups = std::fs::read_to_string(format!("/proc/{}/cgroup", running.pid())).unwrap();
    assert_eq!(
        running.cpu_source() == "cgroup",
        cgroups.contains("/ringside-"),
        "{cgroups}"
    );
    assert!(s.rss_bytes > 1_000_000, "{s:?}");
    assert_eq!(s.processes, 1);
    // The manifest's env reaches the server.
    assert!(
        running
            .stderr_tail(10)
            .iter()
            .any(|l| l.contains("as basic")),
        "{:?}",
        running.stderr_tail(10)
    );
    let pid = running.pid();
    running.stop().await.unwrap();
    assert!(!alive(pid));
}

#[tokio::test]
async fn stop_leaves_no_orphan() {
    let st = fixture("py-basic");
    let opts = LaunchOpts {
        scenario: Some(Scenario::Json), // the override forks two children
        ..Default::default()
    };
    let running = stack::launch(&st, &opts).await.unwrap();
    let pids = running.pids();
    assert_eq!(pids.len(), 3, "server + 2 children: {pids:?}");
    assert_eq!(running.sample().processes, 3);
    let t = std::time::Instant::now();
    running.stop().await.unwrap();
    // Everything exits on SIGTERM, so the grace period is not waited out.
    assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
    for p in &pids {
        assert!(!alive(*p), "pid {p} survived stop");
    }
}

#[tokio::test]
async fn drop_leaves_no_orphan() {
    let st = fixture("py-basic");
    let opts = LaunchOpts {
        scenario: Some(Scenario::Json),
        ..Default::default()
    };
    let running = stack::launch(&st, &opts).await.unwrap();
    let pids = running.pids();
    assert_eq!(pids.len(), 3, "{pids:?}");
    drop(running);
    let deadline = std::time::Instant::now() + Duration::from_secs(3);
    while pids.iter().any(|p| alive(*p)) && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for p in &pids {
        assert!(!alive(*p), "pid {p} survived drop");
    }
}

#[tokio::test]
async fn exit_at_startup_quotes_stderr() {
    let st = fixture("crash");
    let err = stack::launch(&st, &LaunchOpts::default())
        .await
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("stack crash exited during startup (exit status 3)"),
        "{msg}"
    );
    assert!(msg.contains("boom: config.yaml not found"), "{msg}");
}

#[tokio::test]
async fn port_in_use_is_a_clear_error() {
    let taken = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
    let port = taken.local_addr().unwrap().port();
    let st = fixture("py-basic");
    let opts = LaunchOpts {
        port: Some(port),
        ..Default::default()
    };
    let err = stack::launch(&st, &opts).await.unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains(&format!("port {port} is already in use")),
        "{msg}"
    );
}

#[tokio::test]
async fn pinned_to_one_core() {
    let st = fixture("py-basic");
    let opts = LaunchOpts {
        cpus: Some(vec![0]),
        ..Default::default()
    };
    let running = stack::launch(&st, &opts).await.unwrap();
    let status = std::fs::read_to_string(format!("/proc/{}/status", running.pid())).unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("Cpus_allowed_list"))
        .unwrap();
    assert!(line.ends_with("\t0"), "{line}");
    running.stop().await.unwrap();
}

#[tokio::test]
async fn missing_program_names_it() {
    let mut st = fixture("py-basic");
    st.start = vec!["no-such-server-binary".into(), "{port}".into()];
    let err = stack::launch(&st, &LaunchOpts::default())
        .await
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(msg.contains("`no-such-server-binary` not found"), "{msg}");
}

#[tokio::test]
async fn never_healthy_times_out_and_is_killed() {
    let mut st = fixture("py-basic");
    st.start = vec![
        "python3".into(),
        "-c".into(),
        "import sys, time; print('warming up', file=sys.stderr, flush=True); time.sleep(60)".into(),
    ];
    st.ready_timeout = Duration::from_millis(1500);
    let before = std::time::Instant::now();
    let err = stack::launch(&st, &LaunchOpts::default())
        .await
        .unwrap_err();
    let msg = format!("{err:#}");
    assert!(
        msg.contains("did not answer GET /health with 200 ok within 1.5s"),
        "{msg}"
    );
    assert!(msg.contains("warming up"), "{msg}");
    assert!(before.elapsed() < Duration::from_secs(10));
    // No leftover: nothing runs the sleep script any more.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let left = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read(e.path().join("cmdline")).ok())
        .filter(|c| String::from_utf8_lossy(c).contains("warming up"))
        .count();
    assert_eq!(left, 0);
}

#[test]
fn runtime_too_old_is_missing_with_reason() {
    let mut st = fixture("py-basic");
    st.runtime.as_mut().unwrap().min_version = Some("99.1".into());
    match stack::runtime_status(&st) {
        RuntimeStatus::Missing { reason } => {
            assert!(reason.contains("99.1 or newer required"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    st.runtime.as_mut().unwrap().command = vec!["no-such-node-xyz".into(), "--version".into()];
    assert_eq!(
        stack::runtime_status(&st),
        RuntimeStatus::Missing {
            reason: "`no-such-node-xyz` not found on PATH".into()
        }
    );
}
