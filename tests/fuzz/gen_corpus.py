#!/usr/bin/env python3
"""Writes the seed corpora of the fuzz harnesses (tests/fuzz/corpus/<target>/).

Seeds are small real inputs: the PDUs of tests/pdu/, the AT transcripts of
tests/at/ turned into fuzz_at scripts, an install notification POST, a fleet
CSV, OTAP profiles. Run from anywhere; it rewrites the corpus directories.
"""
import os
import re
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.dirname(HERE)
CORPUS = os.path.join(HERE, "corpus")


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def clear(target):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    for n in os.listdir(d):
        os.remove(os.path.join(d, n))


# ---- pdu: the hex line of every tests/pdu/*.txt, plus a +CDS report ----
def gen_pdu():
    clear("pdu")
    pdu_dir = os.path.join(TESTS, "pdu")
    for fn in sorted(os.listdir(pdu_dir)):
        with open(os.path.join(pdu_dir, fn)) as f:
            for line in f:
                if line.startswith("hex: "):
                    write("pdu", fn.replace(".txt", ".hex"), line[5:].strip())
    write("pdu", "cds_from_transcript.hex",
          "079194710600403406110C91947110325476421021910345404210219103554000")


# ---- at: tests/at/*.txt transcripts as fuzz_at scripts (see fuzz_at.c) ----
SPEC_PDU = ("0011000C919471103254767DF5A7494F5441505F494D504E470A5057443A7365637265740A"
            "4A414455524C3A687474703A2F2F66772E6578616D706C652E636F6D2F6170702E6A61640A"
            "53544152543A696E7374616C6C0A")
SPEC_PDU_SRR = "0031" + SPEC_PDU[4:]


def unescape(text):
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        n = text[i + 1]
        if n == "r":
            out += b"\r"
        elif n == "n":
            out += b"\n"
        elif n == "\\":
            out += b"\\"
        elif n == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 2
        i += 2
    return bytes(out)


def settings_byte(args):
    kv = dict(a.split("=", 1) for a in args.split())
    b = 0
    if kv.get("pin"):
        b |= 1                          # PIN "1234"
    if kv.get("smsc"):
        b |= 1 << 2                     # the valid SMSC choice
    if kv.get("cdsi") == "1":
        b |= 1 << 4
    return b


def at_ops(path, ops):
    """Appends the operations of one transcript (includes inlined)."""
    with open(path) as f:
        lines = f.read().splitlines()
    for line in lines:
        if line.startswith("< "):
            text = line[2:]
            if text.startswith("~"):
                raw = unescape(text[1:])
                ops += bytes([0 | (31 << 3), len(raw)]) + raw
            else:
                raw = text.encode()
                ops += bytes([1, len(raw)]) + raw
        elif line.startswith("+ "):
            ms = int(line[2:])
            scale = 0
            while ms > 0xFFFF:
                ms //= 10
                scale += 1
            ops += bytes([2 | (scale << 3)]) + struct.pack("<H", ms)
        elif line.startswith("= action init"):
            ops += bytes([4])
        elif line.startswith("= action check"):
            ops += bytes([6])
        elif line.startswith("= action send"):
            parts = line.split()
            hexs, tpdu = parts[3], int(parts[4])
            if hexs == SPEC_PDU and tpdu == 87:
                ops += bytes([5 | (1 << 3)])
            elif hexs == SPEC_PDU_SRR and tpdu == 87:
                ops += bytes([5 | (3 << 3)])
            else:
                ops += bytes([5, len(hexs)]) + hexs.encode() + bytes([tpdu & 0xFF])
        elif line.startswith("= event"):
            ops += bytes([7 | (1 << 3)])  # pop one event
        elif line.startswith("= include "):
            at_ops(os.path.join(os.path.dirname(path), line[10:].strip()), ops)


def gen_at():
    clear("at")
    at_dir = os.path.join(TESTS, "at")
    for fn in sorted(os.listdir(at_dir)):
        if not fn.endswith(".txt"):
            continue
        path = os.path.join(at_dir, fn)
        with open(path) as f:
            first = [l for l in f.read().splitlines() if l.startswith("! settings")]
        cfg = settings_byte(first[0][len("! settings"):]) if first else 0
        ops = bytearray()
        at_ops(path, ops)
        write("at", fn.replace(".txt", ".bin"), bytes([cfg]) + bytes(ops))
    # Small timeouts and byte-by-byte feeding of the PIN dialogue.
    ops = bytearray([4])
    for reply in (b"OK", b"OK", b"OK", b"+CPIN: SIM PIN", b"OK", b"OK"):
        raw = b"\r\n" + reply + b"\r\n"
        ops += bytes([0, len(raw)]) + raw          # piece size 1
    ops += bytes([3])                               # settle deadline
    write("at", "pin_bytewise_short_timeouts.bin", bytes([1 | (2 << 5)]) + bytes(ops))
    # An over-long line (dropped whole) where the PDU of a +CDS should be.
    raw = b"\r\n+CDS: 25\r\n"
    ops = bytearray()
    at_ops(os.path.join(at_dir, "ready.inc"), ops)
    ops += bytes([0 | (31 << 3), len(raw)]) + raw
    ops += bytes([0 | (30 << 3), 9, 64]) + b"079194710"   # 9 * 65 hex digits
    ops += bytes([1, 2]) + b"OK"
    write("at", "cds_overlong_pdu.bin", bytes([0x10]) + bytes(ops))
    # A +CDS PDU line that fits the line buffer but not an event text.
    ops = bytearray()
    at_ops(os.path.join(at_dir, "ready.inc"), ops)
    ops += bytes([0 | (31 << 3), len(raw)]) + raw
    ops += bytes([0 | (30 << 3), 9, 49]) + b"079194710"   # 9 * 50 hex digits
    ops += bytes([1, 2]) + b"OK"
    write("at", "cds_pdu_too_long_for_event.bin", bytes([0x10]) + bytes(ops))
    # The SIM rejects the PIN.
    ops = bytearray([4])
    for reply in (b"OK", b"OK", b"OK", b"+CPIN: SIM PIN", b"OK", b"+CME ERROR: 16"):
        ops += bytes([1, len(reply)]) + reply
    ops += bytes([7 | (1 << 3)])
    write("at", "pin_rejected.bin", bytes([1]) + bytes(ops))


# ---- csv: fleet files as otapctl rollout create reads them ----
def gen_csv():
    clear("csv")
    write("csv", "fleet.csv", "msisdn,label,imei\n+491701234567,unit 1,490154203237518\n"
          "+491701234568,\"unit 2, roof\",490154203237519\n")
    write("csv", "semicolon_bom_crlf.csv",
          "\xef\xbb\xbfmsisdn;label\r\n+491701;\"a \"\"quoted\"\" name\"\r\n\r\n+491702;b\r\n")
    write("csv", "tabs_multiline.csv", "msisdn\tnote\n+4917\t\"two\nlines\"\n")
    write("csv", "unterminated.csv", "msisdn,label\n\"+491701,x\n")
    write("csv", "too_many_fields.csv", "msisdn\n" + "1," * 1030 + "\n")


# ---- otap: action, presence mask, NUL-separated values (see fuzz_otap.c) ----
FIELDS = ["password", "jad_url", "app_dir", "http_user", "http_password", "bearer", "apn",
          "net_user", "net_password", "dns", "notify_url", "override"]


def otap_seed(name, action, values):
    mask = 0
    segs = []
    for i, f in enumerate(FIELDS):
        if f in values:
            mask |= 1 << i
            segs.append(values[f].encode())
    write("otap", name, bytes([action]) + struct.pack("<H", mask) + b"\0".join(segs))


def gen_otap():
    clear("otap")
    otap_seed("spec_example.bin", 0,
              {"password": "secret", "jad_url": "http://fw.example.com/app.jad"})
    otap_seed("full_split.bin", 0, {
        "password": "s3cr#t", "jad_url": "https://fw.example.com/releases/2024-05/app.jad",
        "app_dir": "a:/app", "http_user": "fleet", "http_password": "h#pw",
        "bearer": "gprs", "apn": "internet.m2m.example", "net_user": "m2m",
        "net_password": "n#pw", "dns": "192.0.2.53",
        "notify_url": "http://otap.example.com/n/",
        "override": "http://otap.example.com/n/42/abcdefghijklmnop"})
    otap_seed("delete_no_password.bin", 1, {"app_dir": "a:/app"})
    otap_seed("injection.bin", 0, {"password": "pw", "apn": "x\nSTART:delete"})
    otap_seed("bearer_upper.bin", 0, {"password": "pw", "bearer": "GPRS"})


if __name__ == "__main__":
    gen_pdu()
    gen_at()
    gen_csv()
    gen_otap()
