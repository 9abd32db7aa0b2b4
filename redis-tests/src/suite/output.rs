//! Reading what Redis's TCL test helper prints for one unit: which tests passed, which failed
//! (with the first lines of why), how many were skipped, and whether the unit ran to its end.
//!
//! The helper prints one line per event, `[ok]: <name> (<n> ms)`, `[err]: <name> in <file>`
//! followed by the details, `[skip]: …`, `[ignore]: …`, `[exception]: …` when the test client
//! dies, and `[1/1 done]: <unit> (<n> seconds)` once the unit is over. An error raised by a
//! `start_server` block outside any test is printed as `[err]: <message>`, with no file; it is
//! named by its message. Run the helper with `TERM` unset or `dumb` so it prints no colours.

/// A failed test: its name and the first lines the helper printed about it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    pub name: String,
    pub details: String,
}

/// What one unit's run printed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct UnitOutput {
    pub passed: Vec<String>,
    pub failed: Vec<Failure>,
    pub skipped: usize,
    /// The helper reported the unit done.
    pub finished: bool,
    /// The test client died (`[exception]`): the rest of the unit did not run.
    pub exception: Option<String>,
    /// The helper gave up waiting for progress (`[TIMEOUT]`).
    pub timed_out: bool,
}

/// Lines of detail kept per failure.
const DETAIL_LINES: usize = 4;

/// Parses the helper's output for one unit.
pub fn parse(text: &str) -> UnitOutput {
    let mut out = UnitOutput::default();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(rest) = line.strip_prefix("[ok]: ") {
            out.passed.push(strip_elapsed(rest).to_string());
        } else if let Some(rest) = line.strip_prefix("[err]: ") {
            let mut details = Vec::new();
            while let Some(next) = lines.peek() {
                if is_event(next) || next.starts_with("*** ") || details.len() == DETAIL_LINES {
                    break;
                }
                details.push(lines.next().unwrap_or_default());
            }
            // Trimmed as the expectations file's lines are (a group's error message starts
            // with the space left where the helper cut its prefix).
            let name = match rest.rfind(" in tests/") {
                Some(at) => rest[..at].trim().to_string(),
                None => rest.trim().to_string(),
            };
            out.failed.push(Failure {
                name,
                details: details.join("\n"),
            });
        } else if line.starts_with("[skip]: ") || line.starts_with("[ignore]: ") {
            out.skipped += 1;
        } else if let Some(rest) = line.strip_prefix("[exception]: ") {
            out.exception = Some(rest.to_string());
        } else if line.starts_with("[TIMEOUT]") {
            out.timed_out = true;
        } else if is_done(line) {
            out.finished = true;
        }
    }
    out
}

/// `[ok]: name (12 ms)` → `name`.
fn strip_elapsed(rest: &str) -> &str {
    match rest.rfind(" (") {
        Some(at) if rest.ends_with(" ms)") => &rest[..at],
        _ => rest,
    }
}

/// `[1/1 done]: unit/keyspace (3 seconds)`.
fn is_done(line: &str) -> bool {
    line.starts_with('[')
        && line
            .find(" done]: ")
            .is_some_and(|at| line[1..at].split('/').all(|n| n.parse::<u32>().is_ok()))
}

fn is_event(line: &str) -> bool {
    [
        "[ok]: ",
        "[err]: ",
        "[skip]: ",
        "[ignore]: ",
        "[exception]: ",
    ]
    .iter()
    .any(|p| line.starts_with(p))
        || line.starts_with("[TIMEOUT]")
        || is_done(line)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
Cleanup: may take some time... OK
Starting test server at port 23096
[ready]: 11968
Testing unit/keyspace
[ok]: DEL against a single item (0 ms)
[ok]: KEYS with pattern (1 ms)
[err]: DEL against expired key in tests/unit/keyspace.tcl
ERR unknown subcommand 'set-active-expire'. Try DEBUG HELP.
    while executing
\"r debug set-active-expire 0\"
    (\"uplevel\" body line 2)
    invoked from within
[ok]: EXISTS (0 ms)
[skip]: Check encoding - listpack
[ignore]: MIGRATE is caching connections: Not supported on external server
[err]: ERR unknown command 'xadd', with args beginning with: 'k'
[1/1 done]: unit/keyspace (0 seconds)

!!! WARNING The following tests failed:

*** [err]: DEL against expired key in tests/unit/keyspace.tcl
";

    #[test]
    fn events_are_read_and_the_summary_is_not_counted_twice() {
        let out = parse(SAMPLE);
        assert_eq!(
            out.passed,
            ["DEL against a single item", "KEYS with pattern", "EXISTS"]
        );
        assert_eq!(out.failed.len(), 2);
        assert_eq!(out.failed[0].name, "DEL against expired key");
        assert_eq!(
            out.failed[0].details.lines().count(),
            DETAIL_LINES,
            "details are cut"
        );
        assert!(out.failed[0].details.starts_with("ERR unknown subcommand"));
        // A block-level error has no file: its message is its name.
        assert_eq!(
            out.failed[1].name,
            "ERR unknown command 'xadd', with args beginning with: 'k'"
        );
        assert_eq!(out.skipped, 2);
        assert!(out.finished);
        assert!(out.exception.is_none() && !out.timed_out);
    }

    #[test]
    fn a_unit_cut_short_is_seen() {
        let out = parse(
            "[ok]: PING (1 ms)\n[exception]: Executing test client: I/O error reading reply.\n",
        );
        assert!(!out.finished);
        assert_eq!(
            out.exception.as_deref(),
            Some("Executing test client: I/O error reading reply.")
        );
        let out = parse("[TIMEOUT]: clients state report follows.\n");
        assert!(out.timed_out && !out.finished);
    }

    #[test]
    fn names_keep_their_own_parentheses() {
        let out = parse("[ok]: SRANDMEMBER count of 0 is handled correctly (emptyarray) (3 ms)\n");
        assert_eq!(
            out.passed,
            ["SRANDMEMBER count of 0 is handled correctly (emptyarray)"]
        );
    }
}
