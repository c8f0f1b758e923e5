//! Snapshot of the end-of-run terminal tables.

mod suite_support;

#[test]
fn terminal_tables_snapshot() {
    let text = ringside::report::terminal::render(&suite_support::sample_results());
    insta::assert_snapshot!("terminal_tables", text);
}
