#!/usr/bin/env python3
"""web_page.py - drives headless chromium over its DevTools pipe
(--remote-debugging-pipe: JSON messages separated by NUL on fds 3 and 4, no
TCP port, no package to install) for the web status page's tests.

    web_page.py --chromium PATH --profile DIR --url URL STEP...

Steps run in order in ONE page session (the page is loaded once):
    --expect JS      poll the page until the expression is true (each
                     --timeout seconds at most); on timeout print --report
                     and exit 1
    --eval JS        evaluate once (e.g. set a marker, pick a filter)
    --then CMD       run a shell command (e.g. confirm more units); it must
                     exit 0
    --screenshot F   save a PNG of the whole page
Exit status: 0 all steps passed, 1 a step failed, 2 bad usage or the
browser could not be driven.
"""
import argparse
import base64
import fcntl
import json
import os
import subprocess
import sys
import time

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-quic", "--no-first-run", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--disable-default-apps", "--mute-audio",
         "--remote-debugging-pipe"]


class Browser:
    """One chromium process and its DevTools pipe."""

    def __init__(self, chromium, profile, width, height):
        to_chrome_r, self.to_chrome = os.pipe()
        self.from_chrome, from_chrome_w = os.pipe()

        def child_fds():
            # chromium reads commands on fd 3 and writes on fd 4. Moved
            # above 10 first, so that neither dup2 overwrites the other's
            # source; os.pipe's own ends are close-on-exec, the dup2 copies
            # are not.
            r = fcntl.fcntl(to_chrome_r, fcntl.F_DUPFD_CLOEXEC, 10)
            w = fcntl.fcntl(from_chrome_w, fcntl.F_DUPFD_CLOEXEC, 10)
            os.dup2(r, 3)
            os.dup2(w, 4)

        args = [chromium] + FLAGS + ["--user-data-dir=" + profile,
                                     "--window-size=%d,%d" % (width, height), "about:blank"]
        with open(os.path.join(profile, "chromium.log"), "wb") as log:
            self.proc = subprocess.Popen(args, preexec_fn=child_fds, stdout=subprocess.DEVNULL,
                                         stderr=log, close_fds=False)
        os.close(to_chrome_r)
        os.close(from_chrome_w)
        self.buf = b""
        self.next_id = 0
        self.session = None

    def send(self, method, params=None, timeout=30):
        self.next_id += 1
        msg = {"id": self.next_id, "method": method, "params": params or {}}
        if self.session:
            msg["sessionId"] = self.session
        os.write(self.to_chrome, json.dumps(msg).encode() + b"\0")
        end = time.monotonic() + timeout
        while True:
            reply = self.read(end)
            if reply.get("id") == self.next_id:
                if "error" in reply:
                    raise RuntimeError("%s: %s" % (method, reply["error"]))
                return reply.get("result", {})

    def read(self, end):
        while b"\0" not in self.buf:
            if time.monotonic() > end:
                raise RuntimeError("no answer from chromium")
            chunk = os.read(self.from_chrome, 65536)
            if not chunk:
                raise RuntimeError("chromium closed its pipe (see chromium.log)")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\0", 1)
        return json.loads(line)

    def open_page(self, url):
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = self.send("Target.attachToTarget",
                                 {"targetId": target, "flatten": True})["sessionId"]
        self.send("Page.enable")
        self.send("Page.navigate", {"url": url})

    def evaluate(self, expr):
        r = self.send("Runtime.evaluate", {"expression": expr, "returnByValue": True,
                                           "awaitPromise": True})
        if "exceptionDetails" in r:
            return {"exception": r["exceptionDetails"].get("text", "?")}
        return r.get("result", {}).get("value")

    def screenshot(self, path):
        metrics = self.send("Page.getLayoutMetrics")
        size = metrics.get("cssContentSize") or metrics["contentSize"]
        shot = self.send("Page.captureScreenshot", {
            "format": "png", "captureBeyondViewport": True,
            "clip": {"x": 0, "y": 0, "width": size["width"], "height": size["height"],
                     "scale": 1}})
        with open(path, "wb") as f:
            f.write(base64.b64decode(shot["data"]))

    def close(self):
        try:
            self.session = None
            self.send("Browser.close", timeout=5)
        except (RuntimeError, OSError):
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class Steps(argparse.Action):
    """Keeps --expect/--eval/--then/--screenshot in command-line order."""

    def __call__(self, parser, ns, value, option):
        ns.steps.append((option.lstrip("-"), value))


def run_steps(b, args):
    for kind, value in args.steps:
        if kind == "expect":
            end = time.monotonic() + args.timeout
            while b.evaluate(value) is not True:
                if time.monotonic() > end:
                    print("FAIL: not true after %ss: %s" % (args.timeout, value), file=sys.stderr)
                    print("page: %s" % json.dumps(b.evaluate(args.report), indent=1),
                          file=sys.stderr)
                    return 1
                time.sleep(0.1)
            print("ok: %s" % value[:100])
        elif kind == "eval":
            b.evaluate(value)
        elif kind == "then":
            subprocess.run(value, shell=True, check=True)
        elif kind == "screenshot":
            b.screenshot(value)
    return 0


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--chromium", required=True)
    p.add_argument("--profile", required=True, help="a fresh --user-data-dir")
    p.add_argument("--url", required=True)
    p.add_argument("--timeout", type=float, default=20)
    p.add_argument("--width", type=int, default=1280)
    p.add_argument("--height", type=int, default=900)
    p.add_argument("--report", default="document.body ? document.body.innerText : null",
                   help="expression printed when an --expect times out")
    p.set_defaults(steps=[])
    for opt in ("--expect", "--eval", "--then", "--screenshot"):
        p.add_argument(opt, action=Steps)
    args = p.parse_args()
    b = Browser(args.chromium, args.profile, args.width, args.height)
    try:
        b.open_page(args.url)
        return run_steps(b, args)
    except (RuntimeError, OSError, subprocess.CalledProcessError) as e:
        print("FAIL: %s" % e, file=sys.stderr)
        return 2
    finally:
        b.close()


if __name__ == "__main__":
    sys.exit(main())
