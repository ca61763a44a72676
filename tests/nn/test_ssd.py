import pytest
import torch
from torch.nn import functional as F

from tokensel.core.errors import ConfigError
from tokensel.nn.mixers.ssd import SSDMixer, SSDOptions, segment_sums, ssd_scan, ssd_scan_reference
from gradients import values_and_gradients

# float64 agrees to round-off; float32 is compared with a float64 reference of the same inputs.
TOLERANCE = {torch.float64: dict(rtol=1e-9, atol=1e-9), torch.float32: dict(rtol=2e-4, atol=2e-4)}


def scan_inputs(batch: int, length: int, dtype: torch.dtype, dt_scale: float = 1.0, heads: int = 3) -> list[torch.Tensor]:
    """(x, dt, A, B, C) drawn in float64 and cast, so every dtype sees the same numbers."""
    gen = torch.Generator().manual_seed(0)
    head_dim, state = 4, 5
    x = torch.randn(batch, length, heads, head_dim, generator=gen, dtype=torch.float64)
    dt = torch.rand(batch, length, heads, generator=gen, dtype=torch.float64) * dt_scale
    A = -torch.rand(heads, generator=gen, dtype=torch.float64) * 4
    B = torch.randn(batch, length, state, generator=gen, dtype=torch.float64)
    C = torch.randn(batch, length, state, generator=gen, dtype=torch.float64)
    return [v.to(dtype).requires_grad_(True) for v in (x, dt, A, B, C)]


def assert_scan_matches_reference(inputs: list[torch.Tensor], chunk_size: int, **tolerance) -> None:
    fast = values_and_gradients(ssd_scan(*inputs, chunk_size=chunk_size), inputs)
    reference_inputs = [v.detach().double().requires_grad_(True) for v in inputs]
    oracle = values_and_gradients(ssd_scan_reference(*reference_inputs), reference_inputs)
    for got, expected in zip(fast, oracle):
        assert got.dtype == inputs[0].dtype and torch.isfinite(got).all()
        torch.testing.assert_close(got.double(), expected, **tolerance)


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32], ids=["f64", "f32"])
@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("chunk_size, length", [(1, 9), (4, 4), (4, 5), (8, 29), (16, 7), (16, 53)])
def test_ssd_scan_equals_the_step_by_step_recurrence(chunk_size, length, batch, dtype):
    """Values and gradients (x, dt, A, B, C) for several chunk sizes, lengths below, at, just above
    and at non-multiples of the chunk size."""
    assert_scan_matches_reference(scan_inputs(batch, length, dtype), chunk_size, **TOLERANCE[dtype])


def test_ssd_scan_stays_finite_when_decays_are_extreme():
    """dt A down to -800 per step (-13000 per chunk of 16): exp(-cumsum) forms overflow float32 here."""
    assert_scan_matches_reference(scan_inputs(2, 3 * 16 + 5, torch.float32, dt_scale=200.0), 16, rtol=1e-3, atol=1e-3)


def test_ssd_scan_passes_gradcheck():
    inputs = scan_inputs(1, 7, torch.float64, heads=2)
    assert torch.autograd.gradcheck(lambda *v: ssd_scan(*v, chunk_size=3), inputs)


def test_segment_sums_are_sums_of_the_terms_between_and_never_positive():
    a = -torch.rand(2, 6, dtype=torch.float64)
    sums = segment_sums(a)
    for t in range(6):
        for s in range(6):
            expected = a[:, s + 1 : t + 1].sum(-1) if s <= t else torch.zeros(2, dtype=torch.float64)
            torch.testing.assert_close(sums[:, t, s], expected)
    assert (sums <= 0).all()


@pytest.mark.parametrize("gated, conv_width", [(True, 4), (False, 0)])
def test_ssd_mixer_is_its_block_around_the_scan(gated, conv_width):
    torch.manual_seed(0)
    mixer = SSDMixer(8, SSDOptions(state_size=4, head_dim=4, chunk_size=8, gated=gated, conv_width=conv_width), max_len=30).double()
    x = torch.randn(2, 30, 8, dtype=torch.float64)
    u, dt, A, B, C, z = mixer.scan_inputs(x)
    assert u.shape == (2, 30, 4, 4) and dt.shape == (2, 30, 4) and (A < 0).all()
    y = (ssd_scan_reference(u, dt, A, B, C) + mixer.D[:, None] * u).flatten(-2)
    if gated:
        y = mixer.norm(y * F.silu(z))
    torch.testing.assert_close(mixer(x), mixer.out_proj(y))


def test_initial_step_sizes_and_decays_follow_mamba2():
    mixer = SSDMixer(64, SSDOptions(head_dim=8), max_len=8)
    dt = F.softplus(mixer.dt_bias)
    assert mixer.heads == 16
    assert dt.min() >= 1e-3 - 1e-7 and dt.max() <= 1e-1 + 1e-7
    rates = torch.exp(mixer.A_log)
    assert rates.min() >= 1.0 - 1e-6 and rates.max() <= 16.0 + 1e-5


def test_a_head_dim_that_does_not_divide_the_channels_is_refused_with_the_fix():
    with pytest.raises(ConfigError, match="head_dim 12 must divide expand \\* d_model = 32"):
        SSDMixer(16, SSDOptions(head_dim=12), max_len=8)
