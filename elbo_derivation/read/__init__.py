"""Reading: text (``.deriv``, ``.tex``, Python strings) into one :class:`Derivation`.

``deriv`` reads the ``.deriv`` format, ``tex`` LaTeX (``latex.lark``), ``steps`` a chain of
expressions given in Python (behind ``check_steps``); all three declare their names through
``declarations``, so a symbol, density, function, family or ``let`` name means the same in
each. A file may hold several parts (:attr:`Derivation.parts`); each step keeps its text, its
span and an unevaluated display form beside the expression that is checked.
"""
