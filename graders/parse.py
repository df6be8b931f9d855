"""Read what a student typed into an expression tree, from an allow-list, without ``eval``.

Three steps, each bounded: :func:`normalize` maps what keyboards and phones produce (``−``,
``×``, ``÷``, full-width digits, superscripts, ``π``, ``√``) to ASCII and remembers where each
character came from; the tokenizer reads numbers (refusing a decimal comma, accepting thousands
separators), names and a LaTeX subset; a recursive-descent parser builds :mod:`graders.expr`
nodes, refusing any name that is not a known function, constant, declared variable or unit.
Errors carry the index of the offending character in the *raw* answer.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from graders import units as _units
from graders.expr import Bin, Call, Const, Fact, Name, Neg, Node, Num, to_text

MAX_CHARS = 1000
MAX_TOKENS = 400
MAX_DEPTH = 40
MAX_DIGITS = 40
MAX_LITERAL_EXPONENT = 300


class ParseError(Exception):
    """The answer cannot be read; ``pos`` is the index in the raw text (or None)."""

    def __init__(self, message: str, pos: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.pos = pos


@dataclass(frozen=True, slots=True)
class Context:
    """What names mean for one item: its variables, the base of ``log``, whether a unit may
    follow the number, and whether a single comma group (``65,536``) is a thousands separator
    (only where the key is a whole number of 1,000 or more: otherwise ``1,204`` is refused as an
    ambiguous decimal comma)."""

    variables: frozenset[str] = frozenset()
    log_base: str = "e"
    units: bool = False
    thousands: bool = False


@dataclass(slots=True)
class Parsed:
    node: Node
    unit: _units.Unit | None = None
    ratio: bool = False  # typed as "48x" / "48×": a plain number


# ---------------------------------------------------------------------------------------------
# Normalisation

_CHAR_MAP = {
    "\u2212": "-",
    "\u2013": "-",
    "\u2014": "-",
    "\u2010": "-",
    "\u2011": "-",
    "\ufe63": "-",
    "\u00d7": "*",
    "\u00b7": "*",
    "\u22c5": "*",
    "\u2219": "*",
    "\u2217": "*",
    "\u2715": "*",
    "\u00f7": "/",
    "\u2215": "/",
    "\u03c0": "pi",
    "\u221a": "sqrt ",
    "\u00b5": "µ",
    "\u03bc": "µ",
    "\u00a0": " ",
    "\u2009": " ",
    "\u202f": " ",
    "\u2007": " ",
    "\u3000": " ",
    "$": "",
    # zero-width characters pasted from documents
    "\u200b": "",
    "\u200c": "",
    "\u200d": "",
    "\u2060": "",
    "\ufeff": "",
}
_SUPERSCRIPTS = {
    "\u2070": "0",
    "\u00b9": "1",
    "\u00b2": "2",
    "\u00b3": "3",
    "\u2074": "4",
    "\u2075": "5",
    "\u2076": "6",
    "\u2077": "7",
    "\u2078": "8",
    "\u2079": "9",
    "\u207b": "-",
    "\u207a": "+",
}


def normalize(raw: str) -> tuple[str, list[int] | None]:
    """ASCII-ish text and, when it differs from ``raw``, the raw index of each character."""
    if raw.isascii() and "$" not in raw:
        return raw, None
    out: list[str] = []
    where: list[int] = []
    i = 0
    n = len(raw)
    while i < n:
        ch = raw[i]
        if ch in _SUPERSCRIPTS:
            j = i
            digits = []
            while j < n and raw[j] in _SUPERSCRIPTS:
                digits.append(_SUPERSCRIPTS[raw[j]])
                j += 1
            rep = "^(" + "".join(digits) + ")"
            out.append(rep)
            where.extend([i] * len(rep))
            i = j
            continue
        if ch in _CHAR_MAP:
            rep = _CHAR_MAP[ch]
        elif ch.isascii():
            rep = ch
        else:
            rep = unicodedata.normalize("NFKC", ch)
            rep = _CHAR_MAP.get(rep, rep)
        out.append(rep)
        where.extend([i] * len(rep))
        i += 1
    return "".join(out), where


# ---------------------------------------------------------------------------------------------
# Tokens

# Letters of names: Latin, the micro sign, Greek (variables such as alpha typed as α), Hangul.
_LETTERS = r"A-Za-z_µ\u0391-\u03c9\u03d1\u03d5\u03f5\uac00-\ud7a3"
_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<grp>\d{1,3}(?:,\d{3})++(?!\d)(?:\.\d++)?)
  | (?P<num>(?:\d++(?:\.\d*+)?|\.\d++)(?:[eE][+-]?\d++)?)
  | (?P<name>[LETTERS][0-9LETTERS]*)
  | (?P<cmd>\\(?:[A-Za-z]+|.))
  | (?P<op>\*\*|[-+*/^()!{}\[\]|,%])
    """.replace("LETTERS", _LETTERS),
    re.VERBOSE,
)

_WRAPPER_ARG = re.compile(r"\s*+\{([^{}]*+)\}")
_SUBSCRIPT = re.compile(r"_(?:([A-Za-z0-9])|\{([A-Za-z0-9]++)\})")
_LATEX_SKIP = {
    "\\left",
    "\\right",
    "\\,",
    "\\;",
    "\\:",
    "\\!",
    "\\ ",
    "\\quad",
    "\\qquad",
    "\\displaystyle",
    "\\big",
    "\\Big",
    "\\bigg",
    "\\Bigg",
}
_LATEX_OPS = {"\\cdot": "*", "\\times": "*", "\\ast": "*", "\\div": "/"}
_LATEX_WRAPPERS = {"\\mathrm", "\\text", "\\operatorname", "\\mathit", "\\textrm"}
_NOT_FINITE = {"nan", "inf", "infinity", "oo", "zoo", "\\infty", "undefined"}

FUNCTION_NAMES = {
    "ln": "ln",
    "log10": "log10",
    "log2": "log2",
    "exp": "exp",
    "sqrt": "sqrt",
    "abs": "abs",
    "sin": "sin",
    "cos": "cos",
    "tan": "tan",
    "sec": "sec",
    "csc": "csc",
    "cot": "cot",
    "asin": "asin",
    "arcsin": "asin",
    "acos": "acos",
    "arccos": "acos",
    "atan": "atan",
    "arctan": "atan",
    "sinh": "sinh",
    "cosh": "cosh",
    "tanh": "tanh",
    "log": "log",
}
# Names peers accept (PrairieLearn, STACK, Numbas, Open edX), each mapped to one function.
FUNCTION_NAMES.update(
    {
        "cosec": "csc",
        "sech": "sech",
        "csch": "csch",
        "cosech": "csch",
        "coth": "coth",
        "asec": "asec",
        "arcsec": "asec",
        "acsc": "acsc",
        "arccsc": "acsc",
        "arccosec": "acsc",
        "acot": "acot",
        "arccot": "acot",
        "asinh": "asinh",
        "arsinh": "asinh",
        "arcsinh": "asinh",
        "acosh": "acosh",
        "arcosh": "acosh",
        "arccosh": "acosh",
        "atanh": "atanh",
        "artanh": "atanh",
        "arctanh": "atanh",
        "asech": "asech",
        "arsech": "asech",
        "arcsech": "asech",
        "acsch": "acsch",
        "arcsch": "acsch",
        "arccsch": "acsch",
        "acoth": "acoth",
        "arcoth": "acoth",
        "arccoth": "acoth",
        "sign": "sign",
        "sgn": "sign",
        "floor": "floor",
        "ceil": "ceil",
        "ceiling": "ceil",
        "factorial": "factorial",
    }
)

#: Greek letters typed as symbols (or as LaTeX commands) and the variable names they stand for:
#: ``μ0`` is the variable ``mu0``, ``α`` is ``alpha``.
GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "ϵ": "epsilon",
    "ζ": "zeta", "η": "eta", "θ": "theta", "ϑ": "theta", "ι": "iota", "κ": "kappa",
    "λ": "lambda", "µ": "mu", "μ": "mu", "ν": "nu", "ξ": "xi", "ρ": "rho", "σ": "sigma",
    "τ": "tau", "υ": "upsilon", "φ": "phi", "ϕ": "phi", "χ": "chi", "ψ": "psi", "ω": "omega",
    "Γ": "Gamma", "Δ": "Delta", "Θ": "Theta", "Λ": "Lambda", "Ξ": "Xi", "Σ": "Sigma",
    "Φ": "Phi", "Ψ": "Psi", "Ω": "Omega",
}  # fmt: skip
_GREEK_NAMES = frozenset(GREEK.values())


def latin_name(name: str) -> str:
    """``μ0`` -> ``mu0``, ``α`` -> ``alpha``: Greek letters spelled out."""
    if name.isascii():
        return name
    return "".join(GREEK.get(ch, ch) for ch in name)


_FUNC_DIGITS = re.compile(r"([A-Za-z]+?)(\d+)\Z")

Token = tuple[str, str, int]  # kind, text, position in the normalised string


def tokenize(text: str) -> list[Token]:
    toks: list[Token] = []
    pos = 0
    n = len(text)
    match = _TOKEN_RE.match
    while pos < n:
        m = match(text, pos)
        if m is None:
            ch = text[pos]
            if ch in "=<>≤≥":
                raise ParseError(
                    f"'{ch}' cannot be used here: this answer is one expression, not an equation "
                    f"or inequality (type the expression alone, without '{ch}')",
                    pos,
                )
            raise ParseError(f"the character “{ch}” cannot be used in an answer", pos)
        kind = m.lastgroup
        s = m.group()
        start = pos
        pos = m.end()
        if kind == "ws":
            continue
        if kind == "cmd":
            if s in _LATEX_SKIP:
                if s in ("\\left", "\\right") and pos < n and text[pos] == ".":
                    pos += 1
                continue
            if s in _LATEX_OPS:
                toks.append(("op", _LATEX_OPS[s], start))
                continue
            if s in ("\\{", "\\}"):
                toks.append(("op", s[1], start))
                continue
            if s == "\\%":
                toks.append(("op", "%", start))
                continue
            if s in _LATEX_WRAPPERS:
                m2 = _WRAPPER_ARG.match(text, pos)
                if m2 is None:
                    raise ParseError(f"{s} needs a {{...}} argument", start)
                inner = m2.group(1).strip()
                pos = m2.end()
                if inner:
                    toks.append(("name", inner, start))
                continue
            if s[1:] in _GREEK_NAMES:  # \alpha, \mu_0, \mu_{0}
                m3 = _SUBSCRIPT.match(text, pos)
                if m3:
                    pos = m3.end()
                toks.append(("name", s[1:] + (m3.group(1) or m3.group(2) if m3 else ""), start))
                continue
            toks.append(("cmd", s, start))
            continue
        if kind == "num":
            if pos < n and text[pos] == "," and pos + 1 < n and text[pos + 1].isdigit():
                raise ParseError(
                    f"'{s},{text[pos + 1]}…' has a decimal comma: write decimals with a point "
                    f"(for example {s}.{text[pos + 1]})",
                    pos,
                )
        elif kind == "op" and s == "**":
            s = "^"
        toks.append((kind or "op", s, start))
        if len(toks) > MAX_TOKENS:
            raise ParseError(f"the answer is too long (more than {MAX_TOKENS} symbols)", start)
    toks.append(("end", "", n))
    return toks


# ---------------------------------------------------------------------------------------------
# Parser


class _Parser:
    def __init__(self, toks: list[Token], ctx: Context) -> None:
        self.toks = toks
        self.i = 0
        self.ctx = ctx
        self.depth = 0
        self.abs_depth = 0  # inside |...|: a '|' after an operand closes it
        self.split: Node | None = None  # the last product split from a name (xy -> x*y)

    # -- helpers
    def peek(self) -> Token:
        return self.toks[self.i]

    def advance(self) -> Token:
        t = self.toks[self.i]
        self.i += 1
        return t

    def expect(self, text: str, opener: Token | None = None) -> None:
        t = self.toks[self.i]
        if t[0] == "op" and t[1] == text:
            self.i += 1
            return
        if opener is not None:
            if t[0] == "op" and t[1] == "," and opener[1] in "({[":
                raise ParseError(
                    f"'{opener[1]}...{text}' with commas is a list of values, but this answer "
                    "is one value: type a single number or expression (decimals take a point: "
                    "1.204)",
                    t[2],
                )
            raise ParseError(f"'{opener[1]}' is never closed: expected '{text}'", opener[2])
        raise ParseError(f"expected '{text}' {_here(t)}", t[2])

    def enter(self, pos: int) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ParseError(f"the answer is nested too deeply (at most {MAX_DEPTH} levels)", pos)

    # -- name resolution
    def function_name(self, name: str) -> str | None:
        if name in self.ctx.variables:
            return None
        fn = FUNCTION_NAMES.get(name) or FUNCTION_NAMES.get(name.lower())
        if fn == "log":
            return "log10" if self.ctx.log_base == "10" else "ln"
        return fn

    def atom_for(self, name: str) -> Node | None:
        variables = self.ctx.variables
        if name in variables:
            return Name(name)
        if name == "pi" or name == "e":
            return Const(name)
        if variables:  # μ0 or mu_0 for the variable mu0, α for alpha
            latin = latin_name(name)
            for candidate in (latin, latin.replace("_", "")):
                if candidate in variables:
                    return Name(candidate)
        return None

    def split_name(self, name: str) -> Node | None:
        """``xy`` -> x*y when the name is variables and constants side by side (``2pi x``
        style; ``μ0α`` -> mu0*alpha), read from the left, longest name first."""
        if len(name) < 2 or len(name) > 24:
            return None
        atoms = self._split(latin_name(name)) if len(name) > 1 else None
        if not atoms or len(atoms) < 2:
            return None
        node = atoms[0]
        assert node is not None
        for a in atoms[1:]:
            assert a is not None
            node = Bin("*", node, a)
        self.split = node
        return node

    def _split(self, name: str) -> list[Node] | None:
        names = sorted((*self.ctx.variables, "pi", "e"), key=len, reverse=True)
        out: list[Node] = []
        i = 0
        while i < len(name):
            for v in names:
                if name.startswith(v, i):
                    atom = self.atom_for(v)
                    assert atom is not None
                    out.append(atom)
                    i += len(v)
                    break
            else:
                return None
        return out

    def is_unit(self, t: Token) -> bool:
        if not self.ctx.units:
            return False
        if t[0] == "op":
            return t[1] == "%"
        return t[0] == "name" and (_units.lookup(t[1]) is not None or t[1] in ("x", "times"))

    def starts_operand(self, t: Token) -> bool:
        kind, s, _ = t
        if kind in ("num", "cmd"):
            return True
        if kind == "name":
            return not self.is_unit(t) or self.atom_for(s) is not None
        # "|x||y|" is |x|*|y|; inside |...| a '|' after an operand closes it ("||x|+y|").
        return kind == "op" and (s in ("(", "{", "[") or (s == "|" and self.abs_depth == 0))

    # -- grammar
    def expression(self) -> Node:
        node = self.term()
        while True:
            t = self.toks[self.i]
            if t[0] == "op" and t[1] in ("+", "-"):
                self.i += 1
                self.operand_follows(t)
                node = Bin(t[1], node, self.term())
            else:
                return node

    def operand_follows(self, op: Token) -> None:
        t = self.toks[self.i]
        if t[0] == "end":
            raise ParseError(f"the answer ends after '{op[1]}': something is missing", op[2])

    def term(self) -> Node:
        node = self.unary()
        while True:
            t = self.toks[self.i]
            if self.is_times_x(t):  # "50 x 0.08 s" in a numeric item
                self.i += 1
                node = Bin("*", node, self.unary())
                continue
            if t[0] == "op" and t[1] in ("*", "/"):
                if self.ctx.units and t[1] == "*" and self.toks[self.i + 1][0] == "end":
                    return node  # "48×": handled as a ratio by parse_answer
                self.i += 1
                self.operand_follows(t)
                node = Bin(t[1], node, self.unary())
            elif self.starts_operand(t):
                if t[0] == "num":
                    raise ParseError(
                        f"a number follows another value: is an operator missing before '{t[1]}'?",
                        t[2],
                    )
                if t[0] == "name" and not self.known_name(t[1]):
                    if self.is_unit(t):
                        return node
                    raise ParseError(self.unknown_name_message(t[1]), t[2])
                node = Bin("*", node, self.power())
            else:
                return node

    def is_times_x(self, t: Token) -> bool:
        if not (self.ctx.units and t[0] == "name" and t[1] in ("x", "X")):
            return False
        if t[1] in self.ctx.variables:
            return False
        nxt = self.toks[self.i + 1]
        return nxt[0] == "num" or (nxt[0] == "op" and nxt[1] == "(")

    def known_name(self, name: str) -> bool:
        return (
            self.atom_for(name) is not None
            or self.function_name(name) is not None
            or self.split_name(name) is not None
        )

    def unary(self) -> Node:
        t = self.toks[self.i]
        if t[0] == "op" and t[1] in ("-", "+"):
            self.i += 1
            self.enter(t[2])
            self.operand_follows(t)
            inner = self.unary()
            self.depth -= 1
            return Neg(inner) if t[1] == "-" else inner
        return self.power()

    def power(self) -> Node:
        base = self.postfix()
        t = self.toks[self.i]
        if t[0] == "op" and t[1] == "^":
            split = self.split
            self.i += 1
            self.operand_follows(t)
            self.enter(t[2])
            exp = self.unary()
            self.depth -= 1
            if type(base) is Bin and base is split:
                # Implicit multiplication binds looser than ^: xy^2 is x*y^2, nm^(-1) n*m^(-1).
                return Bin("*", base.a, Bin("^", base.b, exp))
            return Bin("^", base, exp)
        return base

    def postfix(self) -> Node:
        node = self.primary()
        while True:
            t = self.toks[self.i]
            if t[0] == "op" and t[1] == "!":
                self.i += 1
                if type(node) is Bin and node is self.split:  # xy! is x*y!
                    node = Bin("*", node.a, Fact(node.b))
                    self.split = node
                else:
                    node = Fact(node)
            else:
                return node

    def group(self, opener: Token, closer: str) -> Node:
        self.enter(opener[2])
        nxt = self.toks[self.i]
        if nxt[0] == "op" and nxt[1] == closer and closer != "|":  # ||x|| nests
            raise ParseError(
                f"empty '{opener[1]}{closer}': put a number or an expression inside", opener[2]
            )
        if closer == "|":
            self.abs_depth += 1
        node = self.expression()
        if closer == "|":
            self.abs_depth -= 1
        self.expect(closer, opener)
        self.depth -= 1
        self.split = None  # (xy)^2 is (x*y)^2
        return node

    def braced(self, what: str, at: int) -> Node:
        t = self.toks[self.i]
        if t[0] == "op" and t[1] == "{":
            self.i += 1
            return self.group(t, "}")
        if t[0] == "num" or t[0] == "name":
            return self.primary()
        raise ParseError(f"{what} needs {{...}}", at)

    def primary(self) -> Node:
        t = self.advance()
        kind, s, pos = t
        if kind == "num" or kind == "grp":
            return self.number(t)
        if kind == "name":
            return self.name(t)
        if kind == "op":
            if s == "(":
                return self.group(t, ")")
            if s == "{":
                return self.group(t, "}")
            if s == "[":
                return self.group(t, "]")
            if s == "|":
                return Call("abs", self.group(t, "|"))
            if s == ",":
                raise ParseError(
                    "a comma cannot be used here: write decimals with a point (1.204) and "
                    "give one value",
                    pos,
                )
            raise ParseError(f"expected a number or an expression {_here(t)}", pos)
        if kind == "cmd":
            return self.command(t)
        raise ParseError("the answer is empty" if pos == 0 else "the answer ends too early", pos)

    def number(self, t: Token) -> Node:
        kind, s, pos = t
        if kind == "grp":
            groups = s.count(",")
            if groups == 1 and not self.ctx.thousands:
                head, _, tail = s.partition(",")
                raise ParseError(
                    f"'{s}' has a comma: write decimals with a point ({head}.{tail}); for "
                    f"thousands, leave the comma out ({head}{tail})",
                    pos + len(head),
                )
            s = s.replace(",", "")
        mant, _, exp = s.lower().partition("e")
        if len(mant.replace(".", "").lstrip("0")) > MAX_DIGITS:
            raise ParseError(f"too many digits (at most {MAX_DIGITS})", pos)
        if exp and abs(int(exp)) > MAX_LITERAL_EXPONENT:
            raise ParseError(
                f"the exponent {exp} is out of range (at most ±{MAX_LITERAL_EXPONENT})", pos
            )
        value = float(s)
        return Num(s, value, "." in s or bool(exp))

    def name(self, t: Token) -> Node:
        _, s, pos = t
        if s.startswith("log_") and s not in self.ctx.variables:
            return self.call("ln", ("name", "log", pos), base_text=s[4:])
        fn = self.function_name(s)
        if fn is not None:
            return self.call(fn, t)
        atom = self.atom_for(s)
        if atom is not None:
            return atom
        split = self.split_name(s)
        if split is not None:
            return split
        if s in ("x", "X", "times") and self.ctx.units:
            raise ParseError(
                f"'{s}' is not a number: type a number (for example 4.5); '{s}' is read as "
                f"'times' only after a number (48{s})",
                pos,
            )
        if self.is_unit(t):
            raise ParseError(f"'{s}' is a unit: put the number in front of it (4 {s})", pos)
        m = _FUNC_DIGITS.match(s)
        if m and self.function_name(m.group(1)):
            raise ParseError(
                f"put the argument of {m.group(1)} in brackets: {m.group(1)}({m.group(2)}...)", pos
            )
        raise ParseError(self.unknown_name_message(s), pos)

    def unknown_name_message(self, s: str) -> str:
        if s.lower() in _NOT_FINITE:
            return f"'{s}' is not a number: enter a finite value"
        if self.ctx.variables:
            names = ", ".join(sorted(self.ctx.variables))
            return f"'{s}' is not a name I know: use the variables {names}, numbers and functions"
        if self.ctx.units:
            return f"'{s}' is not a unit or function I know"
        return f"'{s}' is not a name I know: use numbers, pi, e and functions such as ln or sqrt"

    def call(self, fn: str, t: Token, base_text: str | None = None) -> Node:
        pos = t[2]
        base: Node | None = None
        nxt = self.toks[self.i]
        if base_text:  # log_10(x), log_2 x typed as plain text
            if not base_text.isdigit():
                raise ParseError("a log base must be a number, as in log_10(x)", pos)
            base = Num(base_text, float(base_text), False)
        elif base_text is not None:  # log_{10}(x)
            base = self.braced("a log base", pos)
        elif (nxt[0] == "name" and nxt[1] == "_") or (nxt[0] == "op" and nxt[1] == "_"):
            self.i += 1
            base = self.braced("a log base", pos)
        elif nxt[0] == "name" and nxt[1].startswith("_"):  # \log_2 tokenises as name "_2"
            self.i += 1
            digits = nxt[1][1:]
            if not digits.isdigit():
                raise ParseError("a log base must be a number", nxt[2])
            base = Num(digits, float(digits), False)
        power: Node | None = None
        nxt = self.toks[self.i]
        if nxt[0] == "op" and nxt[1] == "^":
            self.i += 1
            power = self.postfix()
        nxt = self.toks[self.i]
        if (
            nxt[0] == "op"
            and nxt[1] == "("
            and t[1].lower() == "log"
            and base is None
            and self._two_arguments()
        ):  # log(x, b): the base second, as in PrairieLearn, Open edX and sympy
            self.i += 1
            self.enter(nxt[2])
            arg = self.expression()
            self.expect(",", nxt)
            base = self.expression()
            self.expect(")", nxt)
            self.depth -= 1
            fn = "ln"
        elif nxt[0] == "op" and nxt[1] in ("(", "{", "["):
            self.i += 1
            arg = self.group(nxt, {"(": ")", "{": "}", "[": "]"}[nxt[1]])
        elif nxt[0] == "end" or (nxt[0] == "op" and nxt[1] not in ("-", "+", "|")):
            raise ParseError(f"{t[1]} needs an argument, for example {t[1]}(3)", pos)
        else:
            self.enter(pos)  # ln ln ln x: no brackets, so count the level here
            arg = self.unary()
            self.depth -= 1
        if fn == "sqrt" and t[0] == "cmd":
            fn = "sqrt"
        node: Node
        if base is not None:
            if fn not in ("ln", "log10"):
                raise ParseError(f"{t[1]} takes no base", pos)
            if type(base) is Num and base.text == "10":
                node = Call("log10", arg)
            elif type(base) is Num and base.text == "2":
                node = Call("log2", arg)
            elif type(base) is Const and base.name == "e":
                node = Call("ln", arg)
            else:
                node = Bin("/", Call("ln", arg), Call("ln", base))
        elif fn == "factorial":
            node = Fact(arg)
        else:
            node = Call(fn, arg)
        return Bin("^", node, power) if power is not None else node

    def _two_arguments(self) -> bool:
        """Whether the bracket at ``self.i`` holds a top-level comma (``log(x, 2)``)."""
        level = 0
        for kind, s, _ in self.toks[self.i :]:
            if kind != "op":
                continue
            if s in ("(", "[", "{"):
                level += 1
            elif s in (")", "]", "}"):
                level -= 1
                if level == 0:
                    return False
            elif s == "," and level == 1:
                return True
        return False

    def command(self, t: Token) -> Node:
        _, s, pos = t
        if s in ("\\frac", "\\dfrac", "\\tfrac"):
            nxt = self.toks[self.i]
            if nxt[0] == "num" and len(nxt[1]) == 2 and nxt[1].isdigit():  # \frac12
                self.i += 1
                a, b = nxt[1][0], nxt[1][1]
                return Bin("/", Num(a, float(a), False), Num(b, float(b), False))
            num = self.braced("\\frac", pos)
            den = self.braced("\\frac", pos)
            return Bin("/", num, den)
        if s == "\\sqrt":
            nxt = self.toks[self.i]
            if nxt[0] == "op" and nxt[1] == "[":
                self.i += 1
                index = self.group(nxt, "]")
                radicand = self.braced("\\sqrt", pos)
                return Bin("^", radicand, Bin("/", Num("1", 1.0, False), index))
            return Call("sqrt", self.braced("\\sqrt", pos))
        if s == "\\pi":
            return Const("pi")
        if s == "\\exp" or s[1:] in FUNCTION_NAMES:
            fn = self.function_name(s[1:])
            assert fn is not None
            return self.call(fn, t)
        if s in _NOT_FINITE:
            raise ParseError(f"'{s}' is not a number: enter a finite value", pos)
        raise ParseError(f"the LaTeX command {s} is not supported in answers", pos)


def _here(t: Token) -> str:
    if t[0] == "end":
        return "at the end"
    return f"at '{t[1]}'"


_PREFIX = re.compile(r"\s*(?:([A-Za-z_][A-Za-z0-9_]*)\s*(?:=|≈)\s*)?(?:≈|~)?")
_SUFFIX = re.compile(r"(?<=[A-Za-z)\]])\.\s*+\Z")


def parse(raw: str, ctx: Context) -> Parsed:
    """Parse an answer (or a key) into a tree and an optional unit; raises :class:`ParseError`."""
    if len(raw) > MAX_CHARS:
        raise ParseError(
            f"the answer is too long ({len(raw)} characters; at most {MAX_CHARS})", None
        )
    text, where = normalize(raw)
    # "L = 1.204", "≈ 1.204", "4 s." : what students write around a value. Blanked out (not
    # cut) so positions in messages still point into the raw answer.
    m = _PREFIX.match(text)
    if m and m.end() and (m.group(1) is None or m.group(1) not in ctx.variables):
        text = " " * m.end() + text[m.end() :]
    m = _SUFFIX.search(text)
    if m:
        text = text[: m.start()] + " " * (len(text) - m.start())
    try:
        return _parse_text(text, ctx)
    except ParseError as exc:
        if where is not None and exc.pos is not None:
            exc.pos = where[exc.pos] if exc.pos < len(where) else len(raw)
        raise


def _parse_text(text: str, ctx: Context) -> Parsed:
    if not text.strip():
        raise ParseError("the answer is empty", None)
    toks = tokenize(text)
    p = _Parser(toks, ctx)
    node = p.expression()
    t = p.peek()
    if t[0] == "end":
        return Parsed(node)
    if ctx.units and t[0] == "op" and t[1] == "*" and toks[p.i + 1][0] == "end":
        return Parsed(node, None, ratio=True)
    if p.is_unit(t):
        unit = _parse_unit(p)
        if unit is None:
            return Parsed(node, None, ratio=True)
        return Parsed(node, unit)
    if t[0] == "op" and t[1] in (")", "}", "]"):
        raise ParseError(
            f"'{t[1]}' has no matching opening bracket: remove it, or add the opening bracket "
            "where it belongs",
            t[2],
        )
    if t[0] == "op" and t[1] == ",":
        raise ParseError(
            "give one value: a comma cannot separate values, and decimals take a point (1.204)",
            t[2],
        )
    raise ParseError(
        f"'{to_text(node)}' was read, then '{t[1]}' was not expected: is an operator missing?",
        t[2],
    )


def _parse_unit(p: _Parser) -> _units.Unit | None:
    """Units after the number: ``ms``, ``m/s``, ``m s^-1``, ``%``; None for a ratio (``48 x``)."""
    unit: _units.Unit | None = None
    op = "*"
    while True:
        t = p.advance()
        if t[0] == "name" and t[1] in ("x", "times") and unit is None and p.peek()[0] == "end":
            return None
        u = _units.lookup(t[1]) if t[0] in ("name", "op") else None
        if u is None:
            if t[0] == "end":
                raise ParseError("the unit is incomplete", t[2])
            raise ParseError(f"'{t[1]}' is not a unit I know", t[2])
        nxt = p.peek()
        if nxt[0] == "op" and nxt[1] == "^":
            p.i += 1
            sign = 1
            e = p.advance()
            if e[0] == "op" and e[1] in ("-", "+"):
                sign = -1 if e[1] == "-" else 1
                e = p.advance()
            if e[0] == "op" and e[1] in ("(", "{"):
                inner = p.advance()
                if inner[0] == "op" and inner[1] == "-":
                    sign = -sign
                    inner = p.advance()
                p.expect(")" if e[1] == "(" else "}")
                e = inner
            if e[0] != "num" or not e[1].isdigit() or int(e[1]) > 9:
                raise ParseError("a unit power must be a small whole number", e[2])
            u = _units.power(u, sign * int(e[1]))
        unit = u if unit is None else _units.combine(unit, u, op)
        nxt = p.peek()
        if nxt[0] == "end":
            return unit
        if nxt[0] == "op" and nxt[1] in ("*", "/"):
            op = nxt[1]
            p.i += 1
        else:
            op = "*"


def unit_from_text(text: str) -> _units.Unit | None:
    """An item's unit as written in its spec: a name (``s``, ``%``) or a compound (``m/s^2``,
    ``g/cm^3``, ``km/h``, ``kW*h``); None when it is not a unit."""
    u = _units.lookup(text.strip())
    if u is not None:
        return u
    try:
        toks = tokenize(normalize(text)[0])
        p = _Parser(toks, Context(units=True))
        if not p.is_unit(p.peek()):
            return None
        return _parse_unit(p)
    except ParseError:
        return None
