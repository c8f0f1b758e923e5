//! A verdict that no value of its missing figures could change.
//!
//! A rule reads several figures; when some have no interval (one trial and
//! no measured noise, or too noisy to judge) the claim is held open only if
//! the missing ones could change the verdict. [`settled`] tries each
//! missing figure at one value on each side of the rule's thresholds and
//! between them (every outcome the rule's comparisons can have), in every
//! combination: the verdict is settled when every combination gives the
//! same one. Pure functions.

/// Most missing figures tried (3^8 combinations); more leave the claim open.
pub const MOST_UNKNOWNS: usize = 8;

/// The verdict of `rule` over every combination of `values` for `unknowns`
/// missing figures (`rule` is given one value a figure, in order), when
/// every combination gives the same one; `None` otherwise, or when there
/// are more than [`MOST_UNKNOWNS`].
pub fn settled<V: PartialEq>(
    unknowns: usize,
    values: &[f64],
    rule: impl Fn(&[f64]) -> V,
) -> Option<V> {
    if unknowns > MOST_UNKNOWNS || values.is_empty() {
        return None;
    }
    let combos = values.len().pow(unknowns as u32);
    let mut first: Option<V> = None;
    let mut pick = vec![0.0; unknowns];
    for mut c in 0..combos {
        for p in pick.iter_mut() {
            *p = values[c % values.len()];
            c /= values.len();
        }
        let v = rule(&pick);
        match &first {
            None => first = Some(v),
            Some(f) if *f != v => return None,
            Some(_) => {}
        }
    }
    first
}

/// One value below `low`, one between `low` and `high`, one above `high`:
/// a figure at each gives every outcome of the comparisons `≤ low` and
/// `≥ high` (thresholds `0 < low ≤ high`).
pub fn around(low: f64, high: f64) -> [f64; 3] {
    [low * 0.8, (low + high) / 2.0, high * 1.5]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_verdict_is_settled_only_when_every_combination_agrees() {
        let vals = around(1.25, 1.3);
        assert!(vals[0] <= 1.25 && vals[1] > 1.25 && vals[1] < 1.3 && vals[2] >= 1.3);
        // A rule that reads the first unknown only: the second cannot change it,
        // the first can.
        let first_only = |v: &[f64]| v[0] >= 1.3;
        assert_eq!(settled(0, &vals, |_: &[f64]| 7), Some(7));
        assert_eq!(settled(1, &vals, first_only), None);
        assert_eq!(settled(1, &vals, |v: &[f64]| v[0] > 0.0), Some(true));
        // Every value is positive: the verdict stands whatever the unknowns.
        assert_eq!(
            settled(2, &vals, |v: &[f64]| v[0] > 0.0 || v[1] > 2.0),
            Some(true)
        );
        // Every combination is tried: only (high, high) flips it.
        let calls = std::cell::Cell::new(0);
        let both = |v: &[f64]| {
            calls.set(calls.get() + 1);
            v[0] >= 1.3 && v[1] >= 1.3
        };
        assert_eq!(settled(2, &vals, both), None);
        assert_eq!(calls.get(), 9);
        assert_eq!(settled(MOST_UNKNOWNS + 1, &vals, |_: &[f64]| 1), None);
    }
}
