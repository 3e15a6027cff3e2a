"""A reproduction's steps as a maintainer reads them, and which can be replayed.

A step is one driver-protocol request with the answer the implementation
gave (``{"side", "request", "answer"}``), as :mod:`conformance.harness.trace`
records them and result files keep them.  Frames are base64 strings, as on
the driver protocol's wire.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from conformance.binding import BYTES_OPTIONS, Frames

REFERENCE = "reference"
"""The side of a step that started a reference pattern (a broker) the test put the
implementation in: not a protocol request, but replay starts the same pattern in its place."""

WIRE = "wire"
"""The side of a step taken by a raw ZMTP peer of ours (``conformance.wire``): octets on a
plain socket, in hex, not a driver-protocol request."""

SHOWN_WIRE_OCTETS = 16
"""How many of a wire step's octets it keeps (in hex); its ``size`` says how many there were."""

REPLAYABLE_REFERENCES = {"lbbroker": ("frontend", "backend"), "asyncsrv": ("frontend", "backend")}
"""The reference patterns replay can start (see ``conformance.replay``), with their endpoints."""


def unreplayable(steps: Sequence[dict[str, Any]]) -> str:
    """Why a reproduction cannot be replayed, or "" if it can."""
    for step in steps:
        if not isinstance(step, dict):
            continue  # not a step at all: the replay's own check says so
        if step.get("side") == WIRE:
            return "a raw ZMTP peer of the suite wrote and read octets, which replay cannot do"
        request = step.get("request")
        pattern = request.get("pattern") if isinstance(request, dict) else None
        if step.get("side") == REFERENCE and pattern not in REPLAYABLE_REFERENCES:
            return f"it runs the reference {pattern}, which replay cannot start"
    return ""


def b64(frame: bytes) -> str:
    return base64.b64encode(frame).decode("ascii")


SHOWN_FRAME_BYTES = 40


def describe_frame(frame: bytes) -> str:
    """A frame as a bytes literal; a long one by its repeated pattern or its size."""
    if len(frame) <= SHOWN_FRAME_BYTES:
        return repr(frame)
    for width in range(1, 5):
        if len(frame) % width == 0 and frame == frame[:width] * (len(frame) // width):
            return f"{frame[:width]!r} * {len(frame) // width}"
    return f"<{len(frame)} bytes: {frame[:16]!r}...>"


def describe_frames(frames: Sequence[bytes], limit: int = 8) -> str:
    shown = ", ".join(describe_frame(f) for f in frames[:limit])
    more = f", ... ({len(frames)} frames)" if len(frames) > limit else ""
    return f"[{shown}{more}]"


def decode_frames(frames: Any) -> Frames:
    """The frames of a recorded request or answer (base64 strings), as bytes.

    Raises ValueError for anything that is not a list of base64 strings.
    """
    if not isinstance(frames, list):
        raise ValueError(f"frames must be a list, not {type(frames).__name__}")
    try:
        return [base64.b64decode(f, validate=True) for f in frames]
    except (binascii.Error, TypeError) as exc:
        raise ValueError(f"a frame is not base64: {exc}") from None


def describe_request(request: dict[str, Any]) -> str:
    """One request in a short form: ``send s2 [b'', b'A'] timeout_ms=2000``."""
    words = [str(request.get("op", "?"))]
    for key, value in request.items():
        if key in ("op", "value"):
            continue
        if key in ("socket", "type", "endpoint", "peer", "what"):
            words.append(str(value))
        elif key == "bytes":
            words.append(_describe_octets(value, request.get("size")))
        elif key == "size":
            continue
        elif key == "option":
            words.append(f"{value}={_describe_option_value(value, request.get('value'))}")
        elif key == "frames":
            try:
                words.append(describe_frames(decode_frames(value)))
            except ValueError:
                words.append(f"frames={value!r}")
        else:
            words.append(f"{key}={json.dumps(value)}")
    return " ".join(words)


def _describe_option_value(option: Any, value: Any) -> str:
    if option in BYTES_OPTIONS and isinstance(value, str):
        try:
            return describe_frame(base64.b64decode(value, validate=True))
        except binascii.Error:
            pass
    return json.dumps(value)


def _describe_octets(shown: Any, size: Any) -> str:
    """A wire step's octets: ``[ff 00 ... 7f 03]``, with ``+N`` for the ones not kept."""
    try:
        octets = bytes.fromhex(str(shown)).hex(" ")
    except ValueError:
        octets = repr(shown)
    hidden = size - len(str(shown)) // 2 if isinstance(size, int) else 0
    return f"[{octets}{f' +{hidden} octets' if hidden > 0 else ''}]"


def describe_answer(answer: dict[str, Any]) -> str:
    """One answer in a short form: ``ok``, ``ok [b'A']``, ``EAGAIN``, ``BROKEN: ...``."""
    if "broken" in answer:
        return f"BROKEN: {answer['broken']}"
    if answer.get("ok") is not True:
        return str(answer.get("error", "?"))
    if "frames" in answer:
        try:
            return f"ok {describe_frames(decode_frames(answer['frames']))}"
        except ValueError:
            return f"ok frames={answer['frames']!r}"
    if "bytes" in answer:
        octets = _describe_octets(answer["bytes"], answer.get("size"))
        return f"ok {answer.get('what', '')} {octets}"
    for key in ("socket", "endpoint"):
        if key in answer:
            return f"ok {answer[key]}"
    return "ok"


def describe_step(step: dict[str, Any]) -> str:
    """``iut     send s2 [b''] timeout_ms=2000 -> ok``."""
    request = step.get("request", {})
    answer = step.get("answer", {})
    return f"{step.get('side', '?'):<7} {describe_request(request)} -> {describe_answer(answer)}"


def excerpt(count: int, focus: int, limit: int = 12) -> list[int | None]:
    """Which of ``count`` steps to show (1-based), ``None`` for a gap.

    A long reproduction is shown by its beginning (the sockets being set up)
    and the steps leading to ``focus``, the step where the failure showed.
    """
    last = focus if focus else count
    if last <= limit:
        return list(range(1, last + 1))
    head = 4
    tail = limit - head
    return [*range(1, head + 1), None, *range(last - tail + 1, last + 1)]


@dataclass(frozen=True)
class ShownSteps:
    """A run of identical consecutive steps, shown once: steps ``first`` to ``last``."""

    first: int
    last: int
    text: str
    failing: bool

    @property
    def count(self) -> int:
        return self.last - self.first + 1


def shown_steps(
    steps: Sequence[dict[str, Any]], focus: int, limit: int = 12
) -> list[ShownSteps | None]:
    """The steps a report shows: identical steps in a row once, with their count.

    A send retried until the peer is routable, or a receive polled until its
    deadline, can be hundreds of steps that say the same thing; a maintainer
    reads it as one line with "(x400)".  ``None`` marks a gap (:func:`excerpt`).
    Step numbers stay those of the file, which replay uses.
    """
    runs: list[tuple[int, int]] = []
    for number, step in enumerate(steps, start=1):
        if runs and steps[runs[-1][0] - 1] == step:
            runs[-1] = (runs[-1][0], number)
        else:
            runs.append((number, number))
    focus_run = next((i for i, (a, b) in enumerate(runs, start=1) if a <= focus <= b), 0)
    shown: list[ShownSteps | None] = []
    for index in excerpt(len(runs), focus_run, limit):
        if index is None:
            shown.append(None)
            continue
        first, last = runs[index - 1]
        text = describe_step(steps[first - 1])
        if last > first:
            text += f"  (x{last - first + 1})"
        shown.append(ShownSteps(first, last, text, index == focus_run))
    return shown
