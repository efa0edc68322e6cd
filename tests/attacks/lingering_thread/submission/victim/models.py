"""A thread that keeps running (and forking) after the answer is sent."""

import ctypes
import os
import threading
import time


def _linger():
    n = 0
    while True:
        time.sleep(0.05)
        n += 1
        if n % 5 == 0 and os.fork() == 0:
            os.execv("/bin/sleep", ["/bin/sleep", "@@MARKER@@"])


def double(x):
    ctypes.CDLL(None).prctl(15, b"atk-thread", 0, 0, 0)  # PR_SET_NAME: findable in /proc
    threading.Thread(target=_linger, daemon=True).start()
    return 2 * x
