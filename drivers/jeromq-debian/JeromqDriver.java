// zmq-conformance driver (docs/driver-protocol.md, version 1) for JeroMQ.
//
// Reads one JSON request per line on stdin and writes one JSON response per
// line on stdout, one request at a time, in order; diagnostics go to stderr.
// Needs only the JDK, JeroMQ (Debian's libjeromq-java, 0.3.6) and Gson
// (libgoogle-gson-java). It drives JeroMQ's low-level zmq.SocketBase rather
// than org.zeromq.ZMQ.Socket because only the former reports every failure
// as an errno, which is what the protocol's error codes are made of.

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;

import zmq.Ctx;
import zmq.Msg;
import zmq.SocketBase;
import zmq.ZError;
import zmq.ZMQ;

public final class JeromqDriver {
    static final int PROTOCOL = 1;

    static final Map<String, Integer> SOCKET_TYPES = new LinkedHashMap<>();
    static {
        SOCKET_TYPES.put("REQ", ZMQ.ZMQ_REQ);
        SOCKET_TYPES.put("REP", ZMQ.ZMQ_REP);
        SOCKET_TYPES.put("DEALER", ZMQ.ZMQ_DEALER);
        SOCKET_TYPES.put("ROUTER", ZMQ.ZMQ_ROUTER);
    }

    // Protocol option -> JeroMQ option. REQ_RELAXED, REQ_CORRELATE and
    // PROBE_ROUTER do not exist in JeroMQ 0.3.6 (it follows libzmq 3.2), so
    // they are not listed and setting them is ENOTSUP. IMMEDIATE is libzmq
    // 3.2's DELAY_ATTACH_ON_CONNECT under its later name.
    static final Map<String, Integer> BOOL_OPTIONS = new LinkedHashMap<>();
    static final Map<String, Integer> INT_OPTIONS = new LinkedHashMap<>();
    static {
        BOOL_OPTIONS.put("ROUTER_MANDATORY", ZMQ.ZMQ_ROUTER_MANDATORY);
        BOOL_OPTIONS.put("ROUTER_HANDOVER", ZMQ.ZMQ_ROUTER_HANDOVER);
        BOOL_OPTIONS.put("IMMEDIATE", ZMQ.ZMQ_DELAY_ATTACH_ON_CONNECT);
        INT_OPTIONS.put("SNDHWM", ZMQ.ZMQ_SNDHWM);
        INT_OPTIONS.put("RCVHWM", ZMQ.ZMQ_RCVHWM);
        INT_OPTIONS.put("LINGER", ZMQ.ZMQ_LINGER);
        INT_OPTIONS.put("MAXMSGSIZE", ZMQ.ZMQ_MAXMSGSIZE);
    }

    /** A failure answered to the suite: a protocol error code and a message. */
    static final class Failure extends Exception {
        final String code;

        Failure(String code, String message) {
            super(message);
            this.code = code;
        }
    }

    final Ctx context = ZMQ.createContext();
    final Map<String, SocketBase> sockets = new LinkedHashMap<>();
    int counter = 0;

    static String codeOf(int errno) {
        switch (errno) {
            case ZError.EAGAIN:
                return "EAGAIN";
            case ZError.EFSM:
                return "EFSM";
            case ZError.EHOSTUNREACH:
                return "EHOSTUNREACH";
            case ZError.EINVAL:
                return "EINVAL";
            case ZError.ENOTSUP:
            case ZError.EPROTONOSUPPORT:
            case ZError.ENOCOMPATPROTO:
                return "ENOTSUP";
            default:
                return "EOTHER";
        }
    }

    /** The failure for a call that returned false/null: JeroMQ set the socket's errno. */
    static Failure failed(SocketBase socket, String what) {
        int errno = socket.errno();
        return new Failure(codeOf(errno), what + " failed, errno " + errno);
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

    JsonObject hello(JsonObject request) throws Failure {
        JsonElement protocol = request.get("protocol");
        if (protocol == null || protocol.getAsInt() != PROTOCOL) {
            throw new Failure("ENOTSUP", "this driver speaks protocol " + PROTOCOL);
        }
        List<String> options = new ArrayList<>();
        options.add("ROUTING_ID");
        options.addAll(BOOL_OPTIONS.keySet());
        options.addAll(INT_OPTIONS.keySet());
        JsonObject result = new JsonObject();
        result.addProperty("protocol", PROTOCOL);
        result.addProperty(
                "implementation",
                "JeroMQ " + jeromqVersion() + " (libzmq " + ZMQ.ZMQ_VERSION_MAJOR + "."
                        + ZMQ.ZMQ_VERSION_MINOR + "." + ZMQ.ZMQ_VERSION_PATCH + " API, Java "
                        + System.getProperty("java.version") + ")");
        result.add("socket_types", names(SOCKET_TYPES.keySet()));
        // JeroMQ 0.3.6 has no ipc transport: it maps ipc://path to tcp on
        // localhost, port 10000 + (hash of path % 55536), which no other
        // implementation can reach. So ipc is not listed (UNSUPPORTED).
        result.add("transports", names(List.of("tcp", "inproc")));
        result.add("options", names(options));
        return result;
    }

    JsonObject socket(JsonObject request) throws Failure {
        String type = string(request, "type");
        Integer kind = SOCKET_TYPES.get(type);
        if (kind == null) {
            throw new Failure("ENOTSUP", "no socket type " + type);
        }
        SocketBase socket = context.createSocket(kind);
        if (socket == null) {
            throw new Failure("EOTHER", "createSocket failed (too many sockets or context terminated)");
        }
        socket.setSocketOpt(ZMQ.ZMQ_LINGER, 0);
        counter += 1;
        String handle = "s" + counter;
        sockets.put(handle, socket);
        JsonObject result = new JsonObject();
        result.addProperty("socket", handle);
        return result;
    }

    JsonObject set(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        String option = string(request, "option");
        JsonElement value = request.get("value");
        if (value == null || !value.isJsonPrimitive()) {
            throw new Failure("EPROTO", "missing option value");
        }
        if (option.equals("ROUTING_ID")) {
            socket.setSocketOpt(ZMQ.ZMQ_IDENTITY, decode(value));
        } else if (BOOL_OPTIONS.containsKey(option)) {
            if (!value.getAsJsonPrimitive().isBoolean()) {
                throw new Failure("EINVAL", option + " takes true or false");
            }
            socket.setSocketOpt(BOOL_OPTIONS.get(option), value.getAsBoolean() ? 1 : 0);
        } else if (INT_OPTIONS.containsKey(option)) {
            if (!value.getAsJsonPrimitive().isNumber()) {
                throw new Failure("EINVAL", option + " takes an integer");
            }
            int number = INT_OPTIONS.get(option);
            // JeroMQ casts MAXMSGSIZE to Long and every other option to Integer.
            socket.setSocketOpt(
                    number,
                    number == ZMQ.ZMQ_MAXMSGSIZE ? (Object) value.getAsLong() : (Object) value.getAsInt());
        } else {
            throw new Failure("ENOTSUP", "no option " + option);
        }
        return new JsonObject();
    }

    JsonObject bind(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        String endpoint = string(request, "endpoint");
        String bound;
        if (endpoint.startsWith("tcp://") && endpoint.endsWith(":*")) {
            bound = bindToRandomPort(socket, endpoint.substring(0, endpoint.length() - 1));
        } else {
            if (!socket.bind(endpoint)) {
                throw failed(socket, "bind");
            }
            bound = (String) socket.getsockoptx(ZMQ.ZMQ_LAST_ENDPOINT);
        }
        JsonObject result = new JsonObject();
        result.addProperty("endpoint", bound);
        return result;
    }

    /**
     * JeroMQ 0.3.6 binds "tcp://host:*" but reports port 0 as its LAST_ENDPOINT, so
     * the port could not be told to a peer. Its own answer to wildcard ports is
     * ZMQ.Socket.bindToRandomPort, which this mirrors: random ports in the dynamic
     * range until one binds.
     */
    static String bindToRandomPort(SocketBase socket, String prefix) throws Failure {
        java.util.Random random = new java.util.Random();
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
        socket.setSocketOpt(ZMQ.ZMQ_SNDTIMEO, timeoutOf(request));
        for (int i = 0; i < parts.size(); i++) {
            int flags = i + 1 < parts.size() ? ZMQ.ZMQ_SNDMORE : 0;
            if (!socket.send(new Msg(parts.get(i)), flags)) {
                throw failed(socket, "send of frame " + i);
            }
        }
        return new JsonObject();
    }

    JsonObject recv(JsonObject request) throws Failure {
        SocketBase socket = sock(request);
        socket.setSocketOpt(ZMQ.ZMQ_RCVTIMEO, timeoutOf(request));
        JsonArray frames = new JsonArray();
        while (true) {
            Msg part = socket.recv(0);
            if (part == null) {
                throw failed(socket, "recv");
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
        sockets.remove(string(request, "socket"));
        socket.close();
        return new JsonObject();
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
                default:
                    throw new Failure("ENOTSUP", "no op " + op);
            }
        } catch (ZError.CtxTerminatedException exc) {
            throw new Failure("EOTHER", "context terminated");
        } catch (ZError.IOException exc) {
            throw new Failure("EOTHER", "I/O error: " + exc.getCause());
        } catch (IllegalStateException exc) {
            // JeroMQ 0.3.6's REP throws this where libzmq's REP fails with EFSM
            // (send before recv, recv twice); its REQ sets EFSM as libzmq does.
            throw new Failure("EFSM", exc.getMessage());
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
                response.addProperty("ok", false);
                response.addProperty("error", "EPROTO");
                response.addProperty("message", "unparsable request: " + exc.getMessage());
                out.println(response);
                out.flush();
                continue;
            }
            JsonObject response = response(request.get("id"));
            if (request.has("op") && "bye".equals(request.get("op").getAsString())) {
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
                response.addProperty("ok", false);
                response.addProperty("error", failure.code);
                response.addProperty("message", failure.getMessage());
            } catch (RuntimeException exc) {
                exc.printStackTrace();
                response.addProperty("ok", false);
                response.addProperty("error", "EOTHER");
                response.addProperty("message", exc.toString());
            }
            out.println(response);
            out.flush();
        }
        driver.closeAll();
        System.exit(0);
    }
}
