//! A `redis-server` of the test's own, on a free loopback port, killed when dropped.
//!
//! Tests that need Redis call [`RedisServer::start`]. It runs `redis-server` from `PATH` (CI
//! installs Debian's package). Without it, [`redis_url`] falls back to `REDIS_URL` for tests
//! that only need a server to talk to; when neither exists the test passes without running,
//! after a message on standard error that the harness does not capture (so it shows in a plain
//! `cargo test`), except in CI (`CI=true`), where a missing server is a failure.

use std::io::Write as _;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running `redis-server` started by the test (no persistence, loopback only).
#[derive(Debug)]
pub struct RedisServer {
    child: Option<Child>,
    port: u16,
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Skips the current test with a loud message, or fails it in CI.
///
/// The message goes to the process's standard error directly: the test harness captures what
/// `eprintln!` writes and shows it only for failing tests, so a skip would pass unseen.
///
/// # Panics
/// In CI (`CI=true`).
pub fn skip(why: &str) {
    if in_ci() {
        panic!("{why}: CI must provide redis-server (see .ci/run)");
    }
    let test = std::thread::current();
    let test = test.name().unwrap_or("a test");
    let _ = writeln!(
        std::io::stderr(),
        "\n!!!!!!!! SKIPPED {test}: {why}; install redis-server !!!!!!!!\n"
    );
}

fn has_redis_server() -> bool {
    Command::new("redis-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

impl RedisServer {
    /// Starts `redis-server` on a free port, or returns `None` (after [`skip`]) when it is not
    /// installed.
    ///
    /// # Panics
    /// When the server does not come up, or in CI when it is missing.
    pub fn start() -> Option<RedisServer> {
        if !has_redis_server() {
            skip("redis-server is not on PATH");
            return None;
        }
        // A port picked free may be taken before the server binds it: try a few.
        for _ in 0..5 {
            let mut server = RedisServer {
                child: None,
                port: free_port(),
            };
            if server.spawn() {
                return Some(server);
            }
        }
        panic!("redis-server did not start");
    }

    fn spawn(&mut self) -> bool {
        let child = Command::new("redis-server")
            .args(["--bind", "127.0.0.1", "--port", &self.port.to_string()])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(std::env::temp_dir())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run redis-server");
        self.child = Some(child);
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                return true;
            }
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                // It exited: the port was taken.
                self.child = None;
                return false;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        self.kill();
        false
    }

    /// `redis://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills the server (SIGKILL: no goodbye to its clients).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it again on the same port, empty.
    ///
    /// # Panics
    /// When it does not come back.
    pub fn restart(&mut self) {
        self.kill();
        for _ in 0..50 {
            if self.spawn() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        panic!("redis-server did not restart on port {}", self.port);
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.kill();
    }
}

/// A Redis to talk to: one started for the test, else `REDIS_URL`; `None` (after [`skip`])
/// when there is neither.
///
/// # Panics
/// In CI when there is neither.
pub fn redis_url() -> Option<(String, Option<RedisServer>)> {
    if has_redis_server() {
        let server = RedisServer::start()?;
        return Some((server.url(), Some(server)));
    }
    match std::env::var("REDIS_URL") {
        Ok(url) if !url.is_empty() => Some((url, None)),
        _ => {
            skip("neither redis-server on PATH nor a Redis named by REDIS_URL");
            None
        }
    }
}
