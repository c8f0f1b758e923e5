//! The ledger's rules as Markdown, for the README: generated from
//! [`CLAIMS`] (whose rule texts are built from the thresholds the code
//! applies), so the README says what the report prints. `tests/ledger_readme.rs`
//! fails when the README's block differs; `RINGSIDE_BLESS=1 cargo test
//! --test ledger_readme` rewrites it.

use super::CLAIMS;

/// The line that opens the generated block in the README.
pub const LEDGER_START: &str = "<!-- ledger:start — generated from src/verdict/claims/rules.rs; regenerate with `RINGSIDE_BLESS=1 cargo test --test ledger_readme` -->";
/// The line that closes it.
pub const LEDGER_END: &str = "<!-- ledger:end -->";

/// Per claim: what the articles say, what is measured, and the rule — the
/// same rule text the report prints beside each verdict.
pub fn ledger_markdown() -> String {
    let mut out = String::new();
    for c in CLAIMS.iter() {
        out.push_str(&format!(
            "- **{} {}.** The articles: {}.\n  - *Measured:* {}.\n  - *Rule:* {}\n",
            c.id, c.claim, c.articles, c.checked_by, c.rule
        ));
    }
    out
}
