import pytest
import torch

from tokensel.nn.mixers.gated_conv import GatedConvMixer, GatedConvOptions
from tokensel.nn.mixers.long_conv import direct_causal_conv, with_skip
from gradients import values_and_gradients


@pytest.mark.parametrize("filter_name", ["fir", "ssm", "s4d"])
@pytest.mark.parametrize("length", [5, 40])  # the direct convolution and the FFT path
def test_gated_conv_equals_its_definition(filter_name, length):
    """Values and the gradients of the input and every parameter, against the O(L W) convolution."""
    mixer = GatedConvMixer(6, GatedConvOptions(filter=filter_name, state_size=4), max_len=length).double()
    with torch.no_grad():
        mixer.skip.uniform_(-1.0, 1.0)
    x = torch.randn(2, length, 6, dtype=torch.float64, requires_grad=True)

    def definition() -> torch.Tensor:
        gate_in, gate_out, value = mixer.gates_and_value(x)
        h = with_skip(mixer.filter(length), mixer.skip)
        return mixer.out_proj((gate_out * direct_causal_conv(gate_in * value, h)).transpose(1, 2))

    leaves = [x, *mixer.parameters()]
    for got, expected in zip(values_and_gradients(mixer(x), leaves), values_and_gradients(definition(), leaves)):
        torch.testing.assert_close(got, expected)


@pytest.mark.parametrize("conv_width, reach", [(3, [2, 3, 4]), (0, [2])])
def test_gates_see_the_tokens_before_through_the_short_convolution(conv_width, reach):
    mixer = GatedConvMixer(4, GatedConvOptions(conv_width=conv_width), max_len=8).double()
    x = torch.zeros(1, 8, 4, dtype=torch.float64)
    x[0, 2] = 1.0
    gate_in, _, _ = mixer.gates_and_value(x)
    baseline, _, _ = mixer.gates_and_value(torch.zeros_like(x))
    changed = ((gate_in - baseline).abs().sum(1)[0] > 0).nonzero().flatten().tolist()
    assert changed == reach
