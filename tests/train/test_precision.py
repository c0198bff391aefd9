"""`mixed_precision: auto` takes bf16 only where the CPU computes it natively and faster."""

import pytest

from cft_lib.errors import ConfigError
from cft_lib.train.config import TrainConfig
from cft_lib.train.precision import native_cpu_bf16, probe_matmul_seconds, resolve_precision


def test_explicit_precisions_pass_through():
    for value in ("no", "bf16", "fp16"):
        assert resolve_precision(value) == value


def test_native_bf16_is_read_from_the_cpu_flags():
    assert not native_cpu_bf16({"avx", "avx2", "fma"})  # an AVX2 laptop or cloud VM: bf16 is emulated
    assert native_cpu_bf16({"avx512f", "avx512_bf16"}) and native_cpu_bf16({"amx_bf16"})
    assert native_cpu_bf16({"asimd", "bf16"})  # Arm with the BF16 extension


def test_auto_never_picks_bf16_without_native_support():
    if native_cpu_bf16():
        pytest.skip("this CPU has native bf16: auto is decided by the measured probe")
    assert resolve_precision("auto") == "no"


def test_the_probe_measures_both_precisions():
    fp32, bf16 = probe_matmul_seconds(rows=256, width=64, repeats=2)
    assert fp32 > 0 and bf16 > 0


def test_auto_is_the_default_and_a_typo_names_the_field():
    assert TrainConfig().mixed_precision == "auto"
    with pytest.raises(ConfigError, match="mixed_precision"):
        TrainConfig(mixed_precision="bf61").check()
