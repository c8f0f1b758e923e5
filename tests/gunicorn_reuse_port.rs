//! spec/fairness.md R16: every gunicorn deployment that keeps connections
//! (gthread, gevent) runs with `--reuse-port`, so each worker process binds
//! its own socket and the kernel spreads the connections over them.
//! Regression test for K4 left undecided: without it, python-flask's 64
//! keep-alive connections of a `workers` point landed all on one of its two
//! processes in about half the points (161–166 req/s against 315–343).

use std::path::Path;

use ringside::stack;

/// Every start argv of every built-in deployment: default, variants, overrides.
fn deployments() -> Vec<(String, Vec<String>)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("stacks");
    let mut out = Vec::new();
    for s in stack::discover(&dir).expect("the built-in stacks load") {
        for d in std::iter::once(&s).chain(s.variants.iter()) {
            let name = d
                .variant
                .as_ref()
                .map_or(d.name.clone(), |v| format!("{}@{v}", d.base));
            out.push((name.clone(), d.start.clone()));
            for (sc, argv) in &d.start_override {
                out.push((format!("{name} ({sc:?})"), argv.clone()));
            }
        }
    }
    out
}

fn worker_class(argv: &[String]) -> Option<&str> {
    let i = argv.iter().position(|a| a == "--worker-class")?;
    argv.get(i + 1).map(String::as_str)
}

fn is_gunicorn(argv: &[String]) -> bool {
    argv.first().is_some_and(|a| a.ends_with("gunicorn"))
}

#[test]
fn gunicorn_keep_alive_deployments_bind_a_socket_per_worker() {
    let all = deployments();
    let keeping: Vec<_> = all
        .iter()
        .filter(|(_, argv)| is_gunicorn(argv))
        .filter(|(_, argv)| matches!(worker_class(argv), Some("gthread" | "gevent")))
        // The ws-chat overrides run one worker: there is no race to share out.
        .filter(|(name, _)| !name.contains("WsChat"))
        .collect();
    // The default deployments of python-flask and python-django and their
    // @gevent variants: if the filter found none, the test checks nothing.
    assert!(keeping.len() >= 4, "{keeping:?}");
    let missing: Vec<&str> = keeping
        .iter()
        .filter(|(_, argv)| !argv.iter().any(|a| a == "--reuse-port"))
        .map(|(name, _)| name.as_str())
        .collect();
    assert!(
        missing.is_empty(),
        "gunicorn deployments keeping connections without --reuse-port (spec/fairness.md R16): {missing:?}"
    );
}
