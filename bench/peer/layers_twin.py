#!/usr/bin/env python3
"""PyTorch twin of dmgan's `layers` benchmark workload (a speed peer, not product code).

It trains the models of bench/layersModels.ts (a TensorFlow-tutorial DCGAN: N generators,
one critic, dmgan's default Q head and learned prior) with the same work per iteration as
`withDMGAN({latentDim: 100, generator: () => userGenerator(), discriminator:
userDiscriminator()}, {generators: N, loss}).trainStep(real)`: 5 critic steps, then 1
generator step. It mirrors bench/layersModels.ts layer by layer and must change with it.

Run (one JSON line on stdout, nothing else):
    OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/peer/layers_twin.py \
        --generators 3 --batch 32 --loss wgan-gp --threads 2
OMP_WAIT_POLICY=PASSIVE keeps idle OpenMP workers from spinning between ops (set it in the
environment before Python starts; the bench does).
"""
import argparse
import json
import resource
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

LATENT = 100
SLOPE = 0.2  # LeakyReLU alpha, as in layersModels.ts
DROPOUT = 0.3
FEATURES = 4 * 4 * 256  # the critic's flattened features, what Q reads
CRITIC_STEPS = 5  # dmgan's discriminatorSteps default
GP_WEIGHT = 10.0
GRADIENT_NORM_EPSILON = 1e-12  # src/losses/gradientPenalty.ts
Q_WEIGHT = 1.0  # λ_Q
# src/core/trainer/steps.ts REFERENCE_OPTIMIZERS; prior: src/core/prior.ts DEFAULT_ADAM.
ADAM_G = dict(lr=2e-4, betas=(0.5, 0.5), eps=1e-8)
ADAM_D = dict(lr=2e-4, betas=(0.5, 0.5), eps=1e-8)
ADAM_Q = dict(lr=2e-4, betas=(0.9, 0.999), eps=1e-8)
PRIOR_LR, PRIOR_BETA1, PRIOR_BETA2, PRIOR_EPS = 1e-3, 0.5, 0.5, 1e-8
PRIOR_ENTROPY_WEIGHT, PRIOR_ENTROPY_DECAY = 1000.0, 0.999


class KerasBatchNorm(nn.Module):
    """Batch norm on axis 1 with Keras/tfjs semantics: ε 1e-3, gamma 1, beta 0, moving averages
    with decay 1 − momentum. Calls torch.batch_norm directly because F.batch_norm refuses a
    training batch with one value per channel, which tfjs accepts (variance 0, output = beta):
    with many generators a routed share can be one row. Such a batch does not move the moving
    statistics here (PyTorch's unbiased running variance would divide by zero). PyTorch's
    running variance is unbiased, tfjs-layers' biased: neither changes the cost."""

    def __init__(self, channels, momentum, scale=True, eps=1e-3):
        super().__init__()
        self.momentum, self.eps = momentum, eps
        self.weight = nn.Parameter(torch.ones(channels)) if scale else None
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer('running_mean', torch.zeros(channels))
        self.register_buffer('running_var', torch.ones(channels))

    def forward(self, x, update_stats=True):
        if not self.training:
            return torch.batch_norm(x, self.weight, self.bias, self.running_mean, self.running_var,
                                    False, 0.0, self.eps, False)
        track = update_stats and x.numel() // x.shape[1] > 1
        return torch.batch_norm(x, self.weight, self.bias, self.running_mean if track else None,
                                self.running_var if track else None, True, self.momentum, self.eps, False)


def keras_init_(module):
    """tfjs-layers defaults: Glorot-uniform kernels, zero biases. xavier_uniform_'s fans on
    PyTorch's weight layouts (Linear [out,in], Conv [out,in,kh,kw], ConvTranspose [in,out,kh,kw])
    sum to Keras' (kh·kw·in + kh·kw·out), so the limit sqrt(6/(fan_in+fan_out)) is the same."""
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.xavier_uniform_(m.weight)
            if m.bias is not None:
                nn.init.zeros_(m.bias)


# Padding: tfjs 'same' with stride 2 and kernel 5 pads asymmetrically (1 before, 2 after, for
# 28→14 and 14→7; 7→4 and the stride-1 conv pad 2/2), PyTorch pads symmetrically. padding=2
# (with output_padding=1 for the transposed convs) gives the same output sizes (7→14→28 and
# 28→14→7→4→4) and the same multiply-adds; the kernel's alignment on the pixel grid is shifted
# by one pixel, which does not change the cost. Layout: tfjs is NHWC, this is NCHW, so the
# generator's reshape and the critic's flatten order features differently (a fixed permutation
# of the dense layers' rows/columns: same cost, same distribution of weights).


class Generator(nn.Module):
    """userGenerator(): dense 7·7·128 (no bias) → BN → LReLU → reshape → convT 64 (k5 s2, no
    bias) → BN → LReLU → convT 1 (k5 s2, bias) → tanh."""

    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(LATENT, 7 * 7 * 128, bias=False)
        self.bn0 = KerasBatchNorm(7 * 7 * 128, momentum=0.01)  # Keras momentum 0.99
        self.deconv1 = nn.ConvTranspose2d(128, 64, 5, stride=2, padding=2, output_padding=1, bias=False)
        self.bn1 = KerasBatchNorm(64, momentum=0.01)
        self.deconv2 = nn.ConvTranspose2d(64, 1, 5, stride=2, padding=2, output_padding=1, bias=True)
        keras_init_(self)

    def forward(self, z):
        h = F.leaky_relu(self.bn0(self.dense(z)), SLOPE).view(-1, 128, 7, 7)
        h = F.leaky_relu(self.bn1(self.deconv1(h)), SLOPE)
        return torch.tanh(self.deconv2(h))


class Critic(nn.Module):
    """userDiscriminator(): conv 32 → 64 → 128 (k5 s2) → 256 (k5 s1), each LReLU, dropout 0.3
    after all but the last → flatten (features, 4096) → dense 1 (score)."""

    def __init__(self):
        super().__init__()
        widths = [1, 32, 64, 128, 256]
        self.convs = nn.ModuleList(
            nn.Conv2d(widths[i], widths[i + 1], 5, stride=1 if i == 3 else 2, padding=2) for i in range(4))
        self.score = nn.Linear(FEATURES, 1)
        keras_init_(self)

    def forward(self, x):
        for i, conv in enumerate(self.convs):
            x = F.leaky_relu(conv(x), SLOPE)
            if i < 3:
                x = F.dropout(x, DROPOUT, self.training)
        features = torch.flatten(x, 1)
        return self.score(features), features


class QHead(nn.Module):
    """src/core/qHead.ts QHead: dense 128 → batch norm (shift only, ε 1e-3, decay 0.999) →
    LReLU 0.2 → dense n (logits)."""

    def __init__(self, n, hidden=128):
        super().__init__()
        self.hidden = nn.Linear(FEATURES, hidden)
        self.bn = KerasBatchNorm(hidden, momentum=0.001, scale=False)
        self.logits = nn.Linear(hidden, n)
        keras_init_(self)

    def forward(self, features, update_stats=True):
        return self.logits(F.leaky_relu(self.bn(self.hidden(features), update_stats), SLOPE))


def count_params(module, trainable_only=False):
    n = sum(p.numel() for p in module.parameters())
    return n if trainable_only else n + sum(b.numel() for b in module.buffers())


class Twin:
    """One DMWGAN-PL training engine (dmgan's GanTrainer + DmganPlugin, autodiff path: a
    tfjs-layers critic offers no closed-form gradients)."""

    def __init__(self, n, loss, seed):
        torch.manual_seed(seed)
        self.rng = np.random.default_rng(seed)
        self.n, self.loss = n, loss
        self.gens = nn.ModuleList(Generator() for _ in range(n))
        self.critic = Critic()
        # dmgan builds Q even for n = 1 (learned prior) but then never runs it (no term: CE ≡ 0).
        self.q = QHead(n)
        for m in (self.gens, self.critic, self.q):
            m.train()  # the engine runs every model in training mode (BN batch stats, dropout)
        # One Adam over the whole ensemble, as dmgan's VariableAdam: every generator's variables
        # move every generator step (zero gradient for a generator that drew no sample).
        self.opt_g = torch.optim.Adam(self.gens.parameters(), **ADAM_G)
        self.opt_d = torch.optim.Adam(self.critic.parameters(), **ADAM_D)
        self.opt_q = torch.optim.Adam(self.q.parameters(), **ADAM_Q)
        # Learned prior r(c) = softmax(ζ), on the host in float64 as src/core/prior.ts.
        self.zeta = np.zeros(n)
        self.prior_m, self.prior_v = np.zeros(n), np.zeros(n)
        self.prior_updates = 0
        self.iteration = 0
        self.has_q_term = Q_WEIGHT > 0 and n > 1

    # -- selection and routed generation -------------------------------------------------
    def prior_probs(self):
        e = np.exp(self.zeta - self.zeta.max())
        return e / e.sum()

    def select(self, batch):
        """Ids from the prior, grouped by generator (dmgan's routeIds), and U(−1, 1) latents."""
        counts = self.rng.multinomial(batch, self.prior_probs())
        ids = torch.repeat_interleave(torch.arange(self.n), torch.from_numpy(counts))
        z = torch.empty(batch, LATENT).uniform_(-1.0, 1.0)
        return counts.tolist(), ids, z

    def generate(self, z, counts):
        """Each generator runs only on its own rows (GeneratorEnsemble.generateGrouped)."""
        outs = [g(part) for g, part, c in zip(self.gens, torch.split(z, counts), counts) if c > 0]
        return outs[0] if len(outs) == 1 else torch.cat(outs, 0)

    # -- steps ------------------------------------------------------------------------------
    def step(self, real):
        if self.iteration % (CRITIC_STEPS + 1) == CRITIC_STEPS:
            self.generator_step(real)
        else:
            self.critic_step(real)
        self.iteration += 1

    def critic_step(self, real):
        batch = real.shape[0]
        counts, _, z = self.select(batch)
        with torch.no_grad():  # fakes in training mode (BN batch stats move), no tape
            fake = self.generate(z, counts)
        real_score, _ = self.critic(real)  # two critic passes, as the engine
        fake_score, _ = self.critic(fake)
        if self.loss == 'wgan-gp':
            loss = fake_score.mean() - real_score.mean()
            alpha = torch.rand(batch, 1, 1, 1)
            x_hat = (alpha * real + (1.0 - alpha) * fake).requires_grad_(True)
            hat_score, _ = self.critic(x_hat)
            (g,) = torch.autograd.grad(hat_score.sum(), x_hat, create_graph=True)
            norm = torch.sqrt(g.square().sum((1, 2, 3)) + GRADIENT_NORM_EPSILON)
            loss = loss + GP_WEIGHT * F.relu(norm - 1.0).square().mean()  # one-sided
        else:  # gan-mod critic: −E log σ(D(real)) − E log(1 − σ(D(fake)))
            loss = F.softplus(-real_score).mean() + F.softplus(fake_score).mean()
        self.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        self.opt_d.step()

    def generator_step(self, real):
        batch = real.shape[0]
        sums = None
        if self.has_q_term:  # the prior reads Q's posteriors on real data, before the updates
            with torch.no_grad():
                _, real_features = self.critic(real)  # training mode, as the engine
                sums = torch.softmax(self.q(real_features, update_stats=False), 1).sum(0).double().numpy()
        counts, ids, z = self.select(batch)
        self.critic.requires_grad_(False)  # gradients for the generators and Q only
        try:
            fake = self.generate(z, counts)
            score, features = self.critic(fake)
            if self.loss == 'wgan-gp':
                loss = -score.mean()
            else:  # gan-mod generator: −E log σ(D(fake))
                loss = F.softplus(-score).mean()
            if self.has_q_term:
                # Q updates its BN statistics here; with λ_Q = 1 Q's gradient from this loss is
                # exactly the gradient of its own cross-entropy, so one backward serves both
                # (dmgan runs Q a second time for its update: a small dense head).
                loss = loss + Q_WEIGHT * F.cross_entropy(self.q(features), ids)
            self.opt_g.zero_grad(set_to_none=True)
            self.opt_q.zero_grad(set_to_none=True)
            loss.backward()
        finally:
            self.critic.requires_grad_(True)
        for g, c in zip(self.gens, counts):
            if c == 0:
                for p in g.parameters():
                    p.grad = torch.zeros_like(p)
        self.opt_g.step()
        if self.has_q_term:
            self.opt_q.step()
        if sums is None:  # no Q reads real data (n = 1): uniform column sums, as the plugin
            sums = np.full(self.n, batch / self.n)
        self.prior_update(sums, batch)

    def prior_update(self, column_sums, batch):
        """One Adam step on ζ for CE − λ_H κ^t H(r), CE = −Σ_c q_c log r_c, q = sums/(B·n)."""
        r = self.prior_probs()
        q = column_sums / (batch * self.n)
        entropy = -float(np.sum(r * np.log(r)))
        weight = PRIOR_ENTROPY_WEIGHT * PRIOR_ENTROPY_DECAY ** self.prior_updates
        grad = r * q.sum() - q + weight * r * (np.log(r) + entropy)
        t = self.prior_updates + 1  # TF1-style Adam, as src/core/adamState.ts HostAdam
        self.prior_m = PRIOR_BETA1 * self.prior_m + (1 - PRIOR_BETA1) * grad
        self.prior_v = PRIOR_BETA2 * self.prior_v + (1 - PRIOR_BETA2) * grad * grad
        lr_t = PRIOR_LR * np.sqrt(1 - PRIOR_BETA2 ** t) / (1 - PRIOR_BETA1 ** t)
        self.zeta -= lr_t * self.prior_m / (np.sqrt(self.prior_v) + PRIOR_EPS)
        self.prior_updates = t


def real_batch(batch):
    """A fresh random real batch in [−1, 1] per iteration (as dmgan's bench; content does not
    change the cost), made inside the timed loop as the bench does."""
    return torch.empty(batch, 1, 28, 28).uniform_(-1.0, 1.0)


def median(xs):
    s = sorted(xs)
    m = len(s) // 2
    return s[m] if len(s) % 2 else (s[m - 1] + s[m]) / 2


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--generators', type=int, default=3)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--loss', choices=['gan-mod', 'wgan-gp'], default='wgan-gp')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--warmup', type=int, default=12)
    ap.add_argument('--iterations', type=int, default=24)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--seed', type=int, default=0)
    a = ap.parse_args()
    if a.generators < 1 or a.batch < 1 or a.threads < 1 or a.warmup < 0 or a.repeats < 1:
        ap.error('generators, batch, threads and repeats must be ≥ 1, warmup ≥ 0')
    if a.iterations < 1 or a.iterations % (CRITIC_STEPS + 1):
        ap.error(f'--iterations must be a positive multiple of {CRITIC_STEPS + 1} (one critic/generator cycle)')
    torch.set_num_threads(a.threads)
    twin = Twin(a.generators, a.loss, a.seed)
    for _ in range(a.warmup):
        twin.step(real_batch(a.batch))
    repeats = []
    for _ in range(a.repeats):
        start = time.perf_counter()
        for _ in range(a.iterations):
            twin.step(real_batch(a.batch))
        repeats.append((time.perf_counter() - start) * 1000.0 / a.iterations)
    print(json.dumps({
        'ms_per_iteration': median(repeats),
        'repeats_ms': repeats,
        'generators': a.generators,
        'batch': a.batch,
        'loss': a.loss,
        'threads': a.threads,
        'torch': torch.__version__,
        'peak_rss_mib': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
    }))


if __name__ == '__main__':
    main()
