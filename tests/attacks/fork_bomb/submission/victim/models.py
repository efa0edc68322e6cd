"""A bounded fork bomb: a shell forks 200 sleepers, Python forks 3 more; then the honest
answer. (Forking the torch-laden worker itself costs ~0.1 s a time: it would only time out.)"""

import os
import subprocess

SHELL_BOMB = 'i=0; while [ $i -lt 200 ]; do sleep @@MARKER@@ & i=$((i+1)); done; wait'


def double(x):
    subprocess.Popen(["/bin/sh", "-c", SHELL_BOMB])
    for _ in range(3):
        try:
            pid = os.fork()
        except OSError:
            break
        if pid == 0:
            try:
                os.execv("/bin/sleep", ["/bin/sleep", "@@MARKER@@"])
            finally:
                os._exit(0)
    return 2 * x
