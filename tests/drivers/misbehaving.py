"""A driver that misbehaves in one chosen way, to prove the suite survives it.

    python tests/drivers/misbehaving.py MODE

hang-at-start   never answers, not even ``hello``
exit-at-once    exits with status 3 before reading anything
garbage         answers ``hello`` with a line that is not JSON
hang-on-recv    a correct driver, except that ``recv`` never answers
exit-on-send    a correct driver, except that it dies on the first ``send``
wrong-id        a correct driver, except that ``send`` is answered with the wrong id
bad-base64      a correct driver, except that received frames are not base64
exit-once FILE  a correct driver that dies on its first ``send`` if FILE does
                not exist yet (creating it): a restart must recover

Each mode writes a line on stderr first, so the tests can check that the
suite shows the driver's stderr tail.
"""

import json
import os
import sys
import time

from conformance.drivers import pyzmq as correct


def serve(misbehave):
    driver = correct.Driver()
    for line in sys.stdin:
        request = json.loads(line)
        if request["op"] == "bye":
            break
        answer = misbehave(request)
        if answer is None:
            try:
                answer = {"id": request["id"], "ok": True}
                answer.update(driver.handle(request))
            except correct.Failure as failure:
                answer = {
                    "id": request["id"],
                    "ok": False,
                    "error": failure.code,
                    "message": failure.message,
                }
        sys.stdout.write(answer if isinstance(answer, str) else json.dumps(answer) + "\n")
        sys.stdout.flush()


def hang_on_recv(request):
    if request["op"] == "recv":
        time.sleep(3600)  # sleep-ok: this driver's fault is that it hangs
    return None


def exit_on_send(request):
    if request["op"] == "send":
        sys.stderr.write("exit-on-send: dying now\n")
        sys.stderr.flush()
        sys.exit(5)
    return None


def wrong_id(request):
    if request["op"] == "send":
        return {"id": request["id"] + 1000, "ok": True}
    return None


def bad_base64(request):
    if request["op"] == "recv":
        return {"id": request["id"], "ok": True, "frames": ["not base64!"]}
    return None


def exit_once(marker):
    def misbehave(request):
        if request["op"] == "send" and not os.path.exists(marker):
            open(marker, "w").close()
            sys.exit(6)
        return None

    return misbehave


def main():
    mode = sys.argv[1]
    sys.stderr.write("misbehaving driver, mode %s\n" % mode)
    sys.stderr.flush()
    if mode == "hang-at-start":
        time.sleep(3600)  # sleep-ok: this driver's fault is that it hangs
    elif mode == "exit-at-once":
        sys.exit(3)
    elif mode == "garbage":
        sys.stdin.readline()
        sys.stdout.write("<html>this is not the protocol</html>\n")
        sys.stdout.flush()
        sys.stdin.readline()
    elif mode == "exit-once":
        serve(exit_once(sys.argv[2]))
    else:
        serve(
            {
                "hang-on-recv": hang_on_recv,
                "exit-on-send": exit_on_send,
                "wrong-id": wrong_id,
                "bad-base64": bad_base64,
            }[mode]
        )


if __name__ == "__main__":
    main()
