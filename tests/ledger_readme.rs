//! The README's ledger section is the text the report prints: generated
//! from the rules (`ringside::verdict::claims::ledger_markdown`), checked
//! here. `RINGSIDE_BLESS=1 cargo test --test ledger_readme` rewrites it.

use ringside::verdict::claims::{LEDGER_END, LEDGER_START, ledger_markdown};

#[test]
fn the_readme_ledger_block_is_the_generated_text() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/README.md");
    let readme = std::fs::read_to_string(path).unwrap();
    let (Some(a), Some(b)) = (readme.find(LEDGER_START), readme.find(LEDGER_END)) else {
        panic!("README.md has no ledger block: add the lines {LEDGER_START} and {LEDGER_END}");
    };
    let start = a + LEDGER_START.len() + 1;
    let block = &readme[start..b];
    let want = ledger_markdown();
    if block == want {
        return;
    }
    if std::env::var_os("RINGSIDE_BLESS").is_some() {
        let new = format!("{}{}{}", &readme[..start], want, &readme[b..]);
        std::fs::write(path, new).unwrap();
        return;
    }
    panic!(
        "README.md's ledger block differs from the rules' text; regenerate it with `RINGSIDE_BLESS=1 cargo test --test ledger_readme`\n--- README\n{block}\n--- rules\n{want}"
    );
}

#[test]
fn every_claim_is_in_the_generated_text_with_its_rule() {
    let md = ledger_markdown();
    for c in ringside::verdict::claims::CLAIMS.iter() {
        assert!(
            md.contains(&format!("**{} {}.**", c.id, c.claim)),
            "{}",
            c.id
        );
        assert!(md.contains(c.rule.as_str()), "{} rule", c.id);
        assert!(md.contains(c.articles), "{} articles", c.id);
    }
}
