"""Reading: text (``.deriv``, ``.tex``, Python strings) into one :class:`Derivation`."""
