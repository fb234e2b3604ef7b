"""suanli (算力) from Python: the estimator, comparisons, export-control
classification, validation, calibration, the simulator and the planner.

Every function runs the matching ``suanli`` command in-process (the native
module ``suanli._native``, built by CMake with pybind11) and returns what
``suanli … --json`` prints, as plain dicts and lists with the same keys.
Keyword arguments are the command's flags in snake_case: ``devices=1024`` is
``--devices 1024``, ``tpot_slo_ms=50`` is ``--tpot-slo-ms 50``, ``True`` is a
bare flag, a list is comma-separated (``set``, ``sweep``, ``catalog`` and
``trace_dir`` repeat the flag per value instead). A refusal raises :class:`Error` with
the CLI's message and exit code (2: bad input, 1: failure).

    >>> import suanli
    >>> suanli.estimate_train(model="llama3-70b", accel="ascend-910b", devices=1024)["mfu"]

Tables become pandas DataFrames with :func:`frame` when pandas is installed.
"""
import json as _json
import os as _os
import threading as _threading

from . import _native

__all__ = [
    "Error", "Session", "session", "catalog", "classify", "estimate_train", "estimate_infer",
    "compare", "validate", "calibrate", "simulate", "plan", "frame", "command_line",
    "__version__",
]

__version__ = _native.version


class Error(Exception):
    """A command refused its input (code 2) or failed (code 1).

    ``message`` is the CLI's message without its ``error:`` prefix, ``code``
    its exit code and ``command`` the command line that was run.
    """

    def __init__(self, message, code, command):
        super().__init__(message)
        self.message = message
        self.code = code
        self.command = command


# Flags given once per value (``set=["a=1", "b=2"]`` is ``--set a=1 --set b=2``).
_REPEATED = {"set", "sweep", "catalog", "trace_dir"}


def _flag_args(options):
    args = []
    for key, value in options.items():
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            args.append(flag)
        elif isinstance(value, (list, tuple)) and key in _REPEATED:
            for v in value:
                args += [flag, str(v)]
        elif isinstance(value, (list, tuple)):
            args += [flag, ",".join(str(v) for v in value)]
        else:
            args += [flag, str(value)]
    return args


def command_line(*words, **options):
    """The ``suanli`` arguments a call runs (for logs and for the shell)."""
    return [str(w) for w in words] + _flag_args(options)


class Session:
    """A loaded catalog (bundled data, ``SUANLI_CATALOG`` and ``catalog_dirs``)
    that runs commands. Functions at module level use one shared session."""

    def __init__(self, catalog_dirs=()):
        self._native = _native.Session([_os.fspath(d) for d in catalog_dirs])

    def run(self, *words, **options):
        """Run ``suanli WORDS --flags --json``; the parsed JSON, or Error."""
        args = command_line(*words, **options) + ["--json"]
        code, out, err = self._native.run(args)
        if code != 0:
            message = err.strip()
            if message.startswith("error: "):
                message = message[len("error: "):]
            raise Error(message or f"exit code {code}", code, ["suanli"] + args)
        return _json.loads(out)


_default = None
_default_lock = _threading.Lock()


def session():
    """The shared default session (created on first use)."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Session()
        return _default


def catalog(what="accelerators", **options):
    """``suanli catalog accelerators|models`` or ``catalog show ID``: the data
    with each figure's source and confidence."""
    if what in ("accelerators", "models"):
        return session().run("catalog", what, **options)
    return session().run("catalog", "show", what, **options)


def classify(*accelerators, **options):
    """``suanli classify ID…``: ECCN 3A090 class, TPP, performance density and
    China status of each chip."""
    return session().run("classify", *accelerators, **options)


def estimate_train(**options):
    """``suanli estimate train``: step time, tokens/s, MFU, memory, time to
    train and cost with p10-p90 ranges; parallelism left out is searched."""
    return session().run("estimate", "train", **options)


def estimate_infer(**options):
    """``suanli estimate infer``: TTFT, TPOT, tokens/s and cost per million
    tokens with ranges."""
    return session().run("estimate", "infer", **options)


def compare(kind="train", **options):
    """``suanli compare train|infer``: the same workload on several
    accelerators (``accels=[...]``), each with its own best layout."""
    return session().run("compare", kind, **options)


def validate(**options):
    """``suanli validate``: every published measurement beside the
    prediction; ``cross_validate=True`` for the leave-one-source-out error."""
    return session().run("validate", **options)


def calibrate(runs, **options):
    """``suanli calibrate RUNS.toml``: fit a chip's efficiency constants to
    measured runs (``out=DIR`` writes the catalog overlay)."""
    return session().run("calibrate", _os.fspath(runs), **options)


def simulate(scenario, **options):
    """``suanli simulate SCENARIO.toml``: a mixed fleet under policy rules,
    failures and shocks (``placement=``, ``queue=``, ``seed=``)."""
    return session().run("simulate", _os.fspath(scenario), **options)


def plan(scenario, **options):
    """``suanli plan SCENARIO.toml``: what to buy, where and when, at least
    cost under the scenario's rules (``set=["k=v", …]``, ``sweep=[…]``)."""
    return session().run("plan", _os.fspath(scenario), **options)


def frame(result, key=None):
    """A pandas DataFrame of a result's table: ``result[key]`` when given,
    else the first list of objects in it (``rows`` for compare and validate),
    or ``result`` itself when it is such a list. Nested objects become
    dotted columns (``interval.p10``…)."""
    try:
        import pandas
    except ImportError as e:
        raise ImportError("suanli.frame needs pandas (apt-get install python3-pandas)") from e
    table = result
    if key is not None:
        table = result[key]
    elif isinstance(result, dict):
        table = next((v for v in result.values()
                      if isinstance(v, list) and v and all(isinstance(x, dict) for x in v)), None)
        if table is None:
            raise ValueError("no table (a list of objects) in this result; name one with key=")
    return pandas.json_normalize(table)
