"""Re-run a failure's reproduction, step by step, and show where the answers differ.

A results file keeps, for every failure, the failing example as the
driver-protocol requests it made (``side`` ``iut`` or ``libzmq``) with the
answers they got.  :class:`Replay` sends the same requests again, the
``iut`` ones to the implementation under test (a driver, an in-process
binding, or the built-in one) and the ``libzmq`` ones to libzmq, and
compares each answer with the recorded one.  It speaks only protocol
requests, so a maintainer can replay a failure against their own driver
without a line of the suite's Python.

Some of what was recorded cannot be the same in another run, and is
translated rather than compared:

* socket handles and concrete endpoints (tcp ports, ipc paths) are the new
  run's own;
* a value the implementation made up, such as an automatic routing id
  received by a ROUTER, stands for the new run's value in later requests;
  a value the test chose (a frame it sent, a ROUTING_ID it set) never does,
  so an ignored explicit identity still shows as a difference.

A test that puts the implementation inside a reference pattern (the
load-balancing broker, the asynchronous server) records where the pattern
served as a ``reference`` step; replay starts the same pattern there, on
fresh endpoints, in its own process.  The peering cluster is not replayed:
its brokers' state flow is not in the trace.

And timing is not a semantic: a receive that got a message is given the
suite's full timeout, and a short poll that found nothing in the recording
but finds a message now keeps it for the later step that received it.
"""

from __future__ import annotations

import base64
import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import zmq

from conformance.binding import (
    BYTES_OPTIONS,
    SOCKET_TYPES,
    Binding,
    BindingBroken,
    Frames,
    Socket,
    ZmqError,
)
from conformance.harness.endpoints import Endpoints
from conformance.harness.patience import TIMEOUT_MS
from conformance.results import Failure, ResultsError
from conformance.results.steps import (
    REFERENCE,
    REPLAYABLE_REFERENCES,
    decode_frames,
    describe_answer,
    describe_frames,
    describe_request,
    unreplayable,
)
from reference.asyncsrv import AsyncServer
from reference.lbbroker import LoadBalancer
from reference.service import Service

SIDES = ("iut", "libzmq", REFERENCE)
OPS = ("socket", "set", "bind", "connect", "disconnect", "unbind", "send", "recv", "close")

REFERENCE_SERVICES: dict[str, type[LoadBalancer] | type[AsyncServer]] = {
    "lbbroker": LoadBalancer,
    "asyncsrv": AsyncServer,
}
"""The reference patterns replay starts for a ``reference`` step, by the name recorded."""

SAME = "same"
DIFFERS = "differs"
EARLY = "early"
"""A message that arrived at a poll where the recording found none (timing, not a difference)."""
NOT_RUN = "not run"


@dataclass
class Outcome:
    """One step replayed: the request as sent now, and its answer then and now."""

    number: int
    side: str
    request: dict[str, Any]
    recorded: dict[str, Any]
    answer: dict[str, Any] = field(default_factory=dict)
    status: str = NOT_RUN
    note: str = ""
    recorded_shown: str = ""
    """Where the step differs: the recorded answer, its made-up addresses translated."""


@dataclass
class ReplayResult:
    outcomes: list[Outcome]
    failing_step: int

    @property
    def differences(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == DIFFERS]

    @property
    def broke(self) -> Outcome | None:
        return next((o for o in self.outcomes if "broken" in o.answer), None)

    @property
    def reproduced(self) -> bool:
        """Every answer up to the failing step (all of them if unknown) is the recorded one."""
        last = self.failing_step or len(self.outcomes)
        return all(o.status in (SAME, EARLY) for o in self.outcomes[:last])


def check_steps(steps: Any) -> list[dict[str, Any]]:
    """The recorded steps, validated up front so that a replay never stops half-way."""
    if not isinstance(steps, list) or not steps:
        raise ResultsError("the reproduction is not a list of steps")
    reason = unreplayable(steps)  # first: steps replay cannot make are not corrupt ones
    if reason:
        raise ResultsError(f"this reproduction cannot be replayed: {reason}")
    for number, step in enumerate(steps, start=1):
        problem = _step_problem(step)
        if problem:
            raise ResultsError(
                f"reproduction step {number} is not a driver-protocol step: {problem}"
            )
    return steps


def _step_problem(step: Any) -> str:
    if not isinstance(step, dict):
        return "not an object"
    request, answer = step.get("request"), step.get("answer")
    if step.get("side") not in SIDES:
        return f"side {step.get('side')!r}"
    if step["side"] == REFERENCE:
        if not isinstance(answer, dict) or answer.get("ok") is not True:
            return f"answer {answer!r}"
        return _reference_step_problem(request)
    if not isinstance(request, dict) or request.get("op") not in OPS:
        return f"request {request!r}"
    if not isinstance(answer, dict) or not isinstance(answer.get("ok"), bool):
        return f"answer {answer!r}"
    op = request["op"]
    if op != "socket" and not isinstance(request.get("socket"), str):
        return "no socket handle"
    if op == "socket" and request.get("type") not in SOCKET_TYPES:
        return f"socket type {request.get('type')!r}"
    try:
        if op == "send":
            decode_frames(request.get("frames"))
        if op == "recv" and answer["ok"]:
            decode_frames(answer.get("frames"))
        if op == "set" and request.get("option") in BYTES_OPTIONS:
            decode_frames([request.get("value")])
    except ValueError as exc:
        return str(exc)
    if op in ("send", "recv") and not isinstance(request.get("timeout_ms"), int):
        return "no timeout_ms"
    return ""


def _reference_step_problem(request: Any) -> str:
    if not isinstance(request, dict) or request.get("op") != "start":
        return f"reference request {request!r}"
    if not isinstance(request.get("pattern"), str):
        return "a reference step without a pattern"
    if not all(isinstance(value, str) for value in request.values()):
        return f"reference request {request!r}"
    endpoints = sorted(key for key in request if key not in ("op", "pattern"))
    wanted = REPLAYABLE_REFERENCES.get(request["pattern"])
    if wanted is not None and endpoints != sorted(wanted):
        return f"the {request['pattern']} needs endpoints {', '.join(wanted)}, not {endpoints}"
    return ""


def chosen_values(steps: Sequence[dict[str, Any]]) -> set[bytes]:
    """Values the test chose: frames it sent and ids it set, unless it had received them first."""
    received: set[bytes] = set()
    chosen: set[bytes] = set()
    for step in steps:
        request, answer = step["request"], step["answer"]
        if request["op"] == "send":
            chosen.update(f for f in decode_frames(request["frames"]) if f not in received)
        elif request["op"] == "set" and request.get("option") in BYTES_OPTIONS:
            chosen.add(base64.b64decode(request["value"]))
        elif request["op"] == "recv" and answer["ok"]:
            received.update(decode_frames(answer["frames"]))
    return chosen


def envelope_positions(frames: Sequence[bytes], router: bool) -> range:
    """Where addresses sit in a message: before the first empty frame (and a ROUTER's first)."""
    end = next((i for i, f in enumerate(frames) if f == b""), 0)
    return range(max(end, 1 if router and frames else 0))


class Replay:
    """Sends a reproduction's requests to two bindings and compares the answers."""

    def __init__(self, bindings: dict[str, Binding], failure: Failure) -> None:
        self.bindings = bindings
        self.steps = check_steps(failure.reproduction)
        self.failing_step = failure.failing_step
        self.chosen = chosen_values(self.steps)
        self.sockets: dict[str, Socket] = {}
        self.types: dict[str, str] = {}
        self.endpoint_map: dict[str, str] = {}
        self.routes: dict[bytes, bytes] = {}
        self.held: dict[str, list[tuple[Outcome, Frames]]] = {}
        self.endpoints = Endpoints()
        self.services: list[Service] = []

    def run(self) -> ReplayResult:
        outcomes = [
            Outcome(n, s["side"], dict(s["request"]), s["answer"])
            for n, s in enumerate(self.steps, start=1)
        ]
        try:
            for outcome in outcomes:
                self._replay(outcome)
                if "broken" in outcome.answer:
                    break
            for held in self.held.values():
                for outcome, frames in held:
                    outcome.status = DIFFERS
                    outcome.recorded_shown = describe_answer(outcome.recorded)
                    outcome.note = (
                        f"received {describe_frames(frames)} here; the recording never did"
                    )
        finally:
            self._close_all()
            self.endpoints.cleanup()
        return ReplayResult(outcomes, self.failing_step)

    # -- one step -------------------------------------------------------------

    def _replay(self, outcome: Outcome) -> None:
        request, recorded = outcome.request, outcome.recorded
        op = request["op"]
        if op == "recv" and self._take_held(outcome):
            return
        if op == "recv" and self._is_patient(outcome):
            request["timeout_ms"] = max(request["timeout_ms"], TIMEOUT_MS)
        try:
            outcome.answer = self._perform(outcome.side, request, recorded)
        except ZmqError as exc:
            outcome.answer = {"ok": False, "error": exc.code.value}
        except BindingBroken as exc:
            outcome.answer = {"ok": False, "broken": exc.summary}
        if op == "recv":
            self._judge_recv(outcome)
        else:
            outcome.status = SAME if _same(recorded, outcome.answer) else DIFFERS
            outcome.recorded_shown = describe_answer(recorded)

    def _is_patient(self, outcome: Outcome) -> bool:
        """A receive that must wait as long as the suite would: it got something, or it failed."""
        return outcome.recorded["ok"] or outcome.number == self.failing_step

    def _perform(self, side: str, request: dict[str, Any], recorded: dict[str, Any]) -> dict:
        op = request["op"]
        if side == REFERENCE:
            return self._start_reference(request)
        if op == "socket":
            handle = str(recorded.get("socket", f"#{len(self.sockets) + 1}"))
            self.sockets[handle] = self.bindings[side].socket(request["type"])
            self.types[handle] = request["type"]
            return {"ok": True, "socket": handle}
        sock = self.sockets.get(request["socket"])
        if sock is None:
            return {"ok": False, "error": "EINVAL"}  # what a driver says of an unknown handle
        if op == "set":
            value = request["value"]
            if request["option"] in BYTES_OPTIONS:
                value = base64.b64decode(value)
            sock.set(request["option"], value)
        elif op == "bind":
            request["endpoint"] = self._bind_endpoint(request["endpoint"])
            bound = sock.bind(request["endpoint"])
            self.endpoint_map[str(recorded.get("endpoint"))] = bound
            return {"ok": True, "endpoint": bound}
        elif op in ("connect", "disconnect", "unbind"):
            request["endpoint"] = self.endpoint_map.get(request["endpoint"], request["endpoint"])
            getattr(sock, op)(request["endpoint"])
        elif op == "send":
            frames = self._translate(decode_frames(request["frames"]), request["socket"])
            request["frames"] = [base64.b64encode(f).decode("ascii") for f in frames]
            sock.send(frames, request["timeout_ms"])
        elif op == "recv":
            frames = sock.recv(request["timeout_ms"])
            return {"ok": True, "frames": [base64.b64encode(f).decode("ascii") for f in frames]}
        elif op == "close":
            self.sockets.pop(request["socket"])
            sock.close()
        return {"ok": True}

    def _start_reference(self, request: dict[str, Any]) -> dict:
        """Start the recorded pattern on fresh endpoints that stand for the recorded ones."""
        recorded = {k: v for k, v in request.items() if k not in ("op", "pattern")}
        fresh = {key: self._bind_endpoint(endpoint) for key, endpoint in recorded.items()}
        service = REFERENCE_SERVICES[request["pattern"]](**fresh, context=zmq.Context.instance())
        self.services.append(service.start())
        for key, endpoint in recorded.items():
            request[key] = self.endpoint_map[endpoint] = getattr(service, f"{key}_endpoint")
        return {"ok": True}

    def _bind_endpoint(self, endpoint: str) -> str:
        """A fresh endpoint of the same transport; the same one again for a re-bind."""
        if endpoint.endswith(":*") or endpoint in self.endpoint_map:
            return self.endpoint_map.get(endpoint, endpoint)
        scheme = endpoint.split("://", 1)[0]
        if scheme == "inproc":
            # Not Endpoints' names: the recording may have used them in this very process.
            fresh = f"inproc://replay-{os.getpid()}-{id(self):x}-{len(self.endpoint_map)}"
        else:
            try:
                fresh = self.endpoints.new(scheme)
            except ValueError:
                return endpoint  # not ours to translate: let the implementation judge it
        self.endpoint_map[endpoint] = fresh
        return fresh

    # -- receiving ------------------------------------------------------------

    def _take_held(self, outcome: Outcome) -> bool:
        """Serve a receive from a message that arrived early, at an earlier poll."""
        handle = outcome.request["socket"]
        held = self.held.get(handle)
        if not held:
            return False
        if not outcome.recorded["ok"]:
            outcome.answer, outcome.status = dict(outcome.recorded), SAME
            outcome.note = "a message that arrived early is held for a later step"
            return True
        early, frames = held.pop(0)
        early.note = f"arrived earlier than in the recording; step {outcome.number} takes it"
        outcome.answer = {"ok": True, "frames": [base64.b64encode(f).decode() for f in frames]}
        outcome.note = f"the message arrived earlier, at step {early.number}"
        self._judge_recv(outcome)
        return True

    def _judge_recv(self, outcome: Outcome) -> None:
        recorded, answer = outcome.recorded, outcome.answer
        handle = outcome.request["socket"]
        timing = recorded.get("error") == "EAGAIN" and not self._is_patient(outcome)
        if timing and answer.get("ok"):
            outcome.status = EARLY
            self.held.setdefault(handle, []).append((outcome, decode_frames(answer["frames"])))
            return
        if recorded["ok"] and answer.get("ok"):
            before = decode_frames(recorded["frames"])
            now = decode_frames(answer["frames"])
            self._learn(before, now, self.types.get(handle) == "ROUTER")
            before = self._translate(before, handle)
            outcome.status = SAME if before == now else DIFFERS
            outcome.recorded_shown = f"ok {describe_frames(before)}"
            return
        outcome.status = SAME if _same(recorded, answer) else DIFFERS
        outcome.recorded_shown = describe_answer(recorded)

    def _learn(self, before: Frames, now: Frames, router: bool) -> None:
        """Made-up addresses (auto routing ids, request ids) of the recording and of now.

        A ROUTER's first frame is always an address; the rest of an envelope
        lines up only if the two messages have the same shape.
        """
        positions = envelope_positions(before, router) if len(before) == len(now) else range(0)
        if router and before and now:
            positions = range(max(len(positions), 1))
        for i in positions:
            old, new = before[i], now[i]
            if old == new or old in self.routes or old in self.chosen or new in self.chosen:
                continue
            self.routes[old] = new

    def _translate(self, frames: Frames, handle: str) -> Frames:
        router = self.types.get(handle) == "ROUTER"
        positions = envelope_positions(frames, router)
        return [self.routes.get(f, f) if i in positions else f for i, f in enumerate(frames)]

    def _close_all(self) -> None:
        for sock in self.sockets.values():
            with contextlib.suppress(ZmqError, BindingBroken):
                sock.close()
        self.sockets.clear()
        for service in self.services:
            service.stop()
        self.services.clear()


def _same(recorded: dict[str, Any], answer: dict[str, Any]) -> bool:
    if "broken" in recorded or "broken" in answer:
        return ("broken" in recorded) == ("broken" in answer)
    if recorded["ok"] != answer.get("ok"):
        return False
    return recorded["ok"] or recorded.get("error") == answer.get("error")


# -- what the maintainer sees ------------------------------------------------------

ALL_STEPS_UP_TO = 40


def shown_steps(result: ReplayResult) -> Iterator[Outcome | None]:
    """Every step of a short replay; of a long one, the start and the steps that matter."""
    outcomes = result.outcomes
    if len(outcomes) <= ALL_STEPS_UP_TO:
        yield from outcomes
        return
    keep = set(range(1, 5)) | {result.failing_step}
    for o in outcomes:
        if o.status != SAME or o.note:
            keep.update((o.number - 1, o.number, o.number + 1))
    gap = False
    for o in outcomes:
        if o.number in keep:
            gap = False
            yield o
        elif not gap:
            gap = True
            yield None


def render(result: ReplayResult) -> str:
    lines = [
        "steps (side request -> answer now): '!' differs from the recording, "
        "'>' is where the failure showed"
    ]
    for outcome in shown_steps(result):
        if outcome is None:
            lines.append("      ...")
            continue
        mark = (">" if outcome.number == result.failing_step else " ") + (
            "!" if outcome.status == DIFFERS else " "
        )
        answer = describe_answer(outcome.answer) if outcome.answer else "(not run)"
        lines.append(
            f"{mark}{outcome.number:>4} {outcome.side:<7} {describe_request(outcome.request)}"
            f" -> {answer}"
        )
        if outcome.status == DIFFERS and outcome.recorded_shown:
            lines.append(f"{'':14}recorded: {outcome.recorded_shown}")
        if outcome.note:
            lines.append(f"{'':14}{outcome.note}")
    lines.append(verdict_line(result))
    return "\n".join(lines)


def verdict_line(result: ReplayResult) -> str:
    broke = result.broke
    if broke is not None and "broken" not in broke.recorded:
        return f"BROKEN: the implementation broke at step {broke.number}: {broke.answer['broken']}"
    if result.reproduced:
        if result.failing_step:
            return (
                f"REPRODUCED: every answer up to step {result.failing_step}, where the failure "
                "showed, is the recorded one"
            )
        return "REPRODUCED: every answer is the recorded one"
    differences = result.differences
    if not differences:
        return "NOT REPRODUCED: the replay stopped before the failing step"
    first = differences[0]
    return (
        f"NOT REPRODUCED: {len(differences)} answer(s) differ from the recording, the first at "
        f"step {first.number} ({describe_request(first.request)}): recorded "
        f"{first.recorded_shown}, now {describe_answer(first.answer)}"
    )
