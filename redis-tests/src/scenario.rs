//! Differential scenarios: command files replayed against the reference Redis and zedis, with
//! the replies compared byte for byte.
//!
//! A scenario file has one command per line in redis-cli syntax (quotes and escapes as
//! `redis-cli` and inline commands read them). `#` starts a comment line. A command may end
//! with ` #! ` and annotations, used only where Redis itself is nondeterministic or where zedis
//! differs on purpose:
//!
//! | annotation | meaning |
//! |---|---|
//! | `unordered` | aggregates compare as multisets (sets, `KEYS`, `SCAN` pages…) |
//! | `shape` | only the types and sizes of the reply compare (times, ids, random picks) |
//! | `fields` | the reply is `INFO`-style text: the section headers and field names compare, in order (zedis's own `zedis_*` fields aside) |
//! | `field-set` | as `fields`, in any order, with the names of `name=value` parts of each value (`p50`, `keys`) |
//! | `ignore` | the command runs on both servers; its replies are not compared |
//! | `differs <why>` | a documented difference: not compared, reported as known |
//! | `resp2` / `resp3` | run only under that protocol |
//! | `sleep <ms>` | wait before sending (expiry) |

use std::fmt::Write;
use std::path::Path;

use crate::raw::RawConnection;

/// The protocol a scenario runs under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    Resp2,
    Resp3,
}

/// How one line's replies are compared.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Compare {
    Exact,
    Unordered,
    Shape,
    Fields,
    FieldSet,
    Ignore,
    Differs(String),
}

/// One scenario line.
#[derive(Debug, Clone)]
struct Step {
    line: usize,
    text: String,
    args: Vec<Vec<u8>>,
    compare: Compare,
    only: Option<Protocol>,
    sleep_ms: u64,
}

/// A reply that did not match.
#[derive(Debug, Clone)]
pub struct Mismatch {
    pub file: String,
    pub line: usize,
    pub command: String,
    pub protocol: Protocol,
    pub redis: Vec<u8>,
    pub zedis: Vec<u8>,
}

impl std::fmt::Display for Mismatch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "{}:{} ({:?}) {}",
            self.file, self.line, self.protocol, self.command
        )?;
        writeln!(f, "    redis: {}", escape(&self.redis))?;
        write!(f, "    zedis: {}", escape(&self.zedis))
    }
}

/// Bytes with control characters escaped, for printing replies.
pub fn escape(bytes: &[u8]) -> String {
    let mut out = String::new();
    for &b in bytes.iter().take(2000) {
        match b {
            b'\r' => out.push_str("\\r"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(b as char),
            _ => {
                let _ = write!(out, "\\x{b:02x}");
            }
        }
    }
    if bytes.len() > 2000 {
        let _ = write!(out, "... ({} bytes)", bytes.len());
    }
    out
}

fn parse_steps(text: &str) -> Vec<Step> {
    let mut steps = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        // Annotations follow a space: a `#!` inside a command (a shebang) is the command's.
        let (command, notes) = match line.split_once(" #! ") {
            Some((command, notes)) => (command.trim(), notes.trim()),
            None => (line, ""),
        };
        let args = sds::split_args(command.as_bytes())
            .unwrap_or_else(|_| panic!("line {}: unbalanced quotes", index + 1))
            .iter()
            .map(|a| a.to_vec())
            .collect();
        let mut step = Step {
            line: index + 1,
            text: command.to_string(),
            args,
            compare: Compare::Exact,
            only: None,
            sleep_ms: 0,
        };
        let mut words = notes.split_whitespace();
        while let Some(word) = words.next() {
            match word {
                "unordered" => step.compare = Compare::Unordered,
                "shape" => step.compare = Compare::Shape,
                "fields" => step.compare = Compare::Fields,
                "field-set" => step.compare = Compare::FieldSet,
                "ignore" => step.compare = Compare::Ignore,
                "differs" => {
                    step.compare = Compare::Differs(words.by_ref().collect::<Vec<_>>().join(" "));
                }
                "resp2" => step.only = Some(Protocol::Resp2),
                "resp3" => step.only = Some(Protocol::Resp3),
                "sleep" => {
                    step.sleep_ms = words
                        .next()
                        .and_then(|ms| ms.parse().ok())
                        .unwrap_or_else(|| panic!("line {}: sleep needs milliseconds", index + 1));
                }
                other => panic!("line {}: unknown annotation {other}", index + 1),
            }
        }
        steps.push(step);
    }
    steps
}

/// A reply parsed into a tree, for the comparisons that are not byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Node {
    /// A scalar: its type byte and its raw text.
    Scalar(u8, Vec<u8>),
    /// An aggregate: its type byte and elements.
    Aggregate(u8, Vec<Node>),
}

fn parse_node(buf: &[u8], at: &mut usize) -> Node {
    let kind = buf[*at];
    let line_end = *at
        + buf[*at..]
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("CRLF");
    let header = &buf[*at + 1..line_end];
    *at = line_end + 2;
    let number = || {
        std::str::from_utf8(header)
            .ok()
            .and_then(|h| h.parse::<i64>().ok())
    };
    match kind {
        b'$' | b'=' | b'!' => match number() {
            Some(len) if len >= 0 => {
                let len = len as usize;
                let body = buf[*at..*at + len].to_vec();
                *at += len + 2;
                Node::Scalar(kind, body)
            }
            _ => Node::Scalar(kind, header.to_vec()),
        },
        b'*' | b'~' | b'>' | b'%' => match number() {
            Some(len) if len >= 0 => {
                let count = if kind == b'%' { len * 2 } else { len } as usize;
                Node::Aggregate(kind, (0..count).map(|_| parse_node(buf, at)).collect())
            }
            _ => Node::Scalar(kind, header.to_vec()),
        },
        _ => Node::Scalar(kind, header.to_vec()),
    }
}

fn parse_reply(bytes: &[u8]) -> Node {
    let mut at = 0;
    parse_node(bytes, &mut at)
}

/// Sorts aggregates' elements recursively (map pairs stay together).
fn canonical(node: Node) -> Node {
    match node {
        Node::Aggregate(b'%', items) => {
            let mut pairs: Vec<(Node, Node)> = items
                .chunks(2)
                .map(|p| (canonical(p[0].clone()), canonical(p[1].clone())))
                .collect();
            pairs.sort();
            Node::Aggregate(b'%', pairs.into_iter().flat_map(|(k, v)| [k, v]).collect())
        }
        Node::Aggregate(kind, items) => {
            let mut items: Vec<Node> = items.into_iter().map(canonical).collect();
            items.sort();
            Node::Aggregate(kind, items)
        }
        scalar => scalar,
    }
}

/// The reply with scalar contents blanked.
fn shape(node: &Node) -> Node {
    match node {
        Node::Scalar(kind, _) => Node::Scalar(*kind, Vec::new()),
        Node::Aggregate(kind, items) => Node::Aggregate(*kind, items.iter().map(shape).collect()),
    }
}

/// Section headers and field names of INFO-style text.
fn field_names(reply: &[u8]) -> Vec<String> {
    let node = parse_reply(reply);
    let text = match node {
        Node::Scalar(_, body) => body,
        Node::Aggregate(..) => return vec!["<aggregate>".to_string()],
    };
    let text = String::from_utf8_lossy(&text).into_owned();
    let text = text.strip_prefix("txt:").unwrap_or(&text).to_string();
    text.split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|l| l.split(':').next().unwrap_or(l).to_string())
        // zedis's own identity (`zedis_version`…) is added to Redis's fields on purpose.
        .filter(|name| !name.starts_with("zedis_"))
        .collect()
}

/// Field names with the names of their `name=value` parts, sorted: `x:p50=1,p99=2` gives
/// `x:p50,p99`.
fn field_set(reply: &[u8]) -> Vec<String> {
    let node = parse_reply(reply);
    let Node::Scalar(_, body) = node else {
        return vec!["<aggregate>".to_string()];
    };
    let text = String::from_utf8_lossy(&body).into_owned();
    let text = text.strip_prefix("txt:").unwrap_or(&text).to_string();
    let mut fields: Vec<String> = text
        .split("\r\n")
        .filter(|l| !l.is_empty())
        .map(|line| match line.split_once(':') {
            Some((name, value)) => {
                let parts: Vec<&str> = value
                    .split(',')
                    .filter_map(|part| part.split_once('=').map(|(k, _)| k))
                    .collect();
                format!("{name}:{}", parts.join(","))
            }
            None => line.to_string(),
        })
        .collect();
    fields.sort();
    fields
}

fn replies_match(compare: &Compare, redis: &[u8], zedis: &[u8]) -> bool {
    if redis.starts_with(b"<closed>") || zedis.starts_with(b"<closed>") {
        return redis == zedis;
    }
    match compare {
        Compare::Exact => redis == zedis,
        Compare::Unordered => canonical(parse_reply(redis)) == canonical(parse_reply(zedis)),
        Compare::Shape => shape(&parse_reply(redis)) == shape(&parse_reply(zedis)),
        Compare::Fields => field_names(redis) == field_names(zedis),
        Compare::FieldSet => field_set(redis) == field_set(zedis),
        Compare::Ignore | Compare::Differs(_) => true,
    }
}

/// Outcome of one scenario file under one protocol.
#[derive(Debug, Default)]
pub struct Report {
    pub steps: usize,
    pub mismatches: Vec<Mismatch>,
    /// Known differences met: (line, command, reason).
    pub known: Vec<(usize, String, String)>,
}

/// Runs a scenario file against both servers (fresh databases) under `protocol`.
pub fn run(path: &Path, redis_port: u16, zedis_port: u16, protocol: Protocol) -> Report {
    let text = std::fs::read_to_string(path).expect("scenario file");
    let file = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let open = |port: u16| {
        let mut connection = RawConnection::connect(port);
        if protocol == Protocol::Resp3 {
            connection.call(&[b"HELLO", b"3"]);
        }
        connection
    };
    let mut redis = open(redis_port);
    let mut zedis = open(zedis_port);
    redis.call(&[b"FLUSHALL"]);
    zedis.call(&[b"FLUSHALL"]);
    // A closed connection counts as the reply `<closed>`; the next step reconnects.
    let call = |connection: &mut RawConnection, port: u16, args: &[&[u8]]| {
        connection.send(args);
        match connection.read_reply() {
            Some(reply) => reply,
            None => {
                *connection = open(port);
                b"<closed>".to_vec()
            }
        }
    };
    let mut report = Report::default();
    for step in parse_steps(&text) {
        if step.only.is_some_and(|p| p != protocol) {
            continue;
        }
        if step.sleep_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(step.sleep_ms));
        }
        let args: Vec<&[u8]> = step.args.iter().map(Vec::as_slice).collect();
        let expected = call(&mut redis, redis_port, &args);
        let actual = call(&mut zedis, zedis_port, &args);
        report.steps += 1;
        if let Compare::Differs(reason) = &step.compare {
            report
                .known
                .push((step.line, step.text.clone(), reason.clone()));
        }
        if !replies_match(&step.compare, &expected, &actual) {
            report.mismatches.push(Mismatch {
                file: file.clone(),
                line: step.line,
                command: step.text.clone(),
                protocol,
                redis: expected,
                zedis: actual,
            });
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annotations_parse() {
        let steps = parse_steps(
            "# c\nSET k \"a b\"\nSMEMBERS s #! unordered resp3\nX #! differs why not\n",
        );
        assert_eq!(steps.len(), 3);
        assert_eq!(
            steps[0].args,
            vec![b"SET".to_vec(), b"k".to_vec(), b"a b".to_vec()]
        );
        assert_eq!(steps[1].compare, Compare::Unordered);
        assert_eq!(steps[1].only, Some(Protocol::Resp3));
        assert_eq!(steps[2].compare, Compare::Differs("why not".to_string()));
    }

    #[test]
    fn comparisons() {
        assert!(replies_match(
            &Compare::Unordered,
            b"*2\r\n$1\r\na\r\n$1\r\nb\r\n",
            b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"
        ));
        assert!(!replies_match(
            &Compare::Unordered,
            b"*1\r\n$1\r\na\r\n",
            b"*1\r\n$1\r\nb\r\n"
        ));
        assert!(replies_match(&Compare::Shape, b":1\r\n", b":2\r\n"));
        assert!(!replies_match(&Compare::Shape, b":1\r\n", b"$1\r\n1\r\n"));
        assert!(replies_match(
            &Compare::Fields,
            b"$10\r\n# A\r\nx:1\r\n",
            b"$10\r\n# A\r\nx:2\r\n"
        ));
        assert!(replies_match(
            &Compare::Fields,
            b"$10\r\n# A\r\nx:1\r\n",
            b"$25\r\n# A\r\nx:2\r\nzedis_version:1\r\n"
        ));
        assert!(!replies_match(
            &Compare::Fields,
            b"$10\r\n# A\r\nx:1\r\n",
            b"$21\r\n# A\r\nx:2\r\nversion:1\r\n"
        ));
        assert!(replies_match(
            &Compare::FieldSet,
            b"$20\r\ny:p5=1,p9=2\r\nx:k=9\r\n",
            b"$20\r\nx:k=1\r\ny:p5=3,p9=4\r\n"
        ));
        assert!(!replies_match(
            &Compare::FieldSet,
            b"$20\r\ny:p5=1,p9=2\r\nx:k=9\r\n",
            b"$20\r\nx:k=1\r\ny:p5=3,p1=4\r\n"
        ));
        assert!(replies_match(
            &Compare::Unordered,
            b"%2\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n:2\r\n",
            b"%2\r\n$1\r\nb\r\n:2\r\n$1\r\na\r\n:1\r\n"
        ));
    }
}
