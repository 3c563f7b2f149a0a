"""One table of editor commands: the kernel's (widget/editor.py COMMANDS, plus the JupyterLab
host's own) and the front end's (`CommandName` in extension/src/types.ts) name the same
commands, and every command the front end sends is one the kernel takes."""

import pathlib
import re

import diffwire as dw
from diffwire.widget import comm
from diffwire.widget.editor import COMMANDS

SRC = pathlib.Path(__file__).resolve().parents[1] / "extension" / "src"
BOOTSTRAP_ONLY = {"module"}  # sent by widget/bootstrap.js before the editor module loads


def union(path: pathlib.Path, name: str) -> set[str]:
    """The string literals of TypeScript union type `name` in `path`."""
    text = path.read_text()
    body = re.search(rf"export type {name} =(.*?);", text, re.S).group(1)
    return set(re.findall(r'"([a-z_]+)"', body))


def front_end_commands() -> set[str]:
    return (union(SRC / "types.ts", "CommandName")
            | union(SRC / "workbench" / "types.ts", "WorkbenchCommandName")
            | union(SRC / "workbench" / "ablation.ts", "AblationCommandName"))


def test_the_front_end_and_the_kernel_name_the_same_commands():
    assert front_end_commands() == set(COMMANDS) - BOOTSTRAP_ONLY


def test_every_command_the_front_end_sends_is_taken():
    taken = set(COMMANDS) | set(comm.HOST_COMMANDS)
    sent = set()
    for path in SRC.rglob("*.ts*"):
        sent |= set(re.findall(r'cmd: "([a-z_]+)"', path.read_text()))
    assert sent and sent <= taken, sent - taken
    assert set(comm.HOST_COMMANDS) <= sent  # the host's own commands are all used


def test_an_unknown_command_is_answered_not_raised():
    ed = dw.Editor(dw.Graph())
    seen = []
    ed.send = lambda event, buffers=None: seen.append(event)
    ed.handle({"cmd": "frobnicate"})
    ed.handle({"cmd": ["not", "a", "name"]})
    assert [e["message"] for e in seen] == ["unknown command 'frobnicate'",
                                            "unknown command ['not', 'a', 'name']"]


def test_the_front_end_names_no_block_type():
    """Group/ungroup and the starter document come from the kernel, and the roles the editor
    treats specially (input, output, group) from the catalog: no registered block type is a
    string literal in extension/src (the issue's `grep '"Group"\\|"Input"\\|...'`, for
    every block)."""
    types = {b["type"] for b in dw.catalog()["blocks"]}
    assert {"Group", "Input", "Output", "MLP"} <= types
    found = []
    for path in sorted(SRC.rglob("*.ts*")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            for name in re.findall(r"""["'`]([A-Za-z][A-Za-z0-9]*)["'`]""", line):
                if name in types:
                    found.append(f"{path.relative_to(SRC)}:{n}: {name}")
    assert found == []


def test_the_catalog_gives_the_roles_the_editor_treats_specially():
    roles = {b["type"]: b["role"] for b in dw.catalog()["blocks"] if b["role"]}
    assert roles == {"Input": "input", "Output": "output", "Group": "group", "Optimizer": "optimizer"}
