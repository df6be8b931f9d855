"""Units students type after a number (``4 s``, ``4000 ms``, ``0.0667 min``, ``1.5 MB``).

The scale factors are those of ``sympy.physics.units`` (a test checks every entry against
``convert_to``), kept here as plain floats so a unit answer grades in microseconds without
importing sympy in the web process. A dimension is a tuple of exponents over
(time, length, mass, information); a :class:`Unit` is a factor to the base unit and a dimension.
"""

from __future__ import annotations

from dataclasses import dataclass

Dim = tuple[int, int, int, int]
DIMENSIONLESS: Dim = (0, 0, 0, 0)

_T: Dim = (1, 0, 0, 0)
_L: Dim = (0, 1, 0, 0)
_M: Dim = (0, 0, 1, 0)
_I: Dim = (0, 0, 0, 1)
_HZ: Dim = (-1, 0, 0, 0)
_N: Dim = (-2, 1, 1, 0)  # kg m / s^2
_J: Dim = (-2, 2, 1, 0)  # N m
_W: Dim = (-3, 2, 1, 0)  # J / s
_V: Dim = (0, 3, 0, 0)  # m^3

# symbol -> (factor to the base unit: s, m, kg, bit; dimension; aliases)
# The base for information is the bit so that both bytes and bits are exact.
_TABLE: dict[str, tuple[float, Dim, tuple[str, ...]]] = {
    "s": (1.0, _T, ("sec", "secs", "second", "seconds", "초")),
    "ms": (1e-3, _T, ("msec", "msecs", "millisecond", "milliseconds", "밀리초")),
    "us": (1e-6, _T, ("µs", "microsecond", "microseconds")),
    "ns": (1e-9, _T, ("nanosecond", "nanoseconds")),
    "min": (60.0, _T, ("mins", "minute", "minutes", "분")),
    "h": (3600.0, _T, ("hr", "hrs", "hour", "hours", "시간")),
    "day": (86400.0, _T, ("days",)),
    "m": (1.0, _L, ("meter", "meters", "metre", "metres")),
    "km": (1e3, _L, ("kilometer", "kilometers", "kilometre", "kilometres")),
    "cm": (1e-2, _L, ("centimeter", "centimeters", "centimetre", "centimetres")),
    "mm": (1e-3, _L, ("millimeter", "millimeters", "millimetre", "millimetres")),
    "um": (1e-6, _L, ("µm", "micrometer", "micrometers", "micron", "microns")),
    "nm": (1e-9, _L, ("nanometer", "nanometers", "nanometre", "nanometres")),
    "kg": (1.0, _M, ("kilogram", "kilograms")),
    "g": (1e-3, _M, ("gram", "grams")),
    "mg": (1e-6, _M, ("milligram", "milligrams")),
    "bit": (1.0, _I, ("bits",)),
    "B": (8.0, _I, ("byte", "bytes")),
    "kB": (8e3, _I, ("KB", "kilobyte", "kilobytes")),
    "MB": (8e6, _I, ("megabyte", "megabytes")),
    "GB": (8e9, _I, ("gigabyte", "gigabytes")),
    "TB": (8e12, _I, ("terabyte", "terabytes")),
    "KiB": (8.0 * 2**10, _I, ("kibibyte", "kibibytes")),
    "MiB": (8.0 * 2**20, _I, ("mebibyte", "mebibytes")),
    "GiB": (8.0 * 2**30, _I, ("gibibyte", "gibibytes")),
    "Hz": (1.0, _HZ, ("hertz",)),
    "kHz": (1e3, _HZ, ()),
    "MHz": (1e6, _HZ, ()),
    "GHz": (1e9, _HZ, ()),
    "%": (0.01, DIMENSIONLESS, ("percent",)),
    # Mechanics and the common non-SI units (issue 14): compound units such as m/s, km/h,
    # m/s^2, g/cm^3 and m^2 are built from these by the parser.
    "N": (1.0, _N, ("newton", "newtons")),
    "kN": (1e3, _N, ("kilonewton", "kilonewtons")),
    "J": (1.0, _J, ("joule", "joules")),
    "kJ": (1e3, _J, ("kilojoule", "kilojoules")),
    "MJ": (1e6, _J, ("megajoule", "megajoules")),
    "W": (1.0, _W, ("watt", "watts")),
    "kW": (1e3, _W, ("kilowatt", "kilowatts")),
    "MW": (1e6, _W, ("megawatt", "megawatts")),
    "L": (1e-3, _V, ("l", "liter", "liters", "litre", "litres")),
    "mL": (1e-6, _V, ("ml", "milliliter", "milliliters", "millilitre", "millilitres")),
    "in": (0.0254, _L, ("inch", "inches")),
    "ft": (0.3048, _L, ("foot", "feet")),
    "yd": (0.9144, _L, ("yard", "yards")),
    "mi": (1609.344, _L, ("mile", "miles")),
    "lb": (0.45359237, _M, ("lbs", "pound", "pounds")),
    "oz": (0.028349523125, _M, ("ounce", "ounces")),
}

# What sympy.physics.units calls each symbol (for the cross-check test).
SYMPY_NAMES: dict[str, str] = {
    "s": "second", "ms": "millisecond", "us": "microsecond", "ns": "nanosecond",
    "min": "minute", "h": "hour", "day": "day", "m": "meter", "km": "kilometer",
    "cm": "centimeter", "mm": "millimeter", "um": "micrometer", "nm": "nanometer",
    "kg": "kilogram", "g": "gram", "mg": "milligram", "bit": "bit", "B": "byte",
    "KiB": "kibibyte", "MiB": "mebibyte", "GiB": "gibibyte", "Hz": "hertz",
    "percent": "percent", "N": "newton", "J": "joule", "W": "watt", "L": "liter",
    "mL": "milliliter", "in": "inch", "ft": "foot", "yd": "yard", "mi": "mile", "lb": "pound",
}  # fmt: skip

DIMENSION_NAMES: dict[Dim, tuple[str, str]] = {
    _T: ("a time", "s"),
    _L: ("a length", "m"),
    _M: ("a mass", "kg"),
    _I: ("an amount of data", "B"),
    _HZ: ("a frequency", "Hz"),
    (-1, 1, 0, 0): ("a speed", "m/s"),
    (-1, 0, 0, 1): ("a data rate", "B/s"),
    DIMENSIONLESS: ("a plain number", ""),
    (-2, 1, 0, 0): ("an acceleration", "m/s^2"),
    _N: ("a force", "N"),
    _J: ("an energy", "J"),
    _W: ("a power", "W"),
    _V: ("a volume", "L"),
    (0, 2, 0, 0): ("an area", "m^2"),
    (0, -3, 1, 0): ("a density", "kg/m^3"),
}


@dataclass(frozen=True, slots=True)
class Unit:
    """A (possibly compound) unit: ``text`` is canonical (``ms``, ``m/s``, ``MB``)."""

    text: str
    factor: float
    dim: Dim

    @property
    def latex(self) -> str:
        if self.text == "%":
            return r"\%"
        return rf"\mathrm{{{self.text}}}"


UNITS: dict[str, Unit] = {}
for _sym, (_factor, _dim, _aliases) in _TABLE.items():
    UNITS[_sym] = Unit(_sym, _factor, _dim)
    for _alias in _aliases:
        UNITS[_alias] = UNITS[_sym]


def lookup(name: str) -> Unit | None:
    """The unit a word names, or None (``Sec`` and ``SECONDS`` are accepted; ``MB`` vs ``mb``
    is not guessed: ``mb`` is refused rather than read as millibits)."""
    u = UNITS.get(name)
    if u is None and len(name) > 2:
        u = UNITS.get(name.lower())
    return u


def combine(a: Unit, b: Unit, op: str) -> Unit:
    """``a*b`` or ``a/b``."""
    if op == "*":
        dim = tuple(x + y for x, y in zip(a.dim, b.dim, strict=True))
        return Unit(f"{a.text}*{b.text}", a.factor * b.factor, dim)  # type: ignore[arg-type]
    dim = tuple(x - y for x, y in zip(a.dim, b.dim, strict=True))
    return Unit(f"{a.text}/{b.text}", a.factor / b.factor, dim)  # type: ignore[arg-type]


def power(a: Unit, n: int) -> Unit:
    dim = tuple(x * n for x in a.dim)
    return Unit(f"{a.text}^{n}", a.factor**n, dim)  # type: ignore[arg-type]


def describe(dim: Dim) -> str:
    """``a time``, ``a length``... for messages such as "expected a time"."""
    if dim in DIMENSION_NAMES:
        return DIMENSION_NAMES[dim][0]
    names = ("s", "m", "kg", "bit")
    parts = [f"{n}^{e}" if e != 1 else n for n, e in zip(names, dim, strict=True) if e]
    return "a quantity in " + "·".join(parts)
