//! glibc malloc's thresholds, pinned for every launched stack (spec/fairness.md R17).
//!
//! glibc adjusts its mmap threshold at run time: an array larger than the
//! threshold is mmapped (and page-faulted in at every allocation) until one
//! such block is freed; then blocks of that size come from the heap, whose
//! free top is handed back to the kernel whenever it grows past twice the
//! threshold. Whether the next request's temporaries fault in afresh then
//! depends on what happens to sit at the heap's top: python-fastapi's
//! `/numeric` (numpy temporaries of 800 KB) ran at about 1,300 req/s in one
//! process and 650 in the next, the same process switching between the two
//! as other scenarios left their objects behind (`bench/numeric_faults.py`,
//! the closing note of stop 30). A figure that measures heap-layout luck is
//! no figure: every launched stack gets the thresholds pinned at glibc's own
//! dynamic maximum (32 MiB on 64-bit, `DEFAULT_MMAP_THRESHOLD_MAX`) and twice
//! that for trimming — the state glibc's own rule moves towards, without the
//! history. Stacks on another allocator (rust-axum's mimalloc, Bun's) ignore
//! the variables.

/// mmap only blocks of at least 32 MiB (glibc's dynamic maximum on 64-bit).
pub const MMAP_THRESHOLD: u64 = 32 * 1024 * 1024;
/// Keep up to 64 MiB free at the heap's top (twice the mmap threshold, as
/// glibc's dynamic rule sets it).
pub const TRIM_THRESHOLD: u64 = 2 * MMAP_THRESHOLD;

const KEYS: [&str; 2] = ["MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"];

/// The variables a launched stack gets, unless its manifest sets either of
/// them itself (then it gets neither: its own allocator settings stand
/// whole).
pub fn env(stack_env: &std::collections::BTreeMap<String, String>) -> Vec<(String, String)> {
    if KEYS.iter().any(|k| stack_env.contains_key(*k)) {
        return Vec::new();
    }
    vec![
        (KEYS[0].into(), MMAP_THRESHOLD.to_string()),
        (KEYS[1].into(), TRIM_THRESHOLD.to_string()),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn every_stack_gets_both_thresholds_at_glibcs_dynamic_maximum() {
        let env = env(&BTreeMap::new());
        assert_eq!(
            env,
            vec![
                ("MALLOC_MMAP_THRESHOLD_".to_string(), "33554432".to_string()),
                ("MALLOC_TRIM_THRESHOLD_".to_string(), "67108864".to_string()),
            ]
        );
    }

    #[test]
    fn a_manifest_that_sets_either_keeps_its_own_allocator_settings_whole() {
        for key in KEYS {
            let own = BTreeMap::from([(key.to_string(), "131072".to_string())]);
            assert!(env(&own).is_empty(), "{key}");
        }
    }
}
