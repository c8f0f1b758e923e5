//! Query parameters and the database-free computations of the contract.

use std::collections::HashMap;

/// The value of query parameter `key` as an integer clamped into
/// `min..=max`; `default` when it is missing or not a base-10 integer.
/// An integer too large for `i64` is still an integer: it clamps.
pub fn param(query: &HashMap<String, String>, key: &str, default: i64, min: i64, max: i64) -> i64 {
    let Some(raw) = query.get(key) else {
        return default;
    };
    let digits = raw.strip_prefix(['-', '+']).unwrap_or(raw);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return default;
    }
    let value = raw.parse::<i64>().unwrap_or(if raw.starts_with('-') {
        i64::MIN
    } else {
        i64::MAX
    });
    value.clamp(min, max)
}

/// Primes `p` with `2 <= p <= n`, by trial division as the contract spells it.
pub fn count_primes(n: u64) -> u64 {
    let mut count = 0;
    for k in 2..=n {
        let mut d = 2;
        let mut prime = true;
        while d * d <= k {
            if k % d == 0 {
                prime = false;
                break;
            }
            d += 1;
        }
        if prime {
            count += 1;
        }
    }
    count
}

/// Sum, mean, population standard deviation and dot product with the reverse
/// of `x[i] = ((i * 7919) % 10007) / 10007`, `i` in `0..n`.
#[derive(Debug, serde::Serialize)]
pub struct Numeric {
    pub n: usize,
    pub sum: f64,
    pub mean: f64,
    pub std: f64,
    pub dot: f64,
}

pub fn numeric(n: usize) -> Numeric {
    let x: Vec<f64> = (0..n as u64)
        .map(|i| ((i * 7919) % 10007) as f64 / 10007.0)
        .collect();
    let sum: f64 = x.iter().sum();
    let mean = sum / n as f64;
    let var = x.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    let dot: f64 = x.iter().zip(x.iter().rev()).map(|(a, b)| a * b).sum();
    Numeric {
        n,
        sum,
        mean,
        std: var.sqrt(),
        dot,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(pairs: &[(&str, &str)]) -> HashMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn params_default_and_clamp() {
        assert_eq!(param(&q(&[]), "q", 1, 1, 500), 1);
        assert_eq!(param(&q(&[("q", "0")]), "q", 1, 1, 500), 1);
        assert_eq!(param(&q(&[("q", "501")]), "q", 1, 1, 500), 500);
        assert_eq!(param(&q(&[("q", "foo")]), "q", 1, 1, 500), 1);
        assert_eq!(param(&q(&[("q", "")]), "q", 1, 1, 500), 1);
        assert_eq!(param(&q(&[("q", "7")]), "q", 1, 1, 500), 7);
        assert_eq!(param(&q(&[("q", "-3")]), "q", 1, 1, 500), 1);
        assert_eq!(
            param(&q(&[("q", "99999999999999999999999")]), "q", 1, 1, 500),
            500
        );
        assert_eq!(param(&q(&[("q", "1.5")]), "q", 1, 1, 500), 1);
    }

    #[test]
    fn primes_match_the_contract() {
        assert_eq!(count_primes(1), 0);
        assert_eq!(count_primes(10), 4);
        assert_eq!(count_primes(10_000), 1229);
        assert_eq!(count_primes(100_000), 9592);
    }

    #[test]
    fn numeric_is_consistent() {
        let r = numeric(4);
        let x: Vec<f64> = [0u64, 7919, 15838 % 10007, 23757 % 10007]
            .iter()
            .map(|&v| v as f64 / 10007.0)
            .collect();
        assert!((r.sum - x.iter().sum::<f64>()).abs() < 1e-12);
        assert!((r.dot - (x[0] * x[3] + x[1] * x[2]) * 2.0).abs() < 1e-12);
    }
}
