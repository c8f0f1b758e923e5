//! Latency spectra from the raw histograms of a results file
//! (`histogram_b64`: HdrHistogram V2 + deflate, base64).

use anyhow::Context;
use base64::Engine;
use hdrhistogram::Histogram;
use hdrhistogram::serialization::Deserializer;

/// Decodes a `histogram_b64` field.
pub fn decode(b64: &str) -> anyhow::Result<Histogram<u64>> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .context("histogram_b64 is not base64")?;
    Deserializer::new()
        .deserialize(&mut std::io::Cursor::new(bytes))
        .map_err(|e| anyhow::anyhow!("histogram_b64 is not an HdrHistogram: {e:?}"))
}

/// The percentile spectrum as (x, latency in µs), x = log10(1 / (1 − p)) from
/// 0 (p = 0) to `x_max` (p = 1 − 10^−x_max) in `steps` equal steps — the axis of
/// HdrHistogram plots. `x_max` is cut where fewer than one sample remains.
pub fn spectrum(h: &Histogram<u64>, x_max: f64, steps: usize) -> Vec<(f64, f64)> {
    if h.is_empty() || steps == 0 {
        return Vec::new();
    }
    let x_max = x_max.min((h.len() as f64).log10()).max(0.5);
    (0..=steps)
        .map(|i| {
            let x = x_max * i as f64 / steps as f64;
            let p = 1.0 - 10f64.powf(-x);
            (x, h.value_at_quantile(p) as f64)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use hdrhistogram::serialization::{Serializer, V2DeflateSerializer};

    #[test]
    fn round_trip_and_monotonic_spectrum() {
        let mut h = Histogram::<u64>::new_with_bounds(1, 60_000_000, 3).unwrap();
        for v in 1..=10_000u64 {
            h.record(v * 10).unwrap();
        }
        let mut buf = Vec::new();
        V2DeflateSerializer::new().serialize(&h, &mut buf).unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&buf);
        let back = decode(&b64).unwrap();
        assert_eq!(back.len(), 10_000);
        let s = spectrum(&back, 5.0, 50);
        assert!((s.last().unwrap().0 - 4.0).abs() < 1e-9, "cut at 1/count");
        assert!(s.windows(2).all(|w| w[0].1 <= w[1].1));
        assert!(decode("not base64!").is_err());
    }
}
