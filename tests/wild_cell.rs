//! One wild cell must not widen everything (issue 20): a cell with one wild
//! trial is set aside from the run's pooled noise, so the other cells'
//! intervals, noise floor and verdicts are those of the run without it, and
//! the wild cell itself is shown as too noisy to judge.

mod common;

use common::{Builder, MB};
use ringside::results::Results;
use ringside::scenario::Scenario::{self, *};
use ringside::stats::Basis;
use ringside::verdict::claims::{Verdict, ledger};
use ringside::verdict::figures::{Family, Figures};

/// Two Node.js and two Python stacks on four scenarios, three quiet trials each.
fn quiet() -> Builder {
    let mut b = Builder::new(3);
    b.stack("node", "javascript", "node:http");
    b.stack("node-b", "javascript", "fastify");
    b.stack("py", "python", "fastapi");
    b.stack("py-b", "python", "flask");
    for (sc, node, py) in [
        (Plaintext, 40_000.0, 12_000.0),
        (Json, 30_000.0, 10_000.0),
        (Db, 9_000.0, 6_000.0),
        (Fortunes, 7_000.0, 5_000.0),
    ] {
        b.peak("node", sc, 64, 1, node, 0.04, 50.0, 40 * MB, 60 * MB);
        b.peak(
            "node-b",
            sc,
            64,
            1,
            node * 0.9,
            0.04,
            55.0,
            40 * MB,
            60 * MB,
        );
        b.peak("py", sc, 64, 1, py, 0.04, 100.0, 40 * MB, 60 * MB);
        b.peak("py-b", sc, 64, 1, py * 0.8, 0.04, 110.0, 40 * MB, 60 * MB);
    }
    b
}

/// `quiet()` with py-b's fortunes trial 2 twenty times its value.
fn with_wild_trial() -> Results {
    let mut r = quiet().finish();
    let p = r
        .points
        .iter_mut()
        .find(|p| p.stack == "py-b" && p.scenario == Fortunes && p.trial == 2)
        .unwrap();
    let load = p.load.as_mut().unwrap();
    load.throughput_rps *= 20.0;
    load.requests *= 20;
    r
}

fn verdicts(f: &Figures) -> Vec<(&'static str, Verdict)> {
    ledger(f).into_iter().map(|c| (c.id, c.verdict)).collect()
}

fn throughput(f: &Figures, sc: Scenario, stack: &str) -> ringside::stats::Estimate {
    f.scenarios[&sc]
        .iter()
        .find(|c| c.stack == stack)
        .unwrap()
        .throughput_rps
        .unwrap()
}

#[test]
fn one_wild_cell_among_quiet_ones_leaves_the_others_verdicts_intact() {
    let base = Figures::from_results(&quiet().finish());
    let wild = Figures::from_results(&with_wild_trial());
    // The floor is the quiet run's, not one inflated by the wild trial.
    let (f0, f1) = (
        base.noise.floor(Family::Throughput),
        wild.noise.floor(Family::Throughput),
    );
    assert!(f0 > 0.0 && f0 < 0.3, "quiet floor {f0}");
    assert!((f1 / f0 - 1.0).abs() < 0.25, "floor {f0} became {f1}");
    // Every verdict is the quiet run's, and the deciding ones are decided.
    assert_eq!(verdicts(&base), verdicts(&wild));
    let k1 = verdicts(&wild)
        .into_iter()
        .find(|(id, _)| *id == "K1")
        .unwrap();
    assert_eq!(k1.1, Verdict::Supported, "K1 decided in the quiet run");
    // The quiet cells' intervals are as narrow as without the wild cell.
    for sc in [Plaintext, Json, Db] {
        for stack in ["node", "node-b", "py", "py-b"] {
            let (a, b) = (throughput(&base, sc, stack), throughput(&wild, sc, stack));
            let span = |e: &ringside::stats::Estimate| e.high / e.low;
            assert!(
                span(&b) <= span(&a) * 1.1,
                "{stack} {}: {:.3} became {:.3}",
                sc.name(),
                span(&a),
                span(&b)
            );
        }
    }
    // The wild cell widens its own interval only: too noisy to judge.
    let w = throughput(&wild, Fortunes, "py-b");
    assert_eq!(w.basis, Basis::TooNoisy, "{w:?}");
}
