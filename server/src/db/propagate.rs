//! The effects of changes waiting to be propagated to the append-only file and to replicas:
//! Redis's `also_propagate` array.
//!
//! A change is propagated as the commands that redo it, not as the command a client sent:
//! `SET k v EX 10` becomes `SET k v PXAT <ms>`, a key found expired becomes `DEL k`. The
//! keyspace records the deletions it makes on its own (expiry, eviction) and commands record
//! their own forms; the server takes what is pending at the end of each execution unit (a
//! command, a transaction, a cron pass), wraps more than one operation in `MULTI`/`EXEC` as
//! Redis does, and feeds it to its consumers. Each operation is kept already encoded in RESP,
//! the form every consumer writes, so feeding it is a copy. Nothing is recorded while no
//! consumer exists, so a server without an AOF pays one test per change.

/// An operation goes to the append-only file (Redis's `PROPAGATE_AOF`).
pub const TO_AOF: u8 = 1;
/// An operation goes to replicas (`PROPAGATE_REPL`).
pub const TO_REPLICAS: u8 = 2;
/// Both.
pub const TO_ALL: u8 = TO_AOF | TO_REPLICAS;

/// One pending operation: its database, where its RESP text ends in [`Pending::resp`], and
/// where it goes ([`TO_AOF`], [`TO_REPLICAS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Op {
    pub db: usize,
    pub end: usize,
    pub targets: u8,
}

/// A position in the pending operations ([`Pending::mark`]).
#[derive(Debug, Clone, Copy)]
pub struct PendingMark {
    ops: usize,
    resp: usize,
}

/// How the running command itself is propagated, as its handler decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum CommandForm {
    /// As the client sent it, if it changed the dataset.
    #[default]
    AsSent,
    /// As the RESP text in [`Pending::rewritten`] (Redis's `rewriteClientCommandVector`).
    Rewritten,
    /// Not at all: the handler recorded its effects itself (`preventCommandPropagation`).
    Prevented,
}

/// Operations recorded since the last execution unit ended.
#[derive(Debug, Default)]
pub struct Pending {
    /// Whether anything consumes propagated operations (the AOF is on).
    enabled: bool,
    resp: Vec<u8>,
    ops: Vec<Op>,
    /// The running command's form, and its rewritten text.
    form: CommandForm,
    rewritten: Vec<u8>,
    /// Where the running command is propagated even if it changed nothing
    /// (`forceCommandPropagation`: FLUSHALL on an empty server to both, PUBLISH to replicas).
    forced: u8,
}

/// Appends a RESP array of bulk strings (Redis's `catAppendOnlyGenericCommand` form).
pub fn encode_command<'a>(out: &mut Vec<u8>, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
    let mut int = itoa::Buffer::new();
    out.push(b'*');
    out.extend_from_slice(int.format(argv.len()).as_bytes());
    out.extend_from_slice(b"\r\n");
    for arg in argv {
        out.push(b'$');
        out.extend_from_slice(int.format(arg.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
}

impl Pending {
    /// Starts or stops recording (the AOF turned on or off). Stopping drops what is pending.
    pub fn set_enabled(&mut self, enabled: bool) {
        self.enabled = enabled;
        if !enabled {
            self.resp.clear();
            self.ops.clear();
        }
    }

    #[inline]
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// Records one operation in database `db`, if anything consumes them.
    pub fn push<'a>(&mut self, db: usize, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
        if self.enabled {
            encode_command(&mut self.resp, argv);
            self.ops.push(Op {
                db,
                end: self.resp.len(),
                targets: TO_ALL,
            });
        }
    }

    /// Records the deletion of `key` (`DEL`, or `UNLINK` when its value is freed lazily), as
    /// Redis's `propagateDeletion` does for expired and evicted keys.
    pub fn deletion(&mut self, db: usize, key: &[u8], lazy: bool) {
        let command: &[u8] = if lazy { b"UNLINK" } else { b"DEL" };
        self.push(db, [command, key].into_iter());
    }

    /// The running command is to be propagated as `argv` instead of as sent.
    pub fn rewrite_command<'a>(&mut self, argv: impl ExactSizeIterator<Item = &'a [u8]>) {
        if self.enabled {
            self.rewritten.clear();
            encode_command(&mut self.rewritten, argv);
            self.form = CommandForm::Rewritten;
        }
    }

    /// The running command is not propagated itself (what it recorded with [`Self::push`]
    /// still is).
    pub fn prevent_command(&mut self) {
        self.form = CommandForm::Prevented;
    }

    /// The running command is propagated even if the dataset did not change.
    pub fn force_command(&mut self) {
        self.forced = TO_ALL;
    }

    /// The running command goes to replicas even if the dataset did not change (`PUBLISH`).
    pub fn force_command_to_replicas(&mut self) {
        self.forced |= TO_REPLICAS;
    }

    /// Operations recorded since `mark` go only to `targets` (a script's `redis.set_repl`);
    /// those left with nowhere to go are dropped.
    pub fn restrict_since(&mut self, mark: PendingMark, targets: u8) {
        if targets & TO_ALL == TO_ALL {
            return;
        }
        if targets & TO_ALL == 0 {
            self.rollback(mark);
            return;
        }
        for op in &mut self.ops[mark.ops..] {
            op.targets &= targets;
        }
    }

    /// Ends the running command: records it in the form its handler chose when it `changed`
    /// the dataset (or was forced to propagate), with `sent` as its arguments as sent.
    pub fn finish_command<'a>(
        &mut self,
        db: usize,
        changed: bool,
        sent: impl ExactSizeIterator<Item = &'a [u8]>,
    ) {
        let form = std::mem::take(&mut self.form);
        let forced = std::mem::take(&mut self.forced);
        let targets = if changed { TO_ALL } else { forced };
        if !self.enabled || targets == 0 {
            return;
        }
        match form {
            CommandForm::AsSent => encode_command(&mut self.resp, sent),
            CommandForm::Rewritten => self.resp.extend_from_slice(&self.rewritten),
            CommandForm::Prevented => return,
        }
        self.ops.push(Op {
            db,
            end: self.resp.len(),
            targets,
        });
    }

    /// Where the pending operations end now, to [`Self::rollback`] to.
    pub fn mark(&self) -> PendingMark {
        PendingMark {
            ops: self.ops.len(),
            resp: self.resp.len(),
        }
    }

    /// Forgets the operations recorded since `mark` (a script's command run under
    /// `redis.set_repl` without the AOF).
    pub fn rollback(&mut self, mark: PendingMark) {
        self.ops.truncate(mark.ops);
        self.resp.truncate(mark.resp);
    }

    pub fn is_empty(&self) -> bool {
        self.ops.is_empty()
    }

    pub fn len(&self) -> usize {
        self.ops.len()
    }

    /// The pending operations in order, each as its database and RESP text.
    pub fn iter(&self) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        self.iter_to(TO_ALL)
    }

    /// The pending operations that go to any of `targets`, in order.
    pub fn iter_to(&self, targets: u8) -> impl Iterator<Item = (usize, &[u8])> + '_ {
        let mut start = 0;
        self.ops.iter().filter_map(move |op| {
            let text = &self.resp[start..op.end];
            start = op.end;
            (op.targets & targets != 0).then_some((op.db, text))
        })
    }

    /// Forgets the pending operations once fed (the buffers keep their room).
    pub fn clear(&mut self) {
        self.resp.clear();
        self.ops.clear();
        // A burst (FLUSHALL of a huge expiry backlog, a big transaction) should not pin its
        // buffer for good.
        if self.resp.capacity() > 64 * 1024 {
            self.resp = Vec::new();
            self.ops = Vec::new();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_recorded_only_while_something_consumes_them() {
        let mut pending = Pending::default();
        pending.deletion(0, b"k", false);
        assert!(pending.is_empty());
        pending.set_enabled(true);
        pending.deletion(3, b"k", false);
        pending.deletion(0, b"key2", true);
        let ops: Vec<_> = pending.iter().collect();
        assert_eq!(
            ops,
            vec![
                (3, &b"*2\r\n$3\r\nDEL\r\n$1\r\nk\r\n"[..]),
                (0, &b"*2\r\n$6\r\nUNLINK\r\n$4\r\nkey2\r\n"[..]),
            ]
        );
        pending.clear();
        assert!(pending.is_empty());
        pending.push(1, [&b"SET"[..], b"", b"v"].into_iter());
        assert_eq!(
            pending.iter().next(),
            Some((1, &b"*3\r\n$3\r\nSET\r\n$0\r\n\r\n$1\r\nv\r\n"[..]))
        );
        pending.set_enabled(false);
        assert!(pending.is_empty());
    }

    #[test]
    fn a_command_is_recorded_in_the_form_its_handler_chose() {
        let mut pending = Pending::default();
        pending.set_enabled(true);
        let sent = [&b"INCR"[..], b"n"];
        pending.finish_command(0, false, sent.into_iter());
        assert!(pending.is_empty(), "nothing changed");
        pending.force_command();
        pending.finish_command(0, false, sent.into_iter());
        pending.finish_command(0, true, sent.into_iter());
        pending.rewrite_command([&b"SET"[..], b"n", b"1"].into_iter());
        pending.finish_command(2, true, sent.into_iter());
        pending.deletion(0, b"x", false);
        pending.prevent_command();
        pending.finish_command(0, true, sent.into_iter());
        let ops: Vec<_> = pending
            .iter()
            .map(|(db, text)| (db, text.to_vec()))
            .collect();
        let incr = b"*2\r\n$4\r\nINCR\r\n$1\r\nn\r\n".to_vec();
        assert_eq!(
            ops,
            vec![
                (0, incr.clone()),
                (0, incr),
                (2, b"*3\r\n$3\r\nSET\r\n$1\r\nn\r\n$1\r\n1\r\n".to_vec()),
                (0, b"*2\r\n$3\r\nDEL\r\n$1\r\nx\r\n".to_vec()),
            ]
        );
    }
}
