"""Policy experiments for analysts: order lines in, simulations, comparisons, tables and plots.

The package is the analyst's side of reciprocity (issue 13). Its modules, in layers:

- ``columns``: the declared column mapping of order lines (:class:`OrderColumns`) and the
  load report; ``orders``: the loader that turns rows into events; ``sources``: reading rows
  from CSV, Parquet, pandas or polars;
- ``prepared``: a history validated, made engine rows and sorted once, for every run over
  it; ``redemption``: the seeded redemption-and-breakage model; ``metrics``: tables and
  metrics from a replay; ``simulate``, ``compare``: the runs; ``frames``: pandas and polars output;
  ``plots``: matplotlib figures.

Nothing here is imported by ``import reciprocity``; pandas, polars, pyarrow and matplotlib are
imported only inside the functions that need them, and a missing one raises
:class:`~reciprocity.MissingDependency` naming the extra to install.

Imports: nothing (each module says what it imports).
"""
