"""The efficiency experiment: what an SSM+FNN layer costs against attention, from short to long sequences.

Every measurement is one forward *and* backward pass (``torch.autograd.grad`` of the output with
a ones cotangent, so no ``.grad`` accumulates), timed with ``time.perf_counter`` (CUDA is
synchronised). Methods (all reuse ``tokensel.nn``):

* ``fft_floor``: ``fft_causal_conv`` alone on the mixer's (B, D, L) shape (rfft, multiply,
  irfft): the floor no FFT-based SSM mixer can beat.
* ``ssm_mixer_{fir,ssm,s4d}``: ``LongConvMixer`` with each filter (filter generation included).
* ``gated_conv``, ``selective``, ``ssd``: the input-dependent mixers (gated long convolution,
  selective SSM, Mamba-2's SSD). Every mixer is built through the registry ``tokensel.nn.mixers.MIXERS``.
* ``sdpa``: ``CausalSelfAttention`` (causal ``scaled_dot_product_attention``); the kernel that
  actually ran is read from the output's autograd node (see ``sdpa_backend``), not assumed.
* ``naive_attention``: the same module with the materialised softmax of ``naive_attention``.
* ``ssm_block`` / ``transformer_block``: a full ``tokensel.nn.models.Block`` (pre-norm mixer + FNN).
* ``filter_{fir,ssm,s4d}``: generating the filter h (D x L) alone, for the filter-share target.

The sweep goes length by length: a warm-up pass per method (which also counts memory), then
``repeats`` rounds that time every method once, each round led by the next method. The target
ratios are timed apart from the sweep, their two methods alternating pass by pass in one process
until the interval of the ratio decides the target; a known-answer control (two passes of the
bare FFT against one, 2x by construction) must pass before any target earns a verdict.

Memory. On CUDA: ``torch.cuda.max_memory_allocated`` during the pass minus what was allocated
before it. On CPU there is no allocator peak to read, so we count *activation memory*: the bytes
of the distinct tensors autograd saves for backward (``saved_tensors_hooks``; parameters
excluded, storages deduplicated) plus the output. It is not the process peak (temporaries freed
during the forward pass and the backward pass's own buffers are not in it); it is the part that
grows with L and that a deeper network multiplies.

A point whose extrapolated time or memory exceeds the budget is not run: it is NaN with its
reason in ``skip_reason``, as is every longer L of that method, so a sweep never hangs.

Modules: ``config`` -> ``workloads`` (one pass of a method) -> ``stage`` (the sweep, the paired
comparisons, throughput) -> ``analysis`` (exponents, relative costs, results, verdict, metrics;
``comparison`` holds the rule that decides a paired ratio, ``aims`` the ssd mixer's aims beside
the verdict), ``tables`` and ``plots`` (the page, naming and colouring every method through
``names``); ``stability`` reruns the paired comparisons to
check that their results do not flip.

Selecting a method: write ``ds.sel({"method": "sdpa"})``. ``ds.sel(method="sdpa")`` silently
means xarray's *inexact-match method* argument and selects nothing.
"""
