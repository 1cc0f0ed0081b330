"""Run WASI command programs (compiled C) from Python and capture what they print.

``whisk.run`` instantiates the module with the WASI imports, calls ``_start`` and returns the
exit status. Streams default to the process's own; here stdout goes to a ``BytesIO``. A
preopened directory is the guest's only view of the host file system.

Run: ``python examples/run_wasi.py``
"""

import io
import tempfile
from pathlib import Path

import whisk

HERE = Path(__file__).resolve().parent


def main() -> None:
    """Run hello.wasm, sha256.wasm and args.wasm with captured output."""
    out = io.BytesIO()
    status = whisk.run(HERE / "hello.wasm", stdout=out)
    print(f"hello.wasm exited {status}: {out.getvalue().decode()!r}")

    out = io.BytesIO()
    status = whisk.run(HERE / "sha256.wasm", ["1000"], stdout=out)
    print(f"sha256.wasm exited {status}: {out.getvalue().decode().strip()}")

    with tempfile.TemporaryDirectory() as tmp:
        Path(tmp, "input.txt").write_text("a file on the host\n")
        out = io.BytesIO()
        status = whisk.run(HERE / "args.wasm", ["one"], stdout=out,
                           env={"GREETING": "hi", "INPUT": "/data/input.txt"},
                           preopens={"/data": tmp})
    print(f"args.wasm exited {status}:")
    print(out.getvalue().decode(), end="")


if __name__ == "__main__":
    main()
