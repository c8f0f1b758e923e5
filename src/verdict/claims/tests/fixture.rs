//! Figures built by hand: estimates whose interval is exactly `[low, high]`,
//! a run noise whose floor is exactly `floor`, and stacks of each language.

use std::collections::BTreeMap;

use crate::db::DbKind;
use crate::results::IdleKind;
use crate::scenario::Scenario;
use crate::stats::interval::t_quantile;
use crate::stats::{Basis, Estimate, Noise, Ratio};
use crate::verdict::claims::{ClaimVerdict, Verdict, ledger};
use crate::verdict::figures::{
    CapacityFigure, Evidence, Figures, IdleFigures, Lang, NoiseFloor, Scaling, ScenarioFigures,
    StackFigures, StackInfo,
};

const DF: f64 = 10.0;
const N: usize = 3;

/// An estimate with median `median` and 95 % interval exactly `[low, high]`
/// (on the log scale, centred on `√(low·high)`).
pub fn est(median: f64, low: f64, high: f64) -> Estimate {
    let half = (high / low).ln() / 2.0;
    Estimate {
        median,
        low,
        high,
        n: N,
        min: low,
        max: high,
        log_mean: (high * low).ln() / 2.0,
        sd_log: half / t_quantile(DF) * (N as f64).sqrt(),
        df: DF,
        basis: Basis::RunNoise,
        level: 0.95,
    }
}

/// A figure with an interval of no width: a ratio to it has the other's interval.
pub fn exact(v: f64) -> Estimate {
    est(v, v, v)
}

/// One trial and no measured noise: no interval.
pub fn single(v: f64) -> Estimate {
    Estimate {
        basis: Basis::None,
        sd_log: 0.0,
        df: 0.0,
        n: 1,
        ..exact(v)
    }
}

pub fn ratio(low: f64, value: f64, high: f64) -> Ratio {
    Ratio {
        value,
        low,
        high,
        df: 10.0,
        judged: true,
    }
}

/// A run noise whose floor is exactly `floor`.
pub fn noise(floor: f64) -> Noise {
    let df = 20.0;
    Noise {
        sd_log: (1.0 + floor).ln() / (t_quantile(df) * std::f64::consts::SQRT_2),
        df,
        cells: 5,
    }
}

pub fn lang_of(stack: &str) -> Lang {
    match stack.split('-').next().unwrap_or("") {
        "node" => Lang::Node,
        "py" | "python" => Lang::Python,
        "rust" => Lang::Rust,
        "bun" | "deno" => Lang::OtherJs,
        _ => Lang::Other,
    }
}

/// No figures, a floor of 0 everywhere (measured: every figure judged).
pub fn figures() -> Figures {
    let mut fig = Figures {
        stacks: Vec::new(),
        db: DbKind::Sqlite,
        suite: "standard".into(),
        rounds: Vec::new(),
        noise: NoiseFloor::default(),
        scenarios: BTreeMap::new(),
        scaling: Vec::new(),
        io_curves: Vec::new(),
        idle: Vec::new(),
        per_stack: Vec::new(),
        slo_ms: 100.0,
        server_cores: 1,
        workers_cores: 2,
    };
    fig.noise.throughput = Some(noise(0.0));
    fig
}

pub fn with_floor(mut fig: Figures, floor: f64) -> Figures {
    let n = Some(noise(floor));
    fig.noise.throughput = n;
    fig.noise.memory = n;
    fig.noise.idle = n;
    fig.noise.cores = n;
    fig
}

/// Registers a stack (`node-*`, `py-*`, `rust-*`, `bun-*`) with its threads.
pub fn stack(fig: &mut Figures, name: &str, threads: Option<u32>) {
    if fig.stacks.iter().any(|s| s.name == name) {
        return;
    }
    let lang = lang_of(name);
    fig.stacks.push(StackInfo {
        name: name.into(),
        lang,
        runtime: match lang {
            Lang::OtherJs => name.split('-').next().unwrap_or("").into(),
            _ => String::new(),
        },
        framework: format!("{name}-framework"),
        versions: String::new(),
        variant: None,
        threads,
        worker_threads: false,
        measured: true,
        finalist: true,
    });
}

/// A scenario figure of `stack` with nothing measured but what the caller sets.
pub fn sf(stack: &str, sc: Scenario) -> ScenarioFigures {
    ScenarioFigures {
        stack: stack.into(),
        lang: lang_of(stack),
        scenario: sc,
        throughput_rps: None,
        throughput_evidence: Evidence::Clean,
        connections: Some(256),
        p50_us: None,
        p99_us: None,
        p99_rate_rps: Some(500.0),
        latency_evidence: Evidence::Clean,
        fixed_evidence: Evidence::Clean,
        cpu_us_per_req: None,
        cpu_fixed_us_per_req: None,
        rss_peak_bytes: None,
        rss_fixed_bytes: None,
        rss_idle_bytes: None,
        memory_kind: "private+shared".into(),
        concurrency_achieved: None,
        cores_used: None,
        capacity: None,
        stalls: None,
        workers: 1,
        valid_points: 3,
        total_points: 3,
        rank: None,
        ahead_of: Vec::new(),
        notes: Vec::new(),
    }
}

pub fn push(fig: &mut Figures, f: ScenarioFigures) {
    stack(fig, &f.stack.clone(), None);
    fig.scenarios.entry(f.scenario).or_default().push(f);
}

/// Throughput of `stack` in `sc`.
pub fn thr(fig: &mut Figures, stack: &str, sc: Scenario, e: Estimate) {
    push(
        fig,
        ScenarioFigures {
            throughput_rps: Some(e),
            ..sf(stack, sc)
        },
    );
}

/// Node.js ÷ Python throughput in `sc` of exactly `[low, high]`, median `value`.
pub fn gap(fig: &mut Figures, sc: Scenario, low: f64, value: f64, high: f64) {
    thr(
        fig,
        "node",
        sc,
        est(value * 1000.0, low * 1000.0, high * 1000.0),
    );
    thr(fig, "py", sc, exact(1000.0));
}

/// Python ÷ Node.js throughput in `sc` of exactly `[low, high]`.
pub fn py_gap(fig: &mut Figures, sc: Scenario, low: f64, value: f64, high: f64) {
    thr(
        fig,
        "py",
        sc,
        est(value * 1000.0, low * 1000.0, high * 1000.0),
    );
    thr(fig, "node", sc, exact(1000.0));
}

pub fn idle(fig: &mut Figures, stack: &str, kind: IdleKind, e: Estimate, resolved: bool) {
    self::stack(fig, stack, None);
    fig.idle.push(IdleFigures {
        stack: stack.into(),
        lang: lang_of(stack),
        kind,
        bytes_per_connection: e,
        resolved,
        connections_open: 2000,
        connections_requested: 2000,
    });
}

pub fn fresh(fig: &mut Figures, stack: &str, e: Estimate) {
    self::stack(fig, stack, None);
    fig.per_stack.push(StackFigures {
        stack: stack.into(),
        lang: lang_of(stack),
        fresh_bytes: Some(e),
        startup_ms: None,
        steady_after_s: None,
        warmups_unsettled: 0,
        warmups: 0,
    });
}

/// A capacity whose interval runs exactly from `low` (the lower figure's low end)
/// to `high` (the upper figure's high end; `None`: a lower bound), with an
/// interval when `trials` ≥ 2 ([`capacity_with`] for one trial with the
/// run's noise).
pub fn capacity(low: f64, high: Option<f64>, trials: usize) -> CapacityFigure {
    capacity_with(low, high, trials, trials >= 2)
}

/// [`capacity`], with an interval or not.
pub fn capacity_with(low: f64, high: Option<f64>, trials: usize, interval: bool) -> CapacityFigure {
    let e = |v: f64| {
        let e = Estimate {
            n: trials,
            ..exact(v)
        };
        if interval {
            e
        } else {
            Estimate {
                n: trials,
                ..single(v)
            }
        }
    };
    CapacityFigure {
        unit: "clients".into(),
        median: low,
        low,
        high,
        censored: high.is_none(),
        trials,
        limited_by: vec!["slo".into(); trials],
        lower: (low > 0.0).then(|| e(low)),
        upper: high.filter(|h| *h > 0.0).map(e),
    }
}

pub fn scaling(fig: &mut Figures, stack: &str, threads: u32, one: Estimate, many: Estimate) {
    self::stack(fig, stack, Some(threads));
    fig.scaling.push(Scaling {
        stack: stack.into(),
        lang: lang_of(stack),
        target: "/cpu".into(),
        workers_n: 2,
        one: None,
        many: None,
        speedup: None,
        cores_one: Some(one),
        cores_many: Some(many),
        shared_generator: true,
        notes: Vec::new(),
    });
}

pub fn claim(fig: &Figures, id: &str) -> ClaimVerdict {
    ledger(fig).into_iter().find(|c| c.id == id).unwrap()
}

/// Asserts the verdict, that every "not enough evidence" names a command,
/// and that the reason contains each of `says`.
pub fn expect(fig: &Figures, id: &str, want: Verdict, says: &[&str]) -> ClaimVerdict {
    let c = claim(fig, id);
    assert_eq!(c.verdict, want, "{id}: {} — {:?}", c.because, c.evidence);
    if want == Verdict::NotEnoughEvidence {
        assert!(
            c.to_run
                .as_deref()
                .is_some_and(|t| t.starts_with("ringside run --scenarios")),
            "{c:?}"
        );
    }
    for s in says {
        assert!(
            c.because.contains(s),
            "{id}: {:?} not in {:?}",
            s,
            c.because
        );
    }
    c
}
