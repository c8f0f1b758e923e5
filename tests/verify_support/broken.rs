//! The deliberately broken stack (`tests/fixtures/stacks/broken`) run directly
//! as a subprocess on a free port, in its own process group, killed on drop.

use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The broken server; its process group is killed on drop.
pub struct Broken {
    child: Child,
    pub url: String,
}

impl Drop for Broken {
    fn drop(&mut self) {
        let _ = nix::sys::signal::killpg(
            nix::unistd::Pid::from_raw(self.child.id() as i32),
            nix::sys::signal::Signal::SIGKILL,
        );
        let _ = self.child.wait();
    }
}

pub fn fixture_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stacks/broken")
}

pub fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// Starts `server.py` with `env` and waits for `/health` (10 s at most).
pub async fn start(env: &[(String, String)]) -> Broken {
    let port = free_port();
    let child = Command::new("python3")
        .args(["-u", "server.py", "--port", &port.to_string()])
        .current_dir(fixture_dir())
        .envs(env.iter().cloned())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .expect("python3 is needed by this test");
    let broken = Broken {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let target = ringside::verify::http::Target::parse(&broken.url).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if ringside::verify::http::get(&target, "/health", Duration::from_millis(500))
            .await
            .is_ok()
        {
            return broken;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the broken stack did not answer /health within 10 s");
}
