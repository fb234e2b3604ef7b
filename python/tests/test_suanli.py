"""The Python package against the CLI it wraps: the same JSON, the same
errors, DataFrames when pandas is installed. Run by `make test` (CTest
PythonPackage) with PYTHONPATH=build/python and SUANLI_BINARY=build/suanli."""
import json
import os
import subprocess

import pytest

import suanli

BINARY = os.environ["SUANLI_BINARY"]
SOURCE = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def cli_json(*args):
    out = subprocess.run([BINARY, *args, "--json"], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_the_readme_example_gives_the_cli_mfu():
    got = suanli.estimate_train(model="llama3-70b", accel="ascend-910b", devices=1024)
    want = cli_json("estimate", "train", "--model", "llama3-70b", "--accel", "ascend-910b",
                    "--devices", "1024")
    print(f"MFU from Python {got['mfu']:.4f}, from the CLI {want['mfu']:.4f}")
    assert got == want
    assert 0 < got["mfu"] < 1


def test_flags_in_snake_case_lists_and_bare_flags():
    got = suanli.compare("infer", model="llama3-70b", precision="auto", input_len=2048,
                         output_len=512, tpot_slo_ms=50, devices=8,
                         accels=["h20", "ascend-910b"])
    want = cli_json("compare", "infer", "--model", "llama3-70b", "--precision", "auto",
                    "--input-len", "2048", "--output-len", "512", "--tpot-slo-ms", "50",
                    "--devices", "8", "--accels", "h20,ascend-910b")
    assert got == want
    assert [r["accelerator"] for r in got["rows"]] == ["h20", "ascend-910b"]
    assert suanli.command_line("estimate", "train", steady_state=True, tp=None, zero=False) == [
        "estimate", "train", "--steady-state"]
    assert suanli.command_line("plan", "x.toml", set=["a=1", "b=2"]) == [
        "plan", "x.toml", "--set", "a=1", "--set", "b=2"]


def test_a_refusal_raises_error_with_the_cli_message_and_code():
    with pytest.raises(suanli.Error) as e:
        suanli.estimate_train(model="llama3-70b", accel="ascend-91b", devices=8)
    cli = subprocess.run([BINARY, "estimate", "train", "--model", "llama3-70b", "--accel",
                          "ascend-91b", "--devices", "8", "--json"], capture_output=True, text=True)
    print(f"Error {e.value.code}: {e.value.message}")
    assert e.value.code == cli.returncode == 2
    assert cli.stderr.strip() == "error: " + e.value.message
    assert "did you mean" in e.value.message


def test_classify_and_catalog():
    got = suanli.classify("h200-sxm", "ascend-910c")
    assert got == cli_json("classify", "h200-sxm", "ascend-910c")
    accels = suanli.catalog("accelerators")
    assert accels == cli_json("catalog", "accelerators")
    assert any(a["id"] == "ascend-910b" for a in accels)
    assert suanli.catalog("h20") == cli_json("catalog", "show", "h20")


def test_simulate_is_deterministic_and_equals_the_cli():
    scenario = os.path.join(SOURCE, "examples", "hybrid-cloud-2026.toml")
    runs = [suanli.simulate(scenario, seed=3), suanli.simulate(scenario, seed=3),
            cli_json("simulate", scenario, "--seed", "3")]
    for r in runs:
        assert r.pop("wall_time_s") > 0  # the one field that measures the machine
    assert runs[0] == runs[1] == runs[2]
    assert runs[0]["audit"]["violations"] == 0


def test_validate_rows_and_a_frame():
    v = suanli.validate()
    assert len(v["rows"]) > 300
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="python3-pandas"):
            suanli.frame(v)
        pytest.skip("pandas not installed: frame() checked to say so")
    df = suanli.frame(v)
    assert len(df) == len(v["rows"]) and "error" in df.columns


def test_a_session_with_an_extra_catalog():
    s = suanli.Session([os.path.join(SOURCE, "examples", "my-catalog")])
    ids = {a["id"] for a in s.run("catalog", "accelerators")}
    assert ids > {a["id"] for a in suanli.catalog()}
