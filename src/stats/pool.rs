//! Pooling the run's trial-to-trial noise so that one wild cell does not
//! widen every interval.
//!
//! The run's noise ([`super::Noise`]) is the pooled variance of log trial
//! values over every cell with two or more trials. A plain pool is a mean of
//! squares: one cell with one wild trial (a server that paused, a neighbour
//! that woke up) can double the pooled sd, and with it the noise floor and
//! every interval that borrows it — one bad cell would undo every verdict.
//!
//! So the pool sets wild cells aside first: a cell whose own sd exceeds
//! [`WILD`] times the pooled sd of the *other* cells is left out, the widest
//! first, one at a time, as long as more than half of the pool's degrees of
//! freedom remain (a run that is noisy everywhere is noisy, not wild). A
//! cell set aside is not hidden: its own figure keeps its own, wide interval
//! ([`super::interval::NOISIER`]), is shown as too noisy when it spans more
//! than [`super::interval::TOO_NOISY_SPAN`], and is what the adaptive rounds
//! measure again when a claim needs it.
//!
//! For a quiet cell of two trials (one degree of freedom) `s/σ > 4` happens
//! 0.006 % of the time (χ²₁ > 16), of three trials far less: a quiet cell
//! is almost never set aside, so the pooled sd is not biased low, which the
//! coverage simulations in `interval` and `sequential` measure through this
//! pool. A wild trial moves a cell's sd tens of times the run's.

use super::basic::mean;

/// A cell whose own sd is more than this many times the pooled sd of the
/// other cells is set aside from the pool.
pub const WILD: f64 = 4.0;

/// One cell's sum of squared log deviations and its degrees of freedom.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CellSpread {
    pub ss: f64,
    pub df: f64,
}

/// The spread of one cell's positive trial values on the log scale; `None`
/// with fewer than two.
pub fn cell_spread(cell: &[f64]) -> Option<CellSpread> {
    let logs: Vec<f64> = cell.iter().filter(|v| **v > 0.0).map(|v| v.ln()).collect();
    if logs.len() < 2 {
        return None;
    }
    let m = mean(&logs)?;
    Some(CellSpread {
        ss: logs.iter().map(|y| (y - m).powi(2)).sum(),
        df: (logs.len() - 1) as f64,
    })
}

/// Which of `cells` are wild (indexes into `cells`), by the rule above.
pub fn wild_cells(cells: &[CellSpread]) -> Vec<usize> {
    let total_df: f64 = cells.iter().map(|c| c.df).sum();
    let mut out: Vec<usize> = Vec::new();
    loop {
        let (ss, df) = cells
            .iter()
            .enumerate()
            .filter(|(i, _)| !out.contains(i))
            .fold((0.0, 0.0), |(s, d), (_, c)| (s + c.ss, d + c.df));
        let worst = cells
            .iter()
            .enumerate()
            .filter(|(i, _)| !out.contains(i))
            .filter_map(|(i, c)| {
                let (rest_ss, rest_df) = (ss - c.ss, df - c.df);
                if rest_df <= 0.0 || rest_ss <= 0.0 || c.df <= 0.0 {
                    return None;
                }
                let ratio = (c.ss / c.df).sqrt() / (rest_ss / rest_df).sqrt();
                Some((i, ratio, c.df))
            })
            .max_by(|a, b| a.1.total_cmp(&b.1));
        match worst {
            Some((i, ratio, cell_df)) if ratio > WILD && (df - cell_df) * 2.0 > total_df => {
                out.push(i);
            }
            _ => return out,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spreads(cells: &[Vec<f64>]) -> Vec<CellSpread> {
        cells.iter().filter_map(|c| cell_spread(c)).collect()
    }

    #[test]
    fn one_wild_cell_among_quiet_ones_is_set_aside() {
        let mut cells: Vec<Vec<f64>> = (0..8)
            .map(|i| vec![100.0 + i as f64, 104.0 + i as f64, 98.0])
            .collect();
        cells.push(vec![100.0, 2000.0, 101.0]);
        assert_eq!(wild_cells(&spreads(&cells)), [8]);
    }

    #[test]
    fn two_wild_cells_are_both_set_aside_the_widest_first() {
        let mut cells: Vec<Vec<f64>> = (0..8).map(|_| vec![100.0, 103.0, 98.0]).collect();
        cells.push(vec![100.0, 400.0]);
        cells.push(vec![100.0, 5000.0]);
        assert_eq!(wild_cells(&spreads(&cells)), [9, 8]);
    }

    #[test]
    fn a_run_noisy_everywhere_sets_nothing_aside() {
        // Every cell spreads alike: nothing stands out.
        let cells: Vec<Vec<f64>> = (0..6).map(|_| vec![100.0, 150.0, 70.0]).collect();
        assert!(wild_cells(&spreads(&cells)).is_empty());
        // Half the cells wild is the run's noise, not a wild cell.
        let half: Vec<Vec<f64>> = vec![
            vec![100.0, 101.0],
            vec![100.0, 101.0],
            vec![100.0, 900.0],
            vec![100.0, 900.0],
        ];
        assert!(wild_cells(&spreads(&half)).len() < 2);
        // Quiet cells of identical trials give nothing to compare against.
        let flat = vec![vec![5.0, 5.0], vec![5.0, 5.0], vec![5.0, 9.0]];
        assert!(wild_cells(&spreads(&flat)).is_empty());
    }

    #[test]
    fn a_cell_twice_as_noisy_as_the_rest_stays_in() {
        let mut cells: Vec<Vec<f64>> = (0..8).map(|_| vec![100.0, 110.0]).collect();
        cells.push(vec![100.0, 121.0]);
        assert!(wild_cells(&spreads(&cells)).is_empty());
    }
}
