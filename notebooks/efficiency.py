# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     notebook_metadata_filter: -jupytext.text_representation
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Efficiency: what an SSM+FNN layer costs against attention, from short to very long sequences
#
# **Claim under test (the paper's motivation, Nishikawa & Suzuki, ICLR 2025).** An SSM layer
# computes its long convolution by FFT in O(L log L) time and O(L) memory, where attention needs
# O(L²) time; so SSM+FNN networks should be cheaper than Transformers on long sequences.
#
# **What is measured (ours).** Forward + backward wall time of each sequence mixer, of a full
# block (mixer + FNN) and of the bare FFT pipeline of the same shape, over a log grid of lengths;
# the median of repeated runs after a warm-up, with the interquartile range. Points whose
# extrapolated time or memory exceeds the budget are not run and are shown as missing. The
# targets below are ours, set from earlier CPU measurements of these mixers; they are not the
# paper's, which reports no timings. Timings depend on the machine and its load: the page prints
# both, and a noisy machine widens the IQR bands.

# %% tags=["parameters"]
params_file = "params.yaml"
out_dir = "reports/efficiency"
results_file = "results/efficiency/results.nc"

# %%
from IPython.display import Markdown, display

from tokensel.core.paths import resolve
from tokensel.core.runs import save
from tokensel.efficiency import analysis, plots, stage
from tokensel.efficiency import config as efficiency_config

config = efficiency_config.load(params_file)
out = resolve(out_dir)
ds = stage.run(config)
save(ds, resolve(results_file))
metrics = analysis.write_metrics(ds, out / "metrics.json")

# %% [markdown]
# ## Machine and set-up

# %%
display(Markdown(
    f"- Machine: {ds.attrs['platform']}; CPU {ds.attrs['cpu']} ({ds.attrs['cpu_count']} logical cores); "
    f"device `{ds.attrs['device']}` ({ds.attrs['device_name']}); torch {ds.attrs['torch_version']} "
    f"with {ds.attrs['torch_threads']} threads.\n"
    f"- dtype `{ds.attrs['dtype']}`; SDPA kernel that ran: `{ds.attrs['sdpa_backend']}` "
    "(read from the output's autograd node, not assumed).\n"
    f"- Shape: {ds.attrs['shape']}; SSM filter of the blocks and targets: `{ds.attrs['primary_filter']}`.\n"
    f"- Memory: {ds.attrs['memory_measure']}.\n"
    f"- Timing: {config.warmup} warm-up pass(es), then as many timed passes per point as fit {config.seconds_per_point:g} s "
    f"(at least {config.min_repeats}, at most {config.repeats}); budget {config.max_call_seconds:g} s per pass and "
    f"{config.max_memory_gb:g} GiB per point."
))

# %% [markdown]
# ## Verdict

# %%
display(Markdown("\n".join(analysis.verdict_lines(metrics))))
display(analysis.target_table(metrics))

# %% [markdown]
# ## Time against sequence length
# Median forward + backward time (lines) and interquartile range (bands); the legend gives each
# method's log-log slope over the upper half of the grid (1 = linear, 2 = quadratic).

# %%
display(plots.time_vs_length(ds, out / "figures" / "time_vs_length.png"))

# %% [markdown]
# ## Attention time over SSM time
# Above 1 the SSM is faster; the crossover is where the mixer curve crosses 1.

# %%
display(plots.speedup_vs_length(ds, out / "figures" / "speedup_vs_length.png", target=config.min_speedup_vs_sdpa))

# %% [markdown]
# ## Memory against sequence length

# %%
display(plots.memory_vs_length(ds, out / "figures" / "memory_vs_length.png"))

# %% [markdown]
# ## Training throughput of small whole models
# The architectures of the synthetic experiment (`ssm2_fnn1`, `transformer2`) and of the genomic
# one (`genomic_*`: 16-tap FIR SSM, learned-position Transformer), all at the width and vocabulary
# of `efficiency.throughput`; tokens per second of a full training step (forward, backward,
# AdamW). The wall time of every pipeline stage, as run, is on the reports' index page.

# %%
display(plots.throughput(ds, out / "figures" / "throughput.png"))
display(ds["tokens_per_s"].to_pandas().round(0))

# %% [markdown]
# ## Skipped points

# %%
skipped = ds["skip_reason"].to_series()
skipped = skipped[skipped != ""]
display(skipped.to_frame("reason") if len(skipped) else Markdown("Every point on the grid was measured."))

# %% [markdown]
# ## All measurements (median seconds)

# %%
display(ds["time_s"].sel(stat="median", drop=True).drop_vars("group").to_pandas())
