"""The gifts family: gift schemes declared as data, the eligibility report, and their stage.

Modules, each with one concern:

- ``gift`` (what a rule gives, the rule bases), ``order_rules`` (rules triggered by an
  order or a claim), ``scheme`` (member and calendar rules, ``GiftScheme``): public models.
- ``eligibility``: what a member can still get (``gift_eligibility``).
- ``calendar``, ``hot``, ``ranking``, ``timers``, ``orders``, ``claims``: compiled helpers;
  ``grants`` -> ``stage``: the compiled stage (``CompiledGifts``), in two layers.

Declarations never import the compiled modules; ``reciprocity._pipeline`` builds the stage.
The public names are re-exported by :mod:`reciprocity`; this package exports nothing itself.

Imports: nothing (importing a submodule must not load the others).
"""
