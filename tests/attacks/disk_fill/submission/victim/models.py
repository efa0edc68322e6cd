"""Write until the disk is full (the file size limit stops it)."""

import os


def double(x):
    block = b"\0" * (1 << 20)
    for n in range(3):
        with open(f"fill-{n}.bin", "wb") as fh:
            while True:
                fh.write(block)
                fh.flush()
