#!/usr/bin/env python3
"""PyTorch twin of bench/DiffPrune.Bench's `block` benchmark, so that the bench can print both and their ratio.

The same work as BlockSetup: one CLIP-style pre-norm Transformer block (d 256, 4 heads, MLP 1024 with exact GELU,
biases everywhere) on (B 8, T 160, 256) random input, loss = mean of the output, forward + backward, gradients zeroed
between steps. OpenMP threads sleep instead of spinning while they wait (OMP_WAIT_POLICY=PASSIVE, set before torch
loads): on a 2-core machine that is PyTorch's best configuration. Debian's torch multiplies through libblas.so.3, which is
OpenBLAS with a thread pool of its own when libopenblas0-pthread is installed: torch.set_num_threads does not reach it, so
the thread count is also set there (openblas_set_num_threads), else "1 thread" would multiply on every core.

`train` is the twin of the bench's pruner training step (TrainStepSetup) at the shipped VLM's shapes, random weights
(time does not depend on their values): scorer (2 pre-norm blocks d 128, 2 heads, MLP 512 GELU, LayerNorm, head → 1 logit),
per-image standardised logits / τ, LapSum Soft Top-K (exact, sort-based, implicit-function backward), VP-Noise on
standardised tokens, diagonal denoiser block, frozen projector (128 → 128 GELU 128) and 6-layer LLaMA (d 128, 4 heads,
SwiGLU 344, RMSNorm, rotate-half RoPE, causal mask, vocab 118) on [144 visual ; 31 text] tokens, caption NLL, backward,
clipping, AdamW; batch 32, K 16.

One shot:  /usr/bin/python3 tools/bench_torch.py block|train --threads 1 --runs 7   → prints `<what>_ms=<median ms>`
Serve:     /usr/bin/python3 tools/bench_torch.py serve   → reads lines `<what> <threads> <runs>` from stdin and answers
           each with a `<what>_ms=` line, until `quit` or end of input (the bench keeps one process, so that torch is
           imported once and its runs interleave with the engine's).
"""
import argparse
import os
import sys
import time


def blas_thread_setter():
    """openblas_set_num_threads of the BLAS torch has loaded (libblas.so.3 when it is OpenBLAS), else a no-op."""
    import ctypes
    for name in ("libblas.so.3", "libopenblas.so.0"):
        try:
            lib = ctypes.CDLL(name, mode=os.RTLD_NOLOAD | os.RTLD_GLOBAL)
        except OSError:
            continue
        if hasattr(lib, "openblas_set_num_threads"):
            return lambda threads: lib.openblas_set_num_threads(threads)
    return lambda threads: None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("what", choices=["block", "train", "serve"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    import torch
    torch.manual_seed(11)
    d, heads, hidden, batch, tokens = 256, 4, 1024, 8, 160

    class Block(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.layer_norm1 = torch.nn.LayerNorm(d)
            self.layer_norm2 = torch.nn.LayerNorm(d)
            self.q_proj, self.k_proj = torch.nn.Linear(d, d), torch.nn.Linear(d, d)
            self.v_proj, self.out_proj = torch.nn.Linear(d, d), torch.nn.Linear(d, d)
            self.fc1, self.fc2 = torch.nn.Linear(d, hidden), torch.nn.Linear(hidden, d)

        def forward(self, x):
            b, t, c = x.shape
            h = self.layer_norm1(x)
            split = lambda p: p(h).view(b, t, heads, c // heads).transpose(1, 2)
            q, k, v = split(self.q_proj), split(self.k_proj), split(self.v_proj)
            p = torch.softmax(q @ k.transpose(-1, -2) / (c // heads) ** 0.5, dim=-1)
            x = x + self.out_proj((p @ v).transpose(1, 2).reshape(b, t, c))
            return x + self.fc2(torch.nn.functional.gelu(self.fc1(self.layer_norm2(x))))

    block = Block()
    x = torch.randn(batch, tokens, d)

    def block_step():
        block(x).mean().backward()
        block.zero_grad(set_to_none=True)

    steps = {"block": block_step, "train": make_train_step(torch)}
    set_blas_threads = blas_thread_setter()

    def median_ms_with(what, intra_op, blas, runs):
        step = steps[what]
        torch.set_num_threads(intra_op)
        set_blas_threads(blas)
        for _ in range(2):
            step()
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            step()
            times.append(time.perf_counter() - start)
        times.sort()
        return 1e3 * times[len(times) // 2]

    def median_ms(what, threads, runs):
        # on several threads, the faster of torch's own ops on one thread or on all (OpenBLAS on all either way):
        # which wins depends on the machine, and the comparison is with PyTorch's best configuration
        return min(median_ms_with(what, intra, threads, runs) for intra in sorted({1, threads}))

    if args.what != "serve":
        print(f"{args.what}_ms={median_ms(args.what, args.threads, args.runs):.3f}")
        return 0
    print("ready", flush=True)
    for line in sys.stdin:
        words = line.split()
        if not words or words[0] == "quit":
            break
        if words[0] not in steps or len(words) != 3:
            print(f"error: expected '<block|train> <threads> <runs>', got '{line.strip()}'", flush=True)
            continue
        print(f"{words[0]}_ms={median_ms(words[0], int(words[1]), int(words[2])):.3f}", flush=True)
    return 0


def make_train_step(torch):
    """The pruner training step's twin (see the module docstring); returns a function that takes one step."""
    nn, fn = torch.nn, torch.nn.functional
    B, N, DV, K, TEXT, D, HEADS, FF, LAYERS, VOCAB = 32, 144, 128, 16, 31, 128, 4, 344, 6, 118
    torch.manual_seed(3)

    class ClipBlock(nn.Module):
        def __init__(self, d, heads, diagonal=False):
            super().__init__()
            self.heads, self.diagonal = heads, diagonal
            self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
            self.q, self.k, self.v, self.o = (nn.Linear(d, d) for _ in range(4))
            self.fc1, self.fc2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)

        def forward(self, x):
            b, t, c = x.shape
            h = self.ln1(x)
            split = lambda p: p(h).view(b, t, self.heads, c // self.heads).transpose(1, 2)
            q, k, v = split(self.q), split(self.k), split(self.v)
            s = q @ k.transpose(-1, -2) / (c // self.heads) ** 0.5
            if self.diagonal:
                s = s.masked_fill(~torch.eye(t, dtype=torch.bool), float("-inf"))
            x = x + self.o((s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c))
            return x + self.fc2(fn.gelu(self.fc1(self.ln2(x))))

    class LapSum(torch.autograd.Function):
        """alpha = F(z − b) with sum alpha = K, F the Laplace CDF; b found exactly from sorted z (float64)."""

        @staticmethod
        def forward(ctx, z, k):
            zd = z.double()
            zs, _ = zd.sort(-1)
            n = zs.shape[-1]
            # S_j = sum_i F(z_i − z_j) at each sorted z_j (an N×N comparison, where the engine uses O(N) prefix sums) brackets
            # b; Newton on the monotone sum Σ F(z − b) = K from there replaces the engine's closed-form quadratic
            diff = zs.unsqueeze(-1) - zs.unsqueeze(-2)
            cdf = torch.where(diff <= 0, 0.5 * diff.clamp(max=0).exp(), 1 - 0.5 * (-diff.clamp(min=0)).exp())
            s = cdf.sum(-2)
            m = (s >= k).sum(-1, keepdim=True).clamp(1, n - 1)
            b = zs.gather(-1, m).clone()
            for _ in range(30):
                x = zd - b
                f = torch.where(x <= 0, 0.5 * x.clamp(max=0).exp(), 1 - 0.5 * (-x.clamp(min=0)).exp())
                dens = 0.5 * (-x.abs()).exp()
                b = b + (f.sum(-1, keepdim=True) - k) / dens.sum(-1, keepdim=True).clamp(min=1e-300)
            x = zd - b
            ctx.save_for_backward(x)
            return torch.where(x <= 0, 0.5 * x.clamp(max=0).exp(), 1 - 0.5 * (-x.clamp(min=0)).exp()).float(), x.float()

        @staticmethod
        def backward(ctx, g, _gx):
            (x,) = ctx.saved_tensors
            f = 0.5 * (-x.abs()).exp()
            q = f / f.sum(-1, keepdim=True)
            gd = g.double()
            return (f * (gd - (q * gd).sum(-1, keepdim=True))).float(), None

    class Llama(nn.Module):
        def __init__(self):
            super().__init__()
            self.layers = nn.ModuleList()
            for _ in range(LAYERS):
                layer = nn.Module()
                layer.q, layer.k, layer.v, layer.o = (nn.Linear(D, D, bias=False) for _ in range(4))
                layer.gate, layer.up, layer.down = nn.Linear(D, FF, bias=False), nn.Linear(D, FF, bias=False), nn.Linear(FF, D, bias=False)
                layer.n1, layer.n2 = nn.Parameter(torch.ones(D)), nn.Parameter(torch.ones(D))
                self.layers.append(layer)
            self.embed, self.norm, self.head = nn.Embedding(VOCAB, D), nn.Parameter(torch.ones(D)), nn.Linear(D, VOCAB, bias=False)

        @staticmethod
        def rms(x, w):
            return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-5) * w

        def forward(self, h):
            b, t, _ = h.shape
            hd = D // HEADS
            inv = 1.0 / (10000 ** (torch.arange(0, hd, 2).float() / hd))
            ang = torch.arange(t).float()[:, None] * inv[None, :]
            cos, sin = torch.cat([ang.cos()] * 2, -1), torch.cat([ang.sin()] * 2, -1)
            rot = lambda x: x * cos + torch.cat([-x[..., hd // 2:], x[..., :hd // 2]], -1) * sin
            causal = torch.ones(t, t, dtype=torch.bool).tril()
            for l in self.layers:
                x = self.rms(h, l.n1)
                split = lambda p: p(x).view(b, t, HEADS, hd).transpose(1, 2)
                q, k, v = rot(split(l.q)), rot(split(l.k)), split(l.v)
                s = (q @ k.transpose(-1, -2) / hd ** 0.5).masked_fill(~causal, float("-inf"))
                h = h + l.o((s.softmax(-1) @ v).transpose(1, 2).reshape(b, t, D))
                x = self.rms(h, l.n2)
                h = h + l.down(fn.silu(l.gate(x)) * l.up(x))
            return self.head(self.rms(h, self.norm))

    scorer = nn.ModuleList([ClipBlock(DV, 2), ClipBlock(DV, 2)])
    scorer_norm, scorer_head = nn.LayerNorm(DV), nn.Linear(DV, 1)
    denoiser = ClipBlock(DV, 2, diagonal=True)
    projector = nn.Sequential(nn.Linear(DV, D), nn.GELU(), nn.Linear(D, D))
    lm = Llama()
    for p in list(projector.parameters()) + list(lm.parameters()):
        p.requires_grad_(False)
    trainable = list(scorer.parameters()) + list(scorer_norm.parameters()) + list(scorer_head.parameters()) + list(denoiser.parameters())
    opt = torch.optim.AdamW(trainable, lr=2e-4, weight_decay=0.01)
    features = torch.randn(B, N, DV) * 0.5 + 0.8
    mean, std = features.mean((0, 1)), features.std((0, 1))
    text = torch.randint(4, VOCAB, (B, TEXT))
    targets = torch.cat([torch.full((B, 1 + N), -100), text[:, 1:], torch.full((B, 1), -100)], 1)

    def step():
        h = features
        for blk in scorer:
            h = blk(h)
        logits = scorer_head(scorer_norm(h)).squeeze(-1)
        z = (logits - logits.mean(-1, keepdim=True)) / logits.std(-1, keepdim=True)
        alpha, margin = LapSum.apply(z / 1.0, K)
        keep = torch.where(margin <= 0, (0.5 * margin.clamp(max=0).exp()).sqrt(), (1 - 0.5 * (-margin.clamp(min=0)).exp()).sqrt())
        mix = (1 - keep ** 2).clamp(min=0).sqrt()
        x = (features - mean) / std
        x = x * keep.unsqueeze(-1) + torch.randn_like(x) * mix.unsqueeze(-1)
        tokens = denoiser(x * std + mean)
        seq = torch.cat([lm.embed(text[:, :1]), projector(tokens), lm.embed(text)], 1)
        out = lm(seq)
        loss = fn.cross_entropy(out.reshape(-1, VOCAB), targets.reshape(-1), ignore_index=-100)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(trainable, 1.0)
        opt.step()

    return step


if __name__ == "__main__":
    sys.exit(main())
