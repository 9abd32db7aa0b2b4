//! The RDB loader on any bytes, as a file (input starting `REDIS`) or as a `DUMP` payload's
//! value (anything else; the checksum is not checked, so the fuzzer reaches the decoders): it
//! never panics, and whatever it accepts is a sound dataset: saved again and loaded back it
//! gives the same `DEBUG DIGEST`.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use zedis::config::Config;
use zedis::db::{Keyspace, digest};
use zedis::rdb::load::{self, LoadOptions};
use zedis::rdb::save::save_all;
use zedis::server::Server;

/// The default configuration's limits, with expired keys kept so nothing depends on the clock.
fn options() -> LoadOptions {
    static OPTIONS: OnceLock<LoadOptions> = OnceLock::new();
    *OPTIONS.get_or_init(|| {
        let server = Server::new(Config::default(), zedis::cmd::table().len());
        LoadOptions {
            drop_expired: false,
            ..server.load_options()
        }
    })
}

fn save_options() -> zedis::rdb::save::SaveOptions {
    static OPTIONS: OnceLock<zedis::rdb::save::SaveOptions> = OnceLock::new();
    *OPTIONS
        .get_or_init(|| Server::new(Config::default(), zedis::cmd::table().len()).save_options())
}

fuzz_target!(|data: &[u8]| {
    let options = options();
    let mut keyspace = Keyspace::new(16);
    if data.starts_with(b"REDIS") {
        if load::load(data, &mut keyspace, &options).is_err() {
            return;
        }
    } else {
        let Ok(value) = load::payload_value(data, &options) else {
            return;
        };
        load::insert(&mut keyspace, 0, b"key", value, None, None, None).expect("a fresh key");
    }
    let digest = digest::dataset(&keyspace);
    let saved = save_all(&keyspace, save_options(), Vec::new()).expect("saving to memory");
    let mut again = Keyspace::new(16);
    load::load(&saved[..], &mut again, &options).expect("what zedis saves loads");
    assert_eq!(digest::dataset(&again), digest);
});
