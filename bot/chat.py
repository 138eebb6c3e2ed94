"""A terminal conversation with a running assistant, through its REST channel."""

from __future__ import annotations

import json
import secrets
import urllib.request
from typing import TextIO


def send(url: str, sender: str, text: str) -> list[dict[str, object]]:
    """Send one message to the REST channel; return the replies."""
    body = json.dumps({"sender": sender, "message": text}).encode()
    request = urllib.request.Request(
        f"{url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as reply:
        return list(json.load(reply))


def chat_loop(url: str, stdin: TextIO, stdout: TextIO) -> int:
    """Read lines, print the assistant's replies, until end of input (Ctrl-D)."""
    sender = f"terminal-{secrets.token_hex(4)}"
    interactive = stdin.isatty()
    stdout.write("Write a message, or Ctrl-D to quit. Try 'hi', 'salam', 'hola', 'bonjour'.\n")
    while True:
        if interactive:
            stdout.write("you> ")
        stdout.flush()
        line = stdin.readline()
        if not line:
            stdout.write("\n")
            return 0
        for reply in send(url, sender, line.rstrip("\n")):
            text = reply.get("text")
            if text:
                stdout.write(f"bot> {str(text).replace(chr(10), chr(10) + '     ')}\n")
        stdout.flush()
