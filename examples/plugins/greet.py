#!/usr/bin/env python3
"""The acme.greet plugin: reads {"params", "run"} on stdin, writes one JSON object."""
import json
import sys

req = json.load(sys.stdin)
who = req["params"]["who"]
if who.lower() == "nobody":
    # A failure: exit non-zero with an error object; class is one of
    # validation, execution, timeout or authorization.
    json.dump({"error": {"class": "validation", "message": "there is nobody to greet"}}, sys.stdout)
    sys.exit(1)
word = {"en": "Hello", "fr": "Bonjour"}[req["params"].get("lang", "en")]
print(f"greeting {who} for run {req['run']['id']}", file=sys.stderr)  # shown live, and in errors
json.dump({"greeting": f"{word}, {who}!"}, sys.stdout)
