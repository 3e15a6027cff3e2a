#!/usr/bin/env node
// zmq-conformance driver (docs/driver-protocol.md, version 1) for zeromq.js.
//
// Reads one JSON request per line on stdin and writes one JSON response per
// line on stdout, one request at a time, in order. Diagnostics go to stderr.
// Uses only Node's standard library and the `zeromq` package installed next
// to this file by ./install.
"use strict";

const path = require("path");
const readline = require("readline");

let zmq;
let zmqPackageVersion = "unknown";
try {
  zmq = require("zeromq");
  zmqPackageVersion = require("zeromq/package.json").version;
} catch (err) {
  process.stderr.write(
    `zeromqjs driver: cannot load zeromq (run ${path.join(__dirname, "install")}): ${err}\n`,
  );
  process.exit(3);
}

const PROTOCOL = 1;

const SOCKET_CLASSES = {
  REQ: zmq.Request,
  REP: zmq.Reply,
  DEALER: zmq.Dealer,
  ROUTER: zmq.Router,
};

// Protocol option name -> zeromq.js socket property and value kind. The
// property exists only on the socket classes that support the option (as in
// zeromq.js's own typings), so e.g. ROUTER_MANDATORY on a DEALER is EINVAL,
// which is what libzmq answers for it.
const OPTIONS = {
  ROUTING_ID: ["routingId", "bytes"],
  ROUTER_MANDATORY: ["mandatory", "bool"],
  ROUTER_HANDOVER: ["handover", "bool"],
  REQ_RELAXED: ["relaxed", "bool"],
  REQ_CORRELATE: ["correlate", "bool"],
  PROBE_ROUTER: ["probeRouter", "bool"],
  IMMEDIATE: ["immediate", "bool"],
  SNDHWM: ["sendHighWaterMark", "int"],
  RCVHWM: ["receiveHighWaterMark", "int"],
  LINGER: ["linger", "int"],
  MAXMSGSIZE: ["maxMessageSize", "int"],
};

// zeromq.js rejects with Error objects whose `code` is the errno name.
const ERROR_CODES = {
  EAGAIN: "EAGAIN",
  EFSM: "EFSM",
  EHOSTUNREACH: "EHOSTUNREACH",
  EINVAL: "EINVAL",
  ENOTSUP: "ENOTSUP",
  EPROTONOSUPPORT: "ENOTSUP",
  ENOCOMPATPROTO: "ENOTSUP",
};

class Failure extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

const sockets = new Map();
let counter = 0;

function argument(request, name) {
  if (!(name in request)) {
    throw new Failure("EPROTO", `missing argument ${JSON.stringify(name)}`);
  }
  return request[name];
}

function sock(request) {
  const handle = argument(request, "socket");
  const socket = sockets.get(handle);
  if (socket === undefined) {
    throw new Failure("EINVAL", `unknown socket handle ${JSON.stringify(handle)}`);
  }
  return socket;
}

function timeoutOf(request) {
  const timeout = request.timeout_ms === undefined ? 0 : request.timeout_ms;
  if (!Number.isInteger(timeout) || timeout < 0) {
    throw new Failure("EPROTO", `bad timeout_ms ${JSON.stringify(timeout)}`);
  }
  return timeout;
}

function decodeFrame(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) {
    throw new Failure("EPROTO", "a frame is not a base64 string");
  }
  return Buffer.from(text, "base64");
}

function endpointOf(request) {
  const endpoint = argument(request, "endpoint");
  if (typeof endpoint !== "string") {
    throw new Failure("EPROTO", "endpoint is not a string");
  }
  return endpoint;
}

const operations = {
  hello(request) {
    if (request.protocol !== PROTOCOL) {
      throw new Failure("ENOTSUP", `this driver speaks protocol ${PROTOCOL}`);
    }
    return {
      protocol: PROTOCOL,
      implementation: `zeromq.js ${zmqPackageVersion} (libzmq ${zmq.version}, node ${process.versions.node})`,
      socket_types: Object.keys(SOCKET_CLASSES),
      transports: ["tcp", "ipc", "inproc"],
      options: Object.keys(OPTIONS),
    };
  },

  socket(request) {
    const type = argument(request, "type");
    const Class = SOCKET_CLASSES[type];
    if (Class === undefined) {
      throw new Failure("ENOTSUP", `no socket type ${JSON.stringify(type)}`);
    }
    const socket = new Class({ linger: 0 });
    counter += 1;
    const handle = `s${counter}`;
    sockets.set(handle, socket);
    return { socket: handle };
  },

  set(request) {
    const socket = sock(request);
    const option = argument(request, "option");
    let value = argument(request, "value");
    const spec = OPTIONS[option];
    if (spec === undefined) {
      throw new Failure("ENOTSUP", `no option ${JSON.stringify(option)}`);
    }
    const [property, kind] = spec;
    if (!(property in socket)) {
      throw new Failure("EINVAL", `${option} does not apply to this socket type`);
    }
    if (kind === "bytes") {
      value = decodeFrame(value);
    } else if (kind === "bool") {
      if (typeof value !== "boolean") {
        throw new Failure("EINVAL", `${option} takes true or false`);
      }
    } else if (!Number.isInteger(value)) {
      throw new Failure("EINVAL", `${option} takes an integer`);
    }
    socket[property] = value;
    return {};
  },

  async bind(request) {
    const socket = sock(request);
    await socket.bind(endpointOf(request));
    return { endpoint: socket.lastEndpoint };
  },

  connect(request) {
    sock(request).connect(endpointOf(request));
    return {};
  },

  disconnect(request) {
    sock(request).disconnect(endpointOf(request));
    return {};
  },

  async unbind(request) {
    await sock(request).unbind(endpointOf(request));
    return {};
  },

  async send(request) {
    const socket = sock(request);
    const frames = argument(request, "frames");
    if (!Array.isArray(frames)) {
      throw new Failure("EPROTO", "frames is not a list");
    }
    if (frames.length === 0) {
      throw new Failure("EINVAL", "a message has at least one frame");
    }
    const parts = frames.map(decodeFrame);
    // zeromq.js waits for POLLOUT for up to sendTimeout (forever at its
    // default of -1) before it calls zmq_send, so the timeout is always set.
    socket.sendTimeout = timeoutOf(request);
    await socket.send(parts);
    return {};
  },

  async recv(request) {
    const socket = sock(request);
    socket.receiveTimeout = timeoutOf(request);
    const parts = await socket.receive();
    return { frames: parts.map((part) => Buffer.from(part).toString("base64")) };
  },

  close(request) {
    const socket = sock(request);
    sockets.delete(request.socket);
    socket.close();
    return {};
  },
};

function closeAll() {
  for (const socket of sockets.values()) {
    try {
      socket.close();
    } catch (err) {
      process.stderr.write(`zeromqjs driver: close failed: ${err}\n`);
    }
  }
  sockets.clear();
}

function failureOf(err) {
  if (err instanceof Failure) {
    return err;
  }
  if (err && typeof err.code === "string") {
    const code = ERROR_CODES[err.code] || "EOTHER";
    return new Failure(code, `${err.code}: ${err.message}`);
  }
  if (err instanceof TypeError) {
    return new Failure("EINVAL", err.message);
  }
  return new Failure("EOTHER", String(err && err.message ? err.message : err));
}

function write(response) {
  return new Promise((resolve) => {
    process.stdout.write(JSON.stringify(response) + "\n", () => resolve());
  });
}

async function handle(line) {
  let request;
  try {
    request = JSON.parse(line);
    if (request === null || typeof request !== "object" || Array.isArray(request)) {
      throw new Error("not an object");
    }
  } catch (err) {
    await write({ id: null, ok: false, error: "EPROTO", message: `unparsable request: ${err.message}` });
    return true;
  }
  const response = { id: request.id === undefined ? null : request.id };
  if (request.op === "bye") {
    closeAll();
    response.ok = true;
    await write(response);
    return false;
  }
  const operation = Object.prototype.hasOwnProperty.call(operations, request.op)
    ? operations[request.op]
    : undefined;
  try {
    if (operation === undefined) {
      throw new Failure("ENOTSUP", `no op ${JSON.stringify(request.op)}`);
    }
    Object.assign(response, await operation(request));
    response.ok = true;
  } catch (err) {
    const failure = failureOf(err);
    Object.assign(response, { ok: false, error: failure.code, message: failure.message });
  }
  await write(response);
  return true;
}

async function main() {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") {
      continue;
    }
    if (!(await handle(line))) {
      break;
    }
  }
  closeAll();
  process.exit(0);
}

process.on("uncaughtException", (err) => {
  process.stderr.write(`zeromqjs driver: uncaught exception: ${err && err.stack ? err.stack : err}\n`);
});
process.on("unhandledRejection", (err) => {
  process.stderr.write(`zeromqjs driver: unhandled rejection: ${err && err.stack ? err.stack : err}\n`);
});

main();
