//! zmq-conformance driver (docs/driver-protocol.md, version 1) for zmq.rs,
//! the pure-Rust `zeromq` crate, on tokio.
//!
//! Reads one JSON request per line on stdin and writes one JSON response per
//! line on stdout, one request at a time, in order. Diagnostics go to stderr.
//!
//! Every request that touches a socket runs as a tokio task of its own, so a
//! panic inside zmq.rs becomes an EOTHER response instead of a dead driver,
//! and every wait is bounded: `send` and `recv` by their `timeout_ms`, the
//! operations without one by [`OPERATION_BOUND`] or [`CONNECT_BOUND`].

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use base64::prelude::*;
use bytes::Bytes;
use serde_json::{json, Map, Value};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::sync::Mutex;
use tokio::task::JoinError;
use tokio::time::timeout;
use zeromq::prelude::*;
use zeromq::util::PeerIdentity;
use zeromq::{
    DealerSocket, Endpoint, RepSocket, ReqSocket, RouterSocket, SocketOptions, ZmqError, ZmqMessage,
};

const PROTOCOL: u64 = 1;

/// The versions pinned in Cargo.toml.
const IMPLEMENTATION: &str = "zmq.rs 0.7.0 (zeromq crate, tokio 1.54.1, driver)";

/// How long `bind`, `unbind` and `close` may take: they have no `timeout_ms`,
/// and the suite allows a request without one about two seconds.
const OPERATION_BOUND: Duration = Duration::from_millis(1000);

/// How long `connect` may wait for the peer's handshake. zmq.rs connects in
/// the foreground: `Socket::connect` returns only once the ZMTP handshake is
/// done, retrying a refused connection until its connect timeout (30 s). A
/// handshake on one machine takes a few milliseconds; the suite's cases that
/// need an asynchronous connect pay this bound on every example.
const CONNECT_BOUND: Duration = Duration::from_millis(300);

/// Why each option of the protocol but ROUTING_ID is ENOTSUP: zmq.rs 0.7.0's
/// `SocketOptions` has only a peer identity, a connect timeout and read
/// buffer sizes.
const UNSUPPORTED_OPTIONS: [(&str, &str); 10] = [
    (
        "ROUTER_HANDOVER",
        "a ROUTER always hands a routing id over to the newest connection",
    ),
    ("REQ_RELAXED", "a REQ is always strict"),
    ("REQ_CORRELATE", "a REQ never correlates"),
    ("PROBE_ROUTER", "no probe message"),
    (
        "IMMEDIATE",
        "connect() completes the handshake before it returns",
    ),
    (
        "SNDHWM",
        "no high-water marks: a DEALER or ROUTER queues up to 100000 messages per peer",
    ),
    (
        "RCVHWM",
        "no high-water marks: a DEALER or ROUTER queues up to 100000 messages per peer",
    ),
    ("LINGER", "no linger: closing drops the socket"),
    ("MAXMSGSIZE", "no message size limit"),
    (
        "RECONNECT_IVL",
        "only SUB sockets reconnect, with a fixed backoff",
    ),
];

/// A failure response: a protocol error code and what happened.
#[derive(Debug)]
struct Failure {
    code: &'static str,
    message: String,
}

impl Failure {
    fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    fn protocol(message: impl Into<String>) -> Self {
        Self::new("EPROTO", message)
    }

    fn panicked(error: JoinError) -> Self {
        let message = match error.try_into_panic() {
            Ok(payload) => match payload.downcast::<String>() {
                Ok(text) => *text,
                Err(payload) => match payload.downcast::<&'static str>() {
                    Ok(text) => (*text).to_owned(),
                    Err(_) => "a panic without a message".to_owned(),
                },
            },
            Err(error) => error.to_string(),
        };
        Self::new("EOTHER", format!("zmq.rs panicked: {message}"))
    }
}

/// zmq.rs reports most conditions as `ZmqError` variants carrying a fixed
/// text; the protocol codes are read from those texts.
impl From<ZmqError> for Failure {
    fn from(error: ZmqError) -> Self {
        let code = match &error {
            ZmqError::ReturnToSender { reason, .. } => match *reason {
                // REQ send before the reply; REP send before a request.
                "Unable to send message. Request already in progress"
                | "Unable to send reply. No request in progress" => "EFSM",
                // A REQ or DEALER without peers refuses at once.
                "Not connected to peers. Unable to send messages" => "EAGAIN",
                _ => "EOTHER",
            },
            // REQ receive before a send.
            ZmqError::Other("Unable to recv. No request in progress") => "EFSM",
            // A ROUTER send to a routing id it does not know.
            ZmqError::Other("Destination client not found by identity") => "EHOSTUNREACH",
            ZmqError::PeerIdentity | ZmqError::Endpoint(_) => "EINVAL",
            _ => "EOTHER",
        };
        Self::new(code, error.to_string())
    }
}

type Reply = Result<Map<String, Value>, Failure>;

fn done() -> Reply {
    Ok(Map::new())
}

/// One zmq.rs socket of the four types the suite tests.
enum Zmq {
    Req(ReqSocket),
    Rep(RepSocket),
    Dealer(DealerSocket),
    Router(RouterSocket),
}

/// Runs `$body` with `$socket` bound to the socket inside a [`Zmq`].
macro_rules! with_socket {
    ($zmq:expr, $socket:ident => $body:expr) => {
        match $zmq {
            Zmq::Req($socket) => $body,
            Zmq::Rep($socket) => $body,
            Zmq::Dealer($socket) => $body,
            Zmq::Router($socket) => $body,
        }
    };
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Req,
    Rep,
    Dealer,
    Router,
}

impl Kind {
    fn parse(name: &str) -> Option<Self> {
        match name {
            "REQ" => Some(Self::Req),
            "REP" => Some(Self::Rep),
            "DEALER" => Some(Self::Dealer),
            "ROUTER" => Some(Self::Router),
            _ => None,
        }
    }
}

/// A socket of the protocol. zmq.rs takes its options when a socket is
/// made (`Socket::with_options`), so the socket is made at its first
/// bind, connect, send or receive, with the options set before.
struct Handle {
    kind: Kind,
    routing_id: Option<PeerIdentity>,
    socket: Option<Zmq>,
}

impl Handle {
    fn new(kind: Kind) -> Self {
        Self {
            kind,
            routing_id: None,
            socket: None,
        }
    }

    fn socket(&mut self) -> &mut Zmq {
        let Self {
            kind,
            routing_id,
            socket,
        } = self;
        socket.get_or_insert_with(|| {
            let mut options = SocketOptions::default();
            if let Some(id) = routing_id {
                options.peer_identity(id.clone());
            }
            match kind {
                Kind::Req => Zmq::Req(ReqSocket::with_options(options)),
                Kind::Rep => Zmq::Rep(RepSocket::with_options(options)),
                Kind::Dealer => Zmq::Dealer(DealerSocket::with_options(options)),
                Kind::Router => Zmq::Router(RouterSocket::with_options(options)),
            }
        })
    }

    fn set(&mut self, option: &str, value: &Value) -> Reply {
        match option {
            "ROUTING_ID" => {
                let id = value
                    .as_str()
                    .ok_or_else(|| Failure::protocol("ROUTING_ID takes a base64 string"))?;
                let id = PeerIdentity::try_from(decode(id)?)?;
                if self.socket.is_some() {
                    return Err(Failure::new(
                        "ENOTSUP",
                        "zmq.rs takes the routing id only when a socket is made \
                         (SocketOptions::peer_identity); this one is already in use",
                    ));
                }
                self.routing_id = Some(id);
                done()
            }
            // zmq.rs's ROUTER always refuses a message for an unknown routing
            // id (ROUTER_MANDATORY on); it cannot drop it silently.
            "ROUTER_MANDATORY" if self.kind != Kind::Router => Err(Failure::new(
                "EINVAL",
                "ROUTER_MANDATORY applies to a ROUTER only",
            )),
            "ROUTER_MANDATORY" => match value {
                Value::Bool(true) => done(),
                Value::Bool(false) => Err(Failure::new(
                    "ENOTSUP",
                    "a zmq.rs ROUTER always refuses a message for an unknown routing id",
                )),
                _ => Err(Failure::new(
                    "EINVAL",
                    "ROUTER_MANDATORY takes true or false",
                )),
            },
            _ => match UNSUPPORTED_OPTIONS.iter().find(|(name, _)| *name == option) {
                Some((_, why)) => Err(Failure::new(
                    "ENOTSUP",
                    format!("zmq.rs has no {option}: {why}"),
                )),
                None => Err(Failure::new("ENOTSUP", format!("no option {option:?}"))),
            },
        }
    }

    async fn bind(&mut self, endpoint: &str) -> Reply {
        let endpoint = supported(endpoint)?;
        // zmq.rs spells the wildcard port 0.
        let endpoint = match endpoint.strip_suffix(":*") {
            Some(address) if endpoint.starts_with("tcp://") => format!("{address}:0"),
            _ => endpoint.to_owned(),
        };
        let bound = with_socket!(self.socket(), socket => {
            bounded(OPERATION_BOUND, "bind", socket.bind(&endpoint)).await?
        });
        let mut results = Map::new();
        results.insert("endpoint".to_owned(), bound.to_string().into());
        Ok(results)
    }

    async fn connect(&mut self, endpoint: &str) -> Reply {
        let endpoint = supported(endpoint)?;
        with_socket!(self.socket(), socket => {
            match timeout(CONNECT_BOUND, socket.connect(endpoint)).await {
                Ok(connected) => connected?,
                Err(_) => {
                    return Err(Failure::new(
                        "ENOTSUP",
                        format!(
                            "no handshake with {endpoint} within {} ms: zmq.rs connects in \
                             the foreground (Socket::connect returns once the ZMTP \
                             handshake is done), so it cannot connect before the peer binds",
                            CONNECT_BOUND.as_millis()
                        ),
                    ))
                }
            }
        });
        done()
    }

    async fn unbind(&mut self, endpoint: &str) -> Reply {
        let endpoint: Endpoint = supported(endpoint)?.parse().map_err(ZmqError::from)?;
        with_socket!(self.socket(), socket => {
            bounded(OPERATION_BOUND, "unbind", socket.unbind(endpoint)).await?
        });
        done()
    }

    async fn send(&mut self, frames: Vec<Bytes>, wait: Duration) -> Reply {
        let message = ZmqMessage::try_from(frames)
            .map_err(|_| Failure::new("EINVAL", "a message has at least one frame"))?;
        with_socket!(self.socket(), socket => {
            bounded(wait, "send", socket.send(message)).await?
        });
        done()
    }

    async fn recv(&mut self, wait: Duration) -> Reply {
        let message = with_socket!(self.socket(), socket => {
            bounded(wait, "recv", socket.recv()).await?
        });
        let frames: Vec<Value> = message
            .iter()
            .map(|frame| BASE64_STANDARD.encode(frame).into())
            .collect();
        let mut results = Map::new();
        results.insert("frames".to_owned(), frames.into());
        Ok(results)
    }

    /// Closes the socket: zmq.rs has no linger, `Socket::close` stops its
    /// listeners and dropping it drops its connections.
    async fn close(&mut self) -> Reply {
        if let Some(zmq) = self.socket.take() {
            let errors = with_socket!(zmq, socket => {
                bounded(OPERATION_BOUND, "close", async { Ok::<_, ZmqError>(socket.close().await) }).await?
            });
            for error in errors {
                eprintln!("zmqrs driver: close: {error}");
            }
        }
        done()
    }
}

/// Waits for a zmq.rs future at most `wait`; EAGAIN if it did not finish.
async fn bounded<T>(
    wait: Duration,
    what: &str,
    future: impl std::future::Future<Output = Result<T, ZmqError>>,
) -> Result<T, Failure> {
    match timeout(wait, future).await {
        Ok(result) => Ok(result?),
        Err(_) => Err(Failure::new(
            "EAGAIN",
            format!("{what} did not complete within {} ms", wait.as_millis()),
        )),
    }
}

/// The endpoint, if its transport is one zmq.rs has.
fn supported(endpoint: &str) -> Result<&str, Failure> {
    match endpoint.split_once("://") {
        Some(("tcp" | "ipc", _)) | None => Ok(endpoint),
        Some((transport, _)) => Err(Failure::new(
            "ENOTSUP",
            format!("zmq.rs has no {transport} transport"),
        )),
    }
}

fn decode(text: &str) -> Result<Vec<u8>, Failure> {
    BASE64_STANDARD
        .decode(text)
        .map_err(|error| Failure::protocol(format!("a frame is not base64: {error}")))
}

fn argument<'a>(request: &'a Map<String, Value>, name: &str) -> Result<&'a Value, Failure> {
    request
        .get(name)
        .ok_or_else(|| Failure::protocol(format!("missing argument {name:?}")))
}

fn string<'a>(request: &'a Map<String, Value>, name: &str) -> Result<&'a str, Failure> {
    argument(request, name)?
        .as_str()
        .ok_or_else(|| Failure::protocol(format!("{name} is not a string")))
}

fn timeout_of(request: &Map<String, Value>) -> Result<Duration, Failure> {
    match request.get("timeout_ms") {
        None => Ok(Duration::ZERO),
        Some(value) => value
            .as_u64()
            .map(Duration::from_millis)
            .ok_or_else(|| Failure::protocol(format!("bad timeout_ms {value}"))),
    }
}

fn frames_of(request: &Map<String, Value>) -> Result<Vec<Bytes>, Failure> {
    argument(request, "frames")?
        .as_array()
        .ok_or_else(|| Failure::protocol("frames is not a list"))?
        .iter()
        .map(|frame| {
            let text = frame
                .as_str()
                .ok_or_else(|| Failure::protocol("a frame is not a string"))?;
            Ok(Bytes::from(decode(text)?))
        })
        .collect()
}

/// Performs one socket operation of `request` on `handle`.
async fn operate(handle: &mut Handle, op: &str, request: &Map<String, Value>) -> Reply {
    match op {
        "set" => handle.set(string(request, "option")?, argument(request, "value")?),
        "bind" => handle.bind(string(request, "endpoint")?).await,
        "connect" => handle.connect(string(request, "endpoint")?).await,
        "disconnect" => Err(Failure::new(
            "ENOTSUP",
            "zmq.rs has no Socket::disconnect (a TODO in its Socket trait)",
        )),
        "unbind" => handle.unbind(string(request, "endpoint")?).await,
        "send" => {
            let frames = frames_of(request)?;
            handle.send(frames, timeout_of(request)?).await
        }
        "recv" => handle.recv(timeout_of(request)?).await,
        "close" => handle.close().await,
        _ => Err(Failure::new("ENOTSUP", format!("no op {op:?}"))),
    }
}

#[derive(Default)]
struct Driver {
    sockets: HashMap<String, Arc<Mutex<Handle>>>,
    counter: u64,
}

impl Driver {
    async fn handle(&mut self, request: Map<String, Value>) -> Reply {
        let op = string(&request, "op")?.to_owned();
        match op.as_str() {
            "hello" => hello(&request),
            "socket" => {
                let name = string(&request, "type")?;
                let kind = Kind::parse(name)
                    .ok_or_else(|| Failure::new("ENOTSUP", format!("no socket type {name:?}")))?;
                self.counter += 1;
                let name = format!("s{}", self.counter);
                self.sockets
                    .insert(name.clone(), Arc::new(Mutex::new(Handle::new(kind))));
                let mut results = Map::new();
                results.insert("socket".to_owned(), name.into());
                Ok(results)
            }
            _ => {
                let name = string(&request, "socket")?;
                let handle = match self.sockets.get(name) {
                    Some(handle) => Arc::clone(handle),
                    None => {
                        return Err(Failure::new(
                            "EINVAL",
                            format!("unknown socket handle {name:?}"),
                        ))
                    }
                };
                if op == "close" {
                    self.sockets.remove(name);
                }
                // A task of its own, so that a panic in zmq.rs is an answer.
                let task = tokio::spawn(async move {
                    let mut handle = handle.lock().await;
                    operate(&mut handle, &op, &request).await
                });
                task.await
                    .unwrap_or_else(|error| Err(Failure::panicked(error)))
            }
        }
    }

    async fn close_all(&mut self) {
        for (_, handle) in self.sockets.drain() {
            let task = tokio::spawn(async move { handle.lock().await.close().await });
            if let Err(failure) = task.await.unwrap_or_else(|e| Err(Failure::panicked(e))) {
                eprintln!("zmqrs driver: close: {}", failure.message);
            }
        }
    }
}

fn hello(request: &Map<String, Value>) -> Reply {
    if request.get("protocol") != Some(&json!(PROTOCOL)) {
        return Err(Failure::new(
            "ENOTSUP",
            format!("this driver speaks protocol {PROTOCOL}"),
        ));
    }
    let results = json!({
        "protocol": PROTOCOL,
        "implementation": IMPLEMENTATION,
        "socket_types": ["REQ", "REP", "DEALER", "ROUTER"],
        "transports": ["tcp", "ipc"],
        "options": ["ROUTING_ID"],
    });
    match results {
        Value::Object(results) => Ok(results),
        _ => unreachable!("a JSON object literal"),
    }
}

fn response(id: Value, reply: Reply) -> Value {
    match reply {
        Ok(mut results) => {
            results.insert("id".to_owned(), id);
            results.insert("ok".to_owned(), true.into());
            Value::Object(results)
        }
        Err(failure) => json!({
            "id": id,
            "ok": false,
            "error": failure.code,
            "message": failure.message,
        }),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut driver = Driver::default();
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    let mut stdout = tokio::io::stdout();
    while let Some(line) = lines.next_line().await? {
        if line.trim().is_empty() {
            continue;
        }
        let (id, reply, bye) = match serde_json::from_str::<Value>(&line) {
            Ok(Value::Object(request)) => {
                let id = request.get("id").cloned().unwrap_or(Value::Null);
                if request.get("op") == Some(&json!("bye")) {
                    driver.close_all().await;
                    (id, done(), true)
                } else {
                    (id, driver.handle(request).await, false)
                }
            }
            Ok(_) => (
                Value::Null,
                Err(Failure::protocol("unparsable request: not an object")),
                false,
            ),
            Err(error) => (
                Value::Null,
                Err(Failure::protocol(format!("unparsable request: {error}"))),
                false,
            ),
        };
        let mut out = response(id, reply).to_string();
        out.push('\n');
        stdout.write_all(out.as_bytes()).await?;
        stdout.flush().await?;
        if bye {
            // Not a return: tokio's stdin reader thread would hold up the
            // runtime's shutdown until the suite closes the pipe.
            std::process::exit(0);
        }
    }
    driver.close_all().await;
    Ok(())
}
