#!/usr/bin/env bash
# Builds the seed corpora under fuzz/corpus/TARGET/ from the conformance messages: the
# hex `raw:` lines of encoding/*.ci and line 2 of each decoding/ file, cut to what each
# target reads (whole message, body, attribute field, NLRI), plus a few hand-made bodies.
# Usage: fuzz/seed.sh [CONFORMANCE_DIR]   (default: $REXA_CONFORMANCE or tests/data/exabgp)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
conformance="${1:-${REXA_CONFORMANCE:-$here/../tests/data/exabgp}}"
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

# Helper command lines (api.md §3.4, §5 examples), one seed each.
for line in [
    "neighbor 10.0.0.1 announce route 192.0.2.0/24 next-hop self",
    "neighbor * withdraw route 192.0.2.0/24",
    "neighbor 10.0.0.1 local-as 65000 peer-as 65001 announce route 192.0.2.0/24 next-hop 10.0.0.2",
    "neighbor 10.0.0.1 router-id 1.2.3.4, neighbor 10.0.0.2 announce route 198.51.100.0/24 next-hop self",
    "announce route 10.0.0.0/24 next-hop 192.0.2.1 origin egp as-path [ 1 2 ] ( 3 4 ) med 10 local-preference 20 atomic-aggregate aggregator ( 65000:1.2.3.4 ) community [65000:1 no-export] large-community [1:2:3] extended-community [ target:65000:1 origin:1.2.3.4:5 ] originator-id 1.1.1.1 cluster-list [ 2.2.2.2 ] aigp 100 path-information 7 attribute [ 0x99 0xC0 0x0102 ] name n split /25 watchdog dog withdraw",
    "announce ipv4 unicast 10.0.1.0/24 next-hop 10.0.1.254 local-preference 200",
    "withdraw ipv6 unicast fc00:1::/64 next-hop 2001::11",
    "announce ipv4 mpls-vpn 10.0.0.0/24 rd 65000:1 label 100 next-hop 192.0.2.1",
    "announce route 2001:db8::/32 next-hop 2001:db8::1 bgp-prefix-sid-srv6 ( l3-service 2001:db8::2 0x48 [64,24,16,0,0,0] )",
    "announce route 10.0.0.0/8 next-hop 1.2.3.4 bgp-prefix-sid [ 7, [ ( 800000,4096 ) ] ]",
    "neighbor 127.0.0.1 announce attributes path-information 1.2.3.4 next-hop 10.11.12.13 community [14:15] local-preference 16 nlri 16.17.18.19/32 20.21.22.23/32",
    "announce flow route { match { source 10.0.0.1/32; destination 192.0.2.0/24; destination-port =80; protocol tcp; } then { discard; } }",
    "announce flow route destination 192.0.2.19/32 source-port >1024&<2000 rate-limit 9600",
    "announce ipv6 flow-vpn rd 65000:1 destination 2001:db8::/32 discard",
    "announce vpls endpoint 5 base 10702 offset 1 size 8 rd 192.168.201.1:123 next-hop 192.168.201.1 extended-community [ target:54591:6 l2info:19:0:1500:111 ]",
    "announce ipv4 mcast-vpn source-ad source 10.0.0.1 group 239.0.0.1 rd 65000:1 next-hop 10.0.0.254",
    "announce ipv4 mup mup-isd 10.0.1.0/24 rd 100:100 next-hop 2001::1",
    "announce watchdog dog\nwithdraw watchdog\nannounce eor ipv6 unicast\nannounce route-refresh ipv4 unicast",
    "announce operational asm afi ipv4 safi unicast advisory \"hello world\"",
    "announce operational rpcp afi ipv4 safi unicast sequence 1 counter 2",
    "neighbor 10.0.0.1 teardown 2\nflush adj-rib out\nclear adj-rib in",
    "show neighbor summary 10.0.0.1 json\nshow adj-rib in extensive 2001:db8::1 inet json\nshow adj-rib-out flow",
    "shutdown\nreload\nrestart\nversion\nhelp\nenable-ack\ndisable-ack\nsilence-ack\nreset\n# comment\ndebug text",
    "daemon shutdown\nsession ack enable\nsystem version\nrib show out\nrib clear in",
]:
    put("api_command", line.encode())

for target in sorted(count):
    print(f"{target}: {count[target]} new seeds")
PY
