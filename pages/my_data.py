"""My data: make a data set of your own. Name its classes, then draw samples on the Draw page's pad, upload
pictures or a zip of folders; see every class as thumbnails, with counts and warnings; export it, import one."""

import streamlit as st

from cnn import my_data
from pages.views import class_board, identity, my_data_samples, my_data_sets, my_data_tasks
from pages.views.language import tr
from pages.views.page import begin

begin("my_data")

sets = [s for s in my_data.list_sets() if identity.sees_set(s.owner, s.class_code)]   # another's stays theirs
chooser, making = st.columns([3, 2], gap="large")
with chooser:
    current = my_data_sets.pick(sets)
with making:
    my_data_sets.new_set(expanded=not sets)
    my_data_sets.import_set()
my_data_tasks.watch()       # an import under way: its progress (it runs in a thread of its own)
my_data_sets.show_flash()
if current is None:
    st.info(tr("my_data.none"))
    st.stop()

current = my_data_sets.training_view(current)   # counts without the held-out part (no run trains on it)
my_data_sets.header(current)
if my_data_sets.may_add(current):
    my_data_samples.add(current)
else:
    st.info(tr("my_data.read_only"))

my_data_samples.augmentation(current)       # what training will make of these samples

deletable = my_data_sets.may_change(current)
my_data_samples.grid(current, deletable)
if deletable:
    my_data_sets.manage(current)
if current.class_code:                       # a class's set: its leaderboard (the class's runs on it)
    made_for = identity.room().class_by_code(current.class_code)
    if made_for is not None:
        class_board.board(made_for, current, key="my_data")
