"""Sleep forever without using any CPU (an RLIMIT_CPU alone would never fire)."""

import time


def double(x):
    time.sleep(10**6)
