// The draw pad's pace (pages/views/assets/draw_pad.js): while the pen moves it sends the next picture only
// once Python has taken up the last one, and after a late take-up it pauses as long as that picture waited
// (run by tests/test_draw_pad_pace.py).
import assert from "node:assert/strict";
import { test } from "node:test";

import { keepsUp, noteTaken } from "../../pages/views/assets/draw_pad.js";

function pad() { return { seq: 0, taken: 0, takenAt: 0, lag: 0, quickest: Infinity, sentAt: new Map() }; }
function send(p, at) { p.seq += 1; p.sentAt.set(p.seq, at); }

test("a fresh pad follows the pen", () => { assert.equal(keepsUp(pad(), 0), true); });

test("it waits while its last picture has not been taken up", () => {
  const p = pad();
  send(p, 0);
  assert.equal(keepsUp(p, 140), false);
  noteTaken(p, 1, 40);
  assert.equal(p.lag, 40);
  assert.equal(keepsUp(p, 150), true);
});

test("on a quiet server the usual jitter leaves the pace alone", () => {
  const p = pad();
  send(p, 0); noteTaken(p, 1, 25);                    // the quickest: 25 ms
  send(p, 150); noteTaken(p, 2, 150 + 80);            // 55 ms more (the browser was busy drawing)
  assert.equal(keepsUp(p, 300), true);                // the next picture goes at its 150 ms
});

test("after a late take-up it pauses as long as the picture waited", () => {
  const p = pad();
  send(p, 0); noteTaken(p, 1, 20);
  send(p, 150); noteTaken(p, 2, 150 + 420);           // a busy server: 400 ms more than its quickest
  assert.equal(keepsUp(p, 570 + 150), false);
  assert.equal(keepsUp(p, 570 + 399), false);
  assert.equal(keepsUp(p, 570 + 400), true);
  send(p, 970); noteTaken(p, 3, 970 + 30);            // the server caught up: a 10 ms pause after this one
  assert.equal(keepsUp(p, 1000 + 10), true);
});

test("a skipped picture counts as taken once a later one is", () => {
  const p = pad();
  send(p, 0); send(p, 10);                             // a lift right after a move
  noteTaken(p, 2, 50);                                 // Python went straight to the newest
  assert.equal(p.taken, 2);
  assert.equal(p.lag, 40);
  assert.equal(p.sentAt.size, 0);
  assert.equal(keepsUp(p, 50), true);
});

test("a number this pad did not send changes nothing (a reload: Python still names the last page's)", () => {
  const p = pad();
  noteTaken(p, 12, 5);
  assert.equal(p.taken, 0);
  send(p, 100);
  noteTaken(p, 12, 105);
  assert.equal(keepsUp(p, 110), false);
  noteTaken(p, 1, 130);
  assert.equal(keepsUp(p, 130), true);
});

test("an old or repeated number changes nothing", () => {
  const p = pad();
  send(p, 0); noteTaken(p, 1, 30);
  send(p, 150); noteTaken(p, 1, 900);                  // a rerun for another reason names picture 1 again
  assert.equal(p.lag, 30);
  assert.equal(p.takenAt, 30);
  assert.equal(keepsUp(p, 1000), false);               // picture 2 still waits to be taken up
});
