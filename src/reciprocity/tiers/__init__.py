"""The tiers family: tier ladders declared as data, their checks and reports, and their stage.

Modules, each with one concern:

- ``requirements``: what a tier asks for (public models); ``ladder``: periods, validity,
  downgrades, ``Tier`` and ``TierLadder`` (public models).
- ``check``: pre-launch checks of a ladder and a member's progress (``check_ladder``,
  ``tier_progress``).
- ``report`` (reasons, effect builders, progress), ``hot`` (the compiled purchase handler),
  ``periods`` -> ``stage``: the compiled stage (``CompiledTiers``).

Declarations never import the compiled modules; ``reciprocity._pipeline`` builds the stage.
The public names are re-exported by :mod:`reciprocity`; this package exports nothing itself.

Imports: nothing (importing a submodule must not load the others).
"""
