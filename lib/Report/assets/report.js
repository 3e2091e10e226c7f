// romac report: draws the page from the data blob (lib/Report/assets,
// docs/report.md). Every number comes from the blob, which romac computed
// with its schedule library; this script formats, divides and draws. Names
// from the model are only ever set as text (textContent), never as markup.
(function () {
  'use strict';

  const data = JSON.parse(document.getElementById('report-data').textContent);
  const base = data.base;
  const other = data.other || null;
  const COLORS = {
    mac: '#4e79a7', sram: '#f28e2b', dram: '#e15759', bound: '#59a14f',
    other: '#76b7b2', grey: '#c9ced8'
  };
  const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#76b7b2', '#59a14f',
                   '#edc948', '#b07aa1', '#ff9da7', '#9c755f', '#bab0ac'];

  Chart.defaults.animation = false;
  Chart.defaults.responsive = false;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.size = 11;
  Chart.defaults.normalized = true;
  // Layer axes: the labels (#i) are measured on a sample, not one by one.
  const LAYER_TICKS = {maxRotation: 0, autoSkipPadding: 8, sampleSize: 12};

  //===------------------------------------------------------------------===//
  // Formatting and DOM helpers
  //===------------------------------------------------------------------===//

  function fmtBytes(b) {
    if (b === null || b === undefined) return '-';
    const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
    let v = b, u = 0;
    while (Math.abs(v) >= 1024 && u < units.length - 1) { v /= 1024; ++u; }
    return u === 0 ? v + ' B' : v.toFixed(1) + ' ' + units[u];
  }
  function fmtEnergy(pj) {
    if (pj === null || pj === undefined) return '-';
    if (Math.abs(pj) >= 1e9) return (pj * 1e-9).toFixed(3) + ' mJ';
    return (pj * 1e-6).toFixed(3) + ' µJ';
  }
  function fmtNum(v, digits) {
    if (v === null || v === undefined || !isFinite(v)) return '-';
    return digits === undefined ? Math.round(v).toLocaleString('en-US')
                                : v.toFixed(digits);
  }
  function ratio(a, b) {
    if (a === null || b === null || a === undefined || b === undefined)
      return null;
    if (b === 0) return a === 0 ? 1 : Infinity;
    return a / b;
  }
  function hitRate(layerOrTotals) {
    const d = layerOrTotals;
    if (d.row_hits === null || d.bursts === null) return null;
    return d.bursts === 0 ? 0 : 100 * d.row_hits / d.bursts;
  }
  function el(tag, attrs, text) {
    const node = document.createElement(tag);
    if (attrs) for (const k in attrs) node.setAttribute(k, attrs[k]);
    if (text !== undefined) node.textContent = String(text);
    return node;
  }
  function card(parent, label, value, detail) {
    const c = el('div', {class: 'card'});
    c.appendChild(el('div', {class: 'label'}, label));
    c.appendChild(el('div', {class: 'value'}, value));
    if (detail) c.appendChild(el('div', {class: 'detail'}, detail));
    parent.appendChild(c);
  }
  function layerLabel(i, l) { return '#' + i + ' ' + l.name; }

  /// Marks a canvas as drawn: data-rendered="1" and data-pixels, the number
  /// of painted pixels of the canvas scaled down to at most 256 x 64 (the
  /// browser test reads both).
  let markMs = 0;
  const sample = document.createElement('canvas');
  function markDrawn(canvas) {
    const t0 = performance.now();
    sample.width = Math.min(256, canvas.width);
    sample.height = Math.min(64, canvas.height);
    const ctx = sample.getContext('2d', {willReadFrequently: true});
    ctx.clearRect(0, 0, sample.width, sample.height);
    ctx.drawImage(canvas, 0, 0, sample.width, sample.height);
    const img = ctx.getImageData(0, 0, sample.width, sample.height).data;
    let painted = 0;
    for (let i = 3; i < img.length; i += 4)
      if (img[i] !== 0) ++painted;
    canvas.setAttribute('data-pixels', String(painted));
    canvas.setAttribute('data-rendered', '1');
    markMs += performance.now() - t0;
  }
  // The width of the chart boxes, read once before anything is added: a
  // read after the table is filled would lay out the whole page there.
  const BOX_WIDTH = document.querySelector('.chart-scroll').clientWidth || 1000;
  /// Sizes a canvas: at least the width of its box, wider for many layers.
  function sizeCanvas(canvas, perItem, items, height) {
    const box = Math.min(BOX_WIDTH, canvas.parentElement.classList.contains(
                             'small') ? 720 : BOX_WIDTH);
    canvas.width = Math.max(box - 2, Math.min(32000, perItem * items + 120));
    canvas.height = height;
    canvas.style.width = canvas.width + 'px';
    canvas.style.height = height + 'px';
  }
  function makeChart(id, config, perItem, items, height) {
    const canvas = document.getElementById(id);
    sizeCanvas(canvas, perItem, items, height);
    const chart = new Chart(canvas, config);
    markDrawn(canvas);
    return chart;
  }
  function indexLabels(layers) { return layers.map((l, i) => '#' + i); }
  function tooltipTitle(layers) {
    return items => items.length ? layerLabel(items[0].dataIndex,
                                              layers[items[0].dataIndex]) : '';
  }

  //===------------------------------------------------------------------===//
  // Totals
  //===------------------------------------------------------------------===//

  function drawTotals() {
    const t = base.totals;
    const title = document.getElementById('title');
    title.textContent = 'romac report: ' + base.model +
                        (other ? ' vs ' + other.model : '');
    document.getElementById('subtitle').textContent =
        base.label + ': ' + t.layers + ' layers on target ' + base.target.name +
        ' (' + base.target.rows + 'x' + base.target.cols + ' MACs at ' +
        base.target.frequency_mhz + ' MHz, ' +
        (base.target.dram_standard || 'DRAM') + '); objective ' +
        base.search.objective + ', policy ' + base.search.policy +
        ', refinements ' + base.search.refinements +
        (base.search.dram_objective ? ', DRAM-aware (' +
         base.search.dram_objective + ')' : '');
    const cards = document.getElementById('totals-cards');
    const e = t.energy_pj;
    card(cards, 'Energy', fmtEnergy(e.total),
         'compute ' + fmtNum(100 * e.mac / e.total, 1) + '%, SRAM ' +
             fmtNum(100 * e.sram / e.total, 1) + '%, DRAM ' +
             fmtNum(100 * e.dram / e.total, 1) + '%');
    card(cards, 'Latency', fmtNum(t.latency_ms, 3) + ' ms',
         fmtNum(t.cycles) + ' cycles (compute ' + fmtNum(t.compute_cycles) +
         ')');
    card(cards, 'DRAM traffic', fmtBytes(t.dram_read_bytes + t.dram_write_bytes),
         fmtBytes(t.dram_read_bytes) + ' read, ' +
         fmtBytes(t.dram_write_bytes) + ' written; lower bound ' +
         fmtBytes(t.dram_lower_bound_bytes));
    card(cards, 'Compute energy', fmtEnergy(e.mac),
         fmtNum(t.macs) + ' MACs, ' + fmtNum(t.streaming_ops) + ' ops of ' +
             fmtNum(t.streaming_layers) + ' streaming layers');
    card(cards, 'SRAM energy', fmtEnergy(e.sram));
    card(cards, 'DRAM energy', fmtEnergy(e.dram),
         Object.entries(t.dram_energy_pj)
             .map(([k, v]) => k + ' ' + fmtEnergy(v)).join(', '));
    if (t.bursts !== null)
      card(cards, 'Row-hit rate', fmtNum(hitRate(t), 1) + '%',
           fmtNum(t.bursts) + ' bursts, ' + fmtNum(t.activates) +
           ' activations');
    const splits = [
      [ 'compute', e.mac, COLORS.mac ], [ 'SRAM', e.sram, COLORS.sram ],
      [ 'DRAM', e.dram, COLORS.dram ]
    ];
    const labels = ['unfused'];
    if (base.fusion) {
      const f = base.fusion;
      card(cards, 'Fused: DRAM energy', fmtEnergy(f.dram_energy_pj),
           f.groups.length + ' groups, ' + f.attentions +
               ' attentions; unfused ' + fmtEnergy(e.dram) + ' (x' +
               fmtNum(ratio(f.dram_energy_pj, e.dram), 3) + ')');
      card(cards, 'Fused: total energy', fmtEnergy(f.total_energy_pj),
           'MAC + SRAM + fused DRAM; x' +
           fmtNum(ratio(f.total_energy_pj, e.total), 3) + ' of unfused');
      labels.push('fused');
    }
    const datasets = splits.map(([name, v, color]) => ({
      label: name + ' (mJ)', backgroundColor: color,
      data: name === 'DRAM' && base.fusion
                ? [v * 1e-9, base.fusion.dram_energy_pj * 1e-9]
                : labels.map(() => v * 1e-9)
    }));
    makeChart('chart-split', {
      type: 'bar', data: {labels: labels, datasets: datasets},
      options: {indexAxis: 'y', scales: {x: {stacked: true,
                title: {display: true, text: 'energy (mJ)'}},
                y: {stacked: true}}}
    }, 0, 0, labels.length * 40 + 60);
  }

  //===------------------------------------------------------------------===//
  // Per layer: stacked energy bars and the table
  //===------------------------------------------------------------------===//

  function drawEnergyBars() {
    const layers = base.layers;
    const part = k => layers.map(l => l.energy_pj[k] * 1e-6);
    makeChart('chart-energy', {
      type: 'bar',
      data: {labels: indexLabels(layers), datasets: [
        {label: 'MAC', data: part('mac'), backgroundColor: COLORS.mac},
        {label: 'SRAM', data: part('sram'), backgroundColor: COLORS.sram},
        {label: 'DRAM', data: part('dram'), backgroundColor: COLORS.dram}]},
      options: {scales: {x: {stacked: true, ticks: LAYER_TICKS}, y: {stacked: true,
                title: {display: true, text: 'energy (µJ)'}}},
                plugins: {tooltip: {callbacks: {title: tooltipTitle(layers)}}}}
    }, 6, layers.length, 320);
  }

  /// The table's columns: header, value of layer (index i), formatter, and
  /// whether it is numeric.
  const COLUMNS = [
    ['#', (l, i) => i, v => v, true],
    ['layer', l => l.name, v => v, false],
    ['op', l => l.op, v => v, false],
    ['group', l => l.fused_group, v => v === null ? '' : v, true],
    ['reuse', l => l.reuse, v => v, false],
    ['MACs', l => l.macs, v => fmtNum(v), true],
    ['energy µJ', l => l.energy_pj.total * 1e-6, v => fmtNum(v, 3), true],
    ['MAC µJ', l => l.energy_pj.mac * 1e-6, v => fmtNum(v, 3), true],
    ['SRAM µJ', l => l.energy_pj.sram * 1e-6, v => fmtNum(v, 3), true],
    ['DRAM µJ', l => l.energy_pj.dram * 1e-6, v => fmtNum(v, 3), true],
    ['DRAM bytes', l => l.dram.bytes, fmtBytes, true],
    ['lower bound', l => l.dram.lower_bound_bytes, fmtBytes, true],
    ['x bound', l => ratio(l.dram.bytes, l.dram.lower_bound_bytes),
     v => fmtNum(v, 2), true],
    ['row hit %', l => hitRate(l.dram), v => fmtNum(v, 1), true],
    ['cycles', l => l.cycles, v => fmtNum(v), true],
    ['util %', l => 100 * l.utilization, v => fmtNum(v, 0), true]
  ];

  function drawTable() {
    const table = document.getElementById('layer-table');
    const headRow = el('tr');
    const rows = base.layers.map((l, i) => {
      const tr = el('tr', {'data-index': String(i)});
      const values = COLUMNS.map(([, get]) => get(l, i));
      COLUMNS.forEach(([, , format, numeric], c) =>
        tr.appendChild(el('td', {class: numeric ? 'num' : (c === 1 ? 'name' : '')},
                          format(values[c]))));
      tr.addEventListener('click', () => pickLayer(i));
      return {tr: tr, values: values, text: (l.name + ' ' + l.op).toLowerCase()};
    });
    const tbody = table.tBodies[0];
    let sortColumn = 0, ascending = true;
    function render() {
      const filter = document.getElementById('filter').value.toLowerCase();
      const shown = rows.filter(r => !filter || r.text.includes(filter));
      shown.sort((a, b) => {
        const x = a.values[sortColumn], y = b.values[sortColumn];
        const nx = x === null || x === undefined, ny = y === null || y === undefined;
        if (nx || ny) return nx === ny ? 0 : (nx ? 1 : -1);
        const c = typeof x === 'number' ? x - y : String(x).localeCompare(String(y));
        return ascending ? c : -c;
      });
      tbody.replaceChildren(...shown.map(r => r.tr));
      document.getElementById('filter-count').textContent =
          shown.length + ' of ' + rows.length + ' layers';
      Array.from(headRow.children).forEach((th, c) => {
        th.className = c === sortColumn ? (ascending ? 'sorted-asc' : 'sorted-desc') : '';
      });
    }
    COLUMNS.forEach(([name, , , numeric], c) => {
      const th = el('th', null, name);
      th.addEventListener('click', () => {
        if (sortColumn === c) ascending = !ascending;
        else { sortColumn = c; ascending = !numeric || c === 0; }
        render();
      });
      headRow.appendChild(th);
    });
    table.tHead.appendChild(headRow);
    document.getElementById('filter').addEventListener('input', render);
    render();
  }

  //===------------------------------------------------------------------===//
  // DRAM view
  //===------------------------------------------------------------------===//

  function drawRowHits() {
    const layers = base.layers;
    const rates = layers.map(l => hitRate(l.dram));
    const note = document.getElementById('rowhit-note');
    if (rates.every(r => r === null))
      note.textContent = 'This schedule has no row-buffer statistics (the ' +
          'flat DRAM model; compile with --dram for them): no bars.';
    else
      note.textContent = 'Row-buffer hits / bursts of the row-buffer model ' +
          '(address mapping ' + (layers[0].dram.address_mapping || '-') + ').';
    makeChart('chart-rowhit', {
      type: 'bar',
      data: {labels: indexLabels(layers), datasets: [
        {label: 'row-hit rate (%)', data: rates, backgroundColor: COLORS.mac}]},
      options: {scales: {x: {ticks: LAYER_TICKS}, y: {min: 0, max: 100,
                title: {display: true, text: 'row hits (%)'}}},
                plugins: {tooltip: {callbacks: {title: tooltipTitle(layers)}}}}
    }, 6, layers.length, 240);
  }

  function drawDramBytes() {
    const layers = base.layers;
    makeChart('chart-dram-bytes', {
      type: 'bar',
      data: {labels: indexLabels(layers), datasets: [
        {type: 'line', label: 'lower bound (bytes)',
         data: layers.map(l => l.dram.lower_bound_bytes),
         borderColor: COLORS.bound, backgroundColor: COLORS.bound,
         pointRadius: 1.5, borderWidth: 1.5},
        {label: 'DRAM bytes', data: layers.map(l => l.dram.bytes),
         backgroundColor: COLORS.dram}]},
      options: {scales: {x: {ticks: LAYER_TICKS}, y: {type: 'logarithmic',
                title: {display: true, text: 'bytes read + written'}}},
                plugins: {tooltip: {callbacks: {title: tooltipTitle(layers)}}}}
    }, 6, layers.length, 280);
  }

  /// One cell per layer along the network; fused groups in colour.
  function drawFusion() {
    const layers = base.layers;
    const canvas = document.getElementById('chart-fusion');
    sizeCanvas(canvas, 6, layers.length, 70);
    const ctx = canvas.getContext('2d');
    const w = (canvas.width - 20) / Math.max(1, layers.length);
    ctx.font = '11px sans-serif';
    layers.forEach((l, i) => {
      const g = l.fused_group;
      ctx.fillStyle = g === null ? COLORS.grey : PALETTE[g % PALETTE.length];
      ctx.fillRect(10 + i * w, 10, Math.max(1, w - 1), 30);
    });
    ctx.fillStyle = '#1d2330';
    ctx.fillText('layer 0', 10, 56);
    const end = 'layer ' + (layers.length - 1);
    ctx.fillText(end, canvas.width - 10 - ctx.measureText(end).width, 56);
    markDrawn(canvas);
    const note = document.getElementById('fusion-note');
    const table = document.getElementById('fusion-table');
    if (!base.fusion) {
      note.textContent = 'No fusion section (compile with --fuse): every ' +
          'layer runs on its own (grey).';
      table.hidden = true;
      return;
    }
    const f = base.fusion;
    note.textContent = f.groups.length + ' fused groups (coloured; grey: ' +
        'unfused). Network DRAM energy fused ' + fmtEnergy(f.dram_energy_pj) +
        ' against ' + fmtEnergy(base.totals.energy_pj.dram) + ' unfused.';
    table.hidden = f.groups.length === 0;
    const head = el('tr');
    ['group', 'first layer', 'last layer', 'layers', 'bands', 'weights',
     'layout', 'saved', 'peak activations', 'DRAM energy']
        .forEach(h => head.appendChild(el('th', null, h)));
    table.tHead.appendChild(head);
    f.groups.forEach((g, i) => {
      const tr = el('tr');
      [[i, true], [layers[g.first].name, false], [layers[g.last].name, false],
       [g.last - g.first + 1, true], [g.bands + ' x ' + g.band_rows + ' rows', false],
       [g.weights, false], [g.layout, false], [fmtBytes(g.saved_bytes), true],
       [fmtBytes(g.peak_activation_bytes), true],
       [fmtEnergy(g.dram_energy_pj), true]]
          .forEach(([v, num]) => tr.appendChild(el('td', num ? {class: 'num'} : null, v)));
      tr.addEventListener('click', () => pickLayer(g.first));
      table.tBodies[0].appendChild(tr);
    });
  }

  function drawBuffers() {
    const layers = base.layers;
    const memories = base.target.memories;
    const datasets = memories.map((m, b) => ({
      label: m.name + ' (' + fmtBytes(m.bytes) + ': ' + m.holds.join(', ') + ')',
      data: layers.map(l => 100 * l.buffer_bytes[b] / m.bytes),
      backgroundColor: PALETTE[b % PALETTE.length]
    }));
    datasets.push({type: 'line', label: 'capacity (100%)',
                   data: layers.map(() => 100), borderColor: '#1d2330',
                   borderDash: [4, 3], pointRadius: 0, borderWidth: 1});
    makeChart('chart-buffers', {
      type: 'bar', data: {labels: indexLabels(layers), datasets: datasets},
      options: {scales: {x: {ticks: LAYER_TICKS}, y: {min: 0, title: {display: true,
                text: 'occupancy (% of capacity)'}}},
                plugins: {tooltip: {callbacks: {title: tooltipTitle(layers)}}}}
    }, 4 * memories.length + 4, layers.length, 260);
    const table = document.getElementById('buffer-table');
    const head = el('tr');
    ['buffer', 'holds', 'capacity', 'peak use', '% of capacity', 'peak layer']
        .forEach(h => head.appendChild(el('th', null, h)));
    table.tHead.appendChild(head);
    memories.forEach((m, b) => {
      let peak = 0, at = 0;
      layers.forEach((l, i) => { if (l.buffer_bytes[b] > peak) { peak = l.buffer_bytes[b]; at = i; } });
      const tr = el('tr');
      [[m.name, false], [m.holds.join(', '), false], [fmtBytes(m.bytes), true],
       [fmtBytes(peak), true], [fmtNum(100 * peak / m.bytes, 1), true],
       [layers.length ? layerLabel(at, layers[at]) : '-', false]]
          .forEach(([v, num]) => tr.appendChild(el('td', num ? {class: 'num'} : null, v)));
      table.tBodies[0].appendChild(tr);
    });
  }

  //===------------------------------------------------------------------===//
  // One layer's tiling
  //===------------------------------------------------------------------===//

  /// The loop nest of a layer: the DRAM-level tile loops in order, the tile
  /// loads, then the loops inside a tile on the array.
  function loopNest(l) {
    const t = l.tiling;
    const byName = {};
    t.dims.forEach(d => { byName[d.name] = d; });
    const lines = ['// ' + l.name + ' (' + l.op + '), reuse ' + l.reuse,
                   '// DRAM -> SRAM tile loops, outermost first'];
    let indent = '';
    const untiled = [];
    t.order.forEach(name => {
      const d = byName[name];
      if (d.count <= 1) { untiled.push(name); return; }
      lines.push(indent + 'for ' + name.toLowerCase() + '0 in [0, ' + d.count +
                 '):  // ' + name + ' ' + d.bound + ' in tiles of ' + d.tile +
                 (d.kind === 'reduction' ? ' (reduction)' : ''));
      indent += '  ';
    });
    if (untiled.length)
      lines.push(indent + '// untiled (whole dim per tile): ' + untiled.join(' '));
    t.operands.forEach(o => {
      lines.push(indent + (o.role === 'readwrite' ? 'load/store ' : 'load ') +
                 o.name + ' tile [' + o.box.join(', ') + '] of [' +
                 o.extent.join(', ') + '] (' + fmtBytes(o.footprint_bytes) +
                 ') -> ' + o.buffer);
    });
    const rows = t.unroll.rows, cols = t.unroll.cols;
    lines.push(indent + '// on the ' + base.target.rows + 'x' + base.target.cols +
               ' array: rows unroll ' + (rows || '-') + ', cols unroll ' +
               (cols || '-'));
    lines.push(indent + 'for (' + t.dims.map(d => d.name.toLowerCase()).join(', ') +
               ') in tile ' + t.dims.map(d => d.name + d.tile).join(' ') + ':');
    const out = t.operands.find(o => o.role === 'readwrite');
    const ins = t.operands.filter(o => o.role !== 'readwrite');
    if (out)
      lines.push(indent + '  ' + out.name + '[' + out.projection.join(', ') +
                 '] += ' + ins.map(o => o.name + '[' + o.projection.join(', ') +
                 ']').join(' * '));
    return lines.join('\n');
  }

  /// Two dims of the tensor as a rectangle (the tiled ones first, then the
  /// largest), the tile positions along them as a grid and the first tile's
  /// box filled.
  function drawTensor(o) {
    const box = el('div', {class: 'box'});
    const canvas = el('canvas', {class: 'chart tile-box'});
    const dims = o.extent.map((e, d) => d)
        .sort((a, b) => (o.positions[b] > 1) - (o.positions[a] > 1) ||
                        o.extent[b] - o.extent[a] || a - b)
        .slice(0, 2).sort((a, b) => a - b);
    const hd = dims.length === 2 ? dims[0] : -1;
    const wd = dims.length ? dims[dims.length - 1] : -1;
    const H = hd >= 0 ? o.extent[hd] : 1, W = wd >= 0 ? o.extent[wd] : 1;
    // To scale unless a side would be thinner than 40 px.
    let sx = Math.min(260 / W, 200 / H), sy = sx, toScale = true;
    if (W * sx < 40 || H * sy < 40) {
      sx = Math.max(40, Math.min(260, W * sx)) / W;
      sy = Math.max(40, Math.min(200, H * sy)) / H;
      toScale = false;
    }
    const w = W * sx, h = H * sy;
    canvas.width = Math.ceil(w) + 20;
    canvas.height = Math.ceil(h) + 20;
    box.appendChild(canvas);
    const name = d => d < 0 ? '-' : 'dim ' + d + ' (' + o.projection[d] + ')';
    box.appendChild(el('div', {class: 'caption'},
        o.name + " '" + o.tensor + "' [" + o.extent.join(', ') + '], ' +
        fmtBytes(o.footprint_bytes) + ' per tile in ' + o.buffer +
        '; tile box [' + o.box.join(', ') + '], positions [' +
        o.positions.join(', ') + ']; drawn: rows ' + name(hd) + ', columns ' +
        name(wd) + (toScale ? '' : ' (not to scale)')));
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#f4f6fa';
    ctx.fillRect(10, 10, w, h);
    ctx.strokeStyle = '#9aa3b5';
    ctx.lineWidth = 1;
    ctx.beginPath();
    // Grid lines at the tile positions along each drawn dim.
    const gridLines = (d, vertical, scale, length) => {
      if (d < 0 || o.positions[d] <= 1 || o.step[d] <= 0) return;
      for (let p = 1; p < o.positions[d] && p < 400; ++p) {
        const at = 10 + Math.min(o.extent[d], p * o.step[d]) * scale;
        if (vertical) { ctx.moveTo(at, 10); ctx.lineTo(at, 10 + length); }
        else { ctx.moveTo(10, at); ctx.lineTo(10 + length, at); }
      }
    };
    gridLines(wd, true, sx, h);
    gridLines(hd, false, sy, w);
    ctx.stroke();
    ctx.fillStyle = 'rgba(47, 111, 223, 0.45)';
    const bw = (wd >= 0 ? o.box[wd] : 1) * sx;
    const bh = (hd >= 0 ? o.box[hd] : 1) * sy;
    ctx.fillRect(10, 10, Math.max(2, bw), Math.max(2, bh));
    ctx.strokeStyle = '#1d2330';
    ctx.strokeRect(10, 10, w, h);
    markDrawn(canvas);
    return box;
  }

  let pickedRow = null;
  function pickLayer(i) {
    const l = base.layers[i];
    if (!l) return;
    const picker = document.getElementById('layer-picker');
    picker.value = String(i);
    document.getElementById('loop-nest').textContent = loopNest(l);
    const boxes = document.getElementById('tile-boxes');
    boxes.replaceChildren(...l.tiling.operands.map(drawTensor));
    if (pickedRow) pickedRow.classList.remove('picked');
    pickedRow = document.querySelector('#layer-table tr[data-index="' + i + '"]');
    if (pickedRow) pickedRow.classList.add('picked');
  }

  function drawTilingPicker() {
    const picker = document.getElementById('layer-picker');
    base.layers.forEach((l, i) =>
      picker.appendChild(el('option', {value: String(i)}, layerLabel(i, l))));
    picker.addEventListener('change', () => pickLayer(Number(picker.value)));
    // Start with the layer of the largest energy.
    let top = 0;
    base.layers.forEach((l, i) => {
      if (l.energy_pj.total > base.layers[top].energy_pj.total) top = i;
    });
    if (base.layers.length) pickLayer(top);
  }

  //===------------------------------------------------------------------===//
  // Two schedules
  //===------------------------------------------------------------------===//

  function drawComparison() {
    if (!other) return;
    document.getElementById('compare').hidden = false;
    document.getElementById('nav-compare').hidden = false;
    const cmp = data.comparison;
    const m = cmp.matched;
    document.getElementById('compare-note').textContent =
        'base: ' + base.label + ' (' + base.model + ' on ' + base.target.name +
        '); other: ' + other.label + ' (' + other.model + ' on ' +
        other.target.name + '). Layers matched by name (as romac inspect ' +
        '--compare does); ratios are other / base, below 1 the other ' +
        'schedule is better.';
    const cards = document.getElementById('compare-cards');
    card(cards, 'Energy ratio (matched)', fmtNum(ratio(m.other.energy_pj, m.base.energy_pj), 3),
         fmtEnergy(m.base.energy_pj) + ' -> ' + fmtEnergy(m.other.energy_pj));
    card(cards, 'DRAM bytes ratio (matched)',
         fmtNum(ratio(m.other.dram_bytes, m.base.dram_bytes), 3),
         fmtBytes(m.base.dram_bytes) + ' -> ' + fmtBytes(m.other.dram_bytes));
    card(cards, 'Cycles ratio (matched)', fmtNum(ratio(m.other.cycles, m.base.cycles), 3),
         fmtNum(m.base.cycles) + ' -> ' + fmtNum(m.other.cycles));
    card(cards, 'DRAM energy ratio (matched)',
         fmtNum(ratio(m.other.dram_energy_pj, m.base.dram_energy_pj), 3),
         fmtEnergy(m.base.dram_energy_pj) + ' -> ' + fmtEnergy(m.other.dram_energy_pj));
    card(cards, 'Total energy ratio (all layers)',
         fmtNum(ratio(other.totals.energy_pj.total, base.totals.energy_pj.total), 3),
         base.totals.layers + ' vs ' + other.totals.layers + ' layers');
    card(cards, 'Total latency ratio (all layers)',
         fmtNum(ratio(other.totals.latency_ms, base.totals.latency_ms), 3),
         fmtNum(base.totals.latency_ms, 3) + ' ms -> ' +
         fmtNum(other.totals.latency_ms, 3) + ' ms');
    const pairs = [];
    cmp.match.forEach((j, i) => { if (j !== null) pairs.push([i, j]); });
    const series = get => pairs.map(([i, j]) =>
        ratio(get(other.layers[j]), get(base.layers[i])));
    const labels = pairs.map(([i]) => '#' + i);
    const title = items => items.length ?
        layerLabel(pairs[items[0].dataIndex][0], base.layers[pairs[items[0].dataIndex][0]]) : '';
    makeChart('chart-compare', {
      type: 'bar',
      data: {labels: labels, datasets: [
        {label: 'energy', data: series(l => l.energy_pj.total), backgroundColor: COLORS.mac},
        {label: 'DRAM bytes', data: series(l => l.dram.bytes), backgroundColor: COLORS.dram},
        {label: 'cycles', data: series(l => l.cycles), backgroundColor: COLORS.sram},
        {type: 'line', label: 'equal (1)', data: pairs.map(() => 1),
         borderColor: '#1d2330', borderDash: [4, 3], pointRadius: 0, borderWidth: 1}]},
      options: {scales: {x: {ticks: LAYER_TICKS}, y: {title: {display: true, text: 'other / base'}}},
                plugins: {tooltip: {callbacks: {title: title}}}}
    }, 12, pairs.length, 280);
    const table = document.getElementById('compare-table');
    const head = el('tr');
    ['#', 'layer', 'energy µJ', 'other', 'ratio', 'DRAM bytes', 'other', 'ratio',
     'cycles', 'other', 'ratio'].forEach(h => head.appendChild(el('th', null, h)));
    table.tHead.appendChild(head);
    pairs.forEach(([i, j]) => {
      const a = base.layers[i], b = other.layers[j];
      const tr = el('tr');
      [[i, 1], [a.name, 0], [fmtNum(a.energy_pj.total * 1e-6, 3), 1],
       [fmtNum(b.energy_pj.total * 1e-6, 3), 1],
       [fmtNum(ratio(b.energy_pj.total, a.energy_pj.total), 3), 1],
       [fmtBytes(a.dram.bytes), 1], [fmtBytes(b.dram.bytes), 1],
       [fmtNum(ratio(b.dram.bytes, a.dram.bytes), 3), 1],
       [fmtNum(a.cycles), 1], [fmtNum(b.cycles), 1],
       [fmtNum(ratio(b.cycles, a.cycles), 3), 1]]
          .forEach(([v, num]) => tr.appendChild(el('td', num ? {class: 'num'} : null, v)));
      tr.addEventListener('click', () => pickLayer(i));
      table.tBodies[0].appendChild(tr);
    });
    const list = document.getElementById('compare-unmatched');
    cmp.match.forEach((j, i) => {
      if (j === null) list.appendChild(el('li', null, 'only in base: ' + base.layers[i].name));
    });
    cmp.only_other.forEach(j =>
      list.appendChild(el('li', null, 'only in other: ' + other.layers[j].name)));
  }

  //===------------------------------------------------------------------===//
  // Plan (romac report --plan)
  //===------------------------------------------------------------------===//

  function fillTable(id, header, rows) {
    const table = document.getElementById(id);
    const head = el('tr');
    header.forEach(h => head.appendChild(el('th', null, h)));
    table.tHead.appendChild(head);
    rows.forEach(cells => {
      const tr = el('tr');
      cells.forEach(([v, num]) =>
          tr.appendChild(el('td', num ? {class: 'num'} : null, v)));
      table.tBodies[0].appendChild(tr);
    });
  }
  function clocks(f) {
    return Object.keys(f.steps_per_clock_mhz || {})
        .map(mhz => mhz + ' MHz: ' + f.steps_per_clock_mhz[mhz]).join(', ');
  }

  function drawPlan() {
    const plan = data.plan;
    if (!plan) return;
    document.getElementById('plan').hidden = false;
    document.getElementById('nav-plan').hidden = false;
    const p = plan.parameters;
    const what = p.model_dir !== undefined
        ? 'the SD2 zoom of ' + p.model_dir + ' at ' + p.size + 'x' + p.size +
          ' (' + p.unet_calls_per_key_frame + ' UNet calls per key frame, ' +
          p.video_frames + ' video frames)'
        : p.model + ', one call per frame';
    document.getElementById('plan-note').textContent =
        'romac plan on ' + p.target + ': ' + what + '. Per video frame, ' +
        'levers cumulative; FPS/W is video frames per joule (logarithmic ' +
        'scale). A lever that is not modelled shows its note and no bar.';
    const rows = plan.levers;
    const base = rows[0].per_video_frame;
    makeChart('chart-plan', {
      type: 'bar',
      data: {labels: rows.map((r, i) => (i + 1) + ' ' + r.lever),
             datasets: [{label: 'FPS/W',
                         data: rows.map(r => r.modelled ? r.per_video_frame.fps_per_w : null),
                         backgroundColor: rows.map((r, i) => i === 0 ? COLORS.grey : COLORS.mac)}]},
      options: {indexAxis: 'y',
                scales: {x: {type: 'logarithmic',
                             title: {display: true, text: 'FPS/W (video frames per joule)'}}},
                plugins: {legend: {display: false}}}
    }, 0, 0, 60 + 30 * rows.length);
    fillTable('plan-table',
              ['#', 'lever', 'energy mJ', 'time ms', 'FPS', 'power W', 'FPS/W',
               'x baseline', 'battery h', 'clocks / note'],
              rows.map((r, i) => {
                const f = r.per_video_frame;
                const tail = [f ? clocks(f) : '', r.note || '']
                                 .filter(x => x).join('; ');
                if (!f)
                  return [[i + 1, 1], [r.lever, 0], ['-', 1], ['-', 1], ['-', 1],
                          ['-', 1], ['-', 1], ['-', 1], ['-', 1], [tail, 0]];
                return [[i + 1, 1], [r.lever, 0], [fmtNum(f.energy_mj, 2), 1],
                        [fmtNum(f.time_ms, 2), 1], [fmtNum(f.fps, 4), 1],
                        [fmtNum(f.power_w, 3), 1], [fmtNum(f.fps_per_w, 4), 1],
                        [fmtNum(ratio(f.fps_per_w, base.fps_per_w), 2), 1],
                        [fmtNum(f.battery_hours, 2), 1], [tail, 0]];
              }));
    const fp = plan.frequency_plans;
    document.getElementById('plan-freq-note').textContent =
        'On the work with every lever (' + (fp.bound || 'no plans') + '); ' +
        'ratios against the first plan, one frequency for the network.' +
        (fp.note ? ' ' + fp.note + '.' : '');
    const first = fp.plans.length ? fp.plans[0] : null;
    fillTable('plan-freq-table',
              ['plan', 'FPS', 'FPS ratio', 'energy mJ', 'energy ratio',
               'peak NPU mW', 'switches', 'clocks'],
              fp.plans.map(q => [[q.rule, 0], [fmtNum(q.fps, 4), 1],
                                 [fmtNum(ratio(q.fps, first.fps), 3), 1],
                                 [fmtNum(q.energy_mj, 2), 1],
                                 [fmtNum(ratio(q.energy_mj, first.energy_mj), 3), 1],
                                 [fmtNum(q.peak_npu_power_mw), 1],
                                 [fmtNum(q.switches, 1), 1], [clocks(q), 0]]));
  }

  //===------------------------------------------------------------------===//
  // Streaming layers (docs/streaming-layers.md)
  //===------------------------------------------------------------------===//

  function drawStreaming() {
    const layers = base.streaming || [];
    const total = base.totals.energy_pj.total;
    const fused = layers.filter(l => l.fusion !== 'none').length;
    const energy = layers.reduce((a, l) => a + l.energy_pj.total, 0);
    document.getElementById('streaming-note').textContent =
        layers.length
            ? layers.length + ' ops other than the contractions (' + fused +
                  ' fused into another layer\'s tiles): ' + fmtEnergy(energy) +
                  ', ' + fmtNum(100 * energy / total, 1) +
                  '% of the energy, in the totals above. Program order.'
            : 'No streaming layers in this schedule (written before romac ' +
                  'costed them, or a network of contractions only).';
    fillTable(
        'streaming-table',
        [
          '#', 'name', 'op', 'runs', 'points', 'DRAM read', 'DRAM written',
          'energy', 'share'
        ],
        layers.map(
            (l, i) => [
                [ i, 1 ], [ l.name, 0 ], [ l.op, 0 ],
                [
                  l.fusion === 'none' ? 'streamed'
                                      : l.fusion + ' of ' + l.fused_into,
                  0
                ],
                [ fmtNum(l.elements), 1 ], [ fmtBytes(l.dram_read_bytes), 1 ],
                [ fmtBytes(l.dram_write_bytes), 1 ],
                [ fmtEnergy(l.energy_pj.total), 1 ],
                [ fmtNum(100 * l.energy_pj.total / total, 2) + '%', 1 ]]));
  }

  //===------------------------------------------------------------------===//

  // Draw every section, timing each (data-timings on the body, in ms).
  const start = performance.now();
  const timings = [];
  [drawTotals, drawEnergyBars, drawTable, drawStreaming, drawRowHits,
   drawDramBytes, drawFusion, drawBuffers, drawTilingPicker, drawComparison,
   drawPlan]
      .forEach(f => {
        const t0 = performance.now();
        f();
        timings.push(f.name + ' ' + (performance.now() - t0).toFixed(1));
      });
  timings.push('markDrawn ' + markMs.toFixed(1));
  document.body.setAttribute('data-timings', timings.join(', '));
  document.body.setAttribute('data-render-ms',
                             (performance.now() - start).toFixed(1));
  // Since the navigation started: parsing the page, Chart.js and the data,
  // and drawing.
  document.body.setAttribute('data-ready-ms', performance.now().toFixed(1));
  document.body.setAttribute('data-rendered', '1');
})();
