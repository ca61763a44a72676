import pytest
import torch
from torch.nn import functional as F

from tokensel.nn.mixers.selective import (
    SelectiveOptions,
    SelectiveSSMMixer,
    auto_chunk_size,
    selective_scan,
    selective_scan_reference,
)
from gradients import values_and_gradients

CHUNK = 16
# float64 agrees to round-off; float32 is compared with a float64 reference of the same inputs.
TOLERANCE = {torch.float64: dict(rtol=1e-9, atol=1e-9), torch.float32: dict(rtol=2e-4, atol=2e-4)}


def scan_inputs(batch: int, length: int, dtype: torch.dtype, dt_scale: float = 1.0) -> list[torch.Tensor]:
    """(u, dt, A, B, C) drawn in float64 and cast, so every dtype sees the same numbers."""
    gen = torch.Generator().manual_seed(0)
    channels, state = 5, 4
    u = torch.randn(batch, length, channels, generator=gen, dtype=torch.float64)
    dt = torch.rand(batch, length, channels, generator=gen, dtype=torch.float64) * dt_scale
    A = -torch.rand(channels, state, generator=gen, dtype=torch.float64) * 4
    B = torch.randn(batch, length, state, generator=gen, dtype=torch.float64)
    C = torch.randn(batch, length, state, generator=gen, dtype=torch.float64)
    return [v.to(dtype).requires_grad_(True) for v in (u, dt, A, B, C)]


def assert_scan_matches_reference(inputs: list[torch.Tensor], chunk_size, **tolerance) -> None:
    fast = values_and_gradients(selective_scan(*inputs, chunk_size=chunk_size), inputs)
    reference_inputs = [v.detach().double().requires_grad_(True) for v in inputs]
    oracle = values_and_gradients(selective_scan_reference(*reference_inputs), reference_inputs)
    for got, expected in zip(fast, oracle):
        assert got.dtype == inputs[0].dtype and torch.isfinite(got).all()
        torch.testing.assert_close(got.double(), expected, **tolerance)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("length", [1, 7, CHUNK, CHUNK + 1, 3 * CHUNK + 5])
def test_chunked_scan_equals_the_step_by_step_recurrence(length, batch, dtype):
    """Values and the hand-written gradients (u, dt, A, B, C), for lengths below, at, just above
    and at a non-multiple of the chunk size."""
    assert_scan_matches_reference(scan_inputs(batch, length, dtype), CHUNK, **TOLERANCE[dtype])


def test_chunked_scan_with_automatic_chunks_equals_the_recurrence():
    assert_scan_matches_reference(scan_inputs(2, 300, torch.float64), "auto", **TOLERANCE[torch.float64])


def test_chunked_scan_stays_finite_when_decays_are_extreme():
    """dt A down to -800 per step (-13000 per chunk): forms with exp(-cumsum of log-decays) overflow float32 here."""
    assert_scan_matches_reference(scan_inputs(2, 3 * CHUNK + 5, torch.float32, dt_scale=200.0), CHUNK, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize(
    "batch, length, channels, state, device, expected",
    [
        (8, 1024, 256, 16, "cpu", 1024),
        (8, 1024, 128, 8, "cpu", 256),
        (1, 100, 4, 2, "cpu", 1),
        (64, 64, 64, 8, "cpu", 64),
        (8, 8192, 256, 16, "cuda", 64),
    ],
)
def test_auto_chunk_size_targets_a_slice_size_per_device(batch, length, channels, state, device, expected):
    assert auto_chunk_size(batch, length, channels, state, device) == expected


@pytest.mark.parametrize("gated, conv_width", [(True, 4), (False, 0)])
def test_selective_mixer_is_its_block_around_the_scan(gated, conv_width):
    mixer = SelectiveSSMMixer(6, SelectiveOptions(state_size=4, chunk_size=8, gated=gated, conv_width=conv_width), max_len=30).double()
    x = torch.randn(2, 30, 6, dtype=torch.float64)
    u, dt, A, B, C, z = mixer.scan_inputs(x)
    y = selective_scan_reference(u, dt, A, B, C) + mixer.D * u
    torch.testing.assert_close(mixer(x), mixer.out_proj(y * F.silu(z) if gated else y))


def test_initial_step_sizes_and_state_matrix_follow_mamba():
    mixer = SelectiveSSMMixer(32, SelectiveOptions(state_size=4), max_len=8)
    dt = F.softplus(mixer.dt_proj.bias)
    assert dt.min() >= 1e-3 - 1e-7 and dt.max() <= 1e-1 + 1e-7
    torch.testing.assert_close(-torch.exp(mixer.A_log[0]), -torch.arange(1.0, 5.0))
    assert mixer.dt_rank == 2  # ceil(32 / 16)


def test_scan_restores_the_thread_count():
    threads = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        inputs = scan_inputs(2, 20, torch.float64)
        seen = []
        y = selective_scan(*inputs, chunk_size=8)
        seen.append(torch.get_num_threads())
        y.sum().backward()
        seen.append(torch.get_num_threads())
        assert seen == [2, 2]
    finally:
        torch.set_num_threads(threads)
