"""The points family: point schemes declared as data, and their compiled stage.

Modules, each with one concern:

- ``rules``: earning rules, multipliers and caps (public models).
- ``scheme``: expiry, validity, rewards and ``PointScheme`` (public models).
- ``earn``: purchase earning rules compiled into closures.
- ``lots`` -> ``redeem`` -> ``expiry`` -> ``returns`` -> ``stage``: the compiled stage
  (``CompiledPoints``), built in layers, each using only the ones before it.

Declarations never import the compiled modules; ``reciprocity._pipeline`` builds the stage.
The public names are re-exported by :mod:`reciprocity`; this package exports nothing itself.

Imports: nothing (importing a submodule must not load the others).
"""
