"""The bench counts memory and CPU over a process and its children (Sanic workers)."""
import os
import subprocess
import sys
import time

from benchmarks.bench import cpu_ticks, process_tree, rss_kib, tree_cpu_ticks


def test_a_child_is_part_of_the_tree_and_of_its_figures():
    child = subprocess.Popen([sys.executable, "-c", "import time\nx = sum(range(30_000_000))\ntime.sleep(30)"])
    try:
        time.sleep(2.0)  # the child has done its CPU work and sleeps
        assert child.pid in process_tree(os.getpid())
        assert rss_kib(os.getpid()) > rss_kib(child.pid) > 0
        assert tree_cpu_ticks(os.getpid()) >= cpu_ticks(os.getpid()) + cpu_ticks(child.pid) > cpu_ticks(os.getpid())
    finally:
        child.kill()
        child.wait()


def test_a_finished_process_counts_nothing():
    assert process_tree(2 ** 22 + 12345) == [2 ** 22 + 12345]
    assert rss_kib(2 ** 22 + 12345) == 0 and tree_cpu_ticks(2 ** 22 + 12345) == 0
