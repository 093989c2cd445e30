"""The auto precision's question: does this CPU run bf16 natively, or only emulate it?"""

from __future__ import annotations

from pathlib import Path

import pytest

from risklens.model import cpu

X86 = "processor\t: 0\nmodel name\t: Some Xeon\nflags\t\t: fpu sse avx2 avx512f avx512bw {extra}\n\nprocessor\t: 1\n"
ARM = "processor\t: 0\nFeatures\t: fp asimd {extra}\nModel\t\t: 1\n"


@pytest.mark.parametrize(("text", "model", "has"), [
    (X86.format(extra="avx512_bf16"), "Some Xeon", "avx512_bf16"),
    (ARM.format(extra="bf16"), "1", "bf16"),
])
def test_cpu_info_reads_x86_and_arm_flags(tmp_path: Path, text: str, model: str, has: str) -> None:
    path = tmp_path / "cpuinfo"
    path.write_text(text, encoding="utf-8")
    name, flags = cpu.cpu_info(path) or ("", frozenset())
    assert name == model and has in flags


def test_cpu_info_is_none_without_proc(tmp_path: Path) -> None:
    assert cpu.cpu_info(tmp_path / "missing") is None


@pytest.mark.parametrize(("torch_says", "flags", "native"), [
    (True, frozenset({"avx512f", "avx512bw"}), False),  # AVX-512 without bf16: emulated, fp32 is faster
    (True, frozenset({"avx512f", "amx_bf16"}), True),
    (True, frozenset({"avx512_bf16"}), True),
    (False, frozenset({"amx_bf16"}), False),
    (True, None, True),  # no /proc/cpuinfo: torch's answer stands
])
def test_bf16_needs_torch_and_a_bf16_flag(monkeypatch: pytest.MonkeyPatch, torch_says: bool,
                                          flags: frozenset[str] | None, native: bool) -> None:
    monkeypatch.setattr(cpu, "torch_bf16", lambda: torch_says)
    monkeypatch.setattr(cpu, "cpu_info", lambda: None if flags is None else ("cpu", flags))
    assert cpu.bf16_supported() is native
