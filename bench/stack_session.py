"""A session for the benchmarks of the running stack (./stack up): /events and /api need one.

FIELDSYNC_TOKEN when set, else a sign-in as the stack's first admin ("admin", its password
in var/admin-password), which sees every branch.
"""
import json
import os
import urllib.request


def token(url, top):
    """The token to send as "Authorization: Bearer <token>"."""
    if os.environ.get("FIELDSYNC_TOKEN"):
        return os.environ["FIELDSYNC_TOKEN"]
    with open(os.path.join(top, "var", "admin-password")) as f:
        password = f.read().strip()
    body = json.dumps({"login": "admin", "password": password}).encode()
    req = urllib.request.Request(url + "/api/session", data=body, method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req) as r:
        return json.load(r)["token"]
