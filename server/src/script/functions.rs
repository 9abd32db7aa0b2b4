//! Function libraries as Redis 7.0 keeps them (`functions.c`): each library's code and the
//! functions it registered, the names `FCALL` finds them by, and the rules for loading,
//! replacing, restoring and deleting libraries. The code itself runs in a [`FunctionEngine`];
//! what is kept here is what `FUNCTION LIST`, `DUMP` and the RDB give back.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use super::function_lua::{FunctionEngine, Registered};

/// The one engine, as `FUNCTION LIST` and `FUNCTION STATS` name it.
pub const ENGINE_NAME: &str = "LUA";

/// How long a library's code may run at `FUNCTION LOAD` (`LOAD_TIMEOUT_MS`).
pub const LOAD_TIMEOUT: Duration = Duration::from_millis(500);

/// Redis's error for a bad library or function name (it names libraries for both).
pub const BAD_NAME: &str = "Library names can only contain letters, numbers, or underscores(_) \
                            and must be at least one character long";

pub struct Library {
    pub name: String,
    /// The whole code, shebang line included, as `FUNCTION LIST WITHCODE`, `FUNCTION DUMP`
    /// and the RDB give it back.
    pub code: Vec<u8>,
    /// In registration order.
    pub functions: Vec<Registered>,
}

#[derive(Default)]
pub struct Libraries {
    /// By name: library names are case-sensitive.
    libraries: BTreeMap<String, Library>,
    /// Function names lowercased (`FCALL` finds them case-insensitively) → their library.
    functions: HashMap<String, String>,
}

impl Libraries {
    pub fn is_empty(&self) -> bool {
        self.libraries.is_empty()
    }

    /// Libraries (`number_of_libraries`).
    pub fn len(&self) -> usize {
        self.libraries.len()
    }

    /// Functions of every library (`number_of_functions`).
    pub fn function_count(&self) -> usize {
        self.functions.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Library> {
        self.libraries.values()
    }

    pub fn get(&self, name: &str) -> Option<&Library> {
        self.libraries.get(name)
    }

    /// Each library's code, as an RDB file, `FUNCTION DUMP` and an AOF rewrite write them.
    pub fn codes(&self) -> Vec<&[u8]> {
        self.iter().map(|l| l.code.as_slice()).collect()
    }

    /// The function `FCALL` names, whatever its case.
    pub fn function(&self, name: &[u8]) -> Option<&Registered> {
        let key = std::str::from_utf8(name).ok()?.to_ascii_lowercase();
        let library = self.libraries.get(self.functions.get(&key)?)?;
        library
            .functions
            .iter()
            .find(|f| f.name.eq_ignore_ascii_case(&key))
    }

    /// Every callback, to release with the libraries.
    pub fn callbacks(&self) -> Vec<i64> {
        self.iter()
            .flat_map(|l| l.functions.iter().map(|f| f.callback))
            .collect()
    }

    /// Bytes the libraries hold outside the Lua heap (`used_memory_functions`): their code,
    /// names, descriptions and index entries.
    pub fn memory(&self) -> usize {
        let entry = std::mem::size_of::<String>() * 2;
        let libraries: usize = self
            .iter()
            .map(|l| {
                std::mem::size_of::<Library>()
                    + entry
                    + l.name.len() * 2
                    + l.code.capacity()
                    + l.functions.capacity() * std::mem::size_of::<Registered>()
                    + l.functions
                        .iter()
                        .map(|f| f.name.len() + f.description.as_ref().map_or(0, Vec::len))
                        .sum::<usize>()
            })
            .sum();
        let functions: usize = self.functions.keys().map(|k| k.len() + entry).sum();
        libraries + functions
    }

    fn link(&mut self, library: Library) {
        for function in &library.functions {
            self.functions
                .insert(function.name.to_ascii_lowercase(), library.name.clone());
        }
        self.libraries.insert(library.name.clone(), library);
    }

    fn unlink(&mut self, name: &str) -> Option<Library> {
        let library = self.libraries.remove(name)?;
        for function in &library.functions {
            self.functions.remove(&function.name.to_ascii_lowercase());
        }
        Some(library)
    }

    /// The first of `functions` another library already has.
    fn collision<'a>(&self, functions: &'a [Registered]) -> Option<&'a str> {
        functions
            .iter()
            .find(|f| self.functions.contains_key(&f.name.to_ascii_lowercase()))
            .map(|f| f.name.as_str())
    }
}

/// Whether `name` is a valid library or function name: letters, digits and `_`, at least one.
pub fn valid_name(name: &[u8]) -> bool {
    !name.is_empty() && name.iter().all(|&c| c.is_ascii_alphanumeric() || c == b'_')
}

/// What a library's shebang line declares (`functionExtractLibMetaData`).
struct Metadata {
    engine: Vec<u8>,
    name: Vec<u8>,
    /// Where the code after the shebang starts: at its line feed, so line numbers stay the
    /// user's.
    body: usize,
}

fn metadata(code: &[u8]) -> Result<Metadata, String> {
    if !code.starts_with(b"#!") {
        return Err("Missing library metadata".into());
    }
    let Some(end) = code.iter().position(|&b| b == b'\n') else {
        return Err("Invalid library metadata".into());
    };
    let parts = match sds::split_args(&code[..end]) {
        Ok(parts) if !parts.is_empty() => parts,
        _ => return Err("Invalid library metadata".into()),
    };
    let mut name: Option<Vec<u8>> = None;
    for part in &parts[1..] {
        if part.len() >= 5 && part[..5].eq_ignore_ascii_case(b"name=") {
            if name.is_some() {
                return Err(
                    "Invalid metadata value, name argument was given multiple times".into(),
                );
            }
            name = Some(part[5..].to_vec());
            continue;
        }
        return Err(format!(
            "Invalid metadata value given: {}",
            String::from_utf8_lossy(part)
        ));
    }
    let Some(name) = name else {
        return Err("Library name was not given".into());
    };
    Ok(Metadata {
        engine: parts[0][2..].to_vec(),
        name,
        body: end,
    })
}

/// Loads a library into `libraries` (`functionsCreateWithLibraryCtx`): its name, or the error
/// reply's text. With `replace`, a library of the same name is replaced; the libraries stay as
/// they were if anything fails.
pub fn create(
    engine: &mut FunctionEngine,
    libraries: &mut Libraries,
    code: &[u8],
    replace: bool,
    timeout: Option<Duration>,
) -> Result<String, String> {
    let md = metadata(code)?;
    if !valid_name(&md.name) {
        return Err(BAD_NAME.into());
    }
    if !md.engine.eq_ignore_ascii_case(ENGINE_NAME.as_bytes()) {
        return Err(format!(
            "Engine '{}' not found",
            String::from_utf8_lossy(&md.engine)
        ));
    }
    let name = String::from_utf8_lossy(&md.name).into_owned();
    if libraries.get(&name).is_some() && !replace {
        return Err(format!("Library '{name}' already exists"));
    }
    let old = libraries.unlink(&name);
    let outcome = engine
        .create(&code[md.body..], timeout)
        .and_then(|functions| {
            let failure = if functions.is_empty() {
                Some("No functions registered".to_string())
            } else {
                libraries
                    .collision(&functions)
                    .map(|f| format!("Function {f} already exists"))
            };
            match failure {
                Some(error) => {
                    engine.release(functions.iter().map(|f| f.callback));
                    Err(error)
                }
                None => Ok(functions),
            }
        });
    match outcome {
        Ok(functions) => {
            if let Some(old) = old {
                engine.release(old.functions.iter().map(|f| f.callback));
            }
            libraries.link(Library {
                name: name.clone(),
                code: code.to_vec(),
                functions,
            });
            Ok(name)
        }
        Err(error) => {
            if let Some(old) = old {
                libraries.link(old);
            }
            Err(error)
        }
    }
}

/// `FUNCTION DELETE`: whether the library was there.
pub fn delete(engine: &mut FunctionEngine, libraries: &mut Libraries, name: &str) -> bool {
    match libraries.unlink(name) {
        Some(library) => {
            engine.release(library.functions.iter().map(|f| f.callback));
            true
        }
        None => false,
    }
}

/// Moves every library of `from` into `to` (`libraryJoin`, for `FUNCTION RESTORE`). A library
/// already in `to` is an error, or with `replace` is replaced; a function name another library
/// of `to` has is an error. On error `to` is as it was and `from`'s libraries are dropped.
pub fn join(
    engine: &mut FunctionEngine,
    to: &mut Libraries,
    from: Libraries,
    replace: bool,
) -> Result<(), String> {
    let mut replaced = Vec::new();
    let mut failure = None;
    for library in from.iter() {
        if to.get(&library.name).is_none() {
            continue;
        }
        if !replace {
            failure = Some(format!("Library {} already exists", library.name));
            break;
        }
        replaced.extend(to.unlink(&library.name));
    }
    if failure.is_none() {
        failure = from
            .iter()
            .find_map(|l| to.collision(&l.functions))
            .map(|f| format!("Function {f} already exists"));
    }
    if let Some(error) = failure {
        for library in replaced {
            to.link(library);
        }
        engine.release(from.callbacks());
        return Err(error);
    }
    for library in replaced {
        engine.release(library.functions.iter().map(|f| f.callback));
    }
    for (_, library) in from.libraries {
        to.link(library);
    }
    Ok(())
}
