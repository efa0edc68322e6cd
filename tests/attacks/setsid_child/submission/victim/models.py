"""Leave a daemon behind: setsid + double fork, then the honest answer."""

import os
import time


def double(x):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            os.execv("/bin/sleep", ["/bin/sleep", "@@MARKER@@"])
        os._exit(0)
    time.sleep(0.2)
    return 2 * x
