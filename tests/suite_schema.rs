//! The results file validates against `schema/results.schema.json`, and the
//! schema rejects what it should.

mod suite_support;

use suite_support::{sample_results, schema_errors};

#[test]
fn sample_results_validate_against_the_schema() {
    let doc = serde_json::to_value(sample_results()).unwrap();
    let errors = schema_errors(&doc);
    assert!(errors.is_empty(), "schema errors: {errors:#?}");
}

#[test]
fn results_round_trip_through_json() {
    let r = sample_results();
    let text = serde_json::to_string(&r).unwrap();
    let back: ringside::results::Results = serde_json::from_str(&text).unwrap();
    assert_eq!(
        serde_json::to_value(&back).unwrap(),
        serde_json::to_value(&r).unwrap()
    );
}

#[test]
fn schema_rejects_wrong_documents() {
    let good = serde_json::to_value(sample_results()).unwrap();
    let mut bad = good.clone();
    bad["schema"] = "ringside.results/1".into();
    assert!(!schema_errors(&bad).is_empty());
    let mut bad = good.clone();
    bad["points"][0]["scenario"] = "jsonn".into();
    assert!(!schema_errors(&bad).is_empty());
    let mut bad = good.clone();
    bad["points"][0]
        .as_object_mut()
        .unwrap()
        .remove("connections");
    assert!(
        !schema_errors(&bad).is_empty(),
        "a peak point needs its connections"
    );
    let mut bad = good;
    bad["stacks"][0]["status"] = serde_json::json!({"state": "failed", "reason": "x"});
    assert!(!schema_errors(&bad).is_empty());
}
