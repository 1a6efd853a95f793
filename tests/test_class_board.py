"""A class data set's leaderboard, engine side: the teacher's reveal is kept in the classroom database (a new
connection, as after a restart, still sees it; another class's teacher cannot reveal it), and every run of the
class trained on the set is scored on its held-out drawings (checked against cnn.leaderboard.score on the same
drawings), ranked, cached by run and by the held-out content, and the runs that cannot be scored say why."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnn import classroom, leaderboard, models, my_data, runs

CLASSES = ["✓", "✗"]


def _spec(classes=CLASSES, side=28):
    return models.ModelSpec("tiny", (1, side, side), [models._conv(2, 3), models._act(), models.FLATTEN,
                                                      models._dense(len(classes))], list(classes))


def _drawing(label: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    canvas = np.zeros((280, 280), np.uint8)
    x, y = rng.integers(60, 120, 2)
    if label == 0:
        canvas[y:y + 120, x:x + 25] = 255                   # a bar
    else:
        canvas[y:y + 25, x:x + 140] = 255                   # a beam
    return canvas


def _run(runs_root, owner: str, dataset: str, seed: int, spec=None, name="net") -> str:
    run_id = runs.new_id(name)
    folder = runs.run_dir(run_id, runs_root)
    folder.mkdir(parents=True)
    runs.write_json(folder / "info.json", {"format": runs.FORMAT, "name": name, "status": "finished",
                                           "dataset": dataset, "model": "tiny", "epochs_planned": 1})
    runs.write_json(folder / "metrics.json", {"status": "finished", "epochs": [{"epoch": 1, "seconds": 2.5}]})
    torch.manual_seed(seed)
    spec = spec or _spec()
    models.save(models.build(spec), spec, folder / "model", dataset=dataset)
    runs.write_owner(run_id, owner, runs_root)
    return run_id


@pytest.fixture
def room(classroom_url):       # SQLite, then PostgreSQL
    made = classroom.Classroom(classroom_url)
    yield made
    made.close()


def test_the_reveal_is_kept_in_the_database_for_its_class_only(tmp_path, room):
    a = room.create_class("7A", "SEVENA", "secret-a", "teacher-a")
    b = room.create_class("7B", "SEVENB", "secret-b", "teacher-b")
    assert not room.revealed(a.id, "set-1")
    room.reveal(a.id, "set-1")
    again = classroom.Classroom(room.url)          # another process, or the same after a restart
    assert again.revealed(a.id, "set-1") and not again.revealed(b.id, "set-1") and not again.revealed(a.id, "set-2")
    again.reveal(a.id, "set-1", revealed=False)
    assert not room.revealed(a.id, "set-1")
    again.close()


@pytest.fixture
def board(tmp_path):
    """A class set with 12 held-out drawings and 6 training ones, and runs of two students, a stranger, a
    damaged one and one trained before a class was added."""
    leaderboard.clear_cache()
    data_root, runs_root = tmp_path / "data", tmp_path / "runs"
    made = my_data.create_set("symbols", CLASSES, owner="teacher", class_code="SEVENA", root=data_root)
    for i in range(18):
        my_data.add_drawing(made.id, i % 2, _drawing(i % 2, i), by="teacher" if i < 12 else "ann",
                            held_out=i < 12, root=data_root)
    name = my_data.PREFIX + made.id
    made_runs = {
        "ann": _run(runs_root, "ann", name, 1, name="ann's"),
        "bob": _run(runs_root, "bob", name, 2, name="bob's"),
        "stranger": _run(runs_root, "stranger", name, 3),
        "other_set": _run(runs_root, "ann", "mnist", 4),
        "classes": _run(runs_root, "bob", name, 5, spec=_spec(["✓", "✗", "○"])),
        "damaged": _run(runs_root, "ann", name, 6),
    }
    (runs.run_dir(made_runs["damaged"], runs_root) / "model.safetensors").write_bytes(b"\x80\x04 a pickle")
    return made, data_root, runs_root, made_runs


def test_every_run_of_the_class_on_the_set_is_scored_and_ranked(board):
    made, data_root, runs_root, made_runs = board
    owners = {"ann": "Ann", "bob": "Bob"}
    entries = leaderboard.class_board(made.id, owners, runs_root=runs_root, data_root=data_root)
    got = {e.run_id: e for e in entries}
    assert set(got) == {made_runs[k] for k in ("ann", "bob", "classes", "damaged")}, "the class's runs on this set"
    holdout, ids = my_data.held_out_part(made.id, root=data_root)
    assert len(ids) == 12 and len(holdout) == 12
    for who in ("ann", "bob"):
        expected = leaderboard.score(who, runs.run_dir(made_runs[who], runs_root) / "model", holdout, ids)
        entry = got[made_runs[who]]
        assert entry.problem is None and entry.owner == who and entry.name == f"{who}'s"
        assert (entry.score.public, entry.score.private) == (expected.public, expected.private)
        assert entry.seconds == 2.5 and entry.network == "tiny"
    assert got[made_runs["classes"]].problem == "classes"
    assert got[made_runs["damaged"]].problem == "damaged"
    assert [e.problem is None for e in entries] == [True, True, False, False], "unscored runs come last"
    public = [e.score for e in entries[:2]]
    assert [s.run_id for s in public] == [s.run_id for s in leaderboard.ranking(public)]
    final = leaderboard.class_board(made.id, owners, final=True, runs_root=runs_root, data_root=data_root)
    assert [e.run_id for e in final[:2]] == [s.run_id for s in leaderboard.ranking(public, final=True)]


def test_scores_are_cached_by_run_and_by_the_held_out_content(board):
    made, data_root, runs_root, made_runs = board
    owners = {"ann": "Ann", "bob": "Bob"}
    leaderboard.class_board(made.id, owners, runs_root=runs_root, data_root=data_root)
    before = dict(leaderboard.stats)
    leaderboard.class_board(made.id, owners, runs_root=runs_root, data_root=data_root)
    assert leaderboard.stats["scored"] == before["scored"], "asked again: nothing is scored again"
    assert leaderboard.stats["cached"] == before["cached"] + 3
    # The teacher moves one drawing out of the held-out part: every run is scored again, on 11 drawings.
    first = next(s for s in my_data.samples(made.id, data_root) if s.held_out)
    my_data.set_held_out(made.id, [first.id], False, root=data_root)
    entries = leaderboard.class_board(made.id, owners, runs_root=runs_root, data_root=data_root)
    assert leaderboard.stats["scored"] == before["scored"] + 3
    scored = next(e for e in entries if e.problem is None)
    assert scored.score.n_public + scored.score.n_private == 11
    # A run retrained (new weights): only it is scored again.
    torch.manual_seed(9)
    models.save(models.build(_spec()), _spec(), runs.run_dir(made_runs["bob"], runs_root) / "model",
                dataset=my_data.PREFIX + made.id)
    before = dict(leaderboard.stats)
    leaderboard.class_board(made.id, owners, runs_root=runs_root, data_root=data_root)
    assert leaderboard.stats["scored"] == before["scored"] + 1


def test_a_set_with_nothing_held_out_scores_nobody_but_lists_the_runs(tmp_path):
    leaderboard.clear_cache()
    data_root, runs_root = tmp_path / "data", tmp_path / "runs"
    made = my_data.create_set("symbols", CLASSES, owner="teacher", class_code="SEVENA", root=data_root)
    run_id = _run(runs_root, "ann", my_data.PREFIX + made.id, 1)
    [entry] = leaderboard.class_board(made.id, {"ann": "Ann"}, runs_root=runs_root, data_root=data_root)
    assert entry.run_id == run_id and entry.problem is None
    assert entry.score.public is None and entry.score.private is None
