"""Transparency: a program's terms and a member's statement, in the customer's language.

The modules of this package render declared policy and member state as text or Markdown
through a gettext message catalogue (``reciprocity/locales``), with money, numbers and dates
formatted by Babel for the locale. ``Program.terms`` and ``Program.statement`` are the public
entry points; this ``__init__`` imports nothing, so ``import reciprocity`` never loads Babel.

Imports: nothing.
"""
