"""The API guide's examples, read from the markdown and run in-process against the demo data.

`tests/api_docs/test_guide_examples.py` runs every page of `api_docs/guide/` with this module, so an example
that drifts from what the server does fails the suite. What a page may contain, and how it is read:

* **```bash blocks** are run command by command, in page order; variables carry over within the page.
  Commands: `curl …` (the options `-s -S -i -X -H -d/--data/--data-raw`, `-F name=value` and
  `-F name=@FILE[;type=…]` for a multipart form, and one `http://127.0.0.1:8000/…` URL), `python manage.py …`
  (run with `call_command`), `cat > FILE <<'EOF'` … `EOF` (writes FILE for a later `-F name=@FILE`; files live
  in memory, per page), `date +%F` and `date -d '+N days' +%F` (today in Asia/Shanghai, the platform's business
  day, and N days on), and `NAME=$(…)` assignments. A pipeline may go on into
  `python3 -c '…'` (run in-process on the output) or `grep [-i] PATTERN`. `$NAME` and `${NAME}` expand outside
  single quotes, as in a shell.
* **The answer** of a command is the comment right below it (`# 201 {"id": 4, …}`, `# {"count": 1, …}`,
  `# ETag: "…"`), or a trailing comment on its line (`… # 204`), or the ```json / ```http block that follows
  `<!-- example: answer -->`. A leading three-digit number is the status; the rest is an excerpt of the body
  (JSON, see below) or of the output lines (headers, a command's output). A command shown without an answer
  must succeed (2xx). A JSON answer without a status: a problem document's `status` is the HTTP status,
  anything else must be 2xx.
* **```http blocks** are an exchange: a request line, headers, a blank line, the JSON body; then
  `HTTP/1.1 <status> …`, the expected headers and a body excerpt. `$NAME` expands in the request line and
  headers. A block that starts with `HTTP/1.1` is an answer (after `<!-- example: answer -->`).
* **Excerpts.** JSON, plus `…`: a bare `…` (or `"…": "…"`) in an object allows members not shown, last in an
  array allows more items; `"…"` is any value; `…` inside a string matches any text (`"eyJhbGciOi…"`). A string
  shaped like a UTC timestamp (`"2026-11-29T07:41:02Z"`) matches any UTC timestamp ending in `Z`. A string that
  is exactly `"$NAME"` matches anything and sets `$NAME` for the commands below (a token, a key, an ETag).
  `← …` at the end of a line is a remark for the reader. Without `…`, objects and arrays must match whole.
* **Directives** (HTML comments, invisible on the rendered page) before a block:
  `<!-- example: sign in NAME=email … -->` sets `$NAME` to the access token of that demo user (password
  `pharmex-demo-2026`); `<!-- example: answer -->` marks the next block as the answer to the previous one;
  `<!-- example: not executable: <reason> -->` marks the next block as not run, with the reason (counted).

Hosts under `example.com` (a webhook receiver in an example) resolve to a public address while a page runs,
as a real receiver's name would; nothing is sent to them.
"""

from __future__ import annotations

import contextlib
import io
import json
import re
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import quote

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.utils import timezone

BASE_URL = "http://127.0.0.1:8000"
DEMO_PASSWORD = "pharmex-demo-2026"
EXAMPLE_HOST_ADDRESS = "93.184.215.14"  # a public address for receivers named under example.com

FENCE = re.compile(r"^(```+|~~~+)\s*([\w+-]*)\s*$")
DIRECTIVE = re.compile(r"<!--\s*example:\s*(.*?)\s*-->", re.DOTALL)
VARIABLE = re.compile(r"\$(?:\{(\w+)\}|([A-Za-z_]\w*))")
CAPTURE = re.compile(r"^\$([A-Za-z_]\w*)$")
UTC_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{1,6})?Z$")
REMARK = re.compile(r"\s+←.*$")
ANSWER_START = re.compile(r"^(\d{3}\b|[{\[]|[A-Za-z][\w-]*: )")
ELLIPSIS = "…"
DIRECTIVES = ("sign in ", "answer", "not executable")
LITERAL_DOLLAR = "\x00"  # an escaped \$ inside double quotes, kept from expansion
HEREDOC = re.compile(r"<<\s*'(\w+)'\s*$")  # a quoted here-document: its text is taken as written


class GuideError(AssertionError):
    """An example that does not do what the guide says, or that this runner cannot read."""


# --- the page ----------------------------------------------------------------------------------------


@dataclass
class Block:
    """One fenced block of a page and the directives written before it."""

    page: str
    line: int  # 1-based line of the opening fence
    language: str
    text: str
    directives: list[str] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"

    def directive(self, name: str) -> str | None:
        for directive in self.directives:
            if directive == name or directive.startswith(name + ":") or directive.startswith(name + " "):
                return directive[len(name) :].lstrip(": ").strip()
        return None


def read_blocks(path: Path) -> list[Block]:
    """Every fenced block of a markdown page, with the `<!-- example: … -->` directives since the last one."""
    lines = path.read_text(encoding="utf-8").splitlines()
    blocks: list[Block] = []
    prose: list[str] = []
    index = 0
    while index < len(lines):
        opening = FENCE.match(lines[index])
        if not opening:
            prose.append(lines[index])
            index += 1
            continue
        pending = [d.strip() for d in DIRECTIVE.findall("\n".join(prose))]
        prose = []
        fence, language = opening.groups()
        start = index
        index += 1
        while index < len(lines) and lines[index].strip() != fence:
            index += 1
        blocks.append(Block(path.name, start + 1, language or "", "\n".join(lines[start + 1 : index]), pending))
        index += 1
    return blocks


# --- shell words --------------------------------------------------------------------------------------


def _expand(text: str, env: dict[str, str], where: str) -> str:
    def value(match: re.Match) -> str:
        name = match.group(1) or match.group(2)
        if name not in env:
            raise GuideError(f"{where}: ${name} is used before any example sets it")
        return env[name]

    return VARIABLE.sub(value, text)


def split_words(text: str, env: dict[str, str], where: str) -> list[str]:
    """Shell words of one simple command: quotes, backslashes and `$NAME` expansion (not in single quotes)."""
    words: list[str] = []
    word: list[str] | None = None
    i = 0
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            if word is not None:
                words.append("".join(word))
                word = None
            i += 1
            continue
        word = word if word is not None else []
        if ch == "'":
            end = text.find("'", i + 1)
            if end < 0:
                raise GuideError(f"{where}: a quote is not closed: {text[i:][:80]!r}")
            word.append(text[i + 1 : end])
            i = end + 1
        elif ch == '"':
            i += 1
            chunk: list[str] = []
            while text[i] != '"':
                if text[i] == "\\" and text[i + 1] in '"\\$`':
                    chunk.append(LITERAL_DOLLAR if text[i + 1] == "$" else text[i + 1])
                    i += 2
                else:
                    chunk.append(text[i])
                    i += 1
            word.append(_expand("".join(chunk), env, where).replace(LITERAL_DOLLAR, "$"))
            i += 1
        elif ch == "\\":
            word.append(text[i + 1])
            i += 2
        elif ch == "$":
            match = VARIABLE.match(text, i)
            if not match:
                raise GuideError(f"{where}: cannot read {text[i:]!r}")
            word.append(_expand(match.group(0), env, where))
            i = match.end()
        else:
            word.append(ch)
            i += 1
    if word is not None:
        words.append("".join(word))
    return words


def split_unquoted(text: str, separator: str) -> list[str]:
    """`text` split at `separator` outside quotes and `$( … )`."""
    parts, start, depth, quote, i = [], 0, 0, None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 2
            continue
        elif text.startswith("$(", i):
            depth += 1
            i += 2
            continue
        elif ch == ")" and depth:
            depth -= 1
        elif depth == 0 and text.startswith(separator, i):
            parts.append(text[start:i])
            start = i + len(separator)
            i = start
            continue
        i += 1
    parts.append(text[start:])
    return parts


def _in_quotes(text: str) -> bool:
    """Whether `text` ends inside a quoted string."""
    quote, i = None, 0
    while i < len(text):
        ch = text[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 2
            continue
        elif ch == "#" and (i == 0 or text[i - 1].isspace()):
            return False  # a comment
        i += 1
    return quote is not None


def _strip_trailing_comment(line: str) -> tuple[str, str | None]:
    """(command, comment) of a line whose comment starts with ` #` outside quotes."""
    quote, i = None, 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\" and quote == '"':
                i += 2
                continue
            if ch == quote:
                quote = None
        elif ch in "'\"":
            quote = ch
        elif ch == "\\":
            i += 2
            continue
        elif ch == "#" and (i == 0 or line[i - 1].isspace()):
            return line[:i].rstrip(), line[i + 1 :].strip()
        i += 1
    return line, None


def _is_manage(text: str) -> bool:
    return text.startswith(("python manage.py ", "python3 manage.py "))


@dataclass
class Command:
    text: str
    line: int
    answer: list[str] = field(default_factory=list)
    answer_closed: bool = False  # the answer was a comment on the command's own line
    stdin: str | None = None  # a here-document's text (`cat > FILE <<'EOF'`)


def read_commands(block: Block) -> list[Command]:
    """The commands of a bash block, each with the answer comment written right below it (or on its line)."""
    commands: list[Command] = []
    lines = block.text.splitlines()
    i = 0
    last: Command | None = None
    in_answer = False
    while i < len(lines):
        raw = lines[i]
        stripped = raw.strip()
        number = block.line + 1 + i
        if not stripped:
            last, in_answer = None, False
            i += 1
            continue
        if stripped.startswith("#"):
            comment = stripped[1:].strip()
            output_follows = in_answer or ANSWER_START.match(comment) or (last is not None and _is_manage(last.text))
            if last is not None and output_follows and not last.answer_closed:
                last.answer.append(comment)
                in_answer = True
            else:
                last, in_answer = None, False
            i += 1
            continue
        text = raw
        while i + 1 < len(lines):
            if _in_quotes(text):  # a quoted argument goes on over the line break, as in a shell
                i += 1
                text = text + "\n" + lines[i]
            elif text.rstrip().endswith("\\"):
                i += 1
                text = text.rstrip()[:-1] + " " + lines[i].strip()
            else:
                break
        command_text, comment = _strip_trailing_comment(text.strip())
        command = Command(command_text, number)
        heredoc = HEREDOC.search(command_text)
        if heredoc:
            command.text = command_text[: heredoc.start()].rstrip()
            end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == heredoc.group(1)), None)
            if end is None:
                raise GuideError(f"{block.where}: the here-document {heredoc.group(1)} is not closed")
            command.stdin = "".join(line + "\n" for line in lines[i + 1 : end])
            i = end
        if comment is not None and ANSWER_START.match(comment):  # `… # 204`; other trailing comments are prose
            command.answer.append(comment)
            command.answer_closed = True
        commands.append(command)
        last, in_answer = command, False
        i += 1
    return commands


# --- answers: JSON excerpts -----------------------------------------------------------------------------


class _Rest:
    """`…` in an object or last in an array: more members or items may follow."""

    def __repr__(self) -> str:
        return "…"


class _Any:
    def __repr__(self) -> str:
        return '"…"'


REST = _Rest()
ANY = _Any()


class _ExcerptParser:
    """JSON with `…` (see the module docstring)."""

    def __init__(self, text: str, where: str) -> None:
        self.text, self.i, self.where = text, 0, where

    def fail(self, message: str) -> GuideError:
        return GuideError(f"{self.where}: {message} in answer {self.text!r} at {self.i}")

    def skip(self) -> None:
        while self.i < len(self.text) and self.text[self.i].isspace():
            self.i += 1

    def parse(self) -> Any:
        value = self.value()
        self.skip()
        if self.i != len(self.text):
            raise self.fail("unexpected text")
        return value

    def value(self) -> Any:
        self.skip()
        if self.i >= len(self.text):
            raise self.fail("unexpected end")
        ch = self.text[self.i]
        if ch == ELLIPSIS:
            self.i += 1
            return ANY
        if ch == "{":
            return self.object()
        if ch == "[":
            return self.array()
        if ch == '"':
            string, self.i = json.decoder.scanstring(self.text, self.i + 1)
            return ANY if string == ELLIPSIS else string
        match = re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null").match(self.text, self.i)
        if not match:
            raise self.fail("not JSON")
        self.i = match.end()
        return json.loads(match.group(0))

    def object(self) -> dict:
        self.i += 1
        result: dict = {}
        while True:
            self.skip()
            if self.text[self.i] == "}":
                self.i += 1
                return result
            if self.text[self.i] == ELLIPSIS:
                self.i += 1
                result[REST] = REST
            else:
                if self.text[self.i] != '"':
                    raise self.fail("expected a member name")
                key, self.i = json.decoder.scanstring(self.text, self.i + 1)
                self.skip()
                if self.text[self.i] != ":":
                    raise self.fail("expected ':'")
                self.i += 1
                value = self.value()
                if key == ELLIPSIS and value is ANY:
                    result[REST] = REST
                else:
                    result[key] = value
            self.skip()
            if self.text[self.i] == ",":
                self.i += 1
            elif self.text[self.i] != "}":
                raise self.fail("expected ',' or '}'")

    def array(self) -> list:
        self.i += 1
        result: list = []
        while True:
            self.skip()
            if self.text[self.i] == "]":
                self.i += 1
                if result and result[-1] is ANY:
                    result[-1] = REST
                return result
            result.append(self.value())
            self.skip()
            if self.text[self.i] == ",":
                self.i += 1
            elif self.text[self.i] != "]":
                raise self.fail("expected ',' or ']'")


def parse_excerpt(text: str, where: str) -> Any:
    return _ExcerptParser(text, where).parse()


def _glob(pattern: str) -> re.Pattern:
    return re.compile(".*".join(re.escape(part) for part in pattern.split(ELLIPSIS)), re.DOTALL)


def match_value(
    expected: Any, actual: Any, env: dict[str, str], path: str = "$", seen: dict[str, str] | None = None
) -> list[str]:
    """Where `actual` differs from the excerpt `expected` (empty: it matches); captures set `env` (a name captured
    twice in one answer must get the same value both times)."""
    seen = {} if seen is None else seen
    if expected is ANY:
        return []
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{path}: expected an object, got {actual!r}"]
        problems = []
        for key, value in expected.items():
            if key is REST:
                continue
            if key not in actual:
                problems.append(f"{path}.{key}: missing (the answer has {sorted(actual)})")
            else:
                problems += match_value(value, actual[key], env, f"{path}.{key}", seen)
        if REST not in expected:
            extra = sorted(set(actual) - set(expected))
            if extra:
                problems.append(f"{path}: members not shown in the guide: {extra} (add them, or `…`)")
        return problems
    if isinstance(expected, list):
        if not isinstance(actual, list):
            return [f"{path}: expected an array, got {actual!r}"]
        open_ended = bool(expected) and expected[-1] is REST
        items = expected[:-1] if open_ended else expected
        if len(actual) < len(items) or (not open_ended and len(actual) != len(items)):
            return [f"{path}: expected {len(items)}{'+' if open_ended else ''} items, got {len(actual)}: {actual!r}"]
        problems = []
        for index, item in enumerate(items):
            problems += match_value(item, actual[index], env, f"{path}[{index}]", seen)
        return problems
    if isinstance(expected, str):
        capture = CAPTURE.match(expected)
        if capture:
            value = actual if isinstance(actual, str) else json.dumps(actual)
            name = capture.group(1)
            if name in seen and seen[name] != value:
                return [f"{path}: expected ${name} = {seen[name]!r} (as above), got {value!r}"]
            env[name] = seen[name] = value
            return []
        if UTC_TIMESTAMP.match(expected):
            ok = isinstance(actual, str) and UTC_TIMESTAMP.match(actual)
            return [] if ok else [f"{path}: expected a UTC timestamp ending in Z, got {actual!r}"]
        if ELLIPSIS in expected:
            ok = isinstance(actual, str) and _glob(expected).fullmatch(actual)
            return [] if ok else [f"{path}: expected {expected!r}, got {actual!r}"]
    if type(expected) is not type(actual) or expected != actual:
        return [f"{path}: expected {expected!r}, got {actual!r}"]
    return []


def match_lines(expected: list[str], actual: list[str], env: dict[str, str], where: str) -> None:
    """Output lines against the answer's lines: `…` matches any text, `Name: $VAR` captures a header."""
    problems = []
    if len(expected) != len(actual):
        problems.append(f"expected {len(expected)} lines, got {len(actual)}")
    for wanted, got in zip(expected, actual, strict=False):
        header = re.match(r"^([\w-]+):\s*\$([A-Za-z_]\w*)$", wanted)
        if header and got.lower().startswith(header.group(1).lower() + ":"):
            env[header.group(2)] = got.split(":", 1)[1].strip()
        elif not _glob(wanted).fullmatch(got):
            problems.append(f"expected {wanted!r}, got {got!r}")
    if problems:
        raise GuideError(f"{where}: " + "; ".join(problems) + f"\noutput: {actual!r}")


# --- running a page -----------------------------------------------------------------------------------


@dataclass
class Answer:
    """What an example says should come back."""

    status: int | None = None
    headers: list[str] = field(default_factory=list)  # "Name: value" lines
    body: Any = None  # a parsed excerpt, or None
    lines: list[str] | None = None  # plain output lines (a command's output, grep's lines)


def _strip_remark(line: str) -> str:
    return REMARK.sub("", line)


def answer_from_comment(lines: list[str], where: str) -> Answer:
    """`# 201 {…}` style answers (possibly over several comment lines)."""
    lines = [_strip_remark(line) for line in lines]
    first = lines[0]
    status = None
    match = re.match(r"^(\d{3})\b\s*(.*)$", first)
    if match:
        status = int(match.group(1))
        lines = [match.group(2), *lines[1:]]
        if not lines[0]:
            lines = lines[1:]
    text = "\n".join(lines).strip()
    if not text:
        return Answer(status=status)
    if text[0] in "{[":
        return Answer(status=status, body=parse_excerpt(text, where))
    return Answer(status=status, lines=lines)


def answer_from_block(block: Block) -> Answer:
    if block.language == "json":
        return Answer(body=parse_excerpt(block.text, block.where))
    if block.language == "http" and block.text.lstrip().startswith("HTTP/"):
        return _http_answer(block.text.strip().splitlines(), block.where)
    raise GuideError(f"{block.where}: an answer block must be json, or http starting with HTTP/1.1")


def _http_answer(lines: list[str], where: str) -> Answer:
    status_line = _strip_remark(lines[0])
    match = re.match(r"^HTTP/[\d.]+ (\d{3})\b", status_line)
    if not match:
        raise GuideError(f"{where}: not a status line: {status_line!r}")
    headers, rest = _headers_then_body(lines[1:])
    body = parse_excerpt(rest, where) if rest else None
    return Answer(status=int(match.group(1)), headers=headers, body=body)


def _headers_then_body(lines: list[str]) -> tuple[list[str], str]:
    headers: list[str] = []
    index = 0
    while index < len(lines):
        line = _strip_remark(lines[index]).strip()
        if not line:
            index += 1
            break
        if line[0] in "{[":
            break
        headers.append(line)
        index += 1
    body = "\n".join(_strip_remark(line) for line in lines[index:]).strip()
    return headers, body


@dataclass
class Reply:
    """One response as the runner saw it."""

    status: int
    headers: dict[str, str]
    content: bytes

    def json(self) -> Any:
        return json.loads(self.content)

    def text(self, include_headers: bool) -> str:
        body = self.content.decode("utf-8", errors="replace")
        if not include_headers:
            return body
        head = [f"HTTP/1.1 {self.status}"] + [f"{name}: {value}" for name, value in self.headers.items()]
        return "\n".join(head) + "\n\n" + body


@dataclass
class Census:
    """What happened to a page's blocks."""

    run: list[str] = field(default_factory=list)  # "where: what"
    answers: list[str] = field(default_factory=list)
    not_executable: list[str] = field(default_factory=list)  # "where: reason"
    requests: int = 0


class PageRunner:
    """Runs one page's examples in order, with one set of variables, on a Django test client."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.blocks = read_blocks(path)
        self.env: dict[str, str] = {}
        self.client = Client(HTTP_HOST="127.0.0.1:8000", raise_request_exception=True)
        self.census = Census()
        self.last_reply: Reply | None = None
        self.last_where = ""
        self.files: dict[str, bytes] = {}  # what `cat > FILE <<'EOF'` wrote, for `curl -F name=@FILE`

    def run(self) -> Census:
        with _example_hosts_resolve():
            index = 0
            while index < len(self.blocks):
                block = self.blocks[index]
                following = self.blocks[index + 1] if index + 1 < len(self.blocks) else None
                answer_block = following if following is not None and following.directive("answer") == "" else None
                self._run_block(block, answer_block)
                index += 2 if answer_block is not None else 1
        return self.census

    def _run_block(self, block: Block, answer_block: Block | None) -> None:
        for directive in block.directives:
            if not directive.startswith(DIRECTIVES):
                raise GuideError(f"{block.where}: unknown directive <!-- example: {directive} -->")
        reason = block.directive("not executable")
        if reason is not None:
            if not reason:
                raise GuideError(f"{block.where}: `not executable` needs a reason")
            if answer_block is not None:
                raise GuideError(f"{block.where}: a block that is not run has no answer block")
            self.census.not_executable.append(f"{block.where}: {reason}")
            return
        if block.directive("answer") is not None:
            raise GuideError(f"{block.where}: an answer block must follow the example it answers")
        sign_in = block.directive("sign in")
        if sign_in:
            for binding in sign_in.split():
                name, _, email = binding.partition("=")
                self.env[name] = self._sign_in(email, block.where)
        if block.language in ("bash", "sh", "shell"):
            self._run_bash(block, answer_block)
        elif block.language == "http":
            self._run_exchange(block, answer_block)
        else:
            raise GuideError(
                f"{block.where}: a ```{block.language or '(no language)'} block is neither run nor an answer: "
                "mark it <!-- example: not executable: <reason> --> or <!-- example: answer -->"
            )
        self.census.run.append(f"{block.where}: {block.language}")
        if answer_block is not None:
            self.census.answers.append(f"{answer_block.where}: answer to {block.where}")

    # --- requests -------------------------------------------------------------------------------

    def _sign_in(self, email: str, where: str) -> str:
        reply = self._request(
            "POST",
            "/api/v1/auth/token/",
            {"Content-Type": "application/json"},
            json.dumps({"email": email, "password": DEMO_PASSWORD}),
        )
        if reply.status != 200:
            raise GuideError(f"{where}: signing in as {email} answered {reply.status}: {reply.content[:300]!r}")
        return reply.json()["access"]

    def _request(self, method: str, target: str, headers: dict[str, str], body: str | bytes | None) -> Reply:
        if target.startswith(BASE_URL):
            target = target[len(BASE_URL) :]
        if not target.startswith("/"):
            raise GuideError(f"examples call {BASE_URL}, not {target!r}")
        # curl sends a typed 注射液 as UTF-8 bytes; the test client wants them percent-encoded.
        target = re.sub(r"[^\x00-\x7f]+", lambda match: quote(match.group(0)), target)
        extra = {name: value for name, value in headers.items() if name.lower() != "content-type"}
        content_type = next((v for n, v in headers.items() if n.lower() == "content-type"), "application/json")
        response = self.client.generic(
            method,
            target,
            data=body if isinstance(body, bytes) else (body or "").encode(),
            content_type=content_type,
            headers=extra,
        )
        self.census.requests += 1
        # A streamed download (an export) is read whole, as curl would.
        body = b"".join(response.streaming_content) if response.streaming else response.content
        return Reply(response.status_code, dict(response.headers), body)

    # --- bash -----------------------------------------------------------------------------------

    def _run_bash(self, block: Block, answer_block: Block | None) -> None:
        commands = read_commands(block)
        if not commands:
            raise GuideError(f"{block.where}: a bash block without commands")
        for position, command in enumerate(commands):
            where = f"{block.page}:{command.line}"
            answer = answer_from_comment(command.answer, where) if command.answer else None
            if position == len(commands) - 1 and answer_block is not None:
                if answer is not None:
                    raise GuideError(f"{where}: two answers (a comment and the block below)")
                answer = answer_from_block(answer_block)
                where = f"{where} (answer at {answer_block.where})"
            self._run_command(command.text, answer, where, command.stdin)

    def _run_command(self, text: str, answer: Answer | None, where: str, stdin: str | None = None) -> None:
        if stdin is not None:
            target = re.fullmatch(r"cat\s*>\s*([\w.-]+)", text)
            if not target:
                raise GuideError(f"{where}: a here-document only goes into `cat > FILE`")
            if answer is not None:
                raise GuideError(f"{where}: writing a file prints nothing, so it has no answer")
            self.files[target.group(1)] = stdin.encode()
            return
        assignment = re.match(r"^([A-Za-z_]\w*)=\$\((.*)\)$", text, re.DOTALL)
        if assignment:
            if answer is not None:
                raise GuideError(f"{where}: an assignment prints nothing, so it has no answer")
            output, _ = self._run_pipeline(assignment.group(2), where)
            self.env[assignment.group(1)] = output.strip()
            return
        output, reply = self._run_pipeline(text, where)
        if reply is not None and (answer is None or answer.lines is None):
            self._check_reply(reply, answer, where)
        elif answer is not None:
            if answer.status is not None and reply is not None and reply.status != answer.status:
                raise GuideError(f"{where}: expected status {answer.status}, got {reply.status}")
            match_lines(answer.lines or [], [ln for ln in output.splitlines() if ln.strip()], self.env, where)

    def _run_pipeline(self, text: str, where: str) -> tuple[str, Reply | None]:
        """(output, the HTTP reply of a curl that output only its body, if any) of a pipeline."""
        stages = [stage.strip() for stage in split_unquoted(text, "|")]
        words = split_words(stages[0], self.env, where)
        reply: Reply | None = None
        if words[0] == "curl":
            reply, include_headers = self._curl(words[1:], where)
            output = reply.text(include_headers)
            if len(stages) > 1 or include_headers:
                self._check_reply(reply, None, where, body=False)
                reply = None
        elif words[:2] in (["python", "manage.py"], ["python3", "manage.py"]):
            output = self._manage(words[2:], where)
        elif words[0] == "date":
            output = self._date(words[1:], where)
        else:
            raise GuideError(f"{where}: the runner cannot run {words[0]!r}; mark the block not executable")
        for stage in stages[1:]:
            output = self._filter(split_words(stage, self.env, where), output, where)
        return output, reply

    def _date(self, words: list[str], where: str) -> str:
        days = 0
        if words[:1] == ["-d"] and len(words) == 3:
            offset = re.fullmatch(r"([+-]\d+) days?", words[1])
            if not offset:
                raise GuideError(f"{where}: date -d takes '+N days' here")
            days, words = int(offset.group(1)), words[2:]
        if words != ["+%F"]:
            raise GuideError(f"{where}: the runner knows `date +%F` and `date -d '+N days' +%F`")
        return (timezone.localdate() + timedelta(days=days)).isoformat() + "\n"

    def _form_field(self, value: str, form: dict[str, Any], where: str) -> None:
        name, _, value = value.partition("=")
        if not value.startswith("@"):
            form[name] = value
            return
        filename, _, options = value[1:].partition(";")
        if filename not in self.files:
            raise GuideError(f"{where}: {filename} was not written above (cat > {filename} <<'EOF')")
        content_type = options.removeprefix("type=") if options.startswith("type=") else "application/octet-stream"
        form[name] = SimpleUploadedFile(filename, self.files[filename], content_type=content_type)

    def _curl(self, words: list[str], where: str) -> tuple[Reply, bool]:
        method, headers, url, include_headers = None, {}, None, False
        body: str | bytes | None = None
        form: dict[str, Any] = {}
        index = 0
        while index < len(words):
            word = words[index]
            if word in ("-X", "--request"):
                method = words[index + 1]
                index += 2
            elif word in ("-H", "--header"):
                name, _, value = words[index + 1].partition(":")
                headers[name.strip()] = value.strip()
                index += 2
            elif word in ("-d", "--data", "--data-raw"):
                body = words[index + 1]
                index += 2
            elif word in ("-F", "--form"):
                self._form_field(words[index + 1], form, where)
                index += 2
            elif re.fullmatch(r"-[sSi]+", word):
                include_headers = include_headers or "i" in word
                index += 1
            elif word.startswith("-"):
                raise GuideError(f"{where}: the runner does not know curl's {word}")
            else:
                if url is not None:
                    raise GuideError(f"{where}: two URLs")
                url = word
                index += 1
        if url is None:
            raise GuideError(f"{where}: curl without a URL")
        if form:
            if body is not None:
                raise GuideError(f"{where}: curl takes -d or -F, not both")
            body = encode_multipart(BOUNDARY, form)
            headers["Content-Type"] = MULTIPART_CONTENT
        method = method or ("POST" if body is not None else "GET")
        reply = self._request(method, url, headers, body)
        self.last_reply, self.last_where = reply, where
        return reply, include_headers

    def _manage(self, words: list[str], where: str) -> str:
        stdout = io.StringIO()
        call_command(*words, stdout=stdout, stderr=stdout)
        return stdout.getvalue()

    def _filter(self, words: list[str], output: str, where: str) -> str:
        if words[:2] == ["python3", "-c"] and len(words) == 3:
            stdin, stdout = io.StringIO(output), io.StringIO()
            with mock.patch.object(sys, "stdin", stdin), contextlib.redirect_stdout(stdout):
                exec(compile(words[2], where, "exec"), {"__name__": "__main__"})  # noqa: S102  (the guide's own code)
            return stdout.getvalue()
        if words[0] == "grep":
            flags = 0
            arguments = words[1:]
            if arguments and arguments[0] == "-i":
                flags, arguments = re.IGNORECASE, arguments[1:]
            if len(arguments) != 1:
                raise GuideError(f"{where}: grep takes one pattern here")
            pattern = re.compile(arguments[0], flags)
            return "\n".join(line for line in output.splitlines() if pattern.search(line))
        raise GuideError(f"{where}: the runner cannot pipe into {words[0]!r}")

    # --- http exchanges -------------------------------------------------------------------------

    def _run_exchange(self, block: Block, answer_block: Block | None) -> None:
        lines = block.text.strip().splitlines()
        split = next((i for i, line in enumerate(lines) if line.startswith("HTTP/")), None)
        request_lines = lines if split is None else lines[:split]
        answer = None if split is None else _http_answer(lines[split:], block.where)
        if answer_block is not None:
            if answer is not None:
                raise GuideError(f"{block.where}: two answers (in the block and below it)")
            answer = answer_from_block(answer_block)
        request_line = _expand(_strip_remark(request_lines[0]).strip(), self.env, block.where)
        match = re.match(r"^([A-Z]+) (\S+)(?: HTTP/[\d.]+)?$", request_line)
        if not match:
            raise GuideError(f"{block.where}: not a request line: {request_line!r}")
        header_lines, body = _headers_then_body(request_lines[1:])
        headers = {}
        for line in header_lines:
            name, _, value = _expand(line, self.env, block.where).partition(":")
            headers[name.strip()] = value.strip()
        reply = self._request(match.group(1), match.group(2), headers, body or None)
        self._check_reply(reply, answer, block.where)

    # --- checking -------------------------------------------------------------------------------

    def _check_reply(self, reply: Reply, answer: Answer | None, where: str, body: bool = True) -> None:
        expected_status = answer.status if answer is not None else None
        problem_status = None
        if answer is not None and isinstance(answer.body, dict) and isinstance(answer.body.get("status"), int):
            problem_status = answer.body["status"]
        content = reply.content[:800].decode("utf-8", errors="replace")
        if expected_status is not None:
            if reply.status != expected_status:
                raise GuideError(f"{where}: expected status {expected_status}, got {reply.status}: {content}")
        elif problem_status is not None:
            if reply.status != problem_status:
                raise GuideError(f"{where}: expected status {problem_status}, got {reply.status}: {content}")
        elif not 200 <= reply.status < 300:
            raise GuideError(f"{where}: expected success, got {reply.status}: {content}")
        if answer is None:
            return
        for line in answer.headers:
            name, _, value = line.partition(":")
            actual = next((v for n, v in reply.headers.items() if n.lower() == name.strip().lower()), None)
            if actual is None:
                raise GuideError(f"{where}: the answer has no {name} header ({sorted(reply.headers)})")
            problems = match_value(value.strip(), actual, self.env, name)
            if problems:
                raise GuideError(f"{where}: " + "; ".join(problems))
        if body and answer.body is not None:
            try:
                actual_body = reply.json()
            except ValueError:
                raise GuideError(f"{where}: the answer is not JSON: {content}") from None
            problems = match_value(answer.body, actual_body, self.env)
            if problems:
                shown = json.dumps(actual_body, ensure_ascii=False)[:1500]
                raise GuideError(
                    f"{where}: the answer differs from the guide:\n  " + "\n  ".join(problems) + f"\nanswer: {shown}"
                )


@contextlib.contextmanager
def _example_hosts_resolve() -> Iterator[None]:
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else str(host)
        if name == "example.com" or name.endswith(".example.com"):
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (EXAMPLE_HOST_ADDRESS, port or 443))]
        return real(host, port, *args, **kwargs)

    with mock.patch.object(socket, "getaddrinfo", getaddrinfo):
        yield
