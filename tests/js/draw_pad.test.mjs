// The draw pad's pace (pages/views/assets/draw_pad.js): while the pen moves it sends the next picture only
// when Python has taken up the last one soon enough (run by tests/test_draw_pad_pace.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { keepsUp, noteTaken } from "../../pages/views/assets/draw_pad.js";

function pad() { return { seq: 0, taken: 0, lag: 0, quickest: Infinity, sentAt: new Map() }; }
function send(p, at) { p.seq += 1; p.sentAt.set(p.seq, at); }

test("a fresh pad follows the pen", () => { assert.equal(keepsUp(pad()), true); });

test("it waits while its last picture has not been taken up", () => {
  const p = pad();
  send(p, 0);
  assert.equal(keepsUp(p), false);
  noteTaken(p, 1, 40);
  assert.equal(p.lag, 40);
  assert.equal(keepsUp(p), true);
});

test("a late take-up stops the pictures while the pen moves until one is taken up in time", () => {
  const p = pad();
  send(p, 0); noteTaken(p, 1, 20);
  send(p, 150); noteTaken(p, 2, 150 + 600);          // the server is busy: 600 ms before Python read it
  assert.equal(keepsUp(p), false);
  send(p, 1000);                                       // the pen lifts: that picture goes anyway
  noteTaken(p, 3, 1000 + 60);
  assert.equal(keepsUp(p), true);                      // taken up in 60 ms: the next stroke follows again
});

test("what counts is the wait beyond the pad's quickest take-up, not the network's share", () => {
  const p = pad();                                     // a server far away: 180 ms before any picture is read
  send(p, 0); noteTaken(p, 1, 180);
  send(p, 200); noteTaken(p, 2, 200 + 220);
  assert.equal(p.quickest, 180);
  assert.equal(keepsUp(p), true);                      // 40 ms more than its quickest: it still follows the pen
  send(p, 450); noteTaken(p, 3, 450 + 240);
  assert.equal(keepsUp(p), false);                     // 60 ms more: Python is queueing pictures
});

test("a skipped picture counts as taken once a later one is", () => {
  const p = pad();
  send(p, 0); send(p, 10);                             // a lift right after a move
  noteTaken(p, 2, 50);                                 // Python went straight to the newest
  assert.equal(p.taken, 2);
  assert.equal(p.lag, 40);
  assert.equal(p.sentAt.size, 0);
  assert.equal(keepsUp(p), true);
});

test("a number this pad did not send changes nothing (a reload: Python still names the last page's)", () => {
  const p = pad();
  noteTaken(p, 12, 5);
  assert.equal(p.taken, 0);
  send(p, 100);
  noteTaken(p, 12, 105);
  assert.equal(keepsUp(p), false);
  noteTaken(p, 1, 130);
  assert.equal(keepsUp(p), true);
});

test("an old or repeated number changes nothing", () => {
  const p = pad();
  send(p, 0); noteTaken(p, 1, 30);
  send(p, 150); noteTaken(p, 1, 900);                  // a rerun for another reason names picture 1 again
  assert.equal(p.lag, 30);
  assert.equal(keepsUp(p), false);                     // picture 2 still waits to be taken up
});
