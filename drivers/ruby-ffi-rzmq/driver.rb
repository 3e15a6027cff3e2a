# frozen_string_literal: true

# zmq-conformance driver (docs/driver-protocol.md, version 1) for ffi-rzmq.
#
# Reads one JSON request per line on stdin and writes one JSON response per
# line on stdout, one at a time, in order; diagnostics go to stderr. Needs
# only Ruby's standard library and ffi-rzmq (Debian: ruby-ffi-rzmq), which
# binds the system libzmq through FFI and reports failures as return codes
# plus ZMQ::Util.errno, never as exceptions.

require 'base64'
require 'json'
require 'ffi-rzmq'

PROTOCOL = 1
SOCKET_TYPES = { 'REQ' => ZMQ::REQ, 'REP' => ZMQ::REP, 'DEALER' => ZMQ::DEALER,
                 'ROUTER' => ZMQ::ROUTER }.freeze
# ROUTER_HANDOVER is missing: ffi-rzmq 2.0.7's table of option value types
# does not know it, so its setsockopt cannot pass it to libzmq (ENOTSUP).
BOOL_OPTIONS = { 'ROUTER_MANDATORY' => ZMQ::ROUTER_MANDATORY, 'REQ_RELAXED' => ZMQ::REQ_RELAXED,
                 'REQ_CORRELATE' => ZMQ::REQ_CORRELATE, 'PROBE_ROUTER' => ZMQ::PROBE_ROUTER,
                 'IMMEDIATE' => ZMQ::IMMEDIATE }.freeze
INT_OPTIONS = { 'SNDHWM' => ZMQ::SNDHWM, 'RCVHWM' => ZMQ::RCVHWM, 'LINGER' => ZMQ::LINGER,
                'MAXMSGSIZE' => ZMQ::MAXMSGSIZE }.freeze
ERRNO_CODES = { ZMQ::EAGAIN => 'EAGAIN', ZMQ::EFSM => 'EFSM', ZMQ::EHOSTUNREACH => 'EHOSTUNREACH',
                ZMQ::EINVAL => 'EINVAL', ZMQ::ENOTSUP => 'ENOTSUP',
                ZMQ::EPROTONOSUPPORT => 'ENOTSUP' }.freeze

# A failure answered to the suite: a protocol error code and a message.
class Failure < StandardError
  attr_reader :code

  def initialize(code, message)
    super(message)
    @code = code
  end
end

# One handler per op of the protocol, over one context.
class Driver
  def initialize
    @context = ZMQ::Context.new
    @sockets = {}
    @counter = 0
  end

  def handle(request)
    op = request['op']
    unless %w[hello socket set bind connect disconnect unbind send recv close].include?(op)
      raise Failure.new('ENOTSUP', "no op #{op.inspect}")
    end

    send("op_#{op}", request)
  end

  def op_hello(request)
    raise Failure.new('ENOTSUP', "this driver speaks protocol #{PROTOCOL}") if request['protocol'] != PROTOCOL

    libzmq = LibZMQ.version.values_at(:major, :minor, :patch).join('.')
    { 'protocol' => PROTOCOL,
      'implementation' => "ffi-rzmq #{ZMQ::VERSION} (libzmq #{libzmq}, Ruby #{RUBY_VERSION})",
      'socket_types' => SOCKET_TYPES.keys, 'transports' => %w[tcp ipc inproc],
      'options' => ['ROUTING_ID', *BOOL_OPTIONS.keys, *INT_OPTIONS.keys] }
  end

  def op_socket(request)
    type = SOCKET_TYPES[request['type']]
    raise Failure.new('ENOTSUP', "no socket type #{request['type'].inspect}") if type.nil?

    socket = @context.socket(type)
    check(socket.setsockopt(ZMQ::LINGER, 0), 'setsockopt LINGER')
    @counter += 1
    handle = "s#{@counter}"
    @sockets[handle] = socket
    { 'socket' => handle }
  end

  def op_set(request)
    socket = sock(request)
    option = request['option']
    value = argument(request, 'value')
    if option == 'ROUTING_ID'
      check(socket.setsockopt(ZMQ::IDENTITY, frame(value)), 'setsockopt')
    elsif BOOL_OPTIONS.key?(option)
      raise Failure.new('EINVAL', "#{option} takes true or false") unless [true, false].include?(value)

      check(socket.setsockopt(BOOL_OPTIONS[option], value ? 1 : 0), 'setsockopt')
    elsif INT_OPTIONS.key?(option)
      raise Failure.new('EINVAL', "#{option} takes an integer") unless value.is_a?(Integer)

      check(socket.setsockopt(INT_OPTIONS[option], value), 'setsockopt')
    else
      raise Failure.new('ENOTSUP', "no option #{option.inspect}")
    end
    {}
  end

  def op_bind(request)
    socket = sock(request)
    check(socket.bind(endpoint(request)), 'bind')
    bound = []
    check(socket.getsockopt(ZMQ::LAST_ENDPOINT, bound), 'getsockopt LAST_ENDPOINT')
    { 'endpoint' => bound[0].to_s.delete("\0") }
  end

  def op_connect(request)
    check(sock(request).connect(endpoint(request)), 'connect')
    {}
  end

  def op_disconnect(request)
    check(sock(request).disconnect(endpoint(request)), 'disconnect')
    {}
  end

  def op_unbind(request)
    check(sock(request).unbind(endpoint(request)), 'unbind')
    {}
  end

  def op_send(request)
    socket = sock(request)
    frames = argument(request, 'frames')
    raise Failure.new('EPROTO', 'frames is not a list') unless frames.is_a?(Array)
    raise Failure.new('EINVAL', 'a message has at least one frame') if frames.empty?

    parts = frames.map { |f| frame(f) }
    check(socket.setsockopt(ZMQ::SNDTIMEO, timeout(request)), 'setsockopt SNDTIMEO')
    check(socket.send_strings(parts), 'send')
    {}
  end

  def op_recv(request)
    socket = sock(request)
    check(socket.setsockopt(ZMQ::RCVTIMEO, timeout(request)), 'setsockopt RCVTIMEO')
    parts = []
    check(socket.recv_strings(parts), 'recv')
    { 'frames' => parts.map { |part| Base64.strict_encode64(part) } }
  end

  def op_close(request)
    socket = sock(request)
    @sockets.delete(request['socket'])
    socket.close
    {}
  end

  def close_all
    @sockets.each_value(&:close)
    @sockets.clear
    @context.terminate
  end

  private

  def argument(request, name)
    raise Failure.new('EPROTO', "missing argument #{name}") unless request.key?(name)

    request[name]
  end

  def sock(request)
    socket = @sockets[request['socket']]
    raise Failure.new('EINVAL', "unknown socket handle #{request['socket'].inspect}") if socket.nil?

    socket
  end

  def endpoint(request)
    value = argument(request, 'endpoint')
    raise Failure.new('EPROTO', 'endpoint is not a string') unless value.is_a?(String)

    value
  end

  def timeout(request)
    value = request.fetch('timeout_ms', 0)
    raise Failure.new('EPROTO', "bad timeout_ms #{value.inspect}") unless value.is_a?(Integer) && value >= 0

    value
  end

  def frame(text)
    raise Failure.new('EPROTO', 'a frame is not a base64 string') unless text.is_a?(String)

    Base64.strict_decode64(text)
  rescue ArgumentError
    raise Failure.new('EPROTO', 'a frame is not a base64 string')
  end

  # ffi-rzmq returns libzmq's return code; the reason is in ZMQ::Util.errno.
  def check(result, what)
    return if ZMQ::Util.resultcode_ok?(result)

    errno = ZMQ::Util.errno
    raise Failure.new(ERRNO_CODES.fetch(errno, 'EOTHER'), "#{what}: #{ZMQ::Util.error_string}")
  end
end

def answer(response)
  $stdout.write("#{JSON.generate(response)}\n")
  $stdout.flush
end

$stdout.binmode
driver = Driver.new
$stdin.each_line do |line|
  next if line.strip.empty?

  begin
    request = JSON.parse(line)
    raise JSON::ParserError, 'not an object' unless request.is_a?(Hash)
  rescue JSON::ParserError => e
    answer({ 'id' => nil, 'ok' => false, 'error' => 'EPROTO', 'message' => "unparsable request: #{e.message}" })
    next
  end
  response = { 'id' => request['id'] }
  if request['op'] == 'bye'
    driver.close_all
    answer(response.merge('ok' => true))
    exit 0
  end
  begin
    response.merge!(driver.handle(request))
    response['ok'] = true
  rescue Failure => e
    response.merge!('ok' => false, 'error' => e.code, 'message' => e.message)
  end
  answer(response)
end
driver.close_all
