//! The Markdown summary of the fixture, pinned by a snapshot.

use std::path::Path;

use ringside::report::{read_results, write_reports};

#[test]
fn summary_md_of_the_fixture() {
    let results = read_results(Path::new("tests/fixtures/results/full.json")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (_, md) = write_reports(&results, dir.path()).unwrap();
    let text = std::fs::read_to_string(md).unwrap();
    insta::assert_snapshot!("summary_md", text);
}
