// The Lab's arithmetic in the browser, as cnn.ops does it: padding (four fills), convolution with stride and
// dilation, the activations, pooling, one cell's window, and which cells a click or a pooled cell picks.
// No DOM here: lab_maps.js draws; tests/js/lab_arith.test.mjs checks every function under Node against
// fixtures that Python writes from cnn.ops (tests/test_lab_arith.py).
// A map is {c, h, w, v} with v a Float64Array in (C, H, W) order; lo and hi are its range.

export const LEAKY_SLOPE = 0.01;   // cnn.ops.LEAKY_SLOPE, torch's default

export function sidesFor(padding, k, d) {  // cnn.ops.resolve_padding, one axis -> [before, after]
  const total = d * (k - 1), half = Math.floor(total / 2);
  if (padding === "valid") return [0, 0];
  if (padding === "same") return [half, total - half];
  if (padding === "full") return [total, total];
  return [padding, padding];
}

export function source(i, n, mode) {  // which input pixel padded position i shows (-1: a zero)
  if (i >= 0 && i < n) return i;
  if (mode === "zeros") return -1;
  if (mode === "replicate") return i < 0 ? 0 : n - 1;
  if (mode === "circular") return ((i % n) + n) % n;
  return i < 0 ? -i : 2 * (n - 1) - i;  // reflect, without repeating the edge
}

export const ACTIVATE = {
  none: (x) => x, relu: (x) => Math.max(x, 0), leaky_relu: (x) => (x > 0 ? x : LEAKY_SLOPE * x),
  sigmoid: (x) => 0.5 * (1 + Math.tanh(0.5 * x)), tanh: (x) => Math.tanh(x),
};

export function mapOf(c, h, w, v, signed) {
  let lo = Infinity, hi = -Infinity;
  for (const x of v) { if (x < lo) lo = x; if (x > hi) hi = x; }
  return { c, h, w, v, lo, hi, signed };
}

export function canPad(h, w, pads, mode) {  // whether cnn.ops.pad accepts these sides for this fill
  const most = Math.max(...pads.flat());
  if (mode === "reflect") return most < Math.min(h, w);
  if (mode === "circular") return most <= Math.min(h, w);
  return true;
}

export function pad(image, pads, mode) {  // cnn.ops.pad: image {c, h, w, v}, pads [[top, bottom], [left, right]]
  const [[top, bottom], [left, right]] = pads, { c: C, h: H, w: W } = image;
  const Hp = H + top + bottom, Wp = W + left + right, padded = new Float64Array(C * Hp * Wp);
  for (let ch = 0; ch < C; ch++) for (let r = 0; r < Hp; r++) {
    const y = source(r - top, H, mode);
    for (let q = 0; q < Wp; q++) {
      const x = source(q - left, W, mode);
      padded[(ch * Hp + r) * Wp + q] = y < 0 || x < 0 ? 0 : image.v[(ch * H + y) * W + x];
    }
  }
  return mapOf(C, Hp, Wp, padded, false);
}

export function outputSize(n, k, stride, d) {  // of an already padded side (cnn.ops.output_size with p = 0)
  return Math.floor((n - (d * (k - 1) + 1)) / stride) + 1;
}

export function convolve(padded, K, k, stride, d, bias) {  // cnn.ops.conv2d of a padded input, one kernel (C, k, k)
  const [sh, sw] = stride, { c: C, h: Hp, w: Wp } = padded;
  const oh = outputSize(Hp, k, sh, d), ow = outputSize(Wp, k, sw, d), out = new Float64Array(oh * ow);
  for (let r = 0; r < oh; r++) for (let q = 0; q < ow; q++) {
    let total = 0;
    for (let ch = 0; ch < C; ch++) {
      let sum = 0;
      for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
        sum += padded.v[(ch * Hp + r * sh + i * d) * Wp + q * sw + j * d] * K.v[(ch * k + i) * k + j];
      }
      total += sum;
    }
    out[r * ow + q] = total + bias;
  }
  return mapOf(1, oh, ow, out, true);
}

export function activate(map, name) {  // cnn.ops.activate
  const f = ACTIVATE[name];
  return mapOf(map.c, map.h, map.w, map.v.map(f), true);
}

export function pool(map, size, stride, mode) {  // cnn.ops.pool2d: no padding, floor; null when too big
  if (size > map.h || size > map.w) return null;
  const ph = Math.floor((map.h - size) / stride) + 1, pw = Math.floor((map.w - size) / stride) + 1;
  const out = new Float64Array(ph * pw);
  for (let r = 0; r < ph; r++) for (let q = 0; q < pw; q++) out[r * pw + q] = poolWindow(map, r, q, size, stride, mode).value;
  return mapOf(1, ph, pw, out, true);
}

export function poolWindow(map, row, col, size, stride, mode) {  // cnn.ops.pool_window: its values and result
  const values = [];
  let result = mode === "max" ? -Infinity : 0;
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
    const x = map.v[(row * stride + i) * map.w + col * stride + j];
    values.push(x);
    result = mode === "max" ? Math.max(result, x) : result + x;
  }
  return { row, col, values, value: mode === "max" ? result : result / (size * size) };
}

export function windowAt(padded, K, k, stride, d, bias, row, col) {  // cnn.ops.window, per channel
  const rows = [...Array(k).keys()].map((i) => row * stride[0] + i * d);
  const cols = [...Array(k).keys()].map((j) => col * stride[1] + j * d);
  const channels = [];
  let total = 0;
  for (let c = 0; c < padded.c; c++) {
    const patch = [], kernel = [], products = [];
    let sum = 0;
    for (const r of rows) for (const q of cols) patch.push(padded.v[(c * padded.h + r) * padded.w + q]);
    for (let i = 0; i < k * k; i++) { kernel.push(K.v[c * k * k + i]); products.push(patch[i] * kernel[i]); sum += products[i]; }
    channels.push({ patch, kernel, products, sum });
    total += sum;
  }
  return { row, col, rows, cols, channels, total, value: total + bias };
}

export function strongest(map) {  // np.argmax(np.abs(map)): the first cell of largest magnitude
  let best = 0;
  for (let i = 1; i < map.v.length; i++) if (Math.abs(map.v[i]) > Math.abs(map.v[best])) best = i;
  return [Math.floor(best / map.w), best % map.w];
}

export function within(cell, map) {  // a kept cell fitted to a (smaller) map, as Python fits it
  return [Math.min(cell[0], map.h - 1), Math.min(cell[1], map.w - 1)];
}

export function poolCellFor(cell, size, stride, pooledH, pooledW) {  // cnn.ops.pooled_cell_for
  const axis = (i, n) => {
    const r = Math.min(Math.floor(i / stride), n - 1);
    return [r, r * stride <= i && i <= r * stride + size - 1];
  };
  const [r, rowIn] = axis(cell[0], pooledH), [c, colIn] = axis(cell[1], pooledW);
  return { cell: [r, c], contains: rowIn && colIn };
}

export function poolContains(poolCell, cell, size, stride) {  // whether pooled cell's window holds `cell`
  return [0, 1].every((a) => poolCell[a] * stride <= cell[a] && cell[a] < poolCell[a] * stride + size);
}

export function cellInPoolWindow(map, poolCell, size, stride, mode) {  // the map cell a pooled cell stands for:
  const [r0, c0] = [poolCell[0] * stride, poolCell[1] * stride];       // the max for max pooling, else its first
  if (mode !== "max") return [r0, c0];
  let best = [r0, c0];
  for (let i = 0; i < size; i++) for (let j = 0; j < size; j++) {
    if (map.v[(r0 + i) * map.w + c0 + j] > map.v[best[0] * map.w + best[1]]) best = [r0 + i, c0 + j];
  }
  return best;
}

// Every map of the Lab for an unpadded image {c, h, w, v}, a kernel (C, k, k) and the settings
// {size, stride, dilation, padding ("valid"/"same"/"full"/n), pad_mode, bias, activation, pool: {size, stride,
// mode} or null} -> {input (padded), pads, feature, activated, pooled}, or null where Python must explain
// (an empty output, a fill the input is too small for, a pooling window larger than the map).
// `work` caps the multiply-adds: beyond it, null too (Python's answer is as quick).
export function compute(image, K, st, work = Infinity) {
  const k = st.size, d = st.dilation, span = d * (k - 1) + 1, side = sidesFor(st.padding, k, d);
  const pads = [side, [...side]];
  if (!canPad(image.h, image.w, pads, st.pad_mode)) return null;
  const Hp = image.h + side[0] + side[1], Wp = image.w + side[0] + side[1];
  if (span > Hp || span > Wp) return null;
  const oh = outputSize(Hp, k, st.stride[0], d), ow = outputSize(Wp, k, st.stride[1], d);
  if (image.c * oh * ow * k * k > work) return null;
  const input = pad(image, pads, st.pad_mode), feature = convolve(input, K, k, st.stride, d, st.bias);
  const activated = activate(feature, st.activation);
  let pooled = null;
  if (st.pool) {
    pooled = pool(activated, st.pool.size, st.pool.stride, st.pool.mode);
    if (!pooled) return null;
  }
  return { input, pads, feature, activated, pooled };
}
