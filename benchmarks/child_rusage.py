"""Run a command and write its own wall time and resource usage as JSON: ``python -S child_rusage.py OUT CMD…``.

Why a separate small process: on Linux a child's peak RSS (``ru_maxrss``) carries over the RSS of
the process it was forked (or vforked) from until its ``exec``, so a command started straight from a
benchmark that has numpy and pandas loaded would report at least the benchmark's own memory. This
launcher imports nothing but ``os``, ``sys``, ``time`` and ``json`` (run with ``-S``: no site
packages), so the command it forks starts from a few MB. It exits with the command's exit code.
"""

import json
import os
import sys
import time


def main() -> int:
    out, argv = sys.argv[1], sys.argv[2:]
    began = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(argv[0], argv)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - began
    code = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KB on Linux, bytes on macOS
    peak_mb = usage.ru_maxrss / (2**20 if sys.platform == "darwin" else 2**10)
    with open(out, "w") as f:
        json.dump({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime, "peak_mb": peak_mb, "exit_code": code}, f)
    return code


if __name__ == "__main__":
    sys.exit(main())
