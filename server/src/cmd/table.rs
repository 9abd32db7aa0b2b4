//! The command table: every command zedis implements, and the lookup by name.
//!
//! Each command is one `Command` value with its metadata next to its handler's family. At
//! startup the table is flattened into [`Entry`]s — containers and their subcommands each get
//! an index, which per-command statistics use — and indexed by lower-case name.

use std::collections::HashMap;
use std::sync::OnceLock;

use super::errors::{self, CmdError};
use super::key_specs::{KeySpec, LegacyRange};
use super::{Args, Command};
use crate::config::RenameCommand;
use crate::config::file::ConfigError;

/// A command or subcommand in the flattened table.
pub struct Entry {
    pub command: &'static Command,
    /// `get`, or `config|get` for a subcommand (the name errors and statistics use).
    pub full_name: String,
    /// Position in the table (index of per-command statistics).
    pub index: usize,
    /// For a subcommand, its container's index.
    pub parent: Option<usize>,
    /// For a container, its subcommands by lower-case name.
    subcommands: HashMap<Box<[u8]>, usize, foldhash::fast::RandomState>,
    /// Where its keys are and how it uses them.
    pub key_specs: &'static [KeySpec],
    /// First key, last key, step and `movablekeys`, derived from the key specifications.
    pub legacy_range: LegacyRange,
    /// Taken out of the table by `rename-command <name> ""`: no name reaches it and `COMMAND`
    /// does not list it.
    removed: bool,
}

impl Entry {
    /// The command's name, or its container's for a subcommand (`module` for `module|load`).
    pub fn top_name(&self) -> &str {
        self.full_name.split('|').next().unwrap_or(&self.full_name)
    }
}

/// All commands, indexed.
pub struct CommandTable {
    entries: Vec<Entry>,
    by_name: HashMap<Box<[u8]>, usize, foldhash::fast::RandomState>,
}

pub use crate::client::LookupCache;
use crate::client::NAME_MAX;

/// Lower-cases `name` into `buf`; `None` if it is too long to be a command name.
fn fold(name: &[u8], buf: &mut [u8; NAME_MAX]) -> Option<usize> {
    if name.len() > NAME_MAX {
        return None;
    }
    for (dst, src) in buf.iter_mut().zip(name) {
        *dst = src.to_ascii_lowercase();
    }
    Some(name.len())
}

impl CommandTable {
    fn build(commands: &'static [&'static [Command]]) -> CommandTable {
        let mut table = CommandTable {
            entries: Vec::new(),
            by_name: HashMap::default(),
        };
        for family in commands {
            for command in family.iter() {
                let index = table.push(command, command.name.to_string(), None);
                table.by_name.insert(command.name.as_bytes().into(), index);
                for sub in command.subcommands {
                    let sub_index =
                        table.push(sub, format!("{}|{}", command.name, sub.name), Some(index));
                    table.entries[index]
                        .subcommands
                        .insert(sub.name.as_bytes().into(), sub_index);
                }
            }
        }
        table
    }

    fn push(
        &mut self,
        command: &'static Command,
        full_name: String,
        parent: Option<usize>,
    ) -> usize {
        let index = self.entries.len();
        let key_specs = super::key_specs::specs_of(&full_name);
        self.entries.push(Entry {
            command,
            full_name,
            index,
            parent,
            subcommands: HashMap::default(),
            key_specs,
            legacy_range: super::key_specs::legacy_range(key_specs),
            removed: false,
        });
        index
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn entry(&self, index: usize) -> &Entry {
        &self.entries[index]
    }

    pub fn entries(&self) -> impl Iterator<Item = &Entry> {
        self.entries.iter()
    }

    /// Top-level commands (not subcommands), as `COMMAND` lists them: a renamed command under
    /// its own name, as Redis does, a removed one not at all.
    pub fn commands(&self) -> impl Iterator<Item = &Entry> {
        self.entries
            .iter()
            .filter(|e| e.parent.is_none() && !e.removed)
    }

    /// Applies `rename-command` directives in order, as Redis reads them: the command is found
    /// under its current name (so a renamed command can be renamed again), and an empty target
    /// removes it.
    fn rename(&mut self, renames: &[RenameCommand]) -> Result<(), ConfigError> {
        for rename in renames {
            let error = |reason: &str| ConfigError {
                line: rename.line,
                text: rename.text.clone(),
                reason: reason.to_string(),
            };
            let from = rename.from.to_ascii_lowercase();
            let Some(index) = self.by_name.remove(from.as_bytes()) else {
                return Err(error("No such command in rename-command"));
            };
            if rename.to.is_empty() {
                self.entries[index].removed = true;
                continue;
            }
            let to = rename.to.to_ascii_lowercase();
            if self.by_name.contains_key(to.as_bytes()) {
                return Err(error("Target command name already exists"));
            }
            self.by_name.insert(to.as_bytes().into(), index);
        }
        Ok(())
    }

    /// Subcommands of a container entry.
    pub fn subcommands_of(&self, entry: &Entry) -> impl Iterator<Item = &Entry> {
        let parent = entry.index;
        self.entries
            .iter()
            .filter(move |e| e.parent == Some(parent))
    }

    /// Finds a top-level command by name, in any case.
    pub fn find(&self, name: &[u8]) -> Option<&Entry> {
        let mut buf = [0u8; NAME_MAX];
        let index = match fold(name, &mut buf) {
            Some(len) => self.by_name.get(&buf[..len]),
            // Only a `rename-command` target is this long (redis.conf's example is a 40-digit
            // hash): the rare lookup lower-cases on the heap.
            None => self.by_name.get(name.to_ascii_lowercase().as_slice()),
        };
        index.map(|&i| &self.entries[i])
    }

    /// Finds a command or `container|sub` by its full name, in any case.
    pub fn find_full(&self, name: &[u8]) -> Option<&Entry> {
        match name.iter().position(|&b| b == b'|') {
            None => self.find(name),
            Some(bar) => {
                let container = self.find(&name[..bar])?;
                self.find_sub(container, &name[bar + 1..])
            }
        }
    }

    fn find_sub(&self, container: &Entry, name: &[u8]) -> Option<&Entry> {
        let mut buf = [0u8; NAME_MAX];
        let len = fold(name, &mut buf)?;
        container
            .subcommands
            .get(&buf[..len])
            .map(|&i| &self.entries[i])
    }

    /// [`Self::lookup`] through a client's cache of its last command. Only plain commands are
    /// cached: a container's entry depends on the next argument too.
    pub fn lookup_cached(
        &self,
        args: &Args,
        cache: &mut LookupCache,
    ) -> Result<&Entry, (Option<&Entry>, CmdError)> {
        let name = args.get(0);
        if !name.is_empty() && name == &cache.name[..cache.len as usize] {
            return Ok(&self.entries[cache.entry]);
        }
        let found = self.lookup(args);
        // A subcommand's entry came from its container's name and the next argument.
        if let Ok(entry) = found
            && entry.parent.is_none()
            && entry.command.subcommands.is_empty()
            && name.len() <= NAME_MAX
        {
            cache.name[..name.len()].copy_from_slice(name);
            cache.len = name.len() as u8;
            cache.entry = entry.index;
        }
        found
    }

    /// Resolves the command a request names — the subcommand for containers — or the error
    /// Redis replies with (and the entry it is charged to, if any).
    pub fn lookup(&self, args: &Args) -> Result<&Entry, (Option<&Entry>, CmdError)> {
        let Some(entry) = self.find(args.get(0)) else {
            return Err((None, errors::unknown_command(args.get(0), args.from(1))));
        };
        if entry.command.subcommands.is_empty() {
            return Ok(entry);
        }
        match args.try_get(1) {
            // A bare container runs its own handler if it has one (`COMMAND`); otherwise it
            // fails the container's arity.
            None if entry.command.handler.is_some() => Ok(entry),
            None => Err((Some(entry), errors::wrong_arity(&entry.full_name))),
            Some(sub) => self
                .find_sub(entry, sub)
                .ok_or_else(|| (None, errors::unknown_subcommand(sub, &entry.full_name))),
        }
    }
}

/// The families of commands, in `COMMAND` order.
static FAMILIES: &[&[Command]] = &[
    super::connection::COMMANDS,
    super::string::COMMANDS,
    super::bitmap::COMMANDS,
    super::hyperloglog::COMMANDS,
    super::list::COMMANDS,
    super::hash::COMMANDS,
    super::set::COMMANDS,
    super::zset::COMMANDS,
    super::geo::COMMANDS,
    super::keys::COMMANDS,
    super::sort::COMMANDS,
    super::dump::COMMANDS,
    super::migrate::COMMANDS,
    super::object::COMMANDS,
    super::memory::COMMANDS,
    super::server::COMMANDS,
    super::persistence::COMMANDS,
    super::debug::COMMANDS,
    super::config::COMMANDS,
    super::client::COMMANDS,
    super::introspection::COMMANDS,
    super::monitor::COMMANDS,
    super::pubsub::COMMANDS,
    super::latency::COMMANDS,
    super::tx::COMMANDS,
    super::module::COMMANDS,
    super::lolwut::COMMANDS,
    super::scripting::COMMANDS,
    super::functions::COMMANDS,
    super::replication::COMMANDS,
    super::cluster::COMMANDS,
];

static TABLE: OnceLock<CommandTable> = OnceLock::new();

/// The process-wide command table.
pub fn table() -> &'static CommandTable {
    TABLE.get_or_init(|| CommandTable::build(FAMILIES))
}

/// Builds the process-wide table with the config file's `rename-command` directives applied;
/// their errors are Redis's. Must run before anything uses [`table`], as the renames hold for
/// the whole process.
pub fn install_renames(renames: &[RenameCommand]) -> Result<(), ConfigError> {
    let mut renamed = CommandTable::build(FAMILIES);
    renamed.rename(renames)?;
    TABLE.set(renamed).map_err(|_| ConfigError {
        line: None,
        text: String::new(),
        reason: "the command table was in use before rename-command applied".to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rename(line: usize, from: &str, to: &str) -> RenameCommand {
        RenameCommand {
            line: Some(line),
            text: format!("rename-command {from} \"{to}\""),
            from: from.to_string(),
            to: to.to_string(),
        }
    }

    #[test]
    fn rename_command_moves_removes_and_refuses_as_redis() {
        let mut table = CommandTable::build(FAMILIES);
        let listed = table.commands().count();
        table
            .rename(&[
                rename(1, "CONFIG", "b840fc02d5"),
                rename(2, "flushall", ""),
                rename(3, "b840fc02d5", "cfg"),
                rename(4, "get", "B840FC02D524045429941CC15F59E41CB7BE6C52"),
            ])
            .unwrap();
        assert_eq!(
            table
                .find(b"b840fc02d524045429941cc15f59e41cb7be6c52")
                .unwrap()
                .full_name,
            "get"
        );
        assert!(table.find(b"config").is_none());
        assert!(table.find(b"b840fc02d5").is_none());
        assert_eq!(table.find(b"CFG").unwrap().full_name, "config");
        assert!(table.find(b"flushall").is_none());
        assert_eq!(table.commands().count(), listed - 1);
        assert!(table.commands().any(|e| e.full_name == "config"));

        let error = table.rename(&[rename(7, "nosuch", "x")]).unwrap_err();
        assert_eq!(error.line, Some(7));
        assert_eq!(error.reason, "No such command in rename-command");
        let error = table.rename(&[rename(8, "incr", "set")]).unwrap_err();
        assert_eq!(error.reason, "Target command name already exists");
    }

    #[test]
    fn names_are_unique_and_lower_case() {
        let table = table();
        let mut seen = std::collections::HashSet::new();
        for entry in table.entries() {
            assert!(
                seen.insert(entry.full_name.clone()),
                "{} twice",
                entry.full_name
            );
            assert_eq!(entry.full_name, entry.full_name.to_ascii_lowercase());
            assert!(entry.command.name.len() <= NAME_MAX);
            if entry.command.subcommands.is_empty() {
                assert!(
                    entry.command.handler.is_some(),
                    "{} has no handler",
                    entry.full_name
                );
            }
            if entry.parent.is_some() {
                assert!(
                    entry.command.arity.unsigned_abs() >= 2,
                    "{}",
                    entry.full_name
                );
            }
        }
    }

    #[test]
    fn lookup_folds_case_and_resolves_subcommands() {
        let table = table();
        assert_eq!(table.find(b"PiNg").unwrap().full_name, "ping");
        assert_eq!(
            table.find_full(b"CONFIG|get").unwrap().full_name,
            "config|get"
        );
        assert!(table.find(b"nope").is_none());
    }

    #[test]
    fn cached_lookup_resolves_as_the_table_does() {
        let table = table();
        let mut cache = LookupCache::default();
        let resolve = |cache: &mut LookupCache, request: &[&[u8]]| {
            let owned = crate::cmd::OwnedArgs::from_slices(request);
            match table.lookup_cached(&owned.args(), cache) {
                Ok(entry) => entry.full_name.clone(),
                Err((_, error)) => format!("error: {error:?}"),
            }
        };
        // Repeats hit the cache and give the same entry; other names and spellings replace it.
        for request in [
            &[b"GET".as_slice(), b"k"][..],
            &[b"GET", b"k"],
            &[b"get", b"k"],
            &[b"SET", b"k", b"v"],
            &[b"SET", b"k", b"v"],
        ] {
            let owned = crate::cmd::OwnedArgs::from_slices(request);
            let expected = table
                .lookup(&owned.args())
                .ok()
                .map(|e| e.full_name.clone());
            assert_eq!(Some(resolve(&mut cache, request)), expected, "{request:?}");
        }
        // Containers are not cached: their entry depends on the subcommand.
        assert_eq!(
            resolve(&mut cache, &[b"CONFIG", b"GET", b"x"]),
            "config|get"
        );
        assert_eq!(
            resolve(&mut cache, &[b"CONFIG", b"SET", b"x", b"y"]),
            "config|set"
        );
        // Unknown names never match a cached one, nor does the empty name.
        assert!(resolve(&mut cache, &[b"SE", b"k"]).starts_with("error"));
        assert_eq!(resolve(&mut cache, &[b"PING"]), "ping");
        assert!(resolve(&mut cache, &[b""]).starts_with("error"));
        assert!(resolve(&mut cache, &[b"PINGX"]).starts_with("error"));
    }
}
