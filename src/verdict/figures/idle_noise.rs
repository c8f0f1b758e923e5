//! The noise an idle-memory figure's interval is built on.
//!
//! Bytes per idle connection vary between launches by very different amounts
//! from one runtime to the next: uvicorn's figure repeats to 0.5 %, Node's
//! moves 10–30 % (its heap grows in steps whose timing differs per launch).
//! Pooling them all let a one-trial Node cell borrow uvicorn's precision, and
//! two back-to-back runs gave disjoint intervals (issue 20). So the noise is
//! pooled per group — runtime family × whether the cost is the second half's
//! or all connections' ([`crate::results::IdleRecord::second_half_counts`]) — and a
//! group with no cell of two trials takes the widest group noise the run
//! measured (a measured bound, never a constant), or none when there is none;
//! so does a group whose own pool has one degree of freedom (the widest
//! is taken over every group's pool, one degree of freedom included).

use std::collections::BTreeMap;

use crate::results::IdleRecord;
use crate::stats::Noise;
use crate::stats::pool::{CellSpread, WILD, cell_spread};

use super::Lang;

/// Degrees of freedom a group's own pool needs to stand for the group.
const MIN_DF: f64 = 2.0;

/// The grouping key of one idle cell.
pub type Group = (Lang, bool);

/// The group of a cell (its records are one stack × kind).
pub fn group(lang: Lang, rs: &[&IdleRecord]) -> Group {
    (lang, rs.iter().all(|r| r.second_half_counts()))
}

/// The noise each group's cells use: the group's own pooled noise, or the
/// widest measured among the groups when it has none.
pub fn per_group(cells: &[(Group, Vec<f64>)]) -> BTreeMap<Group, Noise> {
    let mut by: BTreeMap<Group, Vec<&[f64]>> = BTreeMap::new();
    for (g, v) in cells {
        by.entry(*g).or_default().push(v.as_slice());
    }
    // A pool of one degree of freedom (two trials that agreed to the byte,
    // as rust-axum's did) is no evidence of a noise of zero.
    let all: BTreeMap<Group, Noise> = by
        .iter()
        .filter_map(|(g, vs)| Noise::pooled(without_wild(vs)).map(|n| (*g, n)))
        .collect();
    let widest = all
        .values()
        .copied()
        .max_by(|a, b| a.sd_log.total_cmp(&b.sd_log));
    let own: BTreeMap<Group, Noise> = all.into_iter().filter(|(_, n)| n.df >= MIN_DF).collect();
    by.keys()
        .filter_map(|g| own.get(g).copied().or(widest).map(|n| (*g, n)))
        .collect()
}

/// The group's cells less one wild cell: a group holds two or three cells,
/// where [`crate::stats::pool`]'s rule (the rest must keep more than half
/// the degrees of freedom) can never set one aside; here the rest need keep
/// only half, and the cell's sd must still exceed [`WILD`] times the rest's.
fn without_wild<'a>(cells: &[&'a [f64]]) -> Vec<&'a [f64]> {
    let spreads: Vec<Option<CellSpread>> = cells.iter().map(|c| cell_spread(c)).collect();
    let (ss, df) = spreads
        .iter()
        .flatten()
        .fold((0.0, 0.0), |(s, d), c| (s + c.ss, d + c.df));
    let wild = spreads
        .iter()
        .enumerate()
        .filter_map(|(i, c)| {
            let c = (*c)?;
            let (rest_ss, rest_df) = (ss - c.ss, df - c.df);
            (rest_df > 0.0 && rest_ss > 0.0 && rest_df * 2.0 >= df)
                .then(|| (i, (c.ss / c.df).sqrt() / (rest_ss / rest_df).sqrt()))
        })
        .filter(|(_, ratio)| *ratio > WILD)
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(i, _)| i);
    cells
        .iter()
        .enumerate()
        .filter(|(i, _)| Some(*i) != wild)
        .map(|(_, c)| *c)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (issue 20): one trial of node-express borrowed the pooled
    /// noise of uvicorn (0.5 %) and runs disagreed by 16 % with disjoint
    /// intervals; with noise per group it takes node-http's.
    #[test]
    fn a_one_trial_cell_takes_its_own_runtimes_noise() {
        let node = (Lang::Node, true);
        let py = (Lang::Python, true);
        let py_all = (Lang::Python, false);
        let cells = vec![
            (node, vec![11141.0, 10932.0, 13746.0]),
            (node, vec![13349.0]),
            (py, vec![11391.0, 11289.0, 11387.0]),
            (py_all, vec![3009.0]),
        ];
        let n = per_group(&cells);
        let sd = |g| n[&g].sd_log;
        assert!(sd(node) > 0.1, "node {}", sd(node));
        assert!(sd(py) < 0.01, "python {}", sd(py));
        // No measured group of its own: the widest measured.
        assert_eq!(sd(py_all), sd(node));
        assert!(per_group(&[(node, vec![1.0])]).is_empty());
        // Two trials equal to the byte: one degree of freedom, not a noise of 0.
        let rust = (Lang::Rust, true);
        let mut cells = cells;
        cells.push((rust, vec![33550.0, 33550.0]));
        assert_eq!(per_group(&cells)[&rust].sd_log, sd(node));
        // One wild trial of two cells is set aside; Node's 10–30 % is not wild.
        let quiet = [100.0, 103.0, 98.0];
        let wild = [100.0, 2000.0, 101.0];
        assert_eq!(without_wild(&[&quiet, &wild]), vec![&quiet[..]]);
        let (h, w) = ([11141.0, 10932.0, 13746.0], [7258.0, 7844.0]);
        assert_eq!(without_wild(&[&h, &w]).len(), 2);
        // Every group of one degree of freedom: all take the widest of them.
        let thin = per_group(&[
            (node, vec![10363.0, 11256.0]),
            (py, vec![11407.0, 11383.0]),
            (py_all, vec![3238.0]),
        ]);
        assert_eq!(thin[&py_all].sd_log, thin[&node].sd_log);
        assert_eq!(thin[&py].sd_log, thin[&node].sd_log);
    }
}
