#!/usr/bin/env bash
# Builds the seed corpora under fuzz/corpus/TARGET/ from the conformance messages: the
# hex `raw:` lines of encoding/*.ci and line 2 of each decoding/ file, cut to what each
# target reads (whole message, body, attribute field, NLRI), plus a few hand-made bodies.
# Usage: fuzz/seed.sh [CONFORMANCE_DIR]   (default: $REXA_CONFORMANCE or ../shared/conformance)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
conformance="${1:-${REXA_CONFORMANCE:-$here/../../shared/conformance}}"
if [ ! -d "$conformance/encoding" ]; then
    echo "seed.sh: no conformance data at $conformance" >&2
    exit 1
fi
exec python3 - "$conformance" "$here/corpus" <<'PY'
import hashlib, os, re, sys, glob

conformance, corpus = sys.argv[1], sys.argv[2]
MARKER = b"\xff" * 16
# Context selectors (see fuzz/src/lib.rs): plain 2-octet AS, 4-octet AS, 4-octet AS with
# every family, and 4-octet AS + extended next-hop + every family.
SELECTORS = [0x00, 0x01, 0x81, 0xC1]
count = {}

def put(target, data):
    folder = os.path.join(corpus, target)
    os.makedirs(folder, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(folder, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        count[target] = count.get(target, 0) + 1

def unhex(text):
    digits = re.sub(r"[^0-9a-fA-F]", "", text)
    if len(digits) % 2:
        return None
    return bytes.fromhex(digits)

def body_of(kind, body):
    target = {1: "open", 3: "notification", 5: "route_refresh", 6: "operational"}.get(kind)
    if target:
        put(target, body)
    if kind == 2 and len(body) >= 4:
        for s in SELECTORS:
            put("update", bytes([s]) + body)
        wlen = int.from_bytes(body[0:2], "big")
        if len(body) >= 4 + wlen:
            alen = int.from_bytes(body[2 + wlen:4 + wlen], "big")
            attributes = body[4 + wlen:4 + wlen + alen]
            for s in SELECTORS:
                put("attributes", bytes([s]) + attributes)
    if kind == 1 and len(body) >= 10:
        # The capabilities of each capability parameter, for Capability::decode_all.
        params = body[10:]
        while len(params) >= 2:
            ptype, plen = params[0], params[1]
            if ptype == 2:
                put("open", params[2:2 + plen])
            params = params[2 + plen:]

# The nlri target's family list (fuzz_targets/nlri.rs), as (AFI, SAFI).
NLRI_FAMILIES = [(1, 1), (2, 1), (1, 2), (2, 2), (1, 4), (2, 4), (1, 128), (2, 128), (1, 133), (25, 70)]

def attributes_of(field):
    while len(field) >= 3:
        flags, code = field[0], field[1]
        if flags & 0x10:
            if len(field) < 4:
                return
            length, start = int.from_bytes(field[2:4], "big"), 4
        else:
            length, start = field[2], 3
        yield code, field[start:start + length]
        field = field[start + length:]

def nlri_seeds(body):
    wlen = int.from_bytes(body[0:2], "big")
    withdrawn = body[2:2 + wlen]
    if withdrawn:
        put("nlri", b"\x00\x02" + withdrawn)
    alen = int.from_bytes(body[2 + wlen:4 + wlen], "big")
    attributes = body[4 + wlen:4 + wlen + alen]
    announced = body[4 + wlen + alen:]
    if announced:
        put("nlri", b"\x00\x00" + announced)
    for code, value in attributes_of(attributes):
        if code not in (14, 15) or len(value) < 3:
            continue
        put("nlri", b"\x00\x00" + value)
        family = (int.from_bytes(value[0:2], "big"), value[2])
        if family not in NLRI_FAMILIES:
            continue
        index = NLRI_FAMILIES.index(family)
        if code == 15:
            put("nlri", bytes([index, 2]) + value[3:])
        elif len(value) >= 4:
            nh_len = value[3]
            put("nlri", bytes([index, 0]) + value[4 + nh_len + 1:])
            put("nlri", bytes([index, 0]) + value[4:4 + nh_len])

def decode_input_seeds(data):
    text = data.hex().upper()
    put("decode_input", text.encode())
    put("decode_input", b"\n" + text.encode())
    put("decode_input", b"-u\0" + text[32:].encode())
    if len(data) > 19:
        put("decode_input", b"-i\0-f\0ipv4 unicast\0" + data[19:].hex().encode())

# peer target: the FSM selector (valid OPEN + KEEPALIVE first, both directions, with and
# without 4-octet AS / ADD-PATH / extended messages), a read size, then the stream.
PEER_SELECTORS = [0x05, 0x07, 0x0D, 0x1F]

def message(data):
    decode_input_seeds(data)
    put("peer", bytes([PEER_SELECTORS[len(data) % 4], 0x40]) + data)
    if len(data) >= 23 and data[18] == 2:
        nlri_seeds(data[19:])
    for s in SELECTORS:
        put("message", bytes([s]) + data)
    if len(data) >= 19:
        body_of(data[18], data[19:])

for path in sorted(glob.glob(os.path.join(conformance, "encoding", "*.ci"))):
    for line in open(path, encoding="utf-8", errors="replace"):
        if ":raw:" in line:
            data = unhex(line.split(":raw:", 1)[1])
            if data:
                message(data)

for path in sorted(glob.glob(os.path.join(conformance, "decoding", "*"))):
    lines = open(path, encoding="utf-8", errors="replace").read().splitlines()
    if len(lines) < 2:
        continue
    kind = lines[0].split()[0] if lines[0].split() else ""
    data = unhex(lines[1])
    if not data:
        continue
    if data.startswith(MARKER):
        message(data)
    elif kind == "update":
        message(MARKER + (19 + len(data)).to_bytes(2, "big") + b"\x02" + data)
    elif kind == "open":
        message(MARKER + (19 + len(data)).to_bytes(2, "big") + b"\x01" + data)
    elif kind == "nlri":
        put("nlri", b"\x00\x00" + data)
        words = lines[0].split()
        family = " ".join(words[1:3])
        put("decode_input", b"-n\0-f\0" + family.encode() + b"\0" + data.hex().encode())

# Hand-made bodies for the messages the vectors lack.
for body in [b"\x06\x02\x0bmaintenance", b"\x06\x04\x00", b"\x03\x01", b"\x02\x02\x00\x01"]:
    body_of(3, body)
for body in [b"\x00\x01\x00\x01", b"\x00\x02\x01\x01", b"\x00\x02\x02\x80", b"\x00\x01\x00\x01\x01\x00\x05"]:
    body_of(5, body)
for body in [
    b"\x00\x01\x00\x08\x00\x01\x01hello",
    b"\x00\x03\x00\x0b\x00\x01\x01\xc0\x00\x02\x01\x00\x00\x00\x07",
    b"\x00\x04\x00\x0f\x00\x01\x01\xc0\x00\x02\x01\x00\x00\x00\x07\x00\x00\x00\x2a",
]:
    body_of(6, body)
for kind, body in [(4, b""), (3, b"\x06\x02\x00"), (5, b"\x00\x01\x00\x01"), (6, b"\x00\x01\x00\x03\x00\x01\x01")]:
    message(MARKER + (19 + len(body)).to_bytes(2, "big") + bytes([kind]) + body)

for path in sorted(glob.glob(os.path.join(conformance, "configs", "*"))):
    if os.path.isfile(path):
        with open(path, "rb") as f:
            put("config", f.read())

for target in sorted(count):
    print(f"{target}: {count[target]} new seeds")
PY
