//! Error replies, with Redis 7.0's exact words, kept in one place so commands and tests share
//! them.

use std::borrow::Cow;

/// An error reply: the text after the `-`, starting with its code (`ERR`, `WRONGTYPE`, …).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CmdError(Cow<'static, str>);

impl CmdError {
    pub const fn new(text: &'static str) -> CmdError {
        CmdError(Cow::Borrowed(text))
    }

    pub fn owned(text: String) -> CmdError {
        CmdError(Cow::Owned(text))
    }

    pub fn text(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for CmdError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// An allocation a command needs failed: the command replies with [`OUT_OF_MEMORY`] and, as
/// every such path is written, changes nothing.
impl From<zmalloc::AllocError> for CmdError {
    fn from(_: zmalloc::AllocError) -> CmdError {
        OUT_OF_MEMORY
    }
}

/// A collection could not reserve room for what the command adds.
impl From<std::collections::TryReserveError> for CmdError {
    fn from(_: std::collections::TryReserveError) -> CmdError {
        OUT_OF_MEMORY
    }
}

/// What a command handler returns: its reply is written, or an error replaces it.
pub type CmdResult = Result<(), CmdError>;

/// A write while fewer replicas than `min-replicas-to-write` are in reach.
pub const NOREPLICAS: CmdError = CmdError::new("NOREPLICAS Not enough good replicas to write.");
/// A write sent to a read-only replica.
pub const READONLY_REPLICA: CmdError =
    CmdError::new("READONLY You can't write against a read only replica.");
/// A command a replica whose link is down refuses with `replica-serve-stale-data no`.
pub const MASTERDOWN: CmdError = CmdError::new(
    "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'.",
);
pub const SYNTAX: CmdError = CmdError::new("ERR syntax error");
pub const WRONG_TYPE: CmdError =
    CmdError::new("WRONGTYPE Operation against a key holding the wrong kind of value");
pub const NOT_INTEGER: CmdError = CmdError::new("ERR value is not an integer or out of range");
pub const NOT_FLOAT: CmdError = CmdError::new("ERR value is not a valid float");
pub const NO_AUTH: CmdError = CmdError::new("NOAUTH Authentication required.");
pub const WRONG_PASS: CmdError =
    CmdError::new("WRONGPASS invalid username-password pair or user is disabled.");
/// Writes refused after a failed background save (`stop-writes-on-bgsave-error`).
pub const MISCONF: CmdError = CmdError::new(
    "MISCONF Redis is configured to save RDB snapshots, but it's currently unable to persist to disk. Commands that may modify the data set are disabled, because this instance is configured to report errors during writes if RDB snapshotting fails (stop-writes-on-bgsave-error option). Please check the Redis logs for details about the RDB error.",
);
/// Commands without the `loading` flag while the RDB file loads.
pub const LOADING: CmdError = CmdError::new("LOADING Redis is loading the dataset in memory");
/// Commands other than `SCRIPT KILL`, `SHUTDOWN NOSAVE` and the connection's own while a script
/// runs past `busy-reply-threshold`.
pub const BUSY_SCRIPT: CmdError = CmdError::new(
    "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.",
);
/// The same while the script is a function.
pub const BUSY_FUNCTION: CmdError = CmdError::new(
    "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE.",
);
pub const OOM: CmdError = CmdError::new("OOM command not allowed when used memory > 'maxmemory'.");
pub const DB_INDEX_OUT_OF_RANGE: CmdError = CmdError::new("ERR DB index is out of range");
pub const NO_SUCH_KEY: CmdError = CmdError::new("ERR no such key");
pub const EXEC_ABORT: CmdError =
    CmdError::new("EXECABORT Transaction discarded because of previous errors.");
pub const NOT_IN_MULTI: CmdError = CmdError::new("ERR Command not allowed inside a transaction");
pub const STRING_TOO_LONG: CmdError =
    CmdError::new("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
pub const OVERFLOW: CmdError = CmdError::new("ERR increment or decrement would overflow");
pub const TIMEOUT_NOT_FLOAT: CmdError = CmdError::new("ERR timeout is not a float or out of range");
pub const TIMEOUT_NEGATIVE: CmdError = CmdError::new("ERR timeout is negative");
pub const MUST_BE_POSITIVE: CmdError = CmdError::new("ERR value is out of range, must be positive");
pub const NUMKEYS_POSITIVE: CmdError = CmdError::new("ERR numkeys should be greater than 0");
pub const INDEX_OUT_OF_RANGE: CmdError = CmdError::new("ERR index out of range");
pub const OUT_OF_MEMORY: CmdError =
    CmdError::new("ERR out of memory: the allocation this command needs cannot be satisfied");

/// `ERR wrong number of arguments for '<name>' command`; `name` is lower case, `container|sub`
/// for subcommands.
pub fn wrong_arity(name: &str) -> CmdError {
    CmdError::owned(format!(
        "ERR wrong number of arguments for '{name}' command"
    ))
}

/// A user-supplied string as C's `%.<max>s` prints it: cut at a NUL byte or after `max` bytes.
fn preview(bytes: &[u8], max: usize) -> String {
    let end = bytes
        .iter()
        .position(|&b| b == 0)
        .unwrap_or(bytes.len())
        .min(max);
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// `ERR unknown command '<name>', with args beginning with: '<a>' '<b>' …`: as in Redis,
/// arguments are appended while the argument text is shorter than 128 bytes, each cut to the
/// room left.
pub fn unknown_command<'a>(name: &[u8], rest: impl IntoIterator<Item = &'a [u8]>) -> CmdError {
    let mut shown = String::new();
    for arg in rest {
        if shown.len() >= 128 {
            break;
        }
        let room = 128 - shown.len();
        shown.push('\'');
        shown.push_str(&preview(arg, room));
        shown.push_str("' ");
    }
    CmdError::owned(format!(
        "ERR unknown command '{}', with args beginning with: {shown}",
        preview(name, 128)
    ))
}

/// `ERR unknown subcommand '<sub>'. Try <CONTAINER> HELP.`
pub fn unknown_subcommand(sub: &[u8], container: &str) -> CmdError {
    CmdError::owned(format!(
        "ERR unknown subcommand '{}'. Try {} HELP.",
        preview(sub, 128),
        container.to_ascii_uppercase()
    ))
}

/// `ERR unknown subcommand or wrong number of arguments for '<sub>'. Try <CONTAINER> HELP.`
pub fn unknown_subcommand_or_arity(sub: &[u8], container: &str) -> CmdError {
    CmdError::owned(format!(
        "ERR unknown subcommand or wrong number of arguments for '{}'. Try {} HELP.",
        preview(sub, 128),
        container.to_ascii_uppercase()
    ))
}

/// `EXECABORT Transaction discarded because of: <error>` (an error raised at `EXEC` itself).
pub fn exec_abort_because(error: &CmdError) -> CmdError {
    CmdError::owned(format!(
        "EXECABORT Transaction discarded because of: {}",
        error.text()
    ))
}

/// Refusal of a protected command (`DEBUG`) that `enable-debug-command` does not allow.
pub fn protected_command(name: &str) -> CmdError {
    CmdError::owned(format!(
        "ERR {} command not allowed. If the enable-{}-command option is set to \"local\", you \
         can run it from a local connection, otherwise you need to set this option in the \
         configuration file, and then restart the server.",
        name.to_ascii_uppercase(),
        name
    ))
}
