#!/usr/bin/env python3
"""notify_socket.py - a stand-in for systemd's notification socket: binds a
unix datagram socket at argv[1] and appends each sd_notify(3) message to
argv[2] as "<monotonic ms> <message with newlines as |>" lines, until killed."""
import socket
import sys
import time

sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
sock.bind(sys.argv[1])
with open(sys.argv[2], "a", buffering=1) as out:
    while True:
        msg = sock.recv(4096).decode("utf-8", "replace")
        out.write("%d %s\n" % (time.monotonic() * 1000, msg.replace("\n", "|")))
