"""The cross-CPU check chooses only kernels the CPU supports, and compares checked cells."""

from __future__ import annotations

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("cross_cpu", Path(__file__).parents[1] / "tools" / "cross_cpu.py")
cross_cpu = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(cross_cpu)


def test_kernels_follow_cpu_flags():
    names = lambda flags: [n for n, _ in cross_cpu.configurations(flags)]  # noqa: E731
    assert names(set()) == ["default", "Prescott", "OMP_NUM_THREADS=1"]
    assert names({"avx", "avx2"}) == ["default", "Prescott", "SandyBridge", "Haswell", "OMP_NUM_THREADS=1"]
    assert "SkylakeX" in names({"avx", "avx2", "avx512f"})
    assert "SkylakeX" not in names({"avx", "avx2", "avx512bw"})


def test_cpu_flags_parsed_from_cpuinfo():
    info = "processor\t: 0\nflags\t\t: fpu sse2 avx avx2\nbogomips\t: 1\n"
    assert cross_cpu.cpu_flags(info) == {"fpu", "sse2", "avx", "avx2"}
    assert cross_cpu.cpu_flags("no flags line") == set()


def test_checked_outputs_only_marked_cells():
    nb = {"cells": [
        {"cell_type": "code", "source": ["print(1)"], "outputs": [{"output_type": "stream", "name": "stdout", "text": ["1\n"]}]},
        {"cell_type": "code", "source": ["# NBVAL_CHECK_OUTPUT\n", "x"],
         "outputs": [{"output_type": "execute_result", "data": {"text/plain": ["<obj at 0xdeadbeef12>"]}}]},
    ]}
    assert cross_cpu.checked_outputs(nb) == [(0, "<obj at 0x…>")]
