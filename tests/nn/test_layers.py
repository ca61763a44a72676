import pytest
import torch

from tokensel.nn.config import ModelConfig
from tokensel.nn.filters import DenseSSMFilter, FIRFilter, S4DFilter, reference_recurrence
from tokensel.nn.mixers.attention import AttentionOptions, CausalSelfAttention, naive_attention
from tokensel.nn.families import family
from tokensel.nn.mixers.long_conv import LongConvMixer, LongConvOptions, ShortConvSSMOptions, direct_causal_conv, fft_causal_conv
from tokensel.nn.models import SequenceModel


def model(**entry) -> ModelConfig:
    return ModelConfig.from_params(entry, "test")

torch.manual_seed(0)


@pytest.mark.parametrize("length, taps", [(1, 1), (7, 7), (64, 64), (257, 257), (64, 5), (257, 16)])
def test_fft_convolution_equals_direct_convolution(length, taps):
    u = torch.randn(3, 5, length, dtype=torch.float64)
    h = torch.randn(5, taps, dtype=torch.float64)
    torch.testing.assert_close(fft_causal_conv(u, h), direct_causal_conv(u, h), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("window", [4, 40])  # the direct and the FFT path
def test_long_conv_mixer_is_convolution_plus_skip_then_projection(window):
    mixer = LongConvMixer(6, LongConvOptions(filter="fir", window=window), max_len=50).double()
    with torch.no_grad():
        mixer.skip.uniform_(-1.0, 1.0)
    x = torch.randn(2, 50, 6, dtype=torch.float64)
    u = x.transpose(1, 2)
    h = torch.nn.functional.pad(mixer.filter.taps, (0, 50 - min(window, 50)))[:, :50]
    expected = mixer.out_proj((direct_causal_conv(u, h) + mixer.skip[:, None] * u).transpose(1, 2))
    torch.testing.assert_close(mixer(x), expected)


def test_direct_convolution_matches_the_definition():
    u = torch.randn(1, 2, 6, dtype=torch.float64)
    h = torch.randn(2, 6, dtype=torch.float64)
    expected = torch.zeros_like(u)
    for d in range(2):
        for t in range(6):
            expected[0, d, t] = sum(h[d, s] * u[0, d, t - s] for s in range(t + 1))
    torch.testing.assert_close(direct_causal_conv(u, h), expected)


@pytest.mark.parametrize("make", [lambda: DenseSSMFilter(4, 6), lambda: S4DFilter(4, 8)], ids=["ssm", "s4d"])
@pytest.mark.parametrize("length", [1, 5, 33, 300])
def test_state_space_filters_equal_the_step_by_step_recurrence(make, length):
    filt = make().double()
    u = torch.randn(4, length, dtype=torch.float64)
    via_kernel = fft_causal_conv(u[None], filt(length))[0]
    torch.testing.assert_close(via_kernel, reference_recurrence(filt, u), rtol=1e-8, atol=1e-8)


def test_dense_ssm_stays_stable():
    filt = DenseSSMFilter(3, 4)
    with torch.no_grad():
        filt.A_raw.mul_(50.0)
    assert torch.linalg.matrix_norm(filt.state_matrix(), ord=2).max() <= 0.99 + 1e-6
    assert torch.isfinite(filt(512)).all()


def test_fir_filter_truncates_at_its_window():
    filt = FIRFilter(2, window=3)
    assert filt(8).shape == (2, 3) and filt(2).shape == (2, 2)


def test_sdpa_attention_equals_naive_attention():
    layer = CausalSelfAttention(16, AttentionOptions(n_heads=4), max_len=8).double()
    x = torch.randn(2, 11, 16, dtype=torch.float64)
    q, k, v = layer.heads(x)
    naive = layer.out_proj(naive_attention(q, k, v).transpose(1, 2).flatten(2))
    torch.testing.assert_close(layer(x), naive)

def test_short_conv_ssm_shifts_locally_before_the_long_convolution():
    """The short convolution's output at t reads only u[t-2 .. t]; the long filter then mixes that."""
    mixer = LongConvMixer(4, ShortConvSSMOptions(filter="fir", window=6, conv_width=3), max_len=20).double()
    x = torch.randn(2, 20, 4, dtype=torch.float64)
    u = x.transpose(1, 2)
    local = sum(mixer.short_taps[:, lag, None] * torch.nn.functional.pad(u, (lag, 0))[..., :20] for lag in range(3))
    h = torch.nn.functional.pad(mixer.filter.taps, (0, 14))
    expected = mixer.out_proj((direct_causal_conv(local, h) + mixer.skip[:, None] * local).transpose(1, 2))
    torch.testing.assert_close(mixer(x), expected)


def test_short_conv_ssm_is_its_own_family():
    """A model that wins with the short convolution must never stand in for the plain SSM's family."""
    plain, short = model(mixer="ssm", filter="fir", n_layers=2, fnn_depth=2), model(mixer="short_conv_ssm", filter="fir", n_layers=2, fnn_depth=2)
    assert family(plain) == "two-layer SSM+FNN"
    assert family(short) == "two-layer short-conv SSM+FNN"


def test_short_conv_width_names_its_key():
    with pytest.raises(Exception, match=r"test\.conv_width"):
        model(mixer="short_conv_ssm", filter="fir", conv_width=0)


MODELS = {
    "fir": model(mixer="ssm", filter="fir", n_layers=2, fnn_depth=2, fnn_width=16),
    "ssm": model(mixer="ssm", filter="ssm", n_layers=2, fnn_depth=1, fnn_width=16, state_size=4, pre_fnn=True),
    "s4d": model(mixer="ssm", filter="s4d", n_layers=2, fnn_depth=0, state_size=4),
    "short_conv_ssm": model(mixer="short_conv_ssm", filter="fir", n_layers=2, fnn_depth=2, fnn_width=16),
    "attention": model(mixer="attention", n_layers=2, fnn_depth=1, fnn_width=16, n_heads=2, positional="sinusoidal"),
}


@pytest.mark.parametrize("name", MODELS)
def test_models_are_causal(name):
    """The output at t must not depend on inputs after t: the gradient w.r.t. later inputs is zero."""
    model = SequenceModel(MODELS[name].replace(d_model=16), vocab_size=10, max_len=12).double()
    x = model.embed(torch.randint(0, 10, (1, 12))).detach().requires_grad_(True)
    t = 5
    model.forward_embedded(x)[0, t].sum().backward()
    grad_per_position = x.grad[0].abs().sum(-1)
    # FFT convolution is causal in exact arithmetic; in float64 round-off leaves ~1e-16.
    assert grad_per_position[t + 1 :].max() <= 1e-12 * grad_per_position[: t + 1].max()
    assert grad_per_position[: t + 1].min() > 0


def test_model_rejects_sequences_longer_than_max_len():
    model = SequenceModel(MODELS["fir"].replace(d_model=16), vocab_size=10, max_len=8)
    with pytest.raises(ValueError, match="exceeds the model's max_len"):
        model(torch.zeros(1, 9, dtype=torch.long))


def test_fnn_depth_zero_removes_the_fnn():
    with_fnn = SequenceModel(MODELS["fir"].replace(d_model=16), 10, 8)
    without = SequenceModel(model(mixer="ssm", filter="fir", n_layers=2, fnn_depth=0).replace(d_model=16), 10, 8)
    assert not any("net" in name for name, _ in without.named_parameters())
    assert any("net" in name for name, _ in with_fnn.named_parameters())
