<?php
// zmq-conformance driver (docs/driver-protocol.md, version 1) for php-zmq.
//
// Reads one JSON request per line on stdin and writes one JSON response per
// line on stdout, one at a time, in order; diagnostics go to stderr. Needs
// only PHP's CLI and the zmq extension (Debian: php-cli, php-zmq), which
// wraps the system libzmq.

const PROTOCOL = 1;
const SOCKET_TYPES = [
    'REQ' => ZMQ::SOCKET_REQ,
    'REP' => ZMQ::SOCKET_REP,
    'DEALER' => ZMQ::SOCKET_DEALER,
    'ROUTER' => ZMQ::SOCKET_ROUTER,
];
const BOOL_OPTIONS = [
    'ROUTER_MANDATORY' => ZMQ::SOCKOPT_ROUTER_MANDATORY,
    'ROUTER_HANDOVER' => ZMQ::SOCKOPT_ROUTER_HANDOVER,
    'REQ_RELAXED' => ZMQ::SOCKOPT_REQ_RELAXED,
    'REQ_CORRELATE' => ZMQ::SOCKOPT_REQ_CORRELATE,
    'PROBE_ROUTER' => ZMQ::SOCKOPT_PROBE_ROUTER,
    'IMMEDIATE' => ZMQ::SOCKOPT_IMMEDIATE,
];
const INT_OPTIONS = [
    'SNDHWM' => ZMQ::SOCKOPT_SNDHWM,
    'RCVHWM' => ZMQ::SOCKOPT_RCVHWM,
    'LINGER' => ZMQ::SOCKOPT_LINGER,
    'MAXMSGSIZE' => ZMQ::SOCKOPT_MAXMSGSIZE,
];
// libzmq's errno values on Linux; php-zmq passes them on as exception codes.
const ERRNO_CODES = [
    11 => 'EAGAIN',
    ZMQ::ERR_EFSM => 'EFSM',
    113 => 'EHOSTUNREACH',
    22 => 'EINVAL',
    95 => 'ENOTSUP',
    93 => 'ENOTSUP', // EPROTONOSUPPORT: an unknown transport
];

final class Failure extends Exception
{
    public $protocolCode;

    public function __construct(string $code, string $message)
    {
        parent::__construct($message);
        $this->protocolCode = $code;
    }
}

final class Driver
{
    private $context;
    private $sockets = [];
    private $counter = 0;

    public function __construct()
    {
        // Not persistent: a persistent context would outlive the driver's requests.
        $this->context = new ZMQContext(1, false);
    }

    private static function argument(array $request, string $name)
    {
        if (!array_key_exists($name, $request)) {
            throw new Failure('EPROTO', "missing argument $name");
        }
        return $request[$name];
    }

    private function sock(array $request): ZMQSocket
    {
        $handle = self::argument($request, 'socket');
        if (!is_string($handle) || !isset($this->sockets[$handle])) {
            throw new Failure('EINVAL', 'unknown socket handle ' . json_encode($handle));
        }
        return $this->sockets[$handle];
    }

    private static function timeout(array $request): int
    {
        $timeout = $request['timeout_ms'] ?? 0;
        if (!is_int($timeout) || $timeout < 0) {
            throw new Failure('EPROTO', 'bad timeout_ms ' . json_encode($timeout));
        }
        return $timeout;
    }

    private static function frame($text): string
    {
        $frame = is_string($text) ? base64_decode($text, true) : false;
        if ($frame === false) {
            throw new Failure('EPROTO', 'a frame is not a base64 string');
        }
        return $frame;
    }

    public function hello(array $request): array
    {
        if (($request['protocol'] ?? null) !== PROTOCOL) {
            throw new Failure('ENOTSUP', 'this driver speaks protocol ' . PROTOCOL);
        }
        return [
            'protocol' => PROTOCOL,
            'implementation' => sprintf(
                'php-zmq %s (libzmq %s, PHP %s)',
                phpversion('zmq'),
                ZMQ::LIBZMQ_VERSION,
                PHP_VERSION
            ),
            'socket_types' => array_keys(SOCKET_TYPES),
            'transports' => ['tcp', 'ipc', 'inproc'],
            'options' => array_merge(['ROUTING_ID'], array_keys(BOOL_OPTIONS), array_keys(INT_OPTIONS)),
        ];
    }

    public function socket(array $request): array
    {
        $type = self::argument($request, 'type');
        if (!is_string($type) || !isset(SOCKET_TYPES[$type])) {
            throw new Failure('ENOTSUP', 'no socket type ' . json_encode($type));
        }
        $socket = $this->context->getSocket(SOCKET_TYPES[$type]);
        $socket->setSockOpt(ZMQ::SOCKOPT_LINGER, 0);
        $this->counter += 1;
        $handle = "s{$this->counter}";
        $this->sockets[$handle] = $socket;
        return ['socket' => $handle];
    }

    public function set(array $request): array
    {
        $socket = $this->sock($request);
        $option = self::argument($request, 'option');
        $value = self::argument($request, 'value');
        if ($option === 'ROUTING_ID') {
            $socket->setSockOpt(ZMQ::SOCKOPT_IDENTITY, self::frame($value));
        } elseif (is_string($option) && isset(BOOL_OPTIONS[$option])) {
            if (!is_bool($value)) {
                throw new Failure('EINVAL', "$option takes true or false");
            }
            $socket->setSockOpt(BOOL_OPTIONS[$option], $value ? 1 : 0);
        } elseif (is_string($option) && isset(INT_OPTIONS[$option])) {
            if (!is_int($value)) {
                throw new Failure('EINVAL', "$option takes an integer");
            }
            $socket->setSockOpt(INT_OPTIONS[$option], $value);
        } else {
            throw new Failure('ENOTSUP', 'no option ' . json_encode($option));
        }
        return [];
    }

    public function bind(array $request): array
    {
        $socket = $this->sock($request);
        $socket->bind((string) self::argument($request, 'endpoint'));
        $bound = rtrim($socket->getSockOpt(ZMQ::SOCKOPT_LAST_ENDPOINT), "\0");
        return ['endpoint' => $bound];
    }

    public function connect(array $request): array
    {
        $this->sock($request)->connect((string) self::argument($request, 'endpoint'));
        return [];
    }

    public function disconnect(array $request): array
    {
        $this->sock($request)->disconnect((string) self::argument($request, 'endpoint'));
        return [];
    }

    public function unbind(array $request): array
    {
        $this->sock($request)->unbind((string) self::argument($request, 'endpoint'));
        return [];
    }

    public function send(array $request): array
    {
        $socket = $this->sock($request);
        $frames = self::argument($request, 'frames');
        if (!is_array($frames)) {
            throw new Failure('EPROTO', 'frames is not a list');
        }
        if (count($frames) === 0) {
            throw new Failure('EINVAL', 'a message has at least one frame');
        }
        $parts = array_map([self::class, 'frame'], $frames);
        $socket->setSockOpt(ZMQ::SOCKOPT_SNDTIMEO, self::timeout($request));
        // php-zmq answers EAGAIN with false and throws for every other error.
        if ($socket->sendmulti($parts) === false) {
            throw new Failure('EAGAIN', 'not sent within timeout_ms');
        }
        return [];
    }

    public function recv(array $request): array
    {
        $socket = $this->sock($request);
        $socket->setSockOpt(ZMQ::SOCKOPT_RCVTIMEO, self::timeout($request));
        $parts = $socket->recvMulti();
        if ($parts === false) {
            throw new Failure('EAGAIN', 'nothing received within timeout_ms');
        }
        return ['frames' => array_map('base64_encode', $parts)];
    }

    public function close(array $request): array
    {
        $this->sock($request);
        // php-zmq has no close(): zmq_close runs when the last reference goes.
        unset($this->sockets[$request['socket']]);
        return [];
    }

    public function closeAll(): void
    {
        $this->sockets = [];
        $this->context = null;
    }

    public function handle(array $request): array
    {
        $op = $request['op'] ?? null;
        $operations = ['hello', 'socket', 'set', 'bind', 'connect', 'disconnect', 'unbind', 'send', 'recv', 'close'];
        if (!is_string($op) || !in_array($op, $operations, true)) {
            throw new Failure('ENOTSUP', 'no op ' . json_encode($op));
        }
        try {
            return $this->$op($request);
        } catch (ZMQException $exc) {
            // php-zmq refuses an option the socket type lacks before libzmq sees
            // it, with a stale errno as the code; libzmq's answer is EINVAL.
            if (str_ends_with($exc->getMessage(), 'is not valid for this socket type')) {
                throw new Failure('EINVAL', $exc->getMessage());
            }
            throw new Failure(ERRNO_CODES[$exc->getCode()] ?? 'EOTHER', $exc->getMessage());
        }
    }
}

function answer(array $response): void
{
    $line = json_encode($response, JSON_UNESCAPED_SLASHES);
    fwrite(STDOUT, $line . "\n");
    fflush(STDOUT);
}

$driver = new Driver();
while (($line = fgets(STDIN)) !== false) {
    if (trim($line) === '') {
        continue;
    }
    $request = json_decode($line, true);
    if (!is_array($request) || array_is_list($request) && $request !== []) {
        answer(['id' => null, 'ok' => false, 'error' => 'EPROTO', 'message' => 'unparsable request']);
        continue;
    }
    $response = ['id' => $request['id'] ?? null];
    if (($request['op'] ?? null) === 'bye') {
        $driver->closeAll();
        answer($response + ['ok' => true]);
        exit(0);
    }
    try {
        $response = $response + $driver->handle($request) + ['ok' => true];
    } catch (Failure $failure) {
        $response += ['ok' => false, 'error' => $failure->protocolCode, 'message' => $failure->getMessage()];
    }
    answer($response);
}
$driver->closeAll();
exit(0);
