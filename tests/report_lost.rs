//! A lost trial reads "n of m" with its reason in all three reports: the
//! terminal table, the Markdown summary and the HTML report (issue 22).

use std::path::Path;

use ringside::report::{read_results, write_reports};
use ringside::results::{FailureRecord, Results};
use ringside::scenario::Scenario;

/// The full fixture with its three rounds recorded, trial 3 of node-http
/// json and of python-fastapi ws-chat lost, each with its failure record.
fn with_lost_trials() -> Results {
    let mut r = read_results(Path::new("tests/fixtures/results/full.json")).unwrap();
    let mut v = serde_json::to_value(&r).unwrap();
    let stacks = serde_json::json!(r.stacks.iter().map(|s| s.name.clone()).collect::<Vec<_>>());
    let scenarios = v["settings"]["scenarios"].clone();
    v["rounds"] = serde_json::json!(
        (1..=3)
            .map(|n| serde_json::json!({"number": n, "kind": "all", "stacks": stacks, "scenarios": scenarios}))
            .collect::<Vec<_>>()
    );
    r = serde_json::from_value(v).unwrap();
    let lose = [
        (
            "node-http",
            Scenario::Json,
            "server exited before the slice 1 of peak c=64 of json trial 3 (signal 9); relaunched",
        ),
        (
            "python-fastapi",
            Scenario::WsChat,
            "ws-chat trial 3: not measured from the warm-up on: the server is not running",
        ),
    ];
    for (stack, sc, why) in lose {
        r.points
            .retain(|p| !(p.stack == stack && p.scenario == sc && p.trial == 3));
        r.capacity
            .retain(|c| !(c.stack == stack && c.scenario == sc && c.trial == 3));
        let rec = r.stacks.iter_mut().find(|s| s.name == stack).unwrap();
        rec.failures.push(FailureRecord {
            scenario: Some(sc),
            trial: Some(3),
            message: why.into(),
            stderr_tail: Vec::new(),
        });
    }
    r
}

/// The lines of `text` between the heading naming `scenario` and the next heading.
fn section<'a>(text: &'a str, start: &str, end: &str) -> &'a str {
    let from = text.find(start).unwrap_or_else(|| panic!("no {start:?}"));
    let rest = &text[from..];
    let to = rest[start.len()..]
        .find(end)
        .map_or(rest.len(), |i| i + start.len());
    &rest[..to]
}

#[test]
fn a_lost_trial_reads_n_of_m_with_its_reason_in_every_report() {
    let r = with_lost_trials();
    let dir = tempfile::tempdir().unwrap();
    let (html, md) = write_reports(&r, dir.path()).unwrap();
    let html = std::fs::read_to_string(html).unwrap();
    let md = std::fs::read_to_string(md).unwrap();
    let term = ringside::report::terminal::render(&r);

    let json_reason = "1 trial(s) lost: server exited before the slice 1 of peak c=64 of json";
    let ws_reason = "1 trial(s) lost: ws-chat trial 3: not measured from the warm-up on";

    // Terminal: the json and ws-chat tables.
    let row = |text: &str, stack: &str| -> String {
        text.lines()
            .find(|l| l.contains(&format!(" {stack} ")))
            .unwrap_or_else(|| panic!("no {stack} row in {text}"))
            .to_string()
    };
    let t_json = section(&term, "\njson\n", "\n\n");
    assert!(row(t_json, "node-http").contains("2 of 3"), "{t_json}");
    assert!(row(t_json, "python-fastapi").contains(" 3 "), "{t_json}");
    assert!(
        t_json.contains("1 trial(s) lost: server exited"),
        "{t_json}"
    );
    let t_ws = section(&term, "\nws-chat", "\n\n");
    assert!(row(t_ws, "python-fastapi").contains("2 of 3"), "{t_ws}");
    assert!(t_ws.contains("1 trial(s) lost: ws-chat trial 3"), "{t_ws}");

    // Markdown: the Trials column and the note.
    let m_json = section(&md, "### json\n", "\n### ");
    let m_row = |stack: &str| {
        m_json
            .lines()
            .find(|l| l.starts_with(&format!("| {stack}")))
            .unwrap()
    };
    assert!(m_row("node-http").ends_with("| 2 of 3 |"), "{m_json}");
    assert!(m_row("python-fastapi").ends_with("| 3 |"), "{m_json}");
    assert!(
        m_json.contains(&format!("- ⚑ node-http {json_reason}")),
        "{m_json}"
    );
    let m_ws = section(&md, "### ws-chat\n", "\n### ");
    assert!(
        m_ws.lines()
            .any(|l| l.starts_with("| python-fastapi") && l.ends_with("| 2 of 3 |")),
        "{m_ws}"
    );
    assert!(m_ws.contains(ws_reason), "{m_ws}");

    // HTML: the Trials column and the note.
    let h_json = section(&html, "id=\"scenario-json\"", "</section>");
    assert!(h_json.contains("<th class=\"num\">Trials</th>"), "{h_json}");
    let h_row = h_json[h_json.find("<tbody>").unwrap()..]
        .split("<tr>")
        .find(|r| r.contains("node-http"))
        .unwrap();
    assert!(h_row.contains("<td class=\"num\">2 of 3</td>"), "{h_row}");
    assert!(
        h_json.contains(&format!("<strong>node-http</strong> {json_reason}")),
        "{h_json}"
    );
    let h_ws = section(&html, "id=\"scenario-ws-chat\"", "</section>");
    let h_row = h_ws[h_ws.find("<tbody>").unwrap()..]
        .split("<tr>")
        .find(|r| r.contains("python-fastapi"))
        .unwrap();
    assert!(h_row.contains("<td class=\"num\">2 of 3</td>"), "{h_row}");
    assert!(h_ws.contains(ws_reason), "{h_ws}");
}

#[test]
fn a_run_with_every_trial_shows_the_count_without_of() {
    let mut r = with_lost_trials();
    r.stacks.iter_mut().for_each(|s| s.failures.clear());
    let full = read_results(Path::new("tests/fixtures/results/full.json")).unwrap();
    r.points = full.points;
    r.capacity = full.capacity;
    let dir = tempfile::tempdir().unwrap();
    let (html, md) = write_reports(&r, dir.path()).unwrap();
    for text in [
        std::fs::read_to_string(html).unwrap(),
        std::fs::read_to_string(md).unwrap(),
        ringside::report::terminal::render(&r),
    ] {
        assert!(!text.contains(" of 3"), "{text}");
        assert!(!text.contains("trial(s) lost"));
    }
}
