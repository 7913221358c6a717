#!/usr/bin/python3
# -*- coding: utf-8 -*-
"""
Step-for-step check, PyTorch side: replays what scripts/stepCheck.ts recorded from dmgan (the
initial weights and every random input of each iteration) on the PyTorch port of the
reference code (torch_dmgan.py, imported at run time from DMGAN_PEER_DIR or ../shared/peer;
nothing of it is copied here) and compares losses, gradients and weights iteration by
iteration.

The port's own step code does the work: DMGAN.d_step / DMGAN.g_step with its loss formulas,
one-sided GP, Q cross-entropy, prior loss and its Adam optimisers. The recorded inputs are
fed in by (1) replacing the instance's sample_ids with the recorded (sorted) generator ids,
(2) its full-noise hook with a [G, B, z] tensor holding each sample's recorded latent at
[id, row] (gather routing then takes exactly those rows), and (3) torch.rand with the
recorded interpolation weights for the d_step's single draw of e. Q's cross-entropy value is
read by wrapping F.cross_entropy; the penalty and the prior loss, which d_step/g_step do not
return, are recomputed from copies of the pre-step critic and Q with the port's formulas.

Modes
  lockstep : before every iteration the port is given dmgan's weights as they were before that
             iteration (and the prior's logits): each iteration's losses and gradients are then
             compared from identical states, so differences cannot accumulate.
  free     : the port starts from dmgan's initial weights only and runs its own updates (its
             Adam) for all iterations; losses, gradients and weights are compared each
             iteration (differences may accumulate).
Options that switch one of the port's conventions to dmgan's (to show what a difference is
due to): --adam tf1 (TF1's Adam: epsilon added to sqrt(v) before the bias correction, as
tf.train.AdamOptimizer and dmgan; the port uses torch.optim.Adam), --kappa dmgan (the prior's
entropy weight 1000*0.999^t with t = prior updates *before* this one; the port decays its
counter first, so t counts this update too).

Relative error of a tensor: ||a - b||_2 / ||b||_2 (norm-wise; b = the port), 0 when both are
exactly zero; of a scalar loss: |a - b| / |b|. Reported per iteration and as the maximum
over the iterations, per quantity. Q's hidden-layer bias feeds straight into batch norm, so
its true gradient is 0 and both sides' values are rounding noise: it is reported apart
(absolute), and its weight is left out of the free-run weight comparison (Adam turns noise
into lr-sized steps that change nothing downstream).

Usage: /usr/bin/python3 scripts/step_check_port.py --in DIR [--mode lockstep|free]
       [--adam port|tf1] [--kappa port|dmgan] [--json OUT.json]
"""
import argparse
import copy
import importlib.util
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TINY = 1e-30


def load_port():
    peer = os.environ.get('DMGAN_PEER_DIR') or os.path.join(REPO, '..', 'shared', 'peer')
    path = os.path.join(peer, 'torch_dmgan.py')
    spec = importlib.util.spec_from_file_location('torch_dmgan', path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod, os.path.abspath(path)


class Record:
    """manifest.json + tensors.f32 written by scripts/stepCheck.ts."""

    def __init__(self, d):
        with open(os.path.join(d, 'manifest.json')) as f:
            self.m = json.load(f)
        self.data = np.fromfile(os.path.join(d, 'tensors.f32'), dtype='<f4')

    def get(self, key):
        e = self.m['index'][key]
        n = int(np.prod(e['shape']))
        return self.data[e['offset']:e['offset'] + n].reshape(e['shape']).copy()

    def has(self, key):
        return key in self.m['index']


# ---- layouts: dmgan key -> (getter of the port tensor in dmgan's layout, setter)
def port_layout(model):
    gens = model.G.gens
    D, E = model.D, model.E

    def gen_param(layer, part):
        return [getattr(g, layer).weight if part == 'w' else getattr(g, layer).bias for g in gens]

    # dmgan: fused kernels [n, in, out], biases [n, 1, out]; torch Linear weight [out, in]
    entries = {}
    for k, layer in enumerate(['fc1', 'fc2', 'fco']):
        ws = gen_param(layer, 'w')
        bs = gen_param(layer, 'b')
        entries['G.%d' % (2 * k)] = ('stack_wT', ws)
        entries['G.%d' % (2 * k + 1)] = ('stack_b', bs)
    for k, layer in enumerate([D.fc1, D.fc2, D.fco]):
        entries['D.%d' % (2 * k)] = ('wT', [layer.weight])
        entries['D.%d' % (2 * k + 1)] = ('b', [layer.bias])
    entries['Q.0'] = ('wT', [E.fc.weight])
    entries['Q.1'] = ('b', [E.fc.bias])
    entries['Q.2'] = ('b', [E.bf1.bias])
    entries['Q.3'] = ('wT', [E.fco.weight])
    entries['Q.4'] = ('b', [E.fco.bias])
    entries['Qstate.0'] = ('b', [E.bf1.running_mean])
    entries['Qstate.1'] = ('b', [E.bf1.running_var])
    return entries


def to_dmgan(kind, ts):
    if kind == 'stack_wT':
        return torch.stack([t.t() for t in ts]).numpy()
    if kind == 'stack_b':
        return torch.stack([t.reshape(1, -1) for t in ts]).numpy()
    if kind == 'wT':
        return ts[0].t().numpy()
    return ts[0].numpy()


def read_port(entries, key, grad=False):
    kind, ts = entries[key]
    with torch.no_grad():
        if grad:
            ts = [t.grad if t.grad is not None else torch.zeros_like(t) for t in ts]
        return to_dmgan(kind, [t.detach().clone() for t in ts])


def write_port(entries, key, arr):
    kind, ts = entries[key]
    a = torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))
    with torch.no_grad():
        if kind == 'stack_wT':
            for i, t in enumerate(ts):
                t.copy_(a[i].t())
        elif kind == 'stack_b':
            for i, t in enumerate(ts):
                t.copy_(a[i].reshape(-1))
        elif kind == 'wT':
            ts[0].copy_(a.t())
        else:
            ts[0].copy_(a.reshape(ts[0].shape))


def rel(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    d = np.linalg.norm((a - b).ravel())
    n = np.linalg.norm(b.ravel())
    if d == 0.0:
        return 0.0
    return float(d / max(n, TINY))


GROUPS = {'generator': 'G.', 'critic': 'D.', 'q': 'Q.'}
BN_CANCELLED = 'Q.1'  # Q's hidden bias: feeds batch norm, true gradient 0


def group_of(key):
    for g, p in GROUPS.items():
        if key.startswith(p):
            return g
    return None


def compare_tensors(dm, pt, keys, skip=()):
    """Norm-wise relative error per group (all its tensors together) and the worst tensor."""
    out = {}
    for g in GROUPS:
        ks = [k for k in keys if group_of(k) == g and k not in skip]
        if not ks:
            continue
        a = np.concatenate([dm[k].ravel() for k in ks])
        b = np.concatenate([pt[k].ravel() for k in ks])
        worst = max(((rel(dm[k], pt[k]), k) for k in ks))
        out[g] = {'rel': rel(a, b), 'worst_tensor_rel': worst[0], 'worst_tensor': worst[1],
                  'max_abs': float(np.max(np.abs(a.astype(np.float64) - b))), 'norm': float(np.linalg.norm(b))}
    return out


class RecordWriter:
    """The port's own trajectory in scripts/stepCheck.ts's format (same inputs as the source record)."""

    def __init__(self, src):
        self.src = src
        self.index = {}
        self.chunks = []
        self.offset = 0
        self.iterations = []
        for key in src.m['index']:
            if key.startswith('init/') or key.endswith(('/real', '/latents', '/alpha')):
                self.add(key, src.get(key))

    def add(self, key, arr):
        a = np.ascontiguousarray(arr, dtype='<f4')
        self.index[key] = {'offset': self.offset, 'shape': list(a.shape)}
        self.chunks.append(a.ravel())
        self.offset += a.size

    def add_iteration(self, r, it, kind, losses, grads, weights, model, ew):
        for k, g in grads.items():
            self.add('it%d/grad/%s' % (it, k), g)
        for k, w in weights.items():
            self.add('it%d/after/%s' % (it, k), w)
        out = {'iteration': it, 'kind': kind, 'ids': r['ids'], 'gradKeys': list(grads)}
        if kind == 'discriminator':
            out['losses'] = {'discriminator': losses['critic_total'], 'gradientPenalty': losses['gp']}
        else:
            out['losses'] = {'generator': losses['generator'], 'q': losses['q'], 'prior': losses['prior']}
            p = dict(r['prior'])
            p['logitsAfter'] = model.pg_var.detach().double().tolist()
            p['grad'] = model.pg_var.grad.detach().double().tolist()
            p['entropyWeightUsed'] = ew['port']
            out['prior'] = p
        self.iterations.append(out)

    def write(self, d, args):
        os.makedirs(d, exist_ok=True)
        np.concatenate(self.chunks).astype('<f4').tofile(os.path.join(d, 'tensors.f32'))
        m = dict(self.src.m)
        m['index'] = self.index
        m['iterations'] = self.iterations
        m['writtenBy'] = {'script': 'step_check_port.py', 'mode': args.mode, 'adam': args.adam, 'kappa': args.kappa,
                          'dtype': str(torch.get_default_dtype())}
        with open(os.path.join(d, 'manifest.json'), 'w') as f:
            json.dump(m, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--in', dest='inp', required=True, help='directory written by scripts/stepCheck.ts')
    ap.add_argument('--mode', choices=['lockstep', 'free'], default='lockstep')
    ap.add_argument('--adam', choices=['port', 'tf1'], default='port')
    ap.add_argument('--kappa', choices=['port', 'dmgan'], default='port')
    ap.add_argument('--json', default=None, help='write the per-iteration figures here')
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--quiet', action='store_true', help='no per-iteration table')
    ap.add_argument('--double', action='store_true', help='run the port in float64 (inputs and initial weights as recorded)')
    ap.add_argument('--write-record', default=None, metavar='DIR',
                    help="also write the port's own trajectory in stepCheck's format (to compare two port runs, e.g. float32 vs --double)")
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    if args.double:
        torch.set_default_dtype(torch.float64)
    dt = torch.get_default_dtype()

    port, port_path = load_port()
    rec = Record(args.inp)
    s = rec.m['settings']
    B, G, ZD = s['batch'], s['generators'], s['latentDim']
    first = rec.m.get('firstIteration', 1)
    if args.mode == 'free' and first != 1:
        raise SystemExit('free mode needs a record that starts at iteration 1 (Adam moments are not recorded)')
    out_rec = RecordWriter(rec) if args.write_record else None
    pargs = port.finalize_args(port.build_argparser().parse_args(
        ['--workload', 'lines', '--routing', 'gather', '--g-num', str(G), '--batch', str(B)]))
    torch.manual_seed(0)
    model = port.DMGAN(pargs)
    entries = port_layout(model)
    weight_keys = [l['key'] for l in rec.m['layout']]

    def load_weights(prefix):
        for k in weight_keys:
            write_port(entries, k, rec.get('%s/%s' % (prefix, k)))

    load_weights('init')
    with torch.no_grad():
        model.pg_var.copy_(torch.tensor(rec.m['prior']['logits'], dtype=dt))
    # the port's counter before its first g_step is 1.0 and is decayed before use
    prior_opts = rec.m['prior']['options']
    kappa = prior_opts['entropyDecay']
    lam = prior_opts['entropyWeight']
    assert abs(lam - 1000.0) < 1e-9 and abs(kappa - 0.999) < 1e-12, 'the port hard-codes lambda_H 1000, kappa 0.999'

    # ---- input injection
    feed = {}
    model.sample_ids = lambda n: feed['ids']
    model.full_noise = True
    model._noise = lambda n: feed['z_full']
    real_rand = torch.rand

    def fake_rand(*size, **kw):
        if tuple(size) == (B, 1) and feed.get('e') is not None:
            e, feed['e'] = feed['e'], None
            return e.clone()
        raise RuntimeError('unexpected torch.rand%s during a replayed step' % (size,))

    captured = {}
    real_ce = F.cross_entropy

    def ce_probe(*a, **k):
        v = real_ce(*a, **k)
        captured['q'] = float(v)
        return v

    def set_adam_eps(opt, t):
        if args.adam != 'tf1':
            return
        for grp in opt.param_groups:
            b2 = grp['betas'][1]
            grp['eps'] = 1e-8 / math.sqrt(1.0 - b2 ** t)

    d_count = 0
    g_count = 0
    rows = []
    its = rec.m['iterations']
    torch.rand = fake_rand
    F.cross_entropy = ce_probe
    try:
        for r in its:
            it = r['iteration']
            kind = r['kind']
            real = torch.from_numpy(rec.get('it%d/real' % it)).to(dt)
            lat = torch.from_numpy(rec.get('it%d/latents' % it)).to(dt)
            ids = torch.tensor(r['ids'], dtype=torch.long)
            assert bool((ids[1:] >= ids[:-1]).all()), 'dmgan ids are routed (sorted)'
            z_full = torch.zeros(G, B, ZD)
            z_full[ids, torch.arange(B)] = lat
            feed['ids'] = ids
            feed['z_full'] = z_full
            if args.mode == 'lockstep':
                prefix = 'init' if it == first else 'it%d/after' % (it - 1)
                load_weights(prefix)
                if kind == 'generator':
                    with torch.no_grad():
                        model.pg_var.copy_(torch.tensor(r['prior']['logitsBefore'], dtype=dt))
            row = {'iteration': it, 'kind': kind}
            dl = r['losses']
            if kind == 'discriminator':
                e = torch.from_numpy(rec.get('it%d/alpha' % it)).to(dt)
                # penalty of the pre-step critic (the port's d_step does not return it)
                with torch.no_grad():
                    fake = model.G(ids, model.routing, z_full)
                Dc = copy.deepcopy(model.D)
                rg = ((1.0 - e) * fake + e * real).requires_grad_(True)
                gr, = torch.autograd.grad(Dc(rg)[0].sum(), rg)
                norm = gr.pow(2).sum(1).sqrt()
                gp_paper = float(torch.where(norm > 1, (norm - 1) ** 2, torch.zeros_like(norm)).mean())
                frac_le1 = float((norm <= 1).float().mean())
                feed['e'] = e
                d_count += 1
                set_adam_eps(model.d_opt, d_count)
                w_loss = model.d_step(real)
                if feed.get('e') is not None:
                    raise RuntimeError('d_step did not draw e')
                port_losses = {'critic_w': w_loss, 'gp': gp_paper,
                               'critic_total': w_loss + 10.0 * gp_paper,
                               'critic_total_port_constant': w_loss + 10.0 * (gp_paper + frac_le1)}
                dm_losses = {'critic_w': dl['discriminator'] - 10.0 * dl.get('gradientPenalty', 0.0),
                             'gp': dl.get('gradientPenalty', 0.0), 'critic_total': dl['discriminator']}
            else:
                g_count += 1
                if args.mode == 'lockstep' or args.kappa == 'dmgan':
                    # the port decays its counter before use: weight 1000*kappa^(t+1), t = prior updates before this one;
                    # dmgan uses 1000*kappa^t. Set the counter so that after the port's decay it holds the chosen power.
                    t_before = r['prior']['updatesBefore']
                    t_used = t_before + 1 if args.kappa == 'port' else t_before
                    model.rl_counter = kappa ** t_used / kappa
                # the prior's loss with the port's formula on the pre-step critic and Q (not returned)
                with torch.no_grad():
                    Dc, Ec = copy.deepcopy(model.D), copy.deepcopy(model.E)
                    _, rh = Dc(real)
                    en_pr = torch.softmax(Ec(rh), 1)
                    logp = torch.log_softmax(model.pg_var, 0)
                    ent = -(torch.softmax(model.pg_var, 0) * logp).sum()
                    w_used = lam * model.rl_counter * kappa
                    pg_loss = float(-(en_pr * logp[None, :]).mean() - w_used * ent)
                # the same prior loss's gradient in float64 (the port's is float32, as the reference's)
                z64 = model.pg_var.detach().double().requires_grad_(True)
                lp64 = torch.log_softmax(z64, 0)
                loss64 = -(en_pr.double() * lp64[None, :]).mean() + w_used * (torch.softmax(z64, 0) * lp64).sum()
                pg_grad64, = torch.autograd.grad(loss64, z64)
                pg_grad64 = pg_grad64.numpy()
                for o in (model.g_opt, model.e_opt, model.pg_opt):
                    set_adam_eps(o, g_count)
                captured.pop('q', None)
                g_loss = model.g_step(real)
                port_losses = {'generator': g_loss, 'q': captured.get('q', float('nan')), 'prior': pg_loss}
                dm_losses = {'generator': dl['generator'], 'q': dl['q'], 'prior': dl['prior']}
                row['entropy_weight'] = {'dmgan': r['prior']['entropyWeightUsed'], 'port': w_used}
            row['loss_rel'] = {k: (abs(dm_losses[k] - port_losses[k]) / max(abs(port_losses[k]), TINY)
                                   if dm_losses[k] != port_losses[k] else 0.0) for k in dm_losses}
            row['loss_dmgan'] = dm_losses
            row['loss_port'] = port_losses
            # gradients the port's optimisers just applied (kept in .grad until the next step)
            gkeys = r['gradKeys']
            dm_g = {k: rec.get('it%d/grad/%s' % (it, k)) for k in gkeys}
            pt_g = {k: read_port(entries, k, grad=True) for k in gkeys}
            row['grad'] = compare_tensors(dm_g, pt_g, gkeys, skip=(BN_CANCELLED,))
            if BN_CANCELLED in gkeys:
                row['q_hidden_bias_grad_abs'] = {'dmgan': float(np.abs(dm_g[BN_CANCELLED]).max()),
                                                 'port': float(np.abs(pt_g[BN_CANCELLED]).max())}
            if kind == 'generator':
                pg = model.pg_var.grad.detach().numpy().astype(np.float64)
                row['grad']['prior'] = {'rel': rel(r['prior']['grad'], pg), 'max_abs': float(np.max(np.abs(np.array(r['prior']['grad']) - pg))),
                                        'norm': float(np.linalg.norm(pg))}
                # both against the port's formula evaluated in float64 (same inputs, same weight)
                row['grad']['prior_dmgan_vs_f64'] = {'rel': rel(r['prior']['grad'], pg_grad64)}
                row['grad']['prior_port_vs_f64'] = {'rel': rel(pg, pg_grad64)}
            if args.mode == 'free':
                dm_w = {k: rec.get('it%d/after/%s' % (it, k)) for k in weight_keys}
                pt_w = {k: read_port(entries, k) for k in weight_keys}
                row['weights'] = compare_tensors(dm_w, pt_w, weight_keys, skip=(BN_CANCELLED,))
                row['weights']['prior_logits'] = {'rel': rel(r['prior']['logitsAfter'], model.pg_var.detach().numpy()) if kind == 'generator' else None}
                row['bn_moving_stats_rel'] = {'mean': rel(dm_w['Qstate.0'], pt_w['Qstate.0']), 'variance': rel(dm_w['Qstate.1'], pt_w['Qstate.1'])}
            rows.append(row)
            if out_rec is not None:
                out_rec.add_iteration(r, it, kind, port_losses, {k: pt_g[k] for k in gkeys}, {k: read_port(entries, k) for k in weight_keys},
                                      model, row.get('entropy_weight'))
    finally:
        torch.rand = real_rand
        F.cross_entropy = real_ce

    # ---- summary: max over iterations per quantity (and where it was reached)
    summary = {}

    def bump(key, v, it):
        if v is None or math.isnan(v):
            return
        if key not in summary or v > summary[key][0]:
            summary[key] = (v, it)

    for row in rows:
        it = row['iteration']
        for k, v in row['loss_rel'].items():
            bump('loss/' + k, v, it)
        for g, v in row['grad'].items():
            bump('grad/' + g, v['rel'], it)
        for g, v in row.get('weights', {}).items():
            bump('weights/' + g, v.get('rel'), it)
        for g, v in row.get('bn_moving_stats_rel', {}).items():
            bump('bn_moving_' + g, v, it)
        if 'q_hidden_bias_grad_abs' in row:
            bump('q_hidden_bias_grad_abs (noise)', max(row['q_hidden_bias_grad_abs'].values()), it)

    if not args.quiet:
        print('%4s %-4s %-58s %s' % ('it', 'step', 'loss rel. errors', 'gradient rel. errors (norm-wise)'))
        for row in rows:
            ls = ' '.join('%s=%.1e' % (k, v) for k, v in row['loss_rel'].items())
            gs = ' '.join('%s=%.1e' % (k, v['rel']) for k, v in row['grad'].items())
            ws = ''
            if 'weights' in row:
                ws = ' | weights ' + ' '.join('%s=%.1e' % (k, v['rel']) for k, v in row['weights'].items() if v.get('rel') is not None)
            print('%4d %-4s %-58s %s%s' % (row['iteration'], row['kind'][0].upper(), ls, gs, ws))
    print('\nmode=%s adam=%s kappa=%s  (%d iterations, port %s)' % (args.mode, args.adam, args.kappa, len(rows), port_path))
    print('%-36s %12s %s' % ('quantity', 'max rel', 'at iteration'))
    for k in sorted(summary):
        v, at = summary[k]
        flag = '' if v <= 1e-4 or k.startswith('q_hidden') or k.startswith('bn_') else '   > 1e-4'
        print('%-36s %12.3e %s%s' % (k, v, at, flag))
    if out_rec is not None:
        out_rec.write(args.write_record, args)
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'mode': args.mode, 'adam': args.adam, 'kappa': args.kappa, 'dtype': str(dt), 'record': os.path.abspath(args.inp), 'port': port_path,
                       'torch': torch.__version__, 'settings': s,
                       'max': {k: {'value': v, 'iteration': at} for k, (v, at) in summary.items()},
                       'iterations': rows}, f, indent=1)


if __name__ == '__main__':
    sys.exit(main())
