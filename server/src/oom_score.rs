//! `oom-score-adj`: zedis sets its own score in `/proc/self/oom_score_adj` so that the kernel's
//! OOM killer picks it before (or after) other processes, as Redis's `setOOMScoreAdj`. The
//! score from before zedis first changed it is kept, so `relative` values add to it and
//! turning the option off puts it back.

use std::sync::Mutex;

use crate::config::{Config, OomScoreAdj};

const PATH: &str = "/proc/self/oom_score_adj";

/// The score before zedis changed it, while zedis controls it.
static BASE: Mutex<Option<i32>> = Mutex::new(None);

/// Writes the score the configuration asks for (a master's: the first of
/// `oom-score-adj-values`), or the original one back when the option was turned off.
pub fn apply(config: &Config) -> Result<(), String> {
    let failed = |what: &str, e: std::io::Error| {
        tracing::warn!(
            "Unable to {what} oom_score_adj: {}",
            crate::util::strerror(&e)
        );
        "Failed to set current oom_score_adj. Check server logs.".to_string()
    };
    let mut base = BASE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let value = match config.oom_score_adj {
        OomScoreAdj::No => match base.take() {
            Some(original) => original,
            None => return Ok(()),
        },
        mode => {
            let original = match *base {
                Some(original) => original,
                None => {
                    let text = std::fs::read_to_string(PATH).map_err(|e| failed("read", e))?;
                    let original = text.trim().parse().unwrap_or(0);
                    *base = Some(original);
                    original
                }
            };
            let value = config.oom_score_adj_values[0];
            let value = if mode == OomScoreAdj::Relative {
                value + original
            } else {
                value
            };
            value.clamp(-1000, 1000)
        }
    };
    std::fs::write(PATH, format!("{value}\n")).map_err(|e| failed("write", e))
}

/// The score the kernel has for this process now.
pub fn current() -> Option<i32> {
    std::fs::read_to_string(PATH).ok()?.trim().parse().ok()
}
