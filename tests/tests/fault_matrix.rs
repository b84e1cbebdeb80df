//! Fault matrix: a misbehaving server on 127.0.0.1 drives the SDK's full default stack
//! (`Client::builder().base_url(..).allow_http(true)...build()`: hyper network transport, auth,
//! headers, retry, rate limit, timeouts) through one fault at a time, for a GET
//! (`customers().get(id)`), a POST (`customers().create()`), a PATCH (`customers().update(id)`)
//! and a DELETE (`customers().delete(id)`).
//!
//! The server is a raw `tokio::net::TcpListener` speaking just enough HTTP/1.1 to read a request
//! (head and `Content-Length` body), so it can also break the framing: reset the connection
//! before or in the middle of a response, hold the head back, trickle a body. Every response it
//! sends carries `Connection: close`, so each attempt uses a fresh connection and the counts are
//! exact. For each case the test asserts the classified outcome and the number of requests the
//! server read; a POST that may have reached the server must never be sent twice.
//!
//! All cases run concurrently (each with its own server and client), with small real timeouts
//! and backoffs and an outer `tokio::time::timeout` guard, so the file takes a few seconds and
//! nothing can hang. The summary table (case → behaviour) is printed; run with `--nocapture` to
//! see it.

use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use polar_customers::{ApiErrorKind, Client, Customer, Error};
use polar_transport::{Backoff, ErrorKind, RetryConfig};
use polar_types::CustomerId;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

const TOKEN: &str = "polar_oat_fault_matrix_token";
const CUSTOMER_ID: &str = "5d7a9e3c-58a1-4a52-9a3b-0d1c5e6f7a8b";
const ORG_ID: &str = "1dbfc517-0bbf-4301-9ba8-555ca42b9737";
/// The JSON body cap configured on every client of the matrix.
const BODY_LIMIT: usize = 64 * 1024;
/// Attempt timeout of the cases that hold the response head back.
const SHORT_ATTEMPT: Duration = Duration::from_millis(150);
/// Attempt and call timeouts of every other case: far above anything a healthy loopback
/// exchange needs, even on a loaded machine.
const LONG_ATTEMPT: Duration = Duration::from_secs(5);
const LONG_CALL: Duration = Duration::from_secs(10);
/// The most [`FaultServer::settle`] waits for the server to finish reading what was sent.
const SETTLE_LIMIT: Duration = Duration::from_secs(10);
/// What [`FaultServer::settle`] sends on a connection of its own: no request of the client's.
const SETTLE_MARK: &[u8] = b"SETTLE\r\n\r\n";

// ---------------------------------------------------------------------------------------------
// The misbehaving server

/// What the server does with one request, once it has read it whole.
#[derive(Clone, Debug)]
enum Act {
    /// Writes these bytes (a complete response with `Connection: close`), then closes.
    Respond(Vec<u8>),
    /// Resets the connection (RST) without answering.
    Reset,
    /// Writes these bytes (a head and part of a body), then resets the connection.
    PartialThenReset(Vec<u8>),
    /// Writes these bytes, then closes cleanly (FIN) although the head promised more.
    PartialThenClose(Vec<u8>),
    /// Never answers; keeps the connection open until the client leaves.
    Hang,
    /// Writes this head, then one body byte every 20 ms, forever.
    Trickle(Vec<u8>),
    /// Writes these bytes, then stays silent with the connection open.
    PartialThenHang(Vec<u8>),
    /// Writes each piece, pausing this long after each, then closes.
    Paced(Vec<Vec<u8>>, Duration),
}

type Script = Arc<dyn Fn(usize) -> Act + Send + Sync>;

struct FaultServer {
    addr: SocketAddr,
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    /// Connections accepted whose request is not read yet (nor given up by the client).
    reading: Arc<tokio::sync::watch::Sender<usize>>,
    accept: tokio::task::JoinHandle<()>,
}

impl Drop for FaultServer {
    fn drop(&mut self) {
        self.accept.abort();
    }
}

impl FaultServer {
    async fn start(script: Script) -> FaultServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let addr = listener.local_addr().expect("local addr");
        let requests = Arc::new(AtomicUsize::new(0));
        let connections = Arc::new(AtomicUsize::new(0));
        let reading = Arc::new(tokio::sync::watch::Sender::new(0usize));
        let (reqs, conns, open) = (requests.clone(), connections.clone(), reading.clone());
        let accept = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                conns.fetch_add(1, Ordering::SeqCst);
                open.send_modify(|n| *n += 1);
                let counts = Counts {
                    requests: reqs.clone(),
                    connections: conns.clone(),
                    reading: open.clone(),
                };
                tokio::spawn(serve_connection(stream, script.clone(), counts));
            }
        });
        FaultServer {
            addr,
            requests,
            connections,
            reading,
            accept,
        }
    }

    /// Returns once the server has read every request the client sent (or seen the client give
    /// it up): its own connection, accepted after all of the client's (the listener accepts in
    /// order), is answered, then it waits for the connections still reading.
    async fn settle(&self) {
        let wait = async {
            let mut own = TcpStream::connect(self.addr)
                .await
                .expect("connect to settle");
            own.write_all(SETTLE_MARK)
                .await
                .expect("send the settle mark");
            let mut answer = Vec::new();
            let _ = own.read_to_end(&mut answer).await;
            let mut reading = self.reading.subscribe();
            reading.wait_for(|n| *n == 0).await.expect("server alive");
        };
        tokio::time::timeout(SETTLE_LIMIT, wait)
            .await
            .expect("a connection of the client's never finished its request");
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }
}

/// The server's counters, shared with each connection.
struct Counts {
    requests: Arc<AtomicUsize>,
    connections: Arc<AtomicUsize>,
    reading: Arc<tokio::sync::watch::Sender<usize>>,
}

/// What came in on a connection.
enum Read {
    /// A whole request of the client's.
    Request,
    /// [`FaultServer::settle`]'s own connection.
    Settle,
    /// The client left before sending a whole request.
    Gone,
}

/// Reads one request (head, then a `Content-Length` body).
async fn read_request(stream: &mut TcpStream) -> Read {
    let mut buf = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        if buf.len() > 64 * 1024 {
            return Read::Gone;
        }
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Read::Gone,
            Ok(n) => buf.extend_from_slice(&chunk[..n]),
        }
    };
    if buf.starts_with(SETTLE_MARK) {
        return Read::Settle;
    }
    let head = String::from_utf8_lossy(&buf[..head_end]).to_ascii_lowercase();
    let body_len = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .and_then(|v| v.trim().parse::<usize>().ok())
        .unwrap_or(0);
    let mut have = buf.len() - head_end;
    while have < body_len {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return Read::Gone,
            Ok(n) => have += n,
        }
    }
    Read::Request
}

async fn serve_connection(mut stream: TcpStream, script: Script, counts: Counts) {
    let read = read_request(&mut stream).await;
    let index = match read {
        Read::Request => Some(counts.requests.fetch_add(1, Ordering::SeqCst)),
        Read::Settle => {
            counts.connections.fetch_sub(1, Ordering::SeqCst);
            None
        }
        Read::Gone => None,
    };
    counts.reading.send_modify(|n| *n -= 1);
    let Some(index) = index else {
        // Closing answers a settle connection (and ends a client's that left).
        let _ = stream.shutdown().await;
        return;
    };
    match script(index) {
        Act::Respond(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
            // Wait for the client to close, so no unread byte turns the close into a reset.
            let mut sink = [0u8; 1024];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        }
        Act::Reset => reset(stream),
        Act::PartialThenReset(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.flush().await;
            // Let the client take the head before the reset arrives.
            tokio::time::sleep(Duration::from_millis(50)).await;
            reset(stream);
        }
        Act::PartialThenClose(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let _ = stream.shutdown().await;
        }
        Act::Hang => {
            let mut sink = [0u8; 1024];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        }
        Act::PartialThenHang(bytes) => {
            let _ = stream.write_all(&bytes).await;
            let mut sink = [0u8; 1024];
            while let Ok(n) = stream.read(&mut sink).await {
                if n == 0 {
                    break;
                }
            }
        }
        Act::Paced(pieces, gap) => {
            for piece in pieces {
                if stream.write_all(&piece).await.is_err() {
                    return;
                }
                tokio::time::sleep(gap).await;
            }
            let _ = stream.shutdown().await;
        }
        Act::Trickle(head) => {
            if stream.write_all(&head).await.is_err() {
                return;
            }
            loop {
                tokio::time::sleep(Duration::from_millis(20)).await;
                if stream.write_all(b" ").await.is_err() {
                    return;
                }
            }
        }
    }
}

fn reset(stream: TcpStream) {
    // SO_LINGER 0: closing sends RST instead of FIN.
    let _ = stream.set_zero_linger();
    drop(stream);
}

// ---------------------------------------------------------------------------------------------
// Canned responses

fn response(status: u16, reason: &str, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut out = format!("HTTP/1.1 {status} {reason}\r\n");
    for (name, value) in headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!(
        "content-length: {}\r\nconnection: close\r\n\r\n",
        body.len()
    ));
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(body);
    bytes
}

fn customer_json(kind: &str) -> String {
    format!(
        r#"{{"id":"{CUSTOMER_ID}","created_at":"2026-11-01T10:00:00Z","modified_at":null,"metadata":{{"plan":"pro"}},"external_id":null,"email":"ada@example.com","email_verified":false,"name":"Ada","billing_name":null,"billing_address":null,"tax_id":null,"locale":null,"organization_id":"{ORG_ID}","deleted_at":null,"avatar_url":null,"type":"{kind}"}}"#
    )
}

/// A successful answer: 200 for the GET and PATCH, 201 for the POST, 204 with no body for the
/// DELETE (the status is chosen per request method by [`Case::script`]'s caller).
fn ok_customer(status: u16) -> Act {
    if status == 204 {
        return Act::Respond(b"HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n".to_vec());
    }
    let reason = if status == 201 { "Created" } else { "OK" };
    Act::Respond(response(
        status,
        reason,
        &[("content-type", "application/json")],
        customer_json("individual").as_bytes(),
    ))
}

fn not_found() -> Act {
    json_status(
        404,
        "Not Found",
        r#"{"error":"ResourceNotFound","detail":"Not found"}"#,
    )
}

fn json_status(status: u16, reason: &str, body: &str) -> Act {
    Act::Respond(response(
        status,
        reason,
        &[("content-type", "application/json")],
        body.as_bytes(),
    ))
}

fn too_many(retry_after: Option<String>) -> Act {
    let body = br#"{"error":"TooManyRequests","detail":"Rate limit exceeded"}"#;
    let mut headers = vec![("content-type", "application/json")];
    let value;
    if let Some(v) = retry_after {
        value = v;
        headers.push(("retry-after", value.as_str()));
    }
    Act::Respond(response(429, "Too Many Requests", &headers, body))
}

const PROXY_502: &str = "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n";

fn csv_export(rows: usize) -> Vec<u8> {
    let mut out = String::from(
        "ID,External ID,Created At,Email,Name,Tax ID,Billing Address Line 1,Billing Address Line 2,Billing Address City,Billing Address State,Billing Address Zip,Billing Address Country,Metadata\r\n",
    );
    for i in 0..rows {
        out.push_str(&format!(
            "{CUSTOMER_ID},ext-{i},2026-11-01T10:00:00+00:00,user{i}@example.com,User {i},,,,,,,,\"{{\"\"n\"\": {i}}}\"\r\n"
        ));
    }
    out.into_bytes()
}

// ---------------------------------------------------------------------------------------------
// Outcomes

/// What a call ended with, in a form that can be compared and printed.
#[derive(Clone, Debug, PartialEq)]
enum Outcome {
    /// Success; the decoded customer's kind (`individual`, `team`, `unknown`) or `export` rows.
    Ok(String),
    /// `Error::Api` with this status and kind.
    Api(u16, ApiErrorKind),
    /// `Error::Transport`, with the transport's own kind when the failure came from its stack
    /// (`None`: the body failed while the SDK read it).
    Transport(Option<ErrorKind>),
    /// `Error::Timeout` with the transport's kind.
    Timeout(Option<ErrorKind>),
    /// `Error::Decode`.
    Decode,
    /// `Error::BodyTooLarge`.
    TooLarge,
    /// Any other error.
    Other(String),
    /// The call did not end within the outer guard.
    Hang,
    /// The call panicked.
    Panic,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(what) => write!(f, "Ok ({what})"),
            Outcome::Api(status, kind) => write!(f, "`Error::Api` {status} {kind:?}"),
            Outcome::Transport(Some(kind)) => write!(f, "`Error::Transport` ({kind:?})"),
            Outcome::Transport(None) => write!(f, "`Error::Transport` (body read failed)"),
            Outcome::Timeout(Some(kind)) => write!(f, "`Error::Timeout` ({kind:?})"),
            Outcome::Timeout(None) => write!(f, "`Error::Timeout`"),
            Outcome::Decode => write!(f, "`Error::Decode`"),
            Outcome::TooLarge => write!(f, "`Error::BodyTooLarge`"),
            Outcome::Other(s) => write!(f, "other error: {s}"),
            Outcome::Hang => write!(f, "HANG (outer guard fired)"),
            Outcome::Panic => write!(f, "PANIC"),
        }
    }
}

fn classify<T>(result: &Result<T, Error>, ok: impl Fn(&T) -> String) -> Outcome {
    match result {
        Ok(v) => Outcome::Ok(ok(v)),
        Err(Error::Api(e)) => Outcome::Api(e.status().as_u16(), e.kind()),
        Err(e @ Error::Transport { .. }) => {
            Outcome::Transport(e.transport_error().map(|t| t.kind()))
        }
        Err(e @ Error::Timeout { .. }) => Outcome::Timeout(e.transport_error().map(|t| t.kind())),
        Err(Error::Decode(_)) => Outcome::Decode,
        Err(Error::BodyTooLarge { .. }) => Outcome::TooLarge,
        Err(e) => Outcome::Other(e.to_string()),
    }
}

fn customer_kind(c: &Customer) -> String {
    match c {
        Customer::Individual(_) => "individual".into(),
        Customer::Team(_) => "team".into(),
        Customer::Unknown(v) => format!("Customer::Unknown, type {}", v.raw()["type"]),
        #[allow(unreachable_patterns)]
        _ => "other variant".into(),
    }
}

/// The outcome of one call and what the server saw.
#[derive(Clone, Debug)]
struct Seen {
    outcome: Outcome,
    requests: usize,
    connections: usize,
}

impl fmt::Display for Seen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}; {} request(s) / {} connection(s)",
            self.outcome, self.requests, self.connections
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Cases

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    Get,
    Post,
    Patch,
    Delete,
    Export,
}

impl Op {
    /// The status of a successful answer to this operation.
    fn ok_status(self) -> u16 {
        match self {
            Op::Post => 201,
            Op::Delete => 204,
            _ => 200,
        }
    }
}

/// Client settings of a case.
#[derive(Clone, Copy, Debug)]
struct Timing {
    attempt: Duration,
    call: Duration,
    /// The body idle timeout of streamed answers (the export); `None`: the default (30 s).
    body_idle: Option<Duration>,
}

const NORMAL: Timing = Timing {
    attempt: LONG_ATTEMPT,
    call: LONG_CALL,
    body_idle: None,
};

fn client_for(url: &str, timing: Timing) -> Client {
    Client::builder()
        .token(TOKEN)
        .base_url(url)
        .allow_http(true)
        .attempt_timeout(timing.attempt)
        .call_timeout(timing.call)
        .retry(RetryConfig::default().max_attempts(3).backoff(Backoff {
            initial: Duration::from_millis(10),
            max: Duration::from_millis(40),
        }))
        .max_response_bytes(BODY_LIMIT)
        .configure_transport(|t| match timing.body_idle {
            Some(idle) => t.body_idle_timeout(idle),
            None => t,
        })
        .build()
        .expect("client builds")
}

/// One call of `op` through `client`, classified.
fn call(op: Op, client: Client) -> Pin<Box<dyn Future<Output = Outcome> + Send>> {
    let id: CustomerId = CUSTOMER_ID.parse().expect("uuid");
    match op {
        Op::Get => Box::pin(async move {
            let r = client.customers().get(id).await;
            classify(&r, customer_kind)
        }),
        Op::Post => Box::pin(async move {
            let r = client
                .customers()
                .create()
                .email("ada@example.com")
                .name("Ada")
                .await;
            classify(&r, customer_kind)
        }),
        Op::Export => Box::pin(async move {
            let r = async {
                let mut rows = client.customers().export().rows().await?;
                let mut n = 0u64;
                while let Some(row) = futures_util::TryStreamExt::try_next(&mut rows).await? {
                    assert_eq!(row.id.to_string(), CUSTOMER_ID);
                    n += 1;
                }
                Ok::<u64, Error>(n)
            }
            .await;
            classify(&r, |n| format!("{n} export rows"))
        }),
        Op::Patch => Box::pin(async move {
            let r = client.customers().update(id).name("Ada").await;
            classify(&r, customer_kind)
        }),
        Op::Delete => Box::pin(async move {
            let r = client.customers().delete(id).await;
            classify(&r, |()| "deleted".to_owned())
        }),
    }
}

/// Runs `op` once against a fresh server following `script`.
async fn run_op(op: Op, script: Script, timing: Timing) -> Seen {
    let server = FaultServer::start(script).await;
    let client = client_for(&server.url(), timing);
    let call = call(op, client);
    // Spawned so a panic is caught and reported as such; the guard bounds any hang.
    let guard = timing.call + Duration::from_secs(3);
    let outcome = match tokio::time::timeout(guard, tokio::spawn(call)).await {
        Ok(Ok(outcome)) => outcome,
        Ok(Err(join)) if join.is_panic() => Outcome::Panic,
        Ok(Err(join)) => Outcome::Other(join.to_string()),
        Err(_) => Outcome::Hang,
    };
    server.settle().await;
    Seen {
        outcome,
        requests: server.requests(),
        connections: server.connections(),
    }
}

/// What a case must end with.
#[derive(Clone, Debug)]
struct Expect {
    outcome: Outcome,
    requests: usize,
}

fn expect(outcome: Outcome, requests: usize) -> Option<Expect> {
    Some(Expect { outcome, requests })
}

struct Case {
    name: &'static str,
    /// The script, given the success status of the operation (see [`Op::ok_status`]).
    script: fn(u16) -> Script,
    timing: Timing,
    get: Option<Expect>,
    post: Option<Expect>,
    patch: Option<Expect>,
    /// `None` where the case is about a body, which a DELETE's 204 does not have.
    delete: Option<Expect>,
    /// Run the export instead of the GET.
    export: bool,
}

fn always(act: Act) -> Script {
    Arc::new(move |_| act.clone())
}

/// `n` times `first`, then `then`.
fn first_n(n: usize, first: Act, then: Act) -> Script {
    Arc::new(move |i| if i < n { first.clone() } else { then.clone() })
}

fn status_reason(status: u16) -> &'static str {
    match status {
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "Error",
    }
}

fn burst(status: u16, n: usize, ok: u16) -> Script {
    first_n(
        n,
        json_status(status, status_reason(status), r#"{"detail":"try later"}"#),
        ok_customer(ok),
    )
}

fn http_date_in(secs: u64) -> String {
    httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(secs))
}

fn cases() -> Vec<Case> {
    use ApiErrorKind::*;
    use Outcome as O;
    let ok = || O::Ok("individual".into());
    let mut cases = vec![
        Case {
            name: "healthy server (control)",
            script: |ok| always(ok_customer(ok)),
            timing: NORMAL,
            get: expect(ok(), 1),
            post: expect(ok(), 1),
            patch: expect(ok(), 1),
            delete: expect(O::Ok("deleted".into()), 1),
            export: false,
        },
        Case {
            name: "connection refused",
            script: |_| always(Act::Hang), // not used: nothing listens
            timing: NORMAL,
            get: expect(O::Transport(Some(ErrorKind::Connect)), 0),
            post: expect(O::Transport(Some(ErrorKind::Connect)), 0),
            patch: expect(O::Transport(Some(ErrorKind::Connect)), 0),
            delete: expect(O::Transport(Some(ErrorKind::Connect)), 0),
            export: false,
        },
        Case {
            name: "reset before any response (every attempt)",
            script: |_| always(Act::Reset),
            timing: NORMAL,
            get: expect(O::Transport(Some(ErrorKind::Io)), 3),
            post: expect(O::Transport(Some(ErrorKind::Io)), 1),
            patch: expect(O::Transport(Some(ErrorKind::Io)), 3),
            delete: expect(O::Transport(Some(ErrorKind::Io)), 3),
            export: false,
        },
        Case {
            name: "reset before any response, once, then healthy",
            script: |ok| first_n(1, Act::Reset, ok_customer(ok)),
            timing: NORMAL,
            get: expect(ok(), 2),
            post: expect(O::Transport(Some(ErrorKind::Io)), 1),
            patch: expect(ok(), 2),
            delete: expect(O::Ok("deleted".into()), 2),
            export: false,
        },
        Case {
            name: "reset in the middle of the body",
            script: |ok| {
                let body = customer_json("individual");
                let mut bytes = format!(
                    "HTTP/1.1 {ok} OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                bytes.extend_from_slice(&body.as_bytes()[..body.len() / 2]);
                always(Act::PartialThenReset(bytes))
            },
            timing: NORMAL,
            get: expect(O::Transport(None), 1),
            post: expect(O::Transport(None), 1),
            patch: expect(O::Transport(None), 1),
            delete: None,
            export: false,
        },
        Case {
            name: "connection closed (FIN) in the middle of the body",
            script: |ok| {
                let body = customer_json("individual");
                let mut bytes = format!(
                    "HTTP/1.1 {ok} OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    body.len()
                )
                .into_bytes();
                bytes.extend_from_slice(&body.as_bytes()[..body.len() / 2]);
                always(Act::PartialThenClose(bytes))
            },
            timing: NORMAL,
            get: expect(O::Transport(None), 1),
            post: expect(O::Transport(None), 1),
            patch: expect(O::Transport(None), 1),
            delete: None,
            export: false,
        },
    ];
    for status in [500u16, 502, 503, 504] {
        cases.push(Case {
            name: match status {
                500 => "500 × 2, then 200 (burst shorter than the budget of 3 attempts)",
                502 => "502 × 2, then 200 (shorter than the budget)",
                503 => "503 × 2, then 200 (shorter than the budget)",
                _ => "504 × 2, then 200 (shorter than the budget)",
            },
            script: match status {
                500 => |ok| burst(500, 2, ok),
                502 => |ok| burst(502, 2, ok),
                503 => |ok| burst(503, 2, ok),
                _ => |ok| burst(504, 2, ok),
            },
            timing: NORMAL,
            get: expect(ok(), 3),
            post: expect(O::Api(status, Server), 1),
            patch: expect(ok(), 3),
            delete: expect(O::Ok("deleted".into()), 3),
            export: false,
        });
        cases.push(Case {
            name: match status {
                500 => "500 × 5 (burst longer than the budget)",
                502 => "502 × 5 (longer than the budget)",
                503 => "503 × 5 (longer than the budget)",
                _ => "504 × 5 (longer than the budget)",
            },
            script: match status {
                500 => |ok| burst(500, 5, ok),
                502 => |ok| burst(502, 5, ok),
                503 => |ok| burst(503, 5, ok),
                _ => |ok| burst(504, 5, ok),
            },
            timing: NORMAL,
            get: expect(O::Api(status, Server), 3),
            post: expect(O::Api(status, Server), 1),
            patch: expect(O::Api(status, Server), 3),
            delete: expect(O::Api(status, Server), 3),
            export: false,
        });
    }
    cases.extend([
        Case {
            name: "429 `Retry-After: 1` (seconds), then 200",
            script: |ok| first_n(1, too_many(Some("1".into())), ok_customer(ok)),
            timing: NORMAL,
            get: expect(ok(), 2),
            post: expect(ok(), 2),
            patch: expect(ok(), 2),
            delete: expect(O::Ok("deleted".into()), 2),
            export: false,
        },
        Case {
            name: "429 `Retry-After: <HTTP-date 1 s ahead>`, then 200",
            script: |ok| {
                Arc::new(move |i| {
                    if i == 0 {
                        too_many(Some(http_date_in(1)))
                    } else {
                        ok_customer(ok)
                    }
                })
            },
            timing: NORMAL,
            get: expect(ok(), 2),
            post: expect(ok(), 2),
            patch: expect(ok(), 2),
            delete: expect(O::Ok("deleted".into()), 2),
            export: false,
        },
        Case {
            name: "429 `Retry-After: 999999999` (absurd), then 200",
            script: |ok| first_n(1, too_many(Some("999999999".into())), ok_customer(ok)),
            timing: NORMAL,
            get: expect(O::Api(429, RateLimited), 1),
            post: expect(O::Api(429, RateLimited), 1),
            patch: expect(O::Api(429, RateLimited), 1),
            delete: expect(O::Api(429, RateLimited), 1),
            export: false,
        },
        Case {
            name: "429 `Retry-After: <HTTP-date in 2100>` (absurd), then 200",
            script: |ok| {
                first_n(
                    1,
                    too_many(Some("Fri, 01 Jan 2100 00:00:00 GMT".into())),
                    ok_customer(ok),
                )
            },
            timing: NORMAL,
            get: expect(O::Api(429, RateLimited), 1),
            post: expect(O::Api(429, RateLimited), 1),
            patch: expect(O::Api(429, RateLimited), 1),
            delete: expect(O::Api(429, RateLimited), 1),
            export: false,
        },
        Case {
            name: "429 without `Retry-After`, then 200",
            script: |ok| first_n(1, too_many(None), ok_customer(ok)),
            timing: NORMAL,
            get: expect(ok(), 2),
            post: expect(ok(), 2),
            patch: expect(ok(), 2),
            delete: expect(O::Ok("deleted".into()), 2),
            export: false,
        },
        Case {
            name: "429 without `Retry-After`, every attempt",
            script: |_| always(too_many(None)),
            timing: NORMAL,
            get: expect(O::Api(429, RateLimited), 3),
            post: expect(O::Api(429, RateLimited), 3),
            patch: expect(O::Api(429, RateLimited), 3),
            delete: expect(O::Api(429, RateLimited), 3),
            export: false,
        },
        Case {
            name: "response head never arrives (attempt timeout 150 ms)",
            script: |_| always(Act::Hang),
            timing: Timing {
                attempt: SHORT_ATTEMPT,
                call: Duration::from_secs(5),
                body_idle: None,
            },
            get: expect(O::Timeout(Some(ErrorKind::AttemptTimeout)), 3),
            post: expect(O::Timeout(Some(ErrorKind::AttemptTimeout)), 1),
            patch: expect(O::Timeout(Some(ErrorKind::AttemptTimeout)), 3),
            delete: expect(O::Timeout(Some(ErrorKind::AttemptTimeout)), 3),
            export: false,
        },
        Case {
            name: "response head never arrives, once, then healthy",
            script: |ok| first_n(1, Act::Hang, ok_customer(ok)),
            timing: Timing {
                attempt: SHORT_ATTEMPT,
                call: Duration::from_secs(5),
                body_idle: None,
            },
            get: expect(ok(), 2),
            post: expect(O::Timeout(Some(ErrorKind::AttemptTimeout)), 1),
            patch: expect(ok(), 2),
            delete: expect(O::Ok("deleted".into()), 2),
            export: false,
        },
        Case {
            name: "JSON body that trickles forever (call timeout 500 ms)",
            script: |ok| {
                let head = format!(
                    "HTTP/1.1 {ok} OK\r\ncontent-type: application/json\r\ncontent-length: 100000000\r\nconnection: close\r\n\r\n{{\"items\":"
                );
                always(Act::Trickle(head.into_bytes()))
            },
            timing: Timing {
                attempt: Duration::from_millis(300),
                call: Duration::from_millis(500),
                body_idle: None,
            },
            get: expect(O::Timeout(Some(ErrorKind::CallTimeout)), 1),
            post: expect(O::Timeout(Some(ErrorKind::CallTimeout)), 1),
            patch: expect(O::Timeout(Some(ErrorKind::CallTimeout)), 1),
            delete: None,
            export: false,
        },
        Case {
            name: "export body stalls after 1 000 rows (body idle timeout 300 ms)",
            script: |_| {
                let csv = csv_export(2_000);
                let mut bytes = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    csv.len()
                )
                .into_bytes();
                bytes.extend_from_slice(&csv[..csv.len() / 2]);
                always(Act::PartialThenHang(bytes))
            },
            timing: Timing {
                attempt: LONG_ATTEMPT,
                call: LONG_CALL,
                body_idle: Some(Duration::from_millis(300)),
            },
            get: expect(O::Timeout(Some(ErrorKind::BodyIdleTimeout)), 1),
            post: None,
            patch: None,
            delete: None,
            export: true,
        },
        Case {
            name: "export paced over 1 s, longer than the call timeout (500 ms), steady within the idle timeout (300 ms)",
            script: |_| {
                let csv = csv_export(2_000);
                let mut pieces = vec![format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: text/csv\r\ncontent-length: {}\r\nconnection: close\r\n\r\n",
                    csv.len()
                )
                .into_bytes()];
                pieces.extend(csv.chunks(csv.len() / 10 + 1).map(<[u8]>::to_vec));
                always(Act::Paced(pieces, Duration::from_millis(100)))
            },
            timing: Timing {
                attempt: Duration::from_millis(300),
                call: Duration::from_millis(500),
                body_idle: Some(Duration::from_millis(300)),
            },
            get: expect(O::Ok("2000 export rows".into()), 1),
            post: None,
            patch: None,
            delete: None,
            export: true,
        },
        Case {
            name: "truncated JSON (complete framing)",
            script: |ok| {
                let body = customer_json("individual");
                always(Act::Respond(response(
                    ok,
                    "OK",
                    &[("content-type", "application/json")],
                    &body.as_bytes()[..body.len() / 2],
                )))
            },
            timing: NORMAL,
            get: expect(O::Decode, 1),
            post: expect(O::Decode, 1),
            patch: expect(O::Decode, 1),
            delete: None,
            export: false,
        },
        Case {
            name: "invalid JSON",
            script: |ok| {
                always(Act::Respond(response(
                    ok,
                    "OK",
                    &[("content-type", "application/json")],
                    b"{\"id\": nope, ]",
                )))
            },
            timing: NORMAL,
            get: expect(O::Decode, 1),
            post: expect(O::Decode, 1),
            patch: expect(O::Decode, 1),
            delete: None,
            export: false,
        },
        Case {
            name: "HTML 502 page from a proxy (every attempt)",
            script: |_| {
                always(Act::Respond(response(
                    502,
                    "Bad Gateway",
                    &[("content-type", "text/html")],
                    PROXY_502.as_bytes(),
                )))
            },
            timing: NORMAL,
            get: expect(O::Api(502, Server), 3),
            post: expect(O::Api(502, Server), 1),
            patch: expect(O::Api(502, Server), 3),
            delete: expect(O::Api(502, Server), 3),
            export: false,
        },
        Case {
            name: "`text/plain` 200 where JSON is expected",
            script: |ok| {
                always(Act::Respond(response(
                    ok,
                    "OK",
                    &[("content-type", "text/plain")],
                    b"Service is up",
                )))
            },
            timing: NORMAL,
            get: expect(O::Decode, 1),
            post: expect(O::Decode, 1),
            patch: expect(O::Decode, 1),
            delete: None,
            export: false,
        },
        Case {
            name: "JSON body larger than the limit (100 KiB > 64 KiB)",
            script: |ok| {
                let mut body = customer_json("individual");
                body.pop(); // reopen the object and pad it with an unknown field
                body.push_str(&format!(r#","padding":"{}"}}"#, "x".repeat(100 * 1024)));
                always(Act::Respond(response(
                    ok,
                    "OK",
                    &[("content-type", "application/json")],
                    body.as_bytes(),
                )))
            },
            timing: NORMAL,
            get: expect(O::TooLarge, 1),
            post: expect(O::TooLarge, 1),
            patch: expect(O::TooLarge, 1),
            delete: None,
            export: false,
        },
        Case {
            name: "export of 20 000 rows (~1.6 MiB, 25× the JSON limit) streams through",
            script: |_| {
                always(Act::Respond(response(
                    200,
                    "OK",
                    &[("content-type", "text/csv")],
                    &csv_export(20_000),
                )))
            },
            timing: NORMAL,
            get: expect(O::Ok("20000 export rows".into()), 1),
            post: None,
            patch: None,
            delete: None,
            export: true,
        },
        Case {
            name: "200/201 with an empty body",
            script: |ok| {
                always(Act::Respond(response(
                    ok,
                    "OK",
                    &[("content-type", "application/json")],
                    b"",
                )))
            },
            timing: NORMAL,
            get: expect(O::Decode, 1),
            post: expect(O::Decode, 1),
            patch: expect(O::Decode, 1),
            delete: None,
            export: false,
        },
        Case {
            name: "`Customer` with an unknown `type`",
            script: |ok| {
                always(Act::Respond(response(
                    ok,
                    "OK",
                    &[("content-type", "application/json")],
                    customer_json("robot").as_bytes(),
                )))
            },
            timing: NORMAL,
            get: expect(O::Ok("Customer::Unknown, type \"robot\"".into()), 1),
            post: expect(O::Ok("Customer::Unknown, type \"robot\"".into()), 1),
            patch: expect(O::Ok("Customer::Unknown, type \"robot\"".into()), 1),
            delete: None,
            export: false,
        },
        Case {
            name: "`{}` where a customer is expected (issue 12)",
            script: |ok| always(json_status(ok, "OK", "{}")),
            timing: NORMAL,
            get: expect(O::Decode, 1),
            post: expect(O::Decode, 1),
            patch: expect(O::Decode, 1),
            delete: None,
            export: false,
        },
        Case {
            name: "404 to the first attempt",
            script: |_| always(not_found()),
            timing: NORMAL,
            get: expect(O::Api(404, NotFound), 1),
            post: expect(O::Api(404, NotFound), 1),
            patch: expect(O::Api(404, NotFound), 1),
            delete: expect(O::Api(404, NotFound), 1),
            export: false,
        },
        Case {
            name: "reset before any response once, then 404 (the first answer was lost; issue 12)",
            script: |_| first_n(1, Act::Reset, not_found()),
            timing: NORMAL,
            get: expect(O::Api(404, NotFound), 2),
            post: expect(O::Transport(Some(ErrorKind::Io)), 1),
            patch: expect(O::Api(404, NotFound), 2),
            delete: expect(O::Ok("deleted".into()), 2),
            export: false,
        },
        Case {
            name: "429 `Retry-After: 0` once, then 404 (nothing was done; issue 22)",
            script: |_| first_n(1, too_many(Some("0".into())), not_found()),
            timing: NORMAL,
            get: expect(O::Api(404, NotFound), 2),
            post: expect(O::Api(404, NotFound), 2),
            patch: expect(O::Api(404, NotFound), 2),
            delete: expect(O::Api(404, NotFound), 2),
            export: false,
        },
        Case {
            name: "504 once, then 404 (the gateway may have passed it on; issue 22)",
            script: |_| {
                first_n(
                    1,
                    json_status(504, status_reason(504), r#"{"detail":"try later"}"#),
                    not_found(),
                )
            },
            timing: NORMAL,
            get: expect(O::Api(404, NotFound), 2),
            post: expect(O::Api(504, Server), 1),
            patch: expect(O::Api(404, NotFound), 2),
            delete: expect(O::Ok("deleted".into()), 2),
            export: false,
        },
        Case {
            name: "429 `Retry-After: 30`, longer than the call timeout (10 s; issue 12)",
            script: |ok| first_n(1, too_many(Some("30".into())), ok_customer(ok)),
            timing: NORMAL,
            get: expect(O::Api(429, RateLimited), 1),
            post: expect(O::Api(429, RateLimited), 1),
            patch: expect(O::Api(429, RateLimited), 1),
            delete: expect(O::Api(429, RateLimited), 1),
            export: false,
        },
        Case {
            name: "503 `Retry-After: 30`, longer than the call timeout (10 s; issue 12)",
            script: |ok| {
                first_n(
                    1,
                    Act::Respond(response(
                        503,
                        "Service Unavailable",
                        &[("content-type", "application/json"), ("retry-after", "30")],
                        br#"{"detail":"try later"}"#,
                    )),
                    ok_customer(ok),
                )
            },
            timing: NORMAL,
            get: expect(O::Api(503, Server), 1),
            post: expect(O::Api(503, Server), 1),
            patch: expect(O::Api(503, Server), 1),
            delete: expect(O::Api(503, Server), 1),
            export: false,
        },
    ]);
    cases
}

async fn run_case(case: &Case, op: Op) -> Seen {
    if case.name == "connection refused" {
        // A port that is bound but does not listen refuses connections. The socket stays bound
        // for the whole call: a port closed instead could be handed to another case's server
        // running at the same time, which would then answer this call.
        let socket = tokio::net::TcpSocket::new_v4().expect("socket");
        socket
            .bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let addr = socket.local_addr().expect("addr");
        let client = client_for(&format!("http://{addr}"), case.timing);
        let outcome = tokio::time::timeout(case.timing.call, call(op, client))
            .await
            .unwrap_or(Outcome::Hang);
        drop(socket);
        return Seen {
            outcome,
            requests: 0,
            connections: 0,
        };
    }
    run_op(op, (case.script)(op.ok_status()), case.timing).await
}

const OPS: [Op; 4] = [Op::Get, Op::Post, Op::Patch, Op::Delete];

impl Case {
    fn wanted(&self, op: Op) -> &Option<Expect> {
        match op {
            Op::Get | Op::Export => &self.get,
            Op::Post => &self.post,
            Op::Patch => &self.patch,
            Op::Delete => &self.delete,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_matrix() {
    let cases = Arc::new(cases());
    let mut tasks = Vec::new();
    for i in 0..cases.len() {
        for (column, op) in OPS.into_iter().enumerate() {
            let cases = cases.clone();
            tasks.push(tokio::spawn(async move {
                let case = &cases[i];
                if case.wanted(op).is_none() {
                    return (i, column, None);
                }
                let op = if op == Op::Get && case.export {
                    Op::Export
                } else {
                    op
                };
                (i, column, Some(run_case(case, op).await))
            }));
        }
    }
    let mut results: Vec<[Option<Seen>; 4]> = vec![Default::default(); cases.len()];
    for task in tasks {
        let (i, column, seen) = task.await.expect("case task");
        results[i][column] = seen;
    }

    let mut table = String::from(
        "| case | GET | POST | PATCH | DELETE |\n|---|---|---|---|---|\n\
         (each cell: outcome; requests / connections the server saw)\n",
    );
    let mut failures = Vec::new();
    for (case, seen) in cases.iter().zip(&results) {
        let cell = |s: &Option<Seen>| s.as_ref().map_or("—".to_owned(), ToString::to_string);
        let get_label = if case.export { "export: " } else { "" };
        table.push_str(&format!(
            "| {} | {get_label}{} | {} | {} | {} |\n",
            case.name,
            cell(&seen[0]),
            cell(&seen[1]),
            cell(&seen[2]),
            cell(&seen[3]),
        ));
        for (op, got) in OPS.into_iter().zip(seen) {
            if let (Some(want), Some(got)) = (case.wanted(op), got)
                && (want.outcome != got.outcome || want.requests != got.requests)
            {
                failures.push(format!(
                    "{} / {op:?}: expected {} with {} request(s), got {got}",
                    case.name, want.outcome, want.requests
                ));
            }
        }
    }
    println!("{table}");
    assert!(
        failures.is_empty(),
        "fault matrix mismatches:\n{}",
        failures.join("\n")
    );
}

/// An absurd `Retry-After` is not waited for (the 429 is surfaced with the server's value), and
/// the shared cooldown it starts is capped: the next call on the same client waits on it until
/// its own timeout, without sending anything.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn absurd_retry_after_is_surfaced_and_the_cooldown_is_bounded() {
    let server = FaultServer::start(first_n(
        1,
        too_many(Some("999999999".into())),
        ok_customer(200),
    ))
    .await;
    let client = client_for(&server.url(), NORMAL);
    let id: CustomerId = CUSTOMER_ID.parse().unwrap();
    let guard = Duration::from_secs(10);

    let err = tokio::time::timeout(guard, client.customers().get(id))
        .await
        .expect("no hang")
        .unwrap_err();
    let api = err.as_api().expect("API error");
    assert_eq!(api.kind(), ApiErrorKind::RateLimited);
    assert_eq!(api.retry_after(), Some(Duration::from_secs(999_999_999)));
    assert_eq!(server.requests(), 1);

    // The limiter now holds every caller (capped at 60 s by default); a short call gives up.
    let err = tokio::time::timeout(
        guard,
        client
            .customers()
            .get(id)
            .timeout(Duration::from_millis(200)),
    )
    .await
    .expect("no hang")
    .unwrap_err();
    assert!(err.is_timeout(), "{err:?}");
    server.settle().await;
    assert_eq!(server.requests(), 1, "nothing sent during the cooldown");
}
