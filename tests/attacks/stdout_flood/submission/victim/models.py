"""Megabytes on stdout and stderr, with bytes that are not UTF-8; then the honest answer."""

import os
import sys


def double(x):
    line = "spam " * 200 + "\n"
    for _ in range(8000):  # about 8 MB
        sys.stdout.write(line)
    sys.stdout.flush()
    os.write(1, b"\xff\xfe\x00\xc3\x28 not utf-8 \x80\x81\n" * 1000)
    os.write(2, b"\xed\xa0\x80 lone surrogate \x00\x1b[31m\n" * 1000)
    return 2 * x
