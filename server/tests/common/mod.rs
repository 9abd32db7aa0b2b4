//! Helpers shared by the server's integration tests.
#![allow(dead_code)] // each test binary uses its own subset

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use zedis_testkit::ServerProcess;

/// A fresh, empty directory for one test: `zedis-<name>-<pid>` under the temporary directory.
pub fn scratch_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("zedis-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// A request as a RESP multibulk array.
pub fn multibulk<A: AsRef<[u8]>>(args: &[A]) -> Vec<u8> {
    let mut out = format!("*{}\r\n", args.len()).into_bytes();
    for arg in args {
        let arg = arg.as_ref();
        out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
        out.extend_from_slice(arg);
        out.extend_from_slice(b"\r\n");
    }
    out
}

/// The server binary as a child process (started by the shared test kit), killed on drop.
pub struct Server {
    pub process: ServerProcess,
    pub port: u16,
    pub host: String,
}

impl Server {
    /// Starts the binary on a free port, without save points unless `args` sets them.
    pub fn start(args: &[&str]) -> Server {
        let mut all = vec!["--loglevel", "warning", "--save", ""];
        all.extend_from_slice(args);
        let process = ServerProcess::start(env!("CARGO_BIN_EXE_zedis-server"), &all);
        let host = if args.contains(&"0.0.0.0") {
            "0.0.0.0"
        } else {
            "127.0.0.1"
        };
        Server {
            port: process.port,
            process,
            host: host.to_string(),
        }
    }

    pub fn connect(&self) -> Conn {
        Conn::new(self.port)
    }

    pub fn info_field(&self, section: &str, field: &str) -> i64 {
        let info = self.connect().call(&["INFO", section]);
        info.lines()
            .find_map(|l| l.strip_prefix(&format!("{field}:")))
            .and_then(|v| v.trim().parse().ok())
            .unwrap_or_else(|| panic!("{field} in INFO {section}: {info}"))
    }

    pub fn alive(&self) -> bool {
        self.connect().call(&["PING"]) == "+PONG\r\n"
    }

    /// Waits until only `n` clients are connected (this check's own connection included).
    pub fn wait_clients(&self, n: i64) {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let connected = self.info_field("clients", "connected_clients");
            if connected <= n {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{connected} clients still connected"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// A blocking client that reads whole replies.
pub struct Conn {
    pub stream: TcpStream,
    pub buf: Vec<u8>,
}

/// Length of the first complete RESP2 reply in `buf`.
pub fn reply_len(buf: &[u8]) -> Option<usize> {
    pub fn skip(buf: &[u8], at: &mut usize) -> bool {
        let Some(kind) = buf.get(*at).copied() else {
            return false;
        };
        let Some(line) = buf[*at..].windows(2).position(|w| w == b"\r\n") else {
            return false;
        };
        let n: i64 = std::str::from_utf8(&buf[*at + 1..*at + line])
            .ok()
            .and_then(|h| h.parse().ok())
            .unwrap_or(-1);
        *at += line + 2;
        match kind {
            b'$' if n >= 0 => {
                *at += n as usize + 2;
                *at <= buf.len()
            }
            b'*' if n >= 0 => (0..n).all(|_| skip(buf, at)),
            _ => true,
        }
    }
    let mut at = 0;
    skip(buf, &mut at).then_some(at)
}

impl Conn {
    pub fn new(port: u16) -> Conn {
        let stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        Conn {
            stream,
            buf: Vec::new(),
        }
    }

    /// Sends a request; a server that closes the connection meanwhile shows as no reply.
    pub fn send(&mut self, args: &[&[u8]]) {
        let _ = self.stream.write_all(&multibulk(args));
    }

    pub fn read_reply(&mut self) -> Option<String> {
        loop {
            if let Some(len) = reply_len(&self.buf) {
                let reply: Vec<u8> = self.buf.drain(..len).collect();
                return Some(String::from_utf8_lossy(&reply).into_owned());
            }
            let mut chunk = [0u8; 64 * 1024];
            match self.stream.read(&mut chunk) {
                Ok(0) | Err(_) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
            }
        }
    }

    pub fn call_bytes(&mut self, args: &[&[u8]]) -> String {
        self.send(args);
        self.read_reply().expect("a reply")
    }

    pub fn call(&mut self, args: &[&str]) -> String {
        let args: Vec<&[u8]> = args.iter().map(|a| a.as_bytes()).collect();
        self.call_bytes(&args)
    }

    /// Reads until the server closes the connection; returns what came.
    pub fn read_to_close(&mut self) -> String {
        let mut rest = std::mem::take(&mut self.buf);
        let _ = self.stream.read_to_end(&mut rest);
        String::from_utf8_lossy(&rest).into_owned()
    }
}
