"""The class leaderboard: each held-out drawing keeps its part (public or private) as drawings are added, a
run's accuracy on each part is what its network computes (checked against torch.nn.functional on the saved
weights), runs that cannot be scored say why, and the ranking follows the public part until the teacher
reveals the private one."""

import hashlib

import torch
import torch.nn.functional as F
from safetensors.torch import load_file

from cnn import data, leaderboard, models

CLASSES = ["✓", "✗", "○"]
SPEC = models.ModelSpec("tiny", (1, 8, 8), [models._conv(2, 3), models._act(), models.FLATTEN, models._dense(3)],
                        CLASSES)


def _public(sample_id: str) -> bool:   # the rule, written again: the first 4 bytes of a SHA-256, over 2^32
    return int(hashlib.sha256(f"leaderboard:{sample_id}".encode()).hexdigest()[:8], 16) < 2 ** 31


def _holdout(n=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    images = torch.randint(0, 256, (n, 1, 8, 8), generator=g, dtype=torch.uint8)
    labels = torch.randint(0, 3, (n,), generator=g)
    return data.Dataset("own-test", "test", images, labels, list(CLASSES)), [f"s{i:04d}" for i in range(n)]


def _saved(tmp_path, seed=1, spec=SPEC):
    torch.manual_seed(seed)
    path = tmp_path / f"run-{seed}" / "model"
    path.parent.mkdir()
    models.save(models.build(spec), spec, path)
    return path


def test_each_drawing_keeps_its_part_and_about_half_are_public():
    ids = [f"drawing-{i}" for i in range(2000)]
    public, private = leaderboard.parts(ids)
    assert public.tolist() == [_public(s) for s in ids]
    assert (public ^ private).all()
    assert 900 < int(public.sum()) < 1100
    more, _ = leaderboard.parts(ids + [f"new-{i}" for i in range(50)])
    assert torch.equal(more[:2000], public), "adding drawings moves none between parts"


def test_the_score_is_the_networks_accuracy_on_each_part(tmp_path):
    holdout, ids = _holdout()
    path = _saved(tmp_path)
    w = load_file(str(path) + ".safetensors")
    (conv_w, conv_b), (dense_w, dense_b) = [(w[f"{i}.weight"], w[f"{i}.bias"]) for i in sorted(
        {k.split(".")[0] for k in w}, key=int)]
    x = holdout.images.float() / 255
    logits = F.linear(F.relu(F.conv2d(x, conv_w, conv_b)).flatten(1), dense_w, dense_b)
    right = (logits.argmax(1) == holdout.labels).tolist()
    public = [_public(s) for s in ids]
    expected_public = sum(r for r, p in zip(right, public) if p) / sum(public)
    expected_private = sum(r for r, p in zip(right, public) if not p) / (len(ids) - sum(public))

    got = leaderboard.score("run-1", path, holdout, ids)
    assert got.problem is None
    assert abs(got.public - expected_public) < 1e-9 and abs(got.private - expected_private) < 1e-9
    assert (got.n_public, got.n_private) == (sum(public), len(ids) - sum(public))


def test_a_run_that_cannot_be_scored_says_why(tmp_path):
    holdout, ids = _holdout()
    other = models.ModelSpec("digits", SPEC.input_shape, SPEC.layers, [str(d) for d in range(3)])
    assert leaderboard.score("r", _saved(tmp_path, 2, other), holdout, ids).problem == "classes"
    wider = models.ModelSpec("wide", (1, 10, 10), SPEC.layers, CLASSES)
    assert leaderboard.score("r", _saved(tmp_path, 3, wider), holdout, ids).problem == "shape"
    damaged = _saved(tmp_path, 4)
    (damaged.parent / "model.safetensors").write_bytes(b"\x80\x04 a pickle")
    found = leaderboard.score("r", damaged, holdout, ids)
    assert found.problem and found.public is None
    missing = leaderboard.score("r", tmp_path / "nowhere" / "model", holdout, ids)
    assert missing.problem and missing.private is None


def test_the_ranking_follows_the_public_part_until_the_private_one_is_revealed():
    s = leaderboard.Score
    a, b = s("a", 0.9, 0.6, 10, 10), s("b", 0.8, 0.95, 10, 10)
    broken, empty = s("c", None, None, 10, 10, problem="classes"), s("d", None, None, 0, 0)
    assert [x.run_id for x in leaderboard.ranking([broken, b, empty, a])] == ["a", "b", "d", "c"]
    assert [x.run_id for x in leaderboard.ranking([broken, a, b], final=True)] == ["b", "a", "c"]
