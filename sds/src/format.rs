//! Formatting into an [`Sds`]: integers (`sdsfromlonglong`), Redis's fast `%` subset
//! (`sdscatfmt`), Rust's `format_args!` (standing in for `sdscatprintf`) and templates
//! (`sdstemplate`).

use std::fmt::{self, Write};

use crate::Sds;

/// One argument of [`Sds::cat_fmt`].
#[derive(Debug, Clone, Copy)]
pub enum FmtArg<'a> {
    /// For `%s` (a C string in Redis) and `%S` (an sds): bytes appended as they are.
    Bytes(&'a [u8]),
    /// For `%i` (int) and `%I` (int64).
    Int(i64),
    /// For `%u` (unsigned) and `%U` (uint64).
    Uint(u64),
}

impl<'a> From<&'a [u8]> for FmtArg<'a> {
    fn from(bytes: &'a [u8]) -> FmtArg<'a> {
        FmtArg::Bytes(bytes)
    }
}

impl<'a> From<&'a str> for FmtArg<'a> {
    fn from(text: &'a str) -> FmtArg<'a> {
        FmtArg::Bytes(text.as_bytes())
    }
}

impl<'a> From<&'a Sds> for FmtArg<'a> {
    fn from(s: &'a Sds) -> FmtArg<'a> {
        FmtArg::Bytes(s.as_bytes())
    }
}

impl From<i64> for FmtArg<'_> {
    fn from(value: i64) -> FmtArg<'static> {
        FmtArg::Int(value)
    }
}

impl From<u64> for FmtArg<'_> {
    fn from(value: u64) -> FmtArg<'static> {
        FmtArg::Uint(value)
    }
}

/// A format verb did not match its argument, or the arguments ran out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("format verb %{verb} has no matching argument")]
pub struct FmtError {
    /// The verb that found no suitable argument.
    pub verb: char,
}

/// A template named a variable the callback could not expand, or ended inside one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("invalid template")]
pub struct TemplateError;

impl Sds {
    /// The decimal form of `value` (`sdsfromlonglong`).
    pub fn from_i64(value: i64) -> Sds {
        Sds::new(itoa::Buffer::new().format(value).as_bytes())
    }

    /// Appends Rust-formatted text (`sdscatprintf`): `s.cat_fmt_args(format_args!("{x}"))`.
    pub fn cat_fmt_args(&mut self, args: fmt::Arguments<'_>) {
        // Writing into an Sds cannot fail.
        let _ = self.write_fmt(args);
    }

    /// Appends `fmt` with Redis's fast subset of verbs (`sdscatfmt`): `%s` and `%S` take
    /// bytes, `%i` and `%I` a signed integer, `%u` and `%U` an unsigned one, `%%` is a percent
    /// sign; `%` before any other byte stands for that byte and takes no argument.
    pub fn cat_fmt(&mut self, fmt: &str, args: &[FmtArg<'_>]) -> Result<(), FmtError> {
        let mut args = args.iter();
        let mut pieces = fmt.as_bytes().split(|&b| b == b'%');
        if let Some(first) = pieces.next() {
            self.cat(first);
        }
        let mut escaped_percent = false;
        for piece in pieces {
            // `piece` follows a '%': its first byte is the verb.
            if escaped_percent {
                // The '%' before this piece was the verb of "%%": a literal percent sign
                // already written; this piece is plain text.
                escaped_percent = false;
                self.cat(piece);
                continue;
            }
            let Some((&verb, text)) = piece.split_first() else {
                // "%%" (or a trailing '%'): the next piece starts after the literal '%'.
                self.cat(b"%");
                escaped_percent = true;
                continue;
            };
            let mut itoa = itoa::Buffer::new();
            match verb {
                b's' | b'S' | b'i' | b'I' | b'u' | b'U' => match (verb, args.next()) {
                    (b's' | b'S', Some(FmtArg::Bytes(bytes))) => self.cat(bytes),
                    (b'i' | b'I', Some(FmtArg::Int(v))) => self.cat(itoa.format(*v).as_bytes()),
                    (b'u' | b'U', Some(FmtArg::Uint(v))) => self.cat(itoa.format(*v).as_bytes()),
                    _ => return Err(FmtError { verb: verb as char }),
                },
                other => self.cat(&[other]),
            }
            self.cat(text);
        }
        Ok(())
    }

    /// Expands `{name}` variables in `template` through `expand` (`sdstemplate`); `{{` is a
    /// literal `{`. Fails if a variable is unterminated or `expand` returns `None`.
    pub fn template(
        template: &str,
        mut expand: impl FnMut(&str) -> Option<Sds>,
    ) -> Result<Sds, TemplateError> {
        let mut result = Sds::empty();
        let mut rest = template;
        while !rest.is_empty() {
            let Some(open) = rest.find('{') else {
                result.cat(rest.as_bytes());
                break;
            };
            result.cat(&rest.as_bytes()[..open]);
            let after = &rest[open + 1..];
            if after.is_empty() {
                return Err(TemplateError);
            }
            if let Some(quoted) = after.strip_prefix('{') {
                result.cat(b"{");
                rest = quoted;
                continue;
            }
            let close = after.find('}').ok_or(TemplateError)?;
            let value = expand(&after[..close]).ok_or(TemplateError)?;
            result.cat_sds(&value);
            rest = &after[close + 1..];
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_format_in_decimal() {
        assert_eq!(Sds::from_i64(0), "0");
        assert_eq!(Sds::from_i64(-123), "-123");
        assert_eq!(Sds::from_i64(i64::MIN), "-9223372036854775808");
        assert_eq!(Sds::from_i64(i64::MAX), "9223372036854775807");
    }

    #[test]
    fn cat_fmt_handles_every_verb() {
        let mut s = Sds::from("--");
        let name = Sds::from("sds");
        s.cat_fmt(
            "%s:%S %i %I %u %U %% 100%% %x|",
            &[
                "str".into(),
                (&name).into(),
                (-5i64).into(),
                i64::MIN.into(),
                7u64.into(),
                u64::MAX.into(),
            ],
        )
        .unwrap();
        assert_eq!(
            s,
            "--str:sds -5 -9223372036854775808 7 18446744073709551615 % 100% x|"
        );
        let mut s = Sds::empty();
        assert_eq!(s.cat_fmt("%i", &["no".into()]), Err(FmtError { verb: 'i' }));
        assert_eq!(
            s.cat_fmt("%s %s", &["one".into()]),
            Err(FmtError { verb: 's' })
        );
        let mut s = Sds::empty();
        s.cat_fmt("trailing %", &[]).unwrap();
        assert_eq!(s, "trailing %");
    }

    #[test]
    fn cat_fmt_args_is_sdscatprintf() {
        let mut s = Sds::from("x=");
        s.cat_fmt_args(format_args!("{}-{:.2}", 42, 1.5));
        assert_eq!(s, "x=42-1.50");
    }

    #[test]
    fn templates_expand_and_quote() {
        let lookup = |name: &str| match name {
            "variable1" => Some(Sds::from("value1")),
            "variable2" => Some(Sds::from("value2")),
            _ => None,
        };
        assert_eq!(
            Sds::template("v1={variable1} v2={variable2}", lookup).unwrap(),
            "v1=value1 v2=value2"
        );
        assert_eq!(
            Sds::template("{{variable1}} {{} }", lookup).unwrap(),
            "{variable1}} {} }"
        );
        assert_eq!(Sds::template("{variable1", lookup), Err(TemplateError));
        assert_eq!(Sds::template("ends with {", lookup), Err(TemplateError));
        assert_eq!(Sds::template("{unknown}", lookup), Err(TemplateError));
        assert_eq!(Sds::template("", lookup).unwrap(), "");
    }
}
