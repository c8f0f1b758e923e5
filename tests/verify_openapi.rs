//! `spec/openapi.yaml` describes every endpoint scenario of the catalogue
//! (a text check: the crate has no YAML parser; `openapi-spec-validator`
//! validates the document itself).

use ringside::scenario::Scenario;

#[test]
fn every_endpoint_scenario_has_a_path() {
    let doc =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/spec/openapi.yaml")).unwrap();
    assert!(doc.starts_with("openapi: 3.1.0\n"));
    let mut paths = vec!["/health".to_string(), "/ws/chat".to_string()];
    paths.extend(
        Scenario::ALL
            .into_iter()
            .filter_map(Scenario::default_path)
            .map(|p| p.split('?').next().unwrap().to_string()),
    );
    for path in paths {
        assert!(
            doc.contains(&format!("\n  {path}:\n    get:\n")),
            "spec/openapi.yaml has no `{path}` path"
        );
    }
}
