#!/usr/bin/env python3
"""Golden-data generator: what ExaBGP 5.0.15's *text* encoder prints for hand-built messages.

Reads a rexa golden TSV (name TAB options TAB hex TAB ...), and for every message case runs
ExaBGP's own offline decoder (`exabgp decode` with the same options) with its display
functions redirected to the text encoder, once without and once with the raw bytes
(consolidate). Writes: name TAB options TAB hex TAB text TAB text-with-raw, where each text
is the exact string the encoder returned plus the newline ExaBGP's process writer appends,
with LF shown as <LF>.

usage: /opt/exabgp5/bin/python3 exabgp_text.py INPUT.tsv CONFIG_DIR > OUTPUT.tsv
(CONFIG_DIR holds the configurations named by `-c`)
"""

import os
import subprocess
import sys


def one_case(options, payload):
    """Runs in a child process: prints the two renderings separated by a NUL."""
    from exabgp.application import decode
    from exabgp.configuration import check
    from exabgp.reactor.api.response import Response
    from exabgp.bgp.message import Open

    raw = bytes.fromhex(payload.replace(":", "").replace(" ", ""))
    header, body = raw[:19], raw[19:]
    results = []

    def emit(render):
        results.append(render(b'', b'') + '\n')
        results.append(render(header, body) + '\n')

    def display_update(neighbor, raw_message):
        update = check._make_update(neighbor, raw_message)
        if not update:
            return False
        emit(lambda h, b: Response.Text('5.0.0').update(neighbor, 'receive', update, None, h, b))
        return True

    def display_open(neighbor, raw_body):
        message = Open.unpack_message(raw_body)
        emit(lambda h, b: Response.Text('5.0.0').open(neighbor, 'receive', message, None, h, b))
        return True

    def display_notification(neighbor, raw_message):
        message = check._make_notification(neighbor, raw_message)
        if not message:
            return False
        emit(lambda h, b: Response.Text('5.0.0').notification(neighbor, 'receive', message, None, h, b))
        return True

    check.display_update = display_update
    check.display_open = display_open
    check.display_notification = display_notification
    sys.argv = ['exabgp-decode'] + options + [payload]
    parser = __import__('argparse').ArgumentParser()
    decode.setargs(parser)
    decode.cmdline(parser.parse_args(options + [payload]))
    sys.stdout.write('\0'.join(results))


def main():
    if sys.argv[1] == '--one':
        one_case(sys.argv[3:], sys.argv[2])
        return
    source, configs = sys.argv[1], sys.argv[2]
    print('# What ExaBGP 5.0.15\'s text encoder prints (via tests/data/text_events/exabgp_text.py)')
    print('# for the messages of ' + os.path.basename(source) + ': name TAB options TAB hex TAB text')
    print('# TAB text with header/body attached; each text ends with the writer\'s newline; LF is <LF>.')
    for line in open(source):
        if line.startswith('#') or not line.strip():
            continue
        name, options, payload = line.rstrip('\n').split('\t')[:3]
        if '-n' in options.split(','):
            continue  # NLRI-only input: no message event
        args = []
        words = [w for w in options.split(',') if w]
        while words:
            word = words.pop(0)
            args.append(word)
            if word == '-c':
                args.append(os.path.join(configs, words.pop(0)))
        env = dict(os.environ, exabgp_log_enable='false')
        done = subprocess.run([sys.executable, __file__, '--one', payload] + args,
                              capture_output=True, text=True, env=env)
        parts = done.stdout.split('\0')
        if done.returncode != 0 or len(parts) != 2:
            sys.stderr.write(f'{name}: no text ({done.returncode}) {done.stdout[:200]!r} {done.stderr[-300:]!r}\n')
            continue
        shown = [p.replace('\n', '<LF>') for p in parts]
        print('\t'.join([name, options, payload] + shown))


if __name__ == '__main__':
    main()
