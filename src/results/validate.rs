//! Checks a results file read back (by `report`, `recommend`, `compare`,
//! `--resume`) before any figure or verdict is drawn from it: every number
//! finite, non-negative (save the few that may fall) and of a sane size, and
//! the figures that verdicts divide by positive on valid points. A file that
//! fails is refused, naming the field (`points[3].load.throughput_rps`).

use crate::results::{Point, Results};

/// Largest magnitude any figure may have: past it a number is an edit or a
/// corruption, never a measurement (and ratios of it print as "∞×").
pub const MAX_MAGNITUDE: f64 = 1e15;

/// Fields that may be negative: idle memory per connection can fall when a
/// runtime returns memory while the connections open.
const MAY_BE_NEGATIVE: [&str; 1] = ["bytes_per_connection"];

/// A field of a results file that cannot be a measurement.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{path} = {value}: {why}")]
pub struct InvalidField {
    /// JSON path of the field, e.g. `points[3].load.throughput_rps`.
    pub path: String,
    /// The value as found.
    pub value: String,
    pub why: String,
}

fn invalid(path: String, value: impl ToString, why: &str) -> InvalidField {
    InvalidField {
        path,
        value: value.to_string(),
        why: why.into(),
    }
}

/// Validates `results`; the error names the first offending field.
pub fn validate(results: &Results) -> Result<(), InvalidField> {
    for (i, p) in results.points.iter().enumerate() {
        check_point(&format!("points[{i}]"), p)?;
    }
    for (i, c) in results.capacity.iter().enumerate() {
        let path = format!("capacity[{i}]");
        if let Some(cap) = c.capacity {
            positive(format!("{path}.capacity"), cap)?;
        }
        positive(format!("{path}.slo_ms"), c.slo_ms)?;
    }
    for (i, s) in results.stacks.iter().enumerate() {
        for (j, ms) in s.startup_ms.iter().enumerate() {
            positive(format!("stacks[{i}].startup_ms[{j}]"), *ms)?;
        }
    }
    let s = &results.settings;
    positive("settings.duration_s".into(), s.duration_s)?;
    positive("settings.slo_ms".into(), s.slo_ms)?;
    if s.trials == 0 {
        return Err(invalid("settings.trials".into(), 0, "at least one trial"));
    }
    // Every other number, wherever it is (settings.extra is free-form).
    let doc = serde_json::to_value(results).map_err(|e| invalid("(document)".into(), e, ""))?;
    walk("", &doc)
}

fn check_point(path: &str, p: &Point) -> Result<(), InvalidField> {
    if let Some(cpu) = p.server.cpu_us_per_req {
        finite(format!("{path}.server.cpu_us_per_req"), cpu)?;
    }
    if !p.valid {
        return Ok(());
    }
    if let Some(cpu) = p.server.cpu_us_per_req {
        positive(format!("{path}.server.cpu_us_per_req"), cpu)?;
    }
    if let Some(l) = &p.load {
        positive(format!("{path}.load.throughput_rps"), l.throughput_rps)?;
        let lat = &l.latency;
        if !(lat.min_us <= lat.p50_us && lat.p50_us <= lat.p99_us && lat.p99_us <= lat.max_us) {
            return Err(invalid(
                format!("{path}.load.latency"),
                format!(
                    "min {} p50 {} p99 {} max {}",
                    lat.min_us, lat.p50_us, lat.p99_us, lat.max_us
                ),
                "percentiles must not decrease",
            ));
        }
    }
    if let Some(w) = &p.ws {
        positive(format!("{path}.ws.delivered_per_s"), w.delivered_per_s)?;
    }
    Ok(())
}

fn finite(path: String, v: f64) -> Result<(), InvalidField> {
    if v.is_finite() {
        Ok(())
    } else {
        Err(invalid(path, v, "not a finite number"))
    }
}

/// Finite and above zero: a figure a verdict divides by.
fn positive(path: String, v: f64) -> Result<(), InvalidField> {
    finite(path.clone(), v)?;
    if v > 0.0 {
        Ok(())
    } else {
        Err(invalid(
            path,
            v,
            "must be above zero on a valid measurement",
        ))
    }
}

fn walk(path: &str, v: &serde_json::Value) -> Result<(), InvalidField> {
    use serde_json::Value;
    match v {
        Value::Number(n) => {
            let Some(x) = n.as_f64() else {
                return Ok(());
            };
            let key = path.rsplit('.').next().unwrap_or(path);
            let key = key.split('[').next().unwrap_or(key);
            if !x.is_finite() {
                return Err(invalid(path.into(), x, "not a finite number"));
            }
            if x < 0.0 && !MAY_BE_NEGATIVE.contains(&key) {
                return Err(invalid(path.into(), x, "cannot be negative"));
            }
            if x.abs() > MAX_MAGNITUDE {
                return Err(invalid(path.into(), x, "too large to be a measurement"));
            }
            Ok(())
        }
        Value::Array(items) => items
            .iter()
            .enumerate()
            .try_for_each(|(i, item)| walk(&format!("{path}[{i}]"), item)),
        Value::Object(map) => {
            if path == "settings.extra" {
                return Ok(());
            }
            map.iter().try_for_each(|(k, item)| {
                let sub = if path.is_empty() {
                    k.clone()
                } else {
                    format!("{path}.{k}")
                };
                walk(&sub, item)
            })
        }
        _ => Ok(()),
    }
}

/// [`validate`] as a bad-input error (exit 2) naming the file.
pub fn validate_file(results: &Results, file: &std::path::Path) -> anyhow::Result<()> {
    validate(results).map_err(|e| {
        crate::error::bad_input_msg(format!(
            "results file {} is not a measurement ringside can use: {e}",
            file.display()
        ))
    })
}
