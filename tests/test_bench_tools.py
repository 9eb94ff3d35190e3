"""The benchmark tools' CPU accounting: a gunicorn worker replaced mid-run still counts."""

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
from load import cpu_seconds  # noqa: E402  (tools/ is not a package)

# A parent that forks a child, lets it burn CPU and exit, waits for it (as gunicorn's master
# waits for a worker it replaced), then idles until killed.
PARENT = """
import os, sys, time
pid = os.fork()
if pid == 0:
    end = time.process_time() + 0.4
    while time.process_time() < end:
        pass
    os._exit(0)
os.waitpid(pid, 0)
print("reaped", flush=True)
time.sleep(60)
"""


def test_cpu_time_of_a_child_that_has_exited_and_been_waited_for_counts():
    with subprocess.Popen([sys.executable, "-c", PARENT], stdout=subprocess.PIPE,
                          text=True) as parent:
        try:
            assert parent.stdout.readline().strip() == "reaped"
            total = cpu_seconds(parent.pid)
        finally:
            parent.kill()
    # The child's 0.4 s is the parent's children time now; the parent itself used little.
    assert total is not None and total >= 0.35


def test_cpu_time_of_a_process_that_is_gone_is_unknown():
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    time.sleep(0.05)
    assert cpu_seconds(gone.pid) is None
