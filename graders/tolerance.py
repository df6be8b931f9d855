"""How close a numeric answer must be: absolute, relative, significant figures, decimal places.

Significant figures and decimal places come in two modes, chosen by the item and stated in the
student's help text: ``band`` (default) accepts any value within half a unit of the last
requested digit of the key (``1.2`` and ``1.204`` both pass ``sig_figs: 3`` for 1.2039...), and
``typed`` also requires exactly that many digits to be typed (``1.20``).
"""

from __future__ import annotations

import decimal
import math
from dataclasses import dataclass

# Float noise allowance: 1e-9 of the key's size on top of every band.
_EPS = 1e-9


def count_sig_figs(text: str) -> int:
    """Significant figures of a typed literal: ``1.20`` -> 3, ``0.0012`` -> 2, ``1200`` -> 2,
    and a typed zero counts every digit written: ``0.00`` -> 3."""
    mant = text.lower().partition("e")[0].lstrip("+-")
    if not mant.replace(".", "").strip("0"):  # zero: 0.00 is zero to 3 significant figures
        return max(len(mant.replace(".", "")), 1)
    if "." in mant:
        digits = mant.replace(".", "").lstrip("0")
        return max(len(digits), 1)
    digits = mant.lstrip("0").rstrip("0")
    return max(len(digits), 1)


def count_decimals(text: str) -> int:
    mant = text.lower().partition("e")[0]
    return len(mant.partition(".")[2])


#: The modes of ``sig_figs`` / ``decimal_places``: how many digits must be typed.
MODES = ("band", "typed", "at_least", "at_most")
ROUNDINGS = {"half_up": decimal.ROUND_HALF_UP, "half_even": decimal.ROUND_HALF_EVEN}


@dataclass(frozen=True, slots=True)
class Tolerance:
    kind: str  # absolute | relative | sig_figs | decimal_places
    value: float
    mode: str = "band"  # band | typed | at_least | at_most (sig_figs / decimal_places only)
    correct: int | None = None  # STACK's NumSigFigs [n, m]: n typed, the first m right
    rounding: str | None = None  # half_up | half_even: the key rounded by this rule, exactly

    @property
    def digits(self) -> bool:
        return self.kind in ("sig_figs", "decimal_places")

    def half_width(self, key: float) -> float:
        """The accepted distance from ``key``."""
        k = abs(key)
        if self.kind == "absolute":
            return self.value + _EPS * k + 1e-300
        if self.kind == "relative":
            return self.value * k + _EPS * k + 1e-300
        n = self.correct or int(self.value)
        # The place of the last digit asked for: 10^-n for decimal places (and a zero key).
        last = -n if self.kind != "sig_figs" or k == 0 else math.floor(math.log10(k)) - n + 1
        w = 0.5 * 10.0**last
        # Float noise only: never more than a thousandth of the band, so at 9 and more
        # significant figures the band is still half a unit in the last place.
        return w + min(_EPS * k, 1e-3 * w) + 1e-300

    def accepts(self, value: float, key: float) -> bool:
        return abs(value - key) <= self.half_width(key)

    def rounded_key(self, key: float) -> decimal.Decimal:
        """The key rounded to the required digits by ``rounding`` (from its shortest decimal
        form, so a key of 1.235 rounds half-up to 1.24 although the float is 1.2349999...)."""
        d = decimal.Decimal(repr(float(key)))
        n = int(self.value)
        exp = d.adjusted() - n + 1 if self.kind == "sig_figs" and d else -n
        return d.quantize(decimal.Decimal(1).scaleb(exp), rounding=ROUNDINGS[self.rounding or ""])

    def rounding_ok(self, value: float, typed: str | None, key: float) -> bool:
        """With ``rounding``: whether the answer is the key rounded by that rule (True
        otherwise)."""
        if self.rounding is None or not self.digits:
            return True
        target = self.rounded_key(key)
        if typed is not None:  # the literal, unsigned; the sign is the value's
            try:
                literal = decimal.Decimal(typed)
            except decimal.InvalidOperation:
                return False
            return (-literal if value < 0 else literal) == target
        return math.isclose(value, float(target), rel_tol=1e-12, abs_tol=1e-300)

    def digits_ok(self, typed: str | None) -> bool:
        """Whether the literal has the required digits (True in ``band`` mode). An expression
        (``pi``, ``-ln(0.3)``) has no digits to count, so it never passes a digits rule."""
        if self.mode == "band" or not self.digits:
            return True
        if typed is None:
            return False
        n = int(self.value)
        got = count_sig_figs(typed) if self.kind == "sig_figs" else count_decimals(typed)
        if self.mode == "typed":
            return got == n
        if self.mode == "at_least":
            return got >= n
        return got <= n

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
        if self.mode == "typed" and self.correct:
            return f"with exactly {n} {what}, the first {self.correct} of them right"
        if self.mode == "typed":
            return f"with exactly {n} {what}"
        if self.mode == "at_least":
            return f"with at least {n} {what}"
        if self.mode == "at_most":
            return f"with at most {n} {what}"
        if self.rounding == "half_even":
            return f"rounded to {n} {what} (a 5 rounds to the even digit)"
        if self.rounding == "half_up":
            return f"rounded to {n} {what} (a 5 rounds up)"
        return f"correct to {n} {what}"


def write_with_figures(typed: str, n: int) -> str | None:
    """How to write a whole number with trailing zeros so that it has ``n`` significant
    figures (``1000`` for 2: ``1.0e3``), or None when it already can or cannot."""
    digits = typed.lstrip("+-")
    if not digits.isdigit() or not digits.endswith("0") or count_sig_figs(digits) >= n:
        return None
    if n > len(digits.lstrip("0")):
        return None
    mant = digits.lstrip("0")
    exp = len(mant) - 1
    head = mant[:n]
    text = head[0] + ("." + head[1:] if n > 1 else "")
    return f"{text}e{exp}"


DEFAULT = Tolerance("relative", 1e-9)
