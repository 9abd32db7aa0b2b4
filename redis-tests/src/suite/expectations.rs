//! The expectations file: which units of Redis's suite run, and which of their tests are
//! expected to fail against zedis, each with a one-line reason. A run is judged against it:
//! any other failure fails the run, and a listed test that now passes is reported so the list
//! only shrinks.
//!
//! Format (`redis-tests/suite-expectations.txt`):
//!
//! ```text
//! # a comment
//! [unit/keyspace]
//! [unit/scripting] scripting: EVAL and FUNCTION are not served yet
//! EVAL - Does Lua interpreter replies to our requests?
//! SCRIPT LOAD with a bad script  ## a reason of its own
//! ```
//!
//! A `[unit]` header starts a unit; text after it is the reason for every test listed under it
//! without a reason of its own (`  ## reason`). Every listed test must end up with a reason.
//! Two pseudo-tests name what happens to a unit rather than a test: `(unit did not finish)`
//! and `(server stopped answering)`.
//!
//! A reason starting `skip:` (`SOME TEST  ## skip: why`) means the test is not run against
//! zedis at all (the helper's `--skiptest`): only for a test that, failing, would leave state
//! behind that stalls the rest of its unit (a `CLIENT PAUSE` it never lifts), so the tests
//! after it still run. A skipped test is never reported as passing: remove its line when what
//! it needs is served.

use std::collections::BTreeMap;

use super::output::UnitOutput;

/// The failure of a unit that stopped before its end (exception, helper timeout, time limit).
pub const UNIT_DID_NOT_FINISH: &str = "(unit did not finish)";
/// The server did not answer `PING` after the unit: it crashed or hung.
pub const SERVER_STOPPED: &str = "(server stopped answering)";

/// One unit of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitExpectations {
    /// `unit/keyspace`, as `--single` takes it.
    pub unit: String,
    /// Tests expected to fail, with their reasons.
    pub expected_failures: BTreeMap<String, String>,
    /// Tests not run against zedis, with their reasons (`## skip: reason`).
    pub skipped: BTreeMap<String, String>,
}

/// What starts the reason of a test that is not run.
pub const SKIP: &str = "skip:";

/// Parses the file; the error names the line.
pub fn parse(text: &str) -> Result<Vec<UnitExpectations>, String> {
    let mut units: Vec<UnitExpectations> = Vec::new();
    let mut default_reason = String::new();
    for (number, line) in text.lines().enumerate() {
        let number = number + 1;
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(header) = line.strip_prefix('[') {
            let Some(end) = header.find(']') else {
                return Err(format!(
                    "line {number}: a unit header is `[unit/name] reason`"
                ));
            };
            let unit = header[..end].trim().to_string();
            if units.iter().any(|u| u.unit == unit) {
                return Err(format!("line {number}: {unit} is listed twice"));
            }
            default_reason = header[end + 1..].trim().to_string();
            units.push(UnitExpectations {
                unit,
                expected_failures: BTreeMap::new(),
                skipped: BTreeMap::new(),
            });
            continue;
        }
        let Some(current) = units.last_mut() else {
            return Err(format!("line {number}: a test before any [unit] header"));
        };
        let (name, reason) = match line.split_once(" ## ") {
            Some((name, reason)) => (name.trim(), reason.trim()),
            None => (line, default_reason.as_str()),
        };
        if reason.is_empty() {
            return Err(format!(
                "line {number}: `{name}` has no reason (give one after ` ## ` or on the unit header)"
            ));
        }
        if current.expected_failures.contains_key(name) || current.skipped.contains_key(name) {
            return Err(format!("line {number}: `{name}` is listed twice"));
        }
        match reason.strip_prefix(SKIP) {
            Some(why) if why.trim().is_empty() => {
                return Err(format!(
                    "line {number}: `{name}` is skipped without a reason"
                ));
            }
            Some(why) => current
                .skipped
                .insert(name.to_string(), why.trim().to_string()),
            None => current
                .expected_failures
                .insert(name.to_string(), reason.to_string()),
        };
    }
    Ok(units)
}

/// How a unit's run compares with its expectations.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// Failures the file does not list: the run fails.
    pub unexpected: Vec<String>,
    /// Listed failures that happened.
    pub expected: usize,
    /// Listed tests that passed: to be removed from the file.
    pub now_passing: Vec<String>,
}

impl Verdict {
    pub fn ok(&self) -> bool {
        self.unexpected.is_empty()
    }
}

/// Judges a unit's output; `answered_ping` says whether the server was still up after it.
pub fn judge(expectations: &UnitExpectations, output: &UnitOutput, answered_ping: bool) -> Verdict {
    let mut verdict = Verdict::default();
    let mut failures: Vec<&str> = output.failed.iter().map(|f| f.name.as_str()).collect();
    if !output.finished || output.exception.is_some() || output.timed_out {
        failures.push(UNIT_DID_NOT_FINISH);
    }
    if !answered_ping {
        failures.push(SERVER_STOPPED);
    }
    for name in failures {
        if expectations.expected_failures.contains_key(name) {
            verdict.expected += 1;
        } else if !verdict.unexpected.iter().any(|u| u == name) {
            verdict.unexpected.push(name.to_string());
        }
    }
    for name in &output.passed {
        let also_failed = output.failed.iter().any(|f| &f.name == name);
        if expectations.expected_failures.contains_key(name)
            && !also_failed
            && !verdict.now_passing.contains(name)
        {
            verdict.now_passing.push(name.clone());
        }
    }
    verdict
}

#[cfg(test)]
mod tests {
    use super::super::output::Failure;
    use super::*;

    const FILE: &str = "\
# comment
[unit/keyspace]

[unit/scripting] scripting is not served yet
EVAL - Return _G
SCRIPT LOAD  ## its own reason
(unit did not finish)
";

    #[test]
    fn reasons_come_from_the_line_or_the_header() {
        let units = parse(FILE).unwrap();
        assert_eq!(units.len(), 2);
        assert!(units[0].expected_failures.is_empty());
        let scripting = &units[1].expected_failures;
        assert_eq!(scripting["EVAL - Return _G"], "scripting is not served yet");
        assert_eq!(scripting["SCRIPT LOAD"], "its own reason");
        assert!(scripting.contains_key(UNIT_DID_NOT_FINISH));
    }

    #[test]
    fn a_test_without_a_reason_or_unit_is_refused() {
        assert!(
            parse("[unit/a]\nsome test\n")
                .unwrap_err()
                .contains("no reason")
        );
        assert!(
            parse("some test ## why\n")
                .unwrap_err()
                .contains("before any")
        );
        assert!(parse("[unit/a] r\nt\nt\n").unwrap_err().contains("twice"));
        assert!(
            parse("[unit/a]\nt  ## skip: \n")
                .unwrap_err()
                .contains("without a reason")
        );
        assert!(
            parse("[unit/a]\nt  ## skip: why\nt  ## other\n")
                .unwrap_err()
                .contains("twice")
        );
    }

    #[test]
    fn skipped_tests_are_kept_apart_with_their_reasons() {
        let units = parse("[unit/a] fails\nt1\nt2  ## skip: stalls the unit\n").unwrap();
        assert_eq!(units[0].expected_failures.len(), 1);
        assert_eq!(units[0].skipped["t2"], "stalls the unit");
    }

    fn output(passed: &[&str], failed: &[&str], finished: bool) -> UnitOutput {
        UnitOutput {
            passed: passed.iter().map(|s| s.to_string()).collect(),
            failed: failed
                .iter()
                .map(|s| Failure {
                    name: s.to_string(),
                    details: String::new(),
                })
                .collect(),
            finished,
            ..UnitOutput::default()
        }
    }

    #[test]
    fn unlisted_failures_fail_and_listed_passes_are_reported() {
        let units = parse(FILE).unwrap();
        let scripting = &units[1];
        let verdict = judge(
            scripting,
            &output(
                &["EVAL - Return _G"],
                &["SCRIPT LOAD", "SCRIPT KILL"],
                false,
            ),
            true,
        );
        assert_eq!(verdict.unexpected, ["SCRIPT KILL"]);
        assert_eq!(verdict.expected, 2, "SCRIPT LOAD and the unfinished unit");
        assert_eq!(verdict.now_passing, ["EVAL - Return _G"]);
        assert!(!verdict.ok());

        let keyspace = &units[0];
        let verdict = judge(keyspace, &output(&["DEL"], &[], true), false);
        assert_eq!(verdict.unexpected, [SERVER_STOPPED]);
        assert!(judge(keyspace, &output(&["DEL"], &[], true), true).ok());
    }
}
