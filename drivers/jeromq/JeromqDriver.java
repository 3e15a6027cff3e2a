// zmq-conformance driver (docs/driver-protocol.md, versions 1 to 3) for JeroMQ.
//
// Reads one JSON request per line on stdin and writes one JSON response per
// line on stdout, one request at a time, in order; diagnostics go to stderr.
// Needs only the JDK, JeroMQ and Gson. One source serves two rows of the
// table: drivers/jeromq (JeroMQ 0.6, from Maven) and drivers/jeromq-debian
// (JeroMQ 0.3.6, Debian's libjeromq-java); each compiles it against its own
// jar. Where the two APIs differ (setSocketOpt returns void in 0.3.6 and
// boolean in 0.6, getsockoptx became getSocketOptx, options that 0.3.6 does
// not have), the driver finds the method or constant by reflection, so what
// hello lists is what the JeroMQ on the class path accepted, never a version
// number's promise.
//
// It drives JeroMQ's low-level zmq.SocketBase rather than
// org.zeromq.ZMQ.Socket because only the former reports every failure as an
// errno, which is what the protocol's error codes are made of.

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.locks.LockSupport;
import java.util.jar.JarFile;

import zmq.Ctx;
import zmq.Msg;
import zmq.SocketBase;
import zmq.ZError;
import zmq.ZMQ;

public final class JeromqDriver {
    /** The newest protocol version this driver speaks; it speaks every one from 1. */
    static final int PROTOCOL = 3;

    static final Map<String, Integer> SOCKET_TYPES = new LinkedHashMap<>();
    static {
        SOCKET_TYPES.put("REQ", ZMQ.ZMQ_REQ);
        SOCKET_TYPES.put("REP", ZMQ.ZMQ_REP);
        SOCKET_TYPES.put("DEALER", ZMQ.ZMQ_DEALER);
        SOCKET_TYPES.put("ROUTER", ZMQ.ZMQ_ROUTER);
    }

    enum Kind { BYTES, BOOL, INT, LONG }

    /** A protocol option: the zmq.ZMQ constant it maps to, its value kind, a socket type that takes it. */
    static final class Option {
        final String field;
        final Kind kind;
        final String probeType;
        final Object probeValue;

        Option(String field, Kind kind, String probeType, Object probeValue) {
            this.field = field;
            this.kind = kind;
            this.probeType = probeType;
            this.probeValue = probeValue;
        }
    }

    // Protocol option -> JeroMQ constant, looked up by name at run time: the
    // REQ_* and PROBE_ROUTER constants only exist from JeroMQ 0.4 on.
    // IMMEDIATE is ZMQ_DELAY_ATTACH_ON_CONNECT, libzmq's option 39: both
    // JeroMQs give it libzmq's ZMQ_IMMEDIATE meaning (1 = queue only to
    // completed connections). JeroMQ 0.6's own ZMQ_IMMEDIATE is another option
    // number with the opposite meaning (its default, true, is libzmq's 0).
    // Booleans are passed as 0/1 Integers: 0.3.6 casts them to Integer.
    static final Map<String, Option> OPTIONS = new LinkedHashMap<>();
    static {
        OPTIONS.put("ROUTING_ID", new Option("ZMQ_IDENTITY", Kind.BYTES, "DEALER", new byte[] {'x'}));
        OPTIONS.put("ROUTER_MANDATORY", new Option("ZMQ_ROUTER_MANDATORY", Kind.BOOL, "ROUTER", 0));
        OPTIONS.put("ROUTER_HANDOVER", new Option("ZMQ_ROUTER_HANDOVER", Kind.BOOL, "ROUTER", 0));
        OPTIONS.put("REQ_RELAXED", new Option("ZMQ_REQ_RELAXED", Kind.BOOL, "REQ", 0));
        OPTIONS.put("REQ_CORRELATE", new Option("ZMQ_REQ_CORRELATE", Kind.BOOL, "REQ", 0));
        OPTIONS.put("PROBE_ROUTER", new Option("ZMQ_PROBE_ROUTER", Kind.BOOL, "DEALER", 0));
        OPTIONS.put("IMMEDIATE", new Option("ZMQ_DELAY_ATTACH_ON_CONNECT", Kind.BOOL, "DEALER", 0));
        OPTIONS.put("SNDHWM", new Option("ZMQ_SNDHWM", Kind.INT, "DEALER", 1000));
        OPTIONS.put("RCVHWM", new Option("ZMQ_RCVHWM", Kind.INT, "DEALER", 1000));
        OPTIONS.put("LINGER", new Option("ZMQ_LINGER", Kind.INT, "DEALER", 0));
        // JeroMQ casts MAXMSGSIZE to Long and every other number to Integer.
        OPTIONS.put("MAXMSGSIZE", new Option("ZMQ_MAXMSGSIZE", Kind.LONG, "DEALER", -1L));
    }

    /** A failure answered to the suite: a protocol error code and a message. */
    static final class Failure extends Exception {
        final String code;

        Failure(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    // The methods whose signatures differ between 0.3.6 and 0.6.
    static final Method SET_OPTION = method("setSocketOpt", int.class, Object.class);
    static final Method GET_OPTION_OBJECT = method("getSocketOptx", int.class) != null
            ? method("getSocketOptx", int.class)
            : method("getsockoptx", int.class);

    final Ctx context = ZMQ.createContext();
    final Map<String, SocketBase> sockets = new LinkedHashMap<>();
    int counter = 0;
    int protocol = 1; // until hello agrees on one
    Map<String, Integer> supportedOptions; // found by hello, on first use
    Boolean wildcardReportsPort; // found on the first wildcard tcp bind

    static Method method(String name, Class<?>... parameters) {
        try {
            return SocketBase.class.getMethod(name, parameters);
        } catch (NoSuchMethodException exc) {
            return null;
        }
    }

    /** A zmq.ZMQ int constant, or null if this JeroMQ does not have it. */
    static Integer constant(String name) {
        try {
            return ZMQ.class.getField(name).getInt(null);
        } catch (ReflectiveOperationException | RuntimeException exc) {
            return null;
        }
    }

    static String codeOf(int errno) {
        if (errno == ZError.EAGAIN) {
            return "EAGAIN";
        } else if (errno == ZError.EFSM) {
            return "EFSM";
        } else if (errno == ZError.EHOSTUNREACH) {
            return "EHOSTUNREACH";
        } else if (errno == ZError.EINVAL) {
            return "EINVAL";
        } else if (errno == ZError.ENOTSUP || errno == ZError.EPROTONOSUPPORT
                || errno == ZError.ENOCOMPATPROTO) {
            return "ENOTSUP";
        }
        return "EOTHER";
    }

    /** The failure for a call that returned false/null: JeroMQ set the socket's errno. */
    static Failure failed(SocketBase socket, String what) {
        int errno = socket.errno();
        return new Failure(codeOf(errno), what + " failed, errno " + errno);
    }

    /** Calls a reflected SocketBase method, rethrowing what JeroMQ threw. */
    static Object call(Method method, SocketBase socket, Object... args) {
        try {
            return method.invoke(socket, args);
        } catch (InvocationTargetException exc) {
            Throwable cause = exc.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            if (cause instanceof Error) {
                throw (Error) cause;
            }
            throw new IllegalStateException(cause);
        } catch (IllegalAccessException exc) {
            throw new IllegalStateException(exc);
        }
    }

    /** setSocketOpt: 0.3.6 returns nothing and throws on failure; 0.6 may also return false. */
    static void setOption(SocketBase socket, int option, Object value, String name) throws Failure {
        Object result = call(SET_OPTION, socket, option, value);
        if (Boolean.FALSE.equals(result)) {
            throw failed(socket, "set " + name);
        }
    }

    static String lastEndpoint(SocketBase socket) {
        return (String) call(GET_OPTION_OBJECT, socket, ZMQ.ZMQ_LAST_ENDPOINT);
    }

    static String string(JsonObject request, String name) throws Failure {
        JsonElement value = request.get(name);
        if (value == null || !value.isJsonPrimitive() || !value.getAsJsonPrimitive().isString()) {
            throw new Failure("EPROTO", "missing or non-string argument " + name);
        }
        return value.getAsString();
    }

    static int timeoutOf(JsonObject request) throws Failure {
        JsonElement value = request.get("timeout_ms");
        if (value == null) {
            return 0;
        }
        try {
            int timeout = value.getAsInt();
            if (timeout >= 0) {
                return timeout;
            }
        } catch (RuntimeException exc) {
            // answered below
        }
        throw new Failure("EPROTO", "bad timeout_ms " + value);
    }

    static byte[] decode(JsonElement frame) throws Failure {
        try {
            return Base64.getDecoder().decode(frame.getAsString());
        } catch (RuntimeException exc) {
            throw new Failure("EPROTO", "a frame is not a base64 string");
        }
    }

    static JsonArray names(Iterable<String> names) {
        JsonArray array = new JsonArray();
        for (String name : names) {
            array.add(name);
        }
        return array;
    }

    static String jeromqVersion() {
        try {
            String jar = Ctx.class.getProtectionDomain().getCodeSource().getLocation().getPath();
            try (JarFile file = new JarFile(jar)) {
                String version = file.getManifest().getMainAttributes().getValue("Bundle-Version");
                if (version != null) {
                    return version;
                }
            }
        } catch (Exception exc) {
            // fall through: the version is informative only
        }
        return "unknown";
    }

    SocketBase sock(JsonObject request) throws Failure {
        String handle = string(request, "socket");
        SocketBase socket = sockets.get(handle);
        if (socket == null) {
            throw new Failure("EINVAL", "unknown socket handle " + handle);
        }
        return socket;
    }

    SocketBase create(int kind) throws Failure {
        SocketBase socket = context.createSocket(kind);
        if (socket == null) {
            throw new Failure("EOTHER", "createSocket failed (too many sockets or context terminated)");
        }
        setOption(socket, ZMQ.ZMQ_LINGER, 0, "LINGER");
        return socket;
    }

    /**
     * The options this JeroMQ really takes: its zmq.ZMQ has the constant and a
     * fresh socket of a type the option is for accepts it (a value that changes
     * nothing: false, the default HWM, linger 0, no size limit).
     */
    Map<String, Integer> supportedOptions() {
        if (supportedOptions != null) {
            return supportedOptions;
        }
        Map<String, Integer> found = new LinkedHashMap<>();
        for (Map.Entry<String, Option> entry : OPTIONS.entrySet()) {
            Option option = entry.getValue();
            Integer number = constant(option.field);
            if (number == null) {
                continue;
            }
            SocketBase probe = null;
            try {
                probe = create(SOCKET_TYPES.get(option.probeType));
                setOption(probe, number, option.probeValue, entry.getKey());
                found.put(entry.getKey(), number);
            } catch (Failure | RuntimeException exc) {
                System.err.println("jeromq driver: " + entry.getKey() + " not taken: " + exc);
            } finally {
                if (probe != null) {
                    probe.close();
                }
            }
        }
        supportedOptions = found;
        return found;
    }

    /** The newest version the suite offers ("protocols", or "protocol" alone) that we speak. */
    static int agreedProtocol(JsonObject request) throws Failure {
        JsonElement offered = request.get("protocols");
        JsonArray versions = new JsonArray();
        if (offered != null && offered.isJsonArray()) {
            versions = offered.getAsJsonArray();
        } else if (request.get("protocol") != null) {
            versions.add(request.get("protocol"));
        }
        int agreed = 0;
        for (JsonElement version : versions) {
            if (version.isJsonPrimitive() && version.getAsJsonPrimitive().isNumber()) {
                int number = version.getAsInt();
                if (number >= 1 && number <= PROTOCOL && number > agreed) {
                    agreed = number;
                }
            }
        }
        if (agreed == 0) {
            throw new Failure("ENOTSUP", "this driver speaks protocols 1 to " + PROTOCOL);
        }
        return agreed;
    }

    JsonObject hello(JsonObject request) throws Failure {
        protocol = agreedProtocol(request);
        JsonObject result = new JsonObject();
        result.addProperty("protocol", protocol);
        result.addProperty(
                "implementation",
                "JeroMQ " + jeromqVersion() + " (libzmq " + constant("ZMQ_VERSION_MAJOR") + "."
                        + constant("ZMQ_VERSION_MINOR") + "." + constant("ZMQ_VERSION_PATCH")
                        + " API, Java " + System.getProperty("java.version") + ")");
        result.add("socket_types", names(SOCKET_TYPES.keySet()));
        // No JeroMQ has an ipc transport: it maps ipc://path to tcp on
        // localhost, port 10000 + (hash of path % 55536) (zmq.IpcAddress),
        // which no other implementation can reach. So ipc is not listed.
        result.add("transports", names(List.of("tcp", "inproc")));
        result.add("options", names(supportedOptions().keySet()));
        return result;
    }

    JsonObject socket(JsonObject request) throws Failure {
        String type = string(request, "type");
        Integer kind = SOCKET_TYPES.get(type);
        if (kind == null) {
            throw new Failure("ENOTSUP", "no socket type " + type);
        }
        JsonElement chosen = protocol >= 2 ? request.get("socket") : null;
        String handle;
        if (chosen == null || chosen.isJsonNull()) {
            counter += 1;
            handle = "s" + counter;
        } else if (!chosen.isJsonPrimitive() || sockets.containsKey(chosen.getAsString())) {
            throw new Failure("EINVAL", "socket handle " + chosen + " is not a new string");
        } else {
            handle = chosen.getAsString();
        }
        SocketBase socket = create(kind);
        sockets.put(handle, socket);
        JsonObject result = new JsonObject();
        result.addProperty("socket", handle);
        return result;
    }

    JsonObject set(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        String name = string(request, "option");
        JsonElement value = request.get("value");
        if (value == null || !value.isJsonPrimitive()) {
            throw new Failure("EPROTO", "missing option value");
        }
        Option option = OPTIONS.get(name);
        Integer number = supportedOptions().get(name);
        if (option == null || number == null) {
            throw new Failure("ENOTSUP", "no option " + name + " in this JeroMQ");
        }
        Object converted;
        switch (option.kind) {
            case BYTES:
                if (!value.getAsJsonPrimitive().isString()) {
                    throw new Failure("EINVAL", name + " takes a base64 string");
                }
                converted = decode(value);
                break;
            case BOOL:
                if (!value.getAsJsonPrimitive().isBoolean()) {
                    throw new Failure("EINVAL", name + " takes true or false");
                }
                converted = value.getAsBoolean() ? 1 : 0;
                break;
            default:
                if (!value.getAsJsonPrimitive().isNumber()) {
                    throw new Failure("EINVAL", name + " takes an integer");
                }
                converted = option.kind == Kind.LONG ? (Object) value.getAsLong() : (Object) value.getAsInt();
        }
        setOption(socket, number, converted, name);
        return new JsonObject();
    }

    JsonObject bind(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        String endpoint = string(request, "endpoint");
        String bound;
        if (endpoint.startsWith("tcp://") && endpoint.endsWith(":*") && !wildcardReportsPort()) {
            bound = bindToRandomPort(socket, endpoint.substring(0, endpoint.length() - 1));
        } else {
            if (!socket.bind(endpoint)) {
                throw failed(socket, "bind");
            }
            bound = lastEndpoint(socket);
        }
        JsonObject result = new JsonObject();
        result.addProperty("endpoint", bound);
        return result;
    }

    /**
     * Whether a wildcard tcp bind reports the port the system chose as its
     * LAST_ENDPOINT. JeroMQ 0.6 does; 0.3.6 binds but reports port 0, so no
     * peer could be told the port. Tried once, on a socket of its own.
     */
    boolean wildcardReportsPort() throws Failure {
        if (wildcardReportsPort == null) {
            SocketBase probe = create(ZMQ.ZMQ_DEALER);
            try {
                String bound = probe.bind("tcp://127.0.0.1:*") ? lastEndpoint(probe) : null;
                wildcardReportsPort = bound != null && !bound.endsWith(":0") && !bound.endsWith(":*");
            } finally {
                probe.close();
            }
        }
        return wildcardReportsPort;
    }

    /**
     * For a JeroMQ whose wildcard bind reports no port, what its own
     * ZMQ.Socket.bindToRandomPort does: random ports in the dynamic range
     * until one binds.
     */
    static String bindToRandomPort(SocketBase socket, String prefix) throws Failure {
        Random random = new Random();
        for (int attempt = 0; attempt < 100; attempt++) {
            String endpoint = prefix + (0xc000 + random.nextInt(0x10000 - 0xc000));
            if (socket.bind(endpoint)) {
                return endpoint;
            }
            if (socket.errno() != ZError.EADDRINUSE) {
                throw failed(socket, "bind");
            }
        }
        throw new Failure("EOTHER", "no free port for " + prefix + "* in 100 attempts");
    }

    JsonObject connect(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        if (!socket.connect(string(request, "endpoint"))) {
            throw failed(socket, "connect");
        }
        return new JsonObject();
    }

    /** disconnect and unbind are both zmq_term_endpoint in JeroMQ, as in libzmq. */
    JsonObject terminateEndpoint(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        if (!socket.termEndpoint(string(request, "endpoint"))) {
            throw failed(socket, string(request, "op"));
        }
        return new JsonObject();
    }

    /** What is left of a deadline, for the second and later frames of a message (0: only at once). */
    static int remaining(long deadline) {
        return (int) Math.max(0, (deadline - System.nanoTime()) / 1_000_000);
    }

    JsonObject send(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        JsonElement frames = request.get("frames");
        if (frames == null || !frames.isJsonArray()) {
            throw new Failure("EPROTO", "frames is not a list");
        }
        JsonArray list = frames.getAsJsonArray();
        if (list.size() == 0) {
            throw new Failure("EINVAL", "a message has at least one frame");
        }
        List<byte[]> parts = new ArrayList<>();
        for (JsonElement frame : list) {
            parts.add(decode(frame));
        }
        int timeout = timeoutOf(request);
        long deadline = System.nanoTime() + timeout * 1_000_000L;
        for (int i = 0; i < parts.size(); i++) {
            setOption(socket, ZMQ.ZMQ_SNDTIMEO, i == 0 ? timeout : remaining(deadline), "SNDTIMEO");
            int flags = i + 1 < parts.size() ? ZMQ.ZMQ_SNDMORE : 0;
            if (!socket.send(new Msg(parts.get(i)), flags)) {
                throw failed(socket, "send of frame " + i);
            }
        }
        return new JsonObject();
    }

    JsonObject recv(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        int timeout = timeoutOf(request);
        long deadline = System.nanoTime() + timeout * 1_000_000L;
        JsonArray frames = new JsonArray();
        while (true) {
            setOption(socket, ZMQ.ZMQ_RCVTIMEO, frames.size() == 0 ? timeout : remaining(deadline), "RCVTIMEO");
            Msg part = socket.recv(0);
            if (part == null) {
                throw failed(socket, "recv of frame " + frames.size());
            }
            frames.add(Base64.getEncoder().encodeToString(part.data()));
            if (!part.hasMore()) {
                break;
            }
        }
        JsonObject result = new JsonObject();
        result.add("frames", frames);
        return result;
    }

    JsonObject close(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        JsonElement linger = protocol >= 3 ? request.get("linger") : null;
        int lingerMs = 0;
        if (linger != null) {
            if (!linger.isJsonPrimitive() || !linger.getAsJsonPrimitive().isNumber()
                    || linger.getAsDouble() != Math.floor(linger.getAsDouble())
                    || linger.getAsLong() < 0 || linger.getAsLong() > Integer.MAX_VALUE) {
                throw new Failure("EINVAL", "linger is a non-negative integer, not " + linger);
            }
            lingerMs = linger.getAsInt();
        }
        // Version 3: as zmq_close with that ZMQ_LINGER; JeroMQ's reaper sends
        // what is queued in the background, and close returns at once.
        setOption(socket, ZMQ.ZMQ_LINGER, lingerMs, "LINGER");
        sockets.remove(string(request, "socket"));
        socket.close();
        return new JsonObject();
    }

    /** Version 2: the indexes of the sockets with a message to receive, within timeout_ms. */
    JsonObject poll(JsonObject request) throws Failure {
        if (protocol < 2) {
            throw new Failure("ENOTSUP", "no op 'poll' in protocol 1");
        }
        JsonElement handles = request.get("sockets");
        if (handles == null || !handles.isJsonArray() || handles.getAsJsonArray().size() == 0) {
            throw new Failure("EINVAL", "poll needs a non-empty list of sockets");
        }
        List<SocketBase> polled = new ArrayList<>();
        for (JsonElement handle : handles.getAsJsonArray()) {
            SocketBase socket = handle.isJsonPrimitive() ? sockets.get(handle.getAsString()) : null;
            if (socket == null) {
                throw new Failure("EINVAL", "unknown socket handle " + handle);
            }
            polled.add(socket);
        }
        long deadline = System.nanoTime() + timeoutOf(request) * 1_000_000L;
        JsonArray ready = new JsonArray();
        while (true) {
            for (int index = 0; index < polled.size(); index++) {
                Object events = call(GET_OPTION_OBJECT, polled.get(index), ZMQ.ZMQ_EVENTS);
                if (events instanceof Integer && ((Integer) events & ZMQ.ZMQ_POLLIN) != 0) {
                    ready.add(index);
                }
            }
            if (ready.size() > 0 || System.nanoTime() >= deadline) {
                break;
            }
            // No JeroMQ poll takes SocketBase alike in 0.3.6 and 0.6 (their
            // PollItem classes differ): ZMQ_EVENTS is read every millisecond.
            LockSupport.parkNanos(1_000_000L);
        }
        JsonObject result = new JsonObject();
        result.add("ready", ready);
        return result;
    }

    JsonObject handle(JsonObject request) throws Failure {
        String op = string(request, "op");
        try {
            switch (op) {
                case "hello":
                    return hello(request);
                case "socket":
                    return socket(request);
                case "set":
                    return set(request);
                case "bind":
                    return bind(request);
                case "connect":
                    return connect(request);
                case "disconnect":
                case "unbind":
                    return terminateEndpoint(request);
                case "send":
                    return send(request);
                case "recv":
                    return recv(request);
                case "close":
                    return close(request);
                case "poll":
                    return poll(request);
                default:
                    throw new Failure("ENOTSUP", "no op " + op);
            }
        } catch (ZError.CtxTerminatedException exc) {
            throw new Failure("EOTHER", "context terminated");
        } catch (ZError.IOException exc) {
            throw new Failure("EOTHER", "I/O error: " + exc.getCause());
        } catch (IllegalStateException exc) {
            // JeroMQ 0.3.6's REP throws this where libzmq's REP fails with
            // EFSM (send before recv, recv twice); its REQ, and 0.6's REP, set
            // EFSM as libzmq does. Anything else thrown so is EOTHER.
            StackTraceElement[] trace = exc.getStackTrace();
            if (trace.length > 0 && trace[0].getClassName().endsWith(".Rep")) {
                throw new Failure("EFSM", exc.getMessage());
            }
            throw new Failure("EOTHER", exc.toString());
        } catch (IllegalArgumentException | ClassCastException | UnsupportedOperationException exc) {
            // JeroMQ rejects bad endpoints and option values with these.
            throw new Failure("EINVAL", exc.toString());
        }
    }

    /** Close every socket, then terminate the context, without waiting on it for ever. */
    void closeAll() {
        for (SocketBase socket : sockets.values()) {
            try {
                socket.close();
            } catch (RuntimeException exc) {
                System.err.println("jeromq driver: close failed: " + exc);
            }
        }
        sockets.clear();
        Thread terminator = new Thread(context::terminate, "terminate");
        terminator.setDaemon(true);
        terminator.start();
        try {
            terminator.join(2000);
        } catch (InterruptedException exc) {
            Thread.currentThread().interrupt();
        }
    }

    static JsonObject response(JsonElement id) {
        JsonObject response = new JsonObject();
        response.add("id", id);
        return response;
    }

    static void fail(JsonObject response, String code, String message) {
        response.addProperty("ok", false);
        response.addProperty("error", code);
        response.addProperty("message", message);
    }

    public static void main(String[] args) throws Exception {
        PrintStream out = new PrintStream(System.out, false, "UTF-8");
        BufferedReader in =
                new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        JeromqDriver driver = new JeromqDriver();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.trim().isEmpty()) {
                continue;
            }
            JsonObject request;
            try {
                request = JsonParser.parseString(line).getAsJsonObject();
            } catch (RuntimeException exc) {
                JsonObject response = response(null);
                fail(response, "EPROTO", "unparsable request: " + exc.getMessage());
                out.println(response);
                out.flush();
                continue;
            }
            JsonObject response = response(request.get("id"));
            JsonElement op = request.get("op");
            if (op != null && op.isJsonPrimitive() && "bye".equals(op.getAsString())) {
                driver.closeAll();
                response.addProperty("ok", true);
                out.println(response);
                out.flush();
                System.exit(0);
            }
            try {
                JsonObject result = driver.handle(request);
                for (Map.Entry<String, JsonElement> entry : result.entrySet()) {
                    response.add(entry.getKey(), entry.getValue());
                }
                response.addProperty("ok", true);
            } catch (Failure failure) {
                fail(response, failure.code, failure.getMessage());
            } catch (Throwable exc) {
                // Whatever JeroMQ throws inside a request is that request's
                // error, never the end of the driver.
                exc.printStackTrace();
                fail(response, "EOTHER", exc.toString());
            }
            out.println(response);
            out.flush();
        }
        driver.closeAll();
        System.exit(0);
    }
}
