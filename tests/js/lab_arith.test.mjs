// The Lab's browser arithmetic (pages/views/assets/lab_arith.js) against fixtures written by cnn.ops
// (tests/test_lab_arith.py writes them and runs this file: LAB_ARITH_FIXTURES names the file).
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import * as arith from "../../pages/views/assets/lab_arith.js";

const TOLERANCE = 1e-12;
const path = process.env.LAB_ARITH_FIXTURES;
const cases = path ? JSON.parse(readFileSync(path, "utf-8")) : [];

function close(actual, expected, what) {
  assert.equal(actual.length, expected.length, `${what}: ${actual.length} numbers, expected ${expected.length}`);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i], e = expected[i];
    assert.ok(Math.abs(a - e) <= TOLERANCE * Math.max(1, Math.abs(e)), `${what}[${i}]: ${a} != ${e}`);
  }
}

function image(m) { return { ...m, v: Float64Array.from(m.v) }; }

test("fixtures were written", () => { assert.ok(cases.length >= 100, `only ${cases.length} cases in ${path}`); });

cases.forEach((c, n) => {
  const st = c.settings, what = `case ${n} ${JSON.stringify(st)}`;
  test(what, () => {
    const maps = arith.compute(image(c.image), image(c.kernel), st);
    const e = c.expected;
    if (e === null) { assert.equal(maps, null, "Python gives no maps here; the browser must leave them to it"); return; }
    assert.ok(maps, "Python gives maps here; the browser gave none");
    assert.deepEqual(maps.pads, e.pads);
    assert.deepEqual([maps.input.h, maps.input.w], e.input_hw);
    close(maps.input.v, e.input, "padded input");
    assert.deepEqual([maps.feature.h, maps.feature.w], e.feature_hw);
    close(maps.feature.v, e.feature, "feature map");
    close(maps.activated.v, e.activated, `activated (${st.activation})`);
    assert.deepEqual(arith.strongest(maps.feature), e.strongest);
    for (const win of e.windows) {
      const step = arith.windowAt(maps.input, image(c.kernel), st.size, st.stride, st.dilation, st.bias, win.row, win.col);
      assert.deepEqual(step.rows, win.rows); assert.deepEqual(step.cols, win.cols);
      close(step.channels.flatMap((ch) => ch.patch), win.patch, "patch");
      close(step.channels.flatMap((ch) => ch.products), win.products, "products");
      close([step.total, step.value], [win.total, win.value], "sum and value");
    }
    if (e.pooled === null) { assert.equal(maps.pooled, null); return; }
    const { size, stride, mode } = st.pool;
    assert.deepEqual([maps.pooled.h, maps.pooled.w], e.pooled.hw);
    close(maps.pooled.v, e.pooled.values, `pooled (${mode})`);
    for (const p of e.pooled.cells) {
      const found = arith.poolCellFor(p.cell, size, stride, maps.pooled.h, maps.pooled.w);
      assert.deepEqual(found.cell, p.pool_cell, `pooled cell for ${p.cell}`);
      assert.equal(found.contains, p.contains);
      assert.equal(arith.poolContains(p.pool_cell, p.cell, size, stride), p.contains);
      const win = arith.poolWindow(maps.activated, p.pool_cell[0], p.pool_cell[1], size, stride, mode);
      close(win.values, p.values, "pool window"); close([win.value], [p.value], "pooled value");
      assert.deepEqual(arith.cellInPoolWindow(maps.activated, p.pool_cell, size, stride, mode), p.stands_for);
    }
  });
});
