//! Build facts for `INFO server` and `zedis-server --version`: the git commit the binary was
//! built from (`00000000` outside a git checkout, as Redis reports a build from a tarball),
//! whether the tree had uncommitted changes, and a build id hashed from those and the target.
//!
//! Written by hand because what is needed is three `git` calls and a hash; the crates that
//! gather build metadata pull in far more than this.

use std::hash::{Hash, Hasher};
use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).trim().to_string())
}

fn main() {
    let sha1 = git(&["rev-parse", "HEAD"])
        .filter(|sha| sha.len() >= 8)
        .map_or_else(|| "00000000".to_string(), |sha| sha[..8].to_string());
    let dirty = match git(&["status", "--porcelain", "--untracked-files=no"]) {
        Some(changes) if !changes.is_empty() => "1",
        _ => "0",
    };
    // Only a new commit or checkout reruns this: the dirty flag is as of that moment, as
    // Redis's release header is as of its last `make`. A path that does not exist would rerun
    // it on every build, so only existing ones are named (a branch's ref may be packed).
    let head_ref = git(&["symbolic-ref", "-q", "HEAD"]);
    for name in ["HEAD", "packed-refs"]
        .into_iter()
        .chain(head_ref.as_deref())
    {
        if let Some(path) = git(&["rev-parse", "--git-path", name])
            && std::path::Path::new(&path).exists()
        {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-changed=build.rs");

    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    (
        env!("CARGO_PKG_VERSION"),
        &sha1,
        dirty,
        std::env::var("TARGET").unwrap_or_default(),
        std::env::var("PROFILE").unwrap_or_default(),
    )
        .hash(&mut hasher);
    println!("cargo:rustc-env=ZEDIS_GIT_SHA1={sha1}");
    println!("cargo:rustc-env=ZEDIS_GIT_DIRTY={dirty}");
    println!("cargo:rustc-env=ZEDIS_BUILD_ID={:x}", hasher.finish());
}
