#!/usr/bin/env python3
"""Summarises DRAMsim3's results against romac's predictions.

  dram_fidelity_table.py RESULTS.json... [--markdown] [--no-goals]

Each RESULTS.json is what ../shared/oracles/compare.py wrote for one trace
folder (TRACE_DIR.sim/results.json). Folders are grouped by name, less a
network suffix (-alexnet, -vgg16, -mobilenet-v1; dram_fidelity.sh's
folders) and with every unet-* folder in one group. Per group and over
all: the traces, the row-hit rate difference (DRAMsim3 - romac, points), and the
ratios DRAMsim3 / romac of ACTs, cycles and energy, as median and worst
(the value farthest from agreement). The issue's goals are printed with
whether each is met over all the traces given (not with --no-goals).
"""
import json
import re
import statistics
import sys


def group_of(folder):
    if folder.startswith('unet-'):
        return 'unet-layers'
    return re.sub(r'-(alexnet|vgg16|mobilenet-v1)$', '', folder)


def metrics(entry):
    r, d = entry['romac'], entry['ds3']
    return {
        'hit': 100.0 * (d['hit_rate'] - r['hit_rate']),
        'act': d['acts'] / r['activates'] if r['activates'] else float('nan'),
        'cycles': d['cycles'] / r['cycles'],
        'energy': d['energy_pj']['total'] / r['energy_pj']['total'],
    }


def worst(values, centre):
    return max(values, key=lambda v: abs(v - centre))


def summarise(rows):
    out = {'traces': len(rows)}
    for key, centre in (('hit', 0.0), ('act', 1.0), ('cycles', 1.0),
                        ('energy', 1.0)):
        values = [m[key] for m in rows]
        out[key] = (statistics.median(values), worst(values, centre))
    return out


# (metric, median bound, worst bound, how far from agreement)
GOALS = [('hit', 1.0, 2.0, lambda v: abs(v)),
         ('act', 0.05, None, lambda v: abs(v - 1)),
         ('cycles', 0.05, 0.10, lambda v: abs(v - 1)),
         ('energy', 0.05, None, lambda v: abs(v - 1))]


def main(argv):
    markdown = '--markdown' in argv
    goals = '--no-goals' not in argv
    paths = [a for a in argv if a not in ('--markdown', '--no-goals')]
    if not paths:
        sys.exit(__doc__)
    groups = {}
    for path in paths:
        try:
            entries = json.load(open(path))
        except (OSError, ValueError) as e:
            sys.exit('dram_fidelity_table.py: %s: %s' % (path, e))
        for entry in entries:
            if entry.get('ds3') and entry.get('romac'):
                groups.setdefault(group_of(entry['dir']), []).append(metrics(entry))
    if not groups:
        sys.exit('dram_fidelity_table.py: no trace with a DRAMsim3 result')
    every = [m for rows in groups.values() for m in rows]
    lines = []
    head = ('traces of', 'traces', 'hit pts med', 'worst', 'ACT med',
            'worst', 'cycles med', 'worst', 'energy med', 'worst')
    fmt = '| ' + ' | '.join(['%s'] * len(head)) + ' |'
    if markdown:
        lines.append(fmt % head)
        lines.append('|' + '---|' + '---:|' * (len(head) - 1))
    else:
        lines.append('%-28s %6s %11s %6s %7s %6s %10s %6s %10s %6s' % head)
    for name, rows in sorted(groups.items()) + [('all', every)]:
        s = summarise(rows)
        cells = (name, s['traces'], '%+.2f' % s['hit'][0],
                 '%+.2f' % s['hit'][1], '%.3f' % s['act'][0],
                 '%.3f' % s['act'][1], '%.3f' % s['cycles'][0],
                 '%.3f' % s['cycles'][1], '%.3f' % s['energy'][0],
                 '%.3f' % s['energy'][1])
        if markdown:
            lines.append(fmt % cells)
        else:
            lines.append('%-28s %6d %11s %6s %7s %6s %10s %6s %10s %6s' %
                         cells)
    print('\n'.join(lines))
    if not goals:
        return
    s = summarise(every)
    print()
    for key, med, wst, off in GOALS:
        ok = off(s[key][0]) <= med and (wst is None or off(s[key][1]) <= wst)
        bound = 'median within %g' % med + (
            ', worst within %g' % wst if wst is not None else '')
        print('goal %-6s %-34s %s' % (key, bound, 'met' if ok else 'NOT met'))


if __name__ == '__main__':
    main(sys.argv[1:])
