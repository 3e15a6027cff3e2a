// Command zmq4-driver is a zmq-conformance driver for go-zeromq/zmq4, the
// pure-Go implementation of ZeroMQ. It speaks version 1 of the driver
// protocol (docs/driver-protocol.md in the conformance suite).
//
// It reads one JSON request per line on stdin and writes one JSON response
// per line on stdout, one request at a time, in order. Diagnostics go to
// stderr.
//
// zmq4's Send, Recv and Dial may block for as long as they like, and they
// take no per-call deadline, so the driver runs every zmq4 call in a
// goroutine of its own and waits for it at most as long as the request
// allows (a context.WithTimeout). A Recv that outlives its request is kept,
// and the next recv on that socket takes its message, so nothing received
// is lost. A Send that outlives its request is answered EAGAIN; if zmq4
// sends the message after all, the driver says so on stderr.
package main

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-zeromq/zmq4"
)

const protocol = 1

const (
	// minWait is how long a non-blocking (timeout_ms 0) send or recv waits
	// for its goroutine: long enough for a message zmq4 already holds,
	// short enough to be "at once".
	minWait = 5 * time.Millisecond

	// dialWait is how long connect waits for zmq4's Dial. A Dial still
	// retrying then (zmq4 retries every 250 ms, 10 times) goes on in the
	// background, as libzmq's asynchronous connect does. It is below the
	// suite's 2 s grace for a request without timeout_ms.
	dialWait = 500 * time.Millisecond

	// opWait bounds the other zmq4 calls (Listen, Close), which should not
	// block but could, behind a lock held by a blocked write.
	opWait = time.Second
)

// newSocket makes a zmq4 socket of each protocol socket type.
var newSocket = map[string]func(context.Context, ...zmq4.Option) zmq4.Socket{
	"REQ":    zmq4.NewReq,
	"REP":    zmq4.NewRep,
	"DEALER": zmq4.NewDealer,
	"ROUTER": zmq4.NewRouter,
}

// socketTypes and transports are what hello reports, in the protocol's order.
var (
	socketTypes = []string{"REQ", "REP", "DEALER", "ROUTER"}
	transports  = []string{"tcp", "ipc", "inproc"}
)

// unsupported names each protocol option zmq4 does not have, with why.
var unsupported = map[string]string{
	"ROUTER_MANDATORY": "zmq4's ROUTER drops a message for an unknown peer silently; there is no option to fail instead",
	"ROUTER_HANDOVER":  "zmq4 has no ROUTER_HANDOVER option",
	"REQ_RELAXED":      "zmq4's REQ has no send/receive state machine to relax",
	"REQ_CORRELATE":    "zmq4's REQ has no request ids",
	"PROBE_ROUTER":     "zmq4 has no PROBE_ROUTER option",
	"IMMEDIATE":        "zmq4 has no IMMEDIATE option",
	"SNDHWM":           "zmq4 has no high-water marks for REQ, REP, DEALER or ROUTER",
	"RCVHWM":           "zmq4 has no high-water marks for REQ, REP, DEALER or ROUTER",
	"LINGER":           "zmq4 has no LINGER option (Close drops what is queued)",
	"MAXMSGSIZE":       "zmq4 has no MAXMSGSIZE option",
}

// A request is one line of input; which fields matter depends on Op.
type request struct {
	ID        json.RawMessage `json:"id"`
	Op        string          `json:"op"`
	Protocol  int             `json:"protocol"`
	Type      string          `json:"type"`
	Socket    string          `json:"socket"`
	Option    string          `json:"option"`
	Value     json.RawMessage `json:"value"`
	Endpoint  string          `json:"endpoint"`
	Frames    []string        `json:"frames"`
	TimeoutMS *int64          `json:"timeout_ms"`
}

// A result holds the fields of a successful response besides id and ok.
type result map[string]any

// A failure is an error response: a protocol error code and a message.
type failure struct {
	code    string
	message string
}

func (f *failure) Error() string { return f.code + ": " + f.message }

func fail(code, format string, args ...any) error {
	return &failure{code: code, message: fmt.Sprintf(format, args...)}
}

// asFailure maps an error from zmq4 to a protocol error code.
func asFailure(err error) *failure {
	var f *failure
	var transport zmq4.UnknownTransportError
	switch {
	case errors.As(err, &f):
		return f
	case errors.Is(err, context.DeadlineExceeded):
		return &failure{code: "EAGAIN", message: err.Error()}
	case errors.As(err, &transport):
		return &failure{code: "ENOTSUP", message: err.Error()}
	case strings.Contains(err.Error(), "no connections available"):
		// A REQ with no peer refuses at once (req.go reqWriter.write),
		// which RFC 28 allows: "return a suitable error". zmq4 has no
		// error value for it to compare with.
		return &failure{code: "EAGAIN", message: err.Error()}
	default:
		return &failure{code: "EOTHER", message: err.Error()}
	}
}

// A task is one zmq4 call running in a goroutine of its own, so that the
// driver can stop waiting for it at a deadline without losing its outcome.
type task[T any] struct {
	done  chan struct{} // closed when the call has returned
	value T
	err   error
}

func start[T any](call func() (T, error)) *task[T] {
	t := &task[T]{done: make(chan struct{})}
	go func() {
		defer close(t.done)
		defer func() {
			if p := recover(); p != nil {
				log.Printf("panic in zmq4: %v\n%s", p, debug.Stack())
				t.err = fail("EOTHER", "panic in zmq4: %v", p)
			}
		}()
		t.value, t.err = call()
	}()
	return t
}

// wait waits for t until ctx is done and reports whether t has returned.
// A call that returned just as ctx expired still counts as returned.
func (t *task[T]) wait(ctx context.Context) bool {
	select {
	case <-t.done:
		return true
	case <-ctx.Done():
	}
	select {
	case <-t.done:
		return true
	default:
		return false
	}
}

// waitFor is wait with a deadline d from now.
func (t *task[T]) waitFor(d time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return t.wait(ctx)
}

// A socket is one protocol socket. zmq4 takes the routing id only when a
// socket is made (zmq4.WithID), while the protocol sets it afterwards, so
// the zmq4 socket is made when it is first used.
type socket struct {
	handle string
	kind   string
	id     []byte
	hasID  bool
	zs     zmq4.Socket

	recv *task[zmq4.Msg] // a Recv that outlived its request; the next recv takes its message
	send *task[struct{}] // a Send that outlived its request
	dial *task[struct{}] // a Dial that outlived its connect request
}

func (s *socket) zmq() zmq4.Socket {
	if s.zs == nil {
		var opts []zmq4.Option
		if s.hasID {
			opts = append(opts, zmq4.WithID(zmq4.SocketIdentity(s.id)))
		}
		s.zs = newSocket[s.kind](context.Background(), opts...)
	}
	return s.zs
}

// idle waits (up to dialWait) for a Dial still running on s: zmq4's Dial
// and Listen must not run at the same time on one socket. With the wait
// for Listen itself (opWait), a bind stays within the suite's 2 s grace.
func (s *socket) idle() error {
	if s.dial == nil {
		return nil
	}
	if !s.dial.waitFor(dialWait) {
		return fail("EAGAIN", "an earlier connect of this socket is still dialing")
	}
	s.dial = nil
	return nil
}

type driver struct {
	sockets map[string]*socket
	counter int
}

func (d *driver) lookup(r *request) (*socket, error) {
	s, ok := d.sockets[r.Socket]
	if !ok {
		return nil, fail("EINVAL", "unknown socket handle %q", r.Socket)
	}
	return s, nil
}

// timeout is the request's timeout_ms as a duration, at least minWait.
func timeout(r *request) (time.Duration, error) {
	if r.TimeoutMS == nil {
		return 0, fail("EPROTO", "missing argument \"timeout_ms\"")
	}
	if *r.TimeoutMS < 0 {
		return 0, fail("EPROTO", "bad timeout_ms %d", *r.TimeoutMS)
	}
	return max(time.Duration(*r.TimeoutMS)*time.Millisecond, minWait), nil
}

// endpoint checks the request's endpoint: zmq4 also knows udp, which the
// protocol does not.
func endpoint(r *request) (string, error) {
	scheme, _, ok := strings.Cut(r.Endpoint, "://")
	switch {
	case !ok:
		return "", fail("EINVAL", "bad endpoint %q", r.Endpoint)
	case scheme == "tcp" || scheme == "ipc" || scheme == "inproc":
		return r.Endpoint, nil
	default:
		return "", fail("ENOTSUP", "no transport %q", scheme)
	}
}

func zmq4Version() string {
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range info.Deps {
			if dep.Path == "github.com/go-zeromq/zmq4" {
				return dep.Version
			}
		}
	}
	return "(unknown version)"
}

func (d *driver) hello(r *request) (result, error) {
	if r.Protocol != protocol {
		return nil, fail("ENOTSUP", "this driver speaks protocol %d", protocol)
	}
	return result{
		"protocol":       protocol,
		"implementation": fmt.Sprintf("go-zeromq/zmq4 %s (pure Go, %s)", zmq4Version(), runtime.Version()),
		"socket_types":   socketTypes,
		"transports":     transports,
		"options":        []string{"ROUTING_ID"},
	}, nil
}

func (d *driver) socket(r *request) (result, error) {
	if _, ok := newSocket[r.Type]; !ok {
		return nil, fail("ENOTSUP", "no socket type %q", r.Type)
	}
	d.counter++
	s := &socket{handle: fmt.Sprintf("s%d", d.counter), kind: r.Type}
	d.sockets[s.handle] = s
	return result{"socket": s.handle}, nil
}

func (d *driver) set(r *request) (result, error) {
	s, err := d.lookup(r)
	if err != nil {
		return nil, err
	}
	if why, ok := unsupported[r.Option]; ok {
		return nil, fail("ENOTSUP", "%s: %s", r.Option, why)
	}
	if r.Option != "ROUTING_ID" {
		return nil, fail("ENOTSUP", "no option %q", r.Option)
	}
	if s.zs != nil {
		return nil, fail("ENOTSUP", "ROUTING_ID after bind, connect, send or recv: zmq4 takes it only when the socket is made (zmq4.WithID)")
	}
	var text string
	if err := json.Unmarshal(r.Value, &text); err != nil {
		return nil, fail("EINVAL", "ROUTING_ID takes a base64 string")
	}
	id, err := base64.StdEncoding.DecodeString(text)
	if err != nil {
		return nil, fail("EINVAL", "ROUTING_ID is not base64: %v", err)
	}
	s.id, s.hasID = id, true
	return nil, nil
}

func (d *driver) bind(r *request) (result, error) {
	s, err := d.lookup(r)
	if err != nil {
		return nil, err
	}
	ep, err := endpoint(r)
	if err != nil {
		return nil, err
	}
	if err := s.idle(); err != nil {
		return nil, err
	}
	zs := s.zmq()
	t := start(func() (struct{}, error) { return struct{}{}, zs.Listen(ep) })
	if !t.waitFor(opWait) {
		return nil, fail("EOTHER", "zmq4's Listen did not return within %v", opWait)
	}
	if t.err != nil {
		return nil, t.err
	}
	// A wildcard tcp port is resolved by the listener; ipc and inproc
	// endpoints are what was asked for.
	if strings.HasPrefix(ep, "tcp://") {
		if addr := zs.Addr(); addr != nil {
			ep = "tcp://" + addr.String()
		}
	}
	return result{"endpoint": ep}, nil
}

func (d *driver) connect(r *request) (result, error) {
	s, err := d.lookup(r)
	if err != nil {
		return nil, err
	}
	ep, err := endpoint(r)
	if err != nil {
		return nil, err
	}
	if err := s.idle(); err != nil {
		return nil, err
	}
	zs := s.zmq()
	t := start(func() (struct{}, error) { return struct{}{}, zs.Dial(ep) })
	if t.waitFor(dialWait) {
		return nil, t.err
	}
	// Still dialing: zmq4 retries until the endpoint is bound or it gives
	// up. Answer now, as libzmq's asynchronous connect does, and say on
	// stderr if the Dial fails in the end.
	s.dial = t
	go func() {
		<-t.done
		if t.err != nil {
			log.Printf("%s: connect %s failed after the request was answered: %v", s.handle, ep, t.err)
		}
	}()
	return nil, nil
}

func (d *driver) send(r *request) (result, error) {
	s, err := d.lookup(r)
	if err != nil {
		return nil, err
	}
	bound, err := timeout(r)
	if err != nil {
		return nil, err
	}
	if len(r.Frames) == 0 {
		return nil, fail("EINVAL", "a message has at least one frame")
	}
	frames := make([][]byte, len(r.Frames))
	for i, text := range r.Frames {
		if frames[i], err = base64.StdEncoding.DecodeString(text); err != nil {
			return nil, fail("EPROTO", "frame %d is not base64: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if s.send != nil {
		// zmq4 sends one message at a time: an earlier Send still
		// blocked holds this one back.
		if !s.send.wait(ctx) {
			return nil, fail("EAGAIN", "an earlier send on this socket is still blocked in zmq4's Send")
		}
		s.send = nil
	}
	zs := s.zmq()
	t := start(func() (struct{}, error) { return struct{}{}, zs.Send(zmq4.NewMsgFrom(frames...)) })
	if t.wait(ctx) {
		return nil, t.err
	}
	s.send = t
	id := string(r.ID)
	go func() {
		<-t.done
		if t.err == nil {
			log.Printf("%s: the send of request %s was answered EAGAIN, but zmq4 sent the message after all", s.handle, id)
		} else {
			log.Printf("%s: the send of request %s was answered EAGAIN; zmq4's Send returned later: %v", s.handle, id, t.err)
		}
	}()
	return nil, fail("EAGAIN", "zmq4's Send did not return within timeout_ms (it goes on, and may send the message later)")
}

func (d *driver) recv(r *request) (result, error) {
	s, err := d.lookup(r)
	if err != nil {
		return nil, err
	}
	bound, err := timeout(r)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), bound)
	defer cancel()
	if s.recv == nil {
		zs := s.zmq()
		s.recv = start(zs.Recv)
	}
	if !s.recv.wait(ctx) {
		return nil, fail("EAGAIN", "no message within timeout_ms")
	}
	t := s.recv
	s.recv = nil
	if t.err != nil {
		return nil, t.err
	}
	if len(t.value.Frames) == 0 {
		return nil, fail("EOTHER", "zmq4's Recv returned a message without frames")
	}
	frames := make([]string, len(t.value.Frames))
	for i, frame := range t.value.Frames {
		frames[i] = base64.StdEncoding.EncodeToString(frame)
	}
	return result{"frames": frames}, nil
}

func (d *driver) close(r *request) (result, error) {
	s, err := d.lookup(r)
	if err != nil {
		return nil, err
	}
	delete(d.sockets, s.handle)
	return nil, s.close()
}

// close closes the zmq4 socket, if it was made. zmq4 has no linger: Close
// drops whatever is still queued, which is what the protocol asks for.
func (s *socket) close() error {
	if s.zs == nil {
		return nil
	}
	zs := s.zs
	t := start(func() (struct{}, error) { return struct{}{}, zs.Close() })
	if !t.waitFor(opWait) {
		return fail("EOTHER", "zmq4's Close did not return within %v", opWait)
	}
	if t.err != nil {
		// Close reports the first error of closing its connections,
		// for example one its peer had closed already; the socket is
		// closed all the same.
		log.Printf("%s: close: %v", s.handle, t.err)
	}
	return nil
}

func (d *driver) closeAll() {
	for handle, s := range d.sockets {
		if err := s.close(); err != nil {
			log.Printf("%s: %v", handle, err)
		}
		delete(d.sockets, handle)
	}
}

// handle runs one request and returns its response fields, turning a panic
// into an EOTHER response.
func (d *driver) handle(r *request) (res result, err error) {
	defer func() {
		if p := recover(); p != nil {
			log.Printf("panic in %s: %v\n%s", r.Op, p, debug.Stack())
			res, err = nil, fail("EOTHER", "panic in %s: %v", r.Op, p)
		}
	}()
	ops := map[string]func(*request) (result, error){
		"hello":   d.hello,
		"socket":  d.socket,
		"set":     d.set,
		"bind":    d.bind,
		"connect": d.connect,
		"send":    d.send,
		"recv":    d.recv,
		"close":   d.close,
	}
	op, ok := ops[r.Op]
	switch {
	case r.Op == "disconnect" || r.Op == "unbind":
		return nil, fail("ENOTSUP", "zmq4 has no %s: a socket keeps its endpoints until Close", r.Op)
	case !ok:
		return nil, fail("ENOTSUP", "no op %q", r.Op)
	}
	return op(r)
}

func response(id json.RawMessage, res result, err error) map[string]any {
	out := map[string]any{"id": nil}
	if len(id) > 0 {
		out["id"] = id
	}
	if err != nil {
		f := asFailure(err)
		out["ok"], out["error"], out["message"] = false, f.code, f.message
		return out
	}
	for k, v := range res {
		out[k] = v
	}
	out["ok"] = true
	return out
}

func main() {
	log.SetFlags(log.Lmicroseconds)
	log.SetPrefix("zmq4-go driver: ")

	d := &driver{sockets: make(map[string]*socket)}
	in := bufio.NewReader(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	write := func(v map[string]any) {
		if err := enc.Encode(v); err != nil {
			log.Fatalf("cannot encode a response: %v", err)
		}
		if err := out.Flush(); err != nil {
			log.Fatalf("cannot write a response: %v", err)
		}
	}

	for {
		line, err := in.ReadBytes('\n')
		if len(strings.TrimSpace(string(line))) > 0 {
			var r request
			if jerr := json.Unmarshal(line, &r); jerr != nil {
				write(response(r.ID, nil, fail("EPROTO", "unparsable request: %v", jerr)))
			} else if r.Op == "bye" {
				d.closeAll()
				write(response(r.ID, nil, nil))
				return
			} else {
				res, err := d.handle(&r)
				write(response(r.ID, res, err))
			}
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			log.Fatalf("cannot read stdin: %v", err)
		}
	}
	d.closeAll()
}
