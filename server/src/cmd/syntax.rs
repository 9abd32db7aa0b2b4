//! The argument syntax of a command as its documentation writes it (`key [NX | XX] [EX
//! seconds]`), parsed into the argument tree `COMMAND DOCS` replies with (names, types,
//! tokens, optional/multiple flags, one-of and block groups).
//!
//! Hand-written: the grammar is Redis's own documentation notation. Upper-case words are
//! tokens; a token followed by a lower-case name is that argument's token, by several names a
//! block; `[...]` is optional, `<a | b>` and `[a | b]` are one-of groups, a group ending in
//! `...` repeats what precedes it, and `""` is the empty string as a token. `name:` right
//! before a group names it where Redis's name is not derived from its parts
//! (`status:<ON | OFF>`).

/// The type of an argument, as `COMMAND DOCS` names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgType {
    Key,
    String,
    Integer,
    Double,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

impl ArgType {
    pub fn name(self) -> &'static str {
        match self {
            ArgType::Key => "key",
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }
}

/// One argument of a command's documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arg {
    pub name: String,
    pub kind: ArgType,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    /// The members of a one-of or block group.
    pub children: Vec<Arg>,
}

impl Arg {
    fn new(name: &str, kind: ArgType) -> Arg {
        Arg {
            name: name.to_string(),
            kind,
            token: None,
            optional: false,
            multiple: false,
            multiple_token: false,
            children: Vec::new(),
        }
    }

    /// Whether two arguments are the same element (a repetition repeats it).
    fn same_element(&self, other: &Arg) -> bool {
        self.name == other.name && self.kind == other.kind && self.children == other.children
    }
}

/// The type Redis gives an argument of this name.
fn type_of(name: &str) -> ArgType {
    match name {
        "key" | "source" | "destination" | "newkey" | "dst" | "src" | "key1" | "key2"
        | "destkey" | "sourcekey" => ArgType::Key,
        "pattern" => ArgType::Pattern,
        "unix-time-seconds" | "unix-time-milliseconds" => ArgType::UnixTime,
        "count" | "index" | "start" | "stop" | "end" | "offset" | "seconds" | "milliseconds"
        | "numkeys" | "db" | "index1" | "index2" | "rank" | "num-matches" | "len" | "limit"
        | "min-match-len" | "cursor" | "decrement" | "protover" | "client-id" | "number"
        | "destination-db" => ArgType::Integer,
        "score" | "weight" | "timeout" => ArgType::Double,
        _ => ArgType::String,
    }
}

fn is_token(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_uppercase())
        && word
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '_')
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Lexeme {
    Word(String),
    Open(char),
    Close(char),
    Bar,
    Ellipsis,
}

fn lex(syntax: &str) -> Vec<Lexeme> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Lexeme>| {
        if !word.is_empty() {
            out.push(Lexeme::Word(std::mem::take(word)));
        }
    };
    let chars: Vec<char> = syntax.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            c @ ('[' | '<') => {
                flush(&mut word, &mut out);
                out.push(Lexeme::Open(c));
            }
            c @ (']' | '>') => {
                flush(&mut word, &mut out);
                out.push(Lexeme::Close(c));
            }
            '|' => {
                flush(&mut word, &mut out);
                out.push(Lexeme::Bar);
            }
            '.' if chars[i..].starts_with(&['.', '.', '.']) => {
                flush(&mut word, &mut out);
                out.push(Lexeme::Ellipsis);
                i += 2;
            }
            c if c.is_whitespace() => flush(&mut word, &mut out),
            c => word.push(c),
        }
        i += 1;
    }
    flush(&mut word, &mut out);
    out
}

struct Parser {
    lexemes: Vec<Lexeme>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Lexeme> {
        self.lexemes.get(self.at)
    }

    /// Parses items until a closing bracket or `|` (not consumed); returns the sequence of
    /// arguments and whether it ended with `...`.
    fn sequence(&mut self) -> (Vec<Arg>, bool) {
        let mut items: Vec<Arg> = Vec::new();
        let mut repeats = false;
        while let Some(lexeme) = self.peek().cloned() {
            match lexeme {
                Lexeme::Close(_) | Lexeme::Bar => break,
                Lexeme::Ellipsis => {
                    self.at += 1;
                    repeats = true;
                }
                Lexeme::Word(word) => {
                    self.at += 1;
                    if let Some(name) = word.strip_suffix(':')
                        && let Some(Lexeme::Open(open)) = self.peek().cloned()
                    {
                        self.at += 1;
                        match self.group(open == '[') {
                            Group::Arg(mut arg) => {
                                arg.name = name.to_string();
                                items.push(arg);
                            }
                            Group::Repeat(repeated, with_token) => {
                                self.mark_repeated(&mut items, repeated, with_token)
                            }
                        }
                    } else if word == "\"\"" {
                        // `""`: the empty string as a token (`MIGRATE`'s key placeholder).
                        items.push(Arg {
                            token: Some(String::new()),
                            ..Arg::new("empty_string", ArgType::PureToken)
                        });
                    } else if is_token(&word) {
                        items.push(Arg {
                            token: Some(word.clone()),
                            ..Arg::new(&word.to_ascii_lowercase(), ArgType::PureToken)
                        });
                    } else {
                        items.push(Arg::new(&word, type_of(&word)));
                    }
                }
                Lexeme::Open(open) => {
                    self.at += 1;
                    let group = self.group(open == '[');
                    match group {
                        Group::Repeat(repeated, with_token) => {
                            self.mark_repeated(&mut items, repeated, with_token)
                        }
                        Group::Arg(arg) => items.push(arg),
                    }
                }
            }
        }
        (attach_tokens(items), repeats)
    }

    /// After an opening bracket: the group's alternatives up to the closing bracket.
    fn group(&mut self, optional: bool) -> Group {
        let mut alternatives = Vec::new();
        let mut repeats = false;
        loop {
            let (items, ends_with_ellipsis) = self.sequence();
            repeats |= ends_with_ellipsis;
            alternatives.push(items);
            match self.peek() {
                Some(Lexeme::Bar) => self.at += 1,
                Some(Lexeme::Close(_)) => {
                    self.at += 1;
                    break;
                }
                _ => break,
            }
        }
        if repeats && alternatives.len() == 1 {
            let items = alternatives.pop().expect("one alternative");
            let with_token = items.first().is_some_and(|a| a.token.is_some());
            return Group::Repeat(items, with_token);
        }
        let mut arg = if alternatives.len() == 1 {
            let mut items = alternatives.pop().expect("one alternative");
            if items.len() == 1 {
                items.pop().expect("one item")
            } else {
                block(items)
            }
        } else {
            let children: Vec<Arg> = alternatives
                .into_iter()
                .map(|mut items| {
                    if items.len() == 1 {
                        items.pop().expect("one item")
                    } else {
                        block(items)
                    }
                })
                .collect();
            let name = children
                .iter()
                .map(|c| c.name.as_str())
                .collect::<Vec<_>>()
                .join("-or-");
            Arg {
                children,
                ..Arg::new(&name, ArgType::OneOf)
            }
        };
        arg.optional |= optional;
        Group::Arg(arg)
    }

    /// `x [x ...]`: the repeated items are the last ones of `items`; mark them multiple.
    fn mark_repeated(&self, items: &mut Vec<Arg>, repeated: Vec<Arg>, with_token: bool) {
        let repeated = attach_tokens(repeated);
        // What precedes gets its tokens attached too, so `CONFIG name value [CONFIG name
        // value ...]` compares like with like.
        *items = attach_tokens(std::mem::take(items));
        let n = repeated.len();
        let tail = items.len().saturating_sub(n);
        let matches = items.len() >= n
            && items[tail..]
                .iter()
                .zip(&repeated)
                .all(|(a, b)| a.same_element(b));
        if !matches {
            // Not a repetition of what precedes: keep the group as an optional element.
            let mut arg = if n == 1 {
                repeated.into_iter().next().expect("one item")
            } else {
                block(repeated)
            };
            arg.optional = true;
            arg.multiple = true;
            items.push(arg);
            return;
        }
        let mut arg = if n == 1 {
            items.pop().expect("matched")
        } else {
            block(items.split_off(tail))
        };
        arg.multiple = true;
        arg.multiple_token = with_token && arg.token.is_some();
        items.push(arg);
    }
}

enum Group {
    Arg(Arg),
    /// A `[... ...]` group: the items it repeats, and whether they start with a token.
    Repeat(Vec<Arg>, bool),
}

/// A block of several arguments; a leading token becomes the block's token, unless a token
/// follows it too (`NO ONE` is a block of two tokens).
fn block(mut items: Vec<Arg>) -> Arg {
    let mut token = None;
    if items.len() > 1 && items[0].kind == ArgType::PureToken && items[1].kind != ArgType::PureToken
    {
        token = items.remove(0).token;
    }
    if items.len() == 1 {
        let mut only = items.pop().expect("one item");
        only.token = token.or(only.token);
        return only;
    }
    let name = items
        .iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join("-");
    Arg {
        token,
        children: items,
        ..Arg::new(&name, ArgType::Block)
    }
}

/// Joins each pure token directly followed by a plain argument into that argument's token
/// (`EX seconds`), and a token followed by several into a block (`LIMIT offset count`).
fn attach_tokens(items: Vec<Arg>) -> Vec<Arg> {
    let mut out: Vec<Arg> = Vec::new();
    let mut iter = items.into_iter().peekable();
    while let Some(item) = iter.next() {
        let takes_value = item.kind == ArgType::PureToken
            && !item.optional
            && iter.peek().is_some_and(|next| {
                next.kind != ArgType::PureToken && !next.optional && next.token.is_none()
            });
        if !takes_value {
            out.push(item);
            continue;
        }
        let mut values = Vec::new();
        while let Some(next) = iter.peek() {
            if next.kind == ArgType::PureToken || next.optional || next.token.is_some() {
                break;
            }
            values.push(iter.next().expect("peeked"));
        }
        let mut group = vec![item];
        group.extend(values);
        out.push(block(group));
    }
    out
}

/// Parses a syntax string into its top-level arguments.
pub fn parse(syntax: &str) -> Vec<Arg> {
    let mut parser = Parser {
        lexemes: lex(syntax),
        at: 0,
    };
    let (items, _) = parser.sequence();
    items
}

/// Renders arguments back the way `redis-cli` prints a command's hint, for tests.
#[cfg(test)]
fn render(args: &[Arg]) -> String {
    fn one(arg: &Arg) -> String {
        let token = arg.token.clone().unwrap_or_default();
        let body = match arg.kind {
            ArgType::OneOf => arg.children.iter().map(one).collect::<Vec<_>>().join("|"),
            ArgType::Block => arg.children.iter().map(one).collect::<Vec<_>>().join(" "),
            ArgType::PureToken => String::new(),
            _ => arg.name.clone(),
        };
        let head = match (token.is_empty(), body.is_empty()) {
            (true, _) => body.clone(),
            (false, true) => token.clone(),
            (false, false) => format!("{token} {body}"),
        };
        let mut out = head.clone();
        if arg.multiple {
            let repeat = if arg.multiple_token { head } else { body };
            out = format!("{out} [{repeat} ...]");
        }
        if arg.optional {
            out = format!("[{out}]");
        }
        out
    }
    args.iter().map(one).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hints_render_like_the_documentation() {
        for syntax in [
            "key",
            "key [key ...]",
            "key field value [field value ...]",
            "key value [NX | XX] [GET]",
            "key cursor [MATCH pattern] [COUNT count]",
            "key min max [WITHSCORES] [LIMIT offset count]",
            "key <BEFORE | AFTER> pivot element",
            "numkeys key [key ...] [WEIGHTS weight [weight ...]] [AGGREGATE <SUM | MIN | MAX>]",
        ] {
            let rendered = render(&parse(syntax));
            let expected = syntax.replace(" | ", "|").replace(['<', '>'], "");
            assert_eq!(rendered, expected, "{syntax}");
        }
    }

    #[test]
    fn tokens_types_and_flags() {
        let args = parse("key [EX seconds | PX milliseconds | KEEPTTL] [key2 ...]");
        assert_eq!(args[0].kind, ArgType::Key);
        let expiration = &args[1];
        assert_eq!(expiration.kind, ArgType::OneOf);
        assert!(expiration.optional);
        assert_eq!(expiration.children[0].token.as_deref(), Some("EX"));
        assert_eq!(expiration.children[0].name, "seconds");
        assert_eq!(expiration.children[0].kind, ArgType::Integer);
        assert_eq!(expiration.children[2].kind, ArgType::PureToken);
        assert_eq!(expiration.children[2].name, "keepttl");
        let pairs = parse("key score member [score member ...]");
        assert_eq!(pairs[1].kind, ArgType::Block);
        assert!(pairs[1].multiple);
        assert_eq!(pairs[1].children.len(), 2);
        let status = &parse("status:<ON | OFF> [NOLOOP]")[0];
        assert_eq!(
            (status.name.as_str(), status.kind),
            ("status", ArgType::OneOf)
        );
        assert_eq!(status.children[1].token.as_deref(), Some("OFF"));
        let limit = &parse("key [LIMIT offset count]")[1];
        assert_eq!(limit.kind, ArgType::Block);
        assert_eq!(limit.token.as_deref(), Some("LIMIT"));
        assert!(limit.optional);
    }
}
