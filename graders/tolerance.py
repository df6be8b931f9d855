"""How close a numeric answer must be: absolute, relative, significant figures, decimal places.

Significant figures and decimal places come in two modes, chosen by the item and stated in the
student's help text: ``band`` (default) accepts any value within half a unit of the last
requested digit of the key (``1.2`` and ``1.204`` both pass ``sig_figs: 3`` for 1.2039...), and
``typed`` also requires exactly that many digits to be typed (``1.20``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Float noise allowance: 1e-9 of the key's size on top of every band.
_EPS = 1e-9


def count_sig_figs(text: str) -> int:
    """Significant figures of a typed literal: ``1.20`` -> 3, ``0.0012`` -> 2, ``1200`` -> 2."""
    mant = text.lower().partition("e")[0].lstrip("+-")
    if "." in mant:
        digits = mant.replace(".", "").lstrip("0")
        return max(len(digits), 1)
    digits = mant.lstrip("0").rstrip("0")
    return max(len(digits), 1)


def count_decimals(text: str) -> int:
    mant = text.lower().partition("e")[0]
    return len(mant.partition(".")[2])


@dataclass(frozen=True, slots=True)
class Tolerance:
    kind: str  # absolute | relative | sig_figs | decimal_places
    value: float
    mode: str = "band"  # band | typed (sig_figs / decimal_places only)

    def half_width(self, key: float) -> float:
        """The accepted distance from ``key``."""
        k = abs(key)
        if self.kind == "absolute":
            w = self.value
        elif self.kind == "relative":
            w = self.value * k
        elif self.kind == "sig_figs":
            if k == 0:
                w = 0.5 * 10.0 ** (-int(self.value))
            else:
                w = 0.5 * 10.0 ** (math.floor(math.log10(k)) - int(self.value) + 1)
        else:
            w = 0.5 * 10.0 ** (-int(self.value))
        return w + _EPS * k + 1e-300

    def accepts(self, value: float, key: float) -> bool:
        return abs(value - key) <= self.half_width(key)

    def digits_ok(self, typed: str | None) -> bool:
        """In ``typed`` mode, whether the literal has the required digits (True otherwise)."""
        if self.mode != "typed" or typed is None:
            return True
        if self.kind == "sig_figs":
            return count_sig_figs(typed) == int(self.value)
        if self.kind == "decimal_places":
            return count_decimals(typed) == int(self.value)
        return True

    def describe(self, unit: str | None = None) -> str:
        """For help texts: "within ±0.001 s", "to 3 significant figures"."""
        u = f" {unit}" if unit else ""
        if self.kind == "absolute":
            return f"within ±{self.value:g}{u} of the exact value"
        if self.kind == "relative":
            if self.value < 1e-6:
                return "exactly (up to rounding in the last digits)"
            return f"within {self.value * 100:g}% of the exact value"
        n = int(self.value)
        what = "significant figure" if self.kind == "sig_figs" else "decimal place"
        what += "" if n == 1 else "s"
        if self.mode == "typed":
            return f"with exactly {n} {what}"
        return f"correct to {n} {what}"


DEFAULT = Tolerance("relative", 1e-9)
