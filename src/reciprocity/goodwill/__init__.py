"""The goodwill family: goodwill policies declared as data, and their compiled stage.

Modules, each with one concern:

- ``compensation`` (what goodwill gives) and ``policy`` (rules, steps, ``GoodwillPolicy``):
  public models.
- ``hot`` (a member's goodwill state, record slots), ``reasons`` (effect texts and builders),
  ``assess`` -> ``stage``: the compiled stage (``CompiledGoodwill``), in two layers.

Declarations never import the compiled modules; ``reciprocity._pipeline`` builds the stage.
The public names are re-exported by :mod:`reciprocity`; this package exports nothing itself.

Imports: nothing (importing a submodule must not load the others).
"""
