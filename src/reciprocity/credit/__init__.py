"""Store credit: a money balance issued, spent oldest first, and expiring (issue 15).

Modules: ``scheme`` (the declaration, :class:`~reciprocity.StoreCredit`) and ``stage`` (the
compiled stage).

Imports: nothing (like every family package, so importing one module loads no other).
"""
