"""Imported by name through CNN_LAB_DATASET_SOURCES (with tests/ on PYTHONPATH), this registers a fake own
data set in every process of a test's server: the app, its training worker and its filter searches. For the
browser tests of own data sets; unit tests use own_source.own_sets directly."""

from own_source import SYMBOLS, fake_set, register

SETS = {"own-symbols": fake_set(**SYMBOLS)}
register(SETS)
