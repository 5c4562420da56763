#!/usr/bin/env python3
"""http_client.py - raw HTTP clients for the notify listener's e2e tests,
where bash's /dev/tcp cannot help: a chosen source address on the loopback
(the whole 127/8 is local on Linux, so 127.0.0.2 is "another client"),
many idle connections held open, and a body trickled in slowly. Loopback
only; every loop is bounded in count and time.

  http_client.py request [--bind ADDR] PORT TEXT
      sends TEXT (\\r \\n \\xNN escapes), prints the status code of the
      answer, or "none" when the connection ended (or stayed silent for
      --timeout seconds, default 5) without one.
  http_client.py hold [--bind ADDR] PORT COUNT [--seconds S]
      opens up to COUNT idle connections, prints how many the listener still
      had open after a moment ("held N"), then keeps them for S seconds
      (default 60) or until it is killed. --trickle: a request head is begun on
      each and one more byte of it sent every second, which keeps them past
      the listener's idle timeout (as a slowloris client would).
  http_client.py trickle PORT
      sends a POST head announcing 50 bytes of body, then one byte every
      0.5 s for at most 20 s; prints "dropped after N.N s" when the listener
      closed the connection, "answered STATUS" or "kept".
"""
import argparse
import codecs
import select
import socket
import time

HOST = "127.0.0.1"


def connect(port, bind, timeout=5.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if bind:
        s.bind((bind, 0))
    s.connect((HOST, port))
    return s


def status_of(data):
    line = data.split(b"\r\n", 1)[0].split(b" ")
    if len(line) >= 2 and line[0].startswith(b"HTTP/"):
        return line[1].decode("ascii", "replace")
    return "none"


def read_answer(s, timeout):
    data = b""
    end = time.monotonic() + timeout
    while b"\r\n" not in data and time.monotonic() < end:
        try:
            s.settimeout(max(0.01, end - time.monotonic()))
            chunk = s.recv(4096)
        except (socket.timeout, OSError):
            break
        if not chunk:
            break
        data += chunk
    return data


def cmd_request(args):
    text = codecs.escape_decode(args.text.encode())[0]
    try:
        s = connect(args.port, args.bind, args.timeout)
        try:
            s.sendall(text)
        except OSError:
            pass                    # answered and closed before we were done
        print(status_of(read_answer(s, args.timeout)))
        s.close()
    except OSError:
        print("none")


def still_open(s):
    r, _, _ = select.select([s], [], [], 0)
    if not r:
        return True
    try:
        return s.recv(1, socket.MSG_PEEK) != b""
    except OSError:
        return False


def cmd_hold(args):
    conns = []
    for _ in range(args.count):
        try:
            conns.append(connect(args.port, args.bind))
        except OSError:
            break
    if args.trickle:
        for s in conns:
            try:
                s.sendall(b"GET /healthz HTTP/1.1\r\nX-Pad: ")
            except OSError:
                pass
    time.sleep(1.0)                 # the listener closes those beyond its limits
    print("held %d" % sum(1 for s in conns if still_open(s)), flush=True)
    end = time.monotonic() + args.seconds
    while time.monotonic() < end:
        time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        if args.trickle:
            for s in conns:
                try:
                    s.send(b"a")
                except OSError:
                    pass
    for s in conns:
        s.close()


def cmd_trickle(args):
    s = connect(args.port, None)
    s.sendall(b"POST /notify HTTP/1.1\r\nHost: x\r\nContent-Length: 50\r\n\r\n")
    start = time.monotonic()
    while time.monotonic() - start < 20:
        time.sleep(0.5)
        try:
            s.sendall(b"9")
        except OSError:
            break
        r, _, _ = select.select([s], [], [], 0)
        if r:
            break
    try:
        s.settimeout(2)
        data = s.recv(4096)
    except OSError:
        data = b""
    if data:
        print("answered %s" % status_of(data))
    elif time.monotonic() - start < 20:
        print("dropped after %.1f s" % (time.monotonic() - start))
    else:
        print("kept")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("request")
    p.add_argument("--bind")
    p.add_argument("--timeout", type=float, default=5.0)
    p.add_argument("port", type=int)
    p.add_argument("text")
    p.set_defaults(fn=cmd_request)
    p = sub.add_parser("hold")
    p.add_argument("--bind")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--trickle", action="store_true")
    p.add_argument("port", type=int)
    p.add_argument("count", type=int)
    p.set_defaults(fn=cmd_hold)
    p = sub.add_parser("trickle")
    p.add_argument("port", type=int)
    p.set_defaults(fn=cmd_trickle)
    args = ap.parse_args()
    args.fn(args)


if __name__ == "__main__":
    main()
