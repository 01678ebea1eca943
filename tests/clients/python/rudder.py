"""Sends one scenario's calls through rudder-sdk-python (RudderStack's client), pointed at
the service.

Input: the SCENARIO environment variable (JSON, see tests/clients/README.md), phase
"rudder": identify, identify of a second user, group. The library puts identify traits
only under context.traits.
Output: one JSON line on stdout, {"client", "version", "responses": [{status, types,
contentType, contentEncoding}], "failures"}. Exits non-zero when the library reports an
error.
"""

import gzip
import json
import os
import sys

import rudderstack.analytics as analytics
from rudderstack.analytics import request as rudder_request

scenario = json.loads(os.environ["SCENARIO"])
responses = []
failures = []


def record_response(response, *args, **kwargs):
    request = response.request
    if request.url.endswith("/v1/batch"):
        body = request.body
        encoding = request.headers.get("Content-Encoding")
        if encoding == "gzip":
            body = gzip.decompress(body)
        batch = json.loads(body)["batch"]
        responses.append({
            "status": response.status_code,
            "types": [e["type"] for e in batch],
            "contentType": request.headers.get("Content-Type"),
            "contentEncoding": encoding,
        })


def on_error(error, batch):
    failures.append(f"{error!r} for {[m.get('type') for m in batch]}")


# The library posts through this requests.Session; the hook sees every answer it receives.
rudder_request._session.hooks["response"].append(record_response)

analytics.write_key = scenario["writeKey"]
analytics.dataPlaneUrl = scenario["host"]
analytics.host = scenario["host"]
analytics.on_error = on_error
analytics.max_retries = 2
analytics.timeout = 10

if scenario["phase"] != "rudder":
    sys.exit(f"unknown phase {scenario['phase']!r}")
user, context_user, group = scenario["user"], scenario["contextUser"], scenario["group"]
analytics.identify(user["userId"], {"email": user["email"], "name": user["name"]})
analytics.identify(context_user["userId"], {"email": context_user["email"], "name": context_user["name"]})
analytics.group(user["userId"], group["groupId"], {"website": group["website"], "name": group["name"]})

analytics.flush()
analytics.shutdown()
print(json.dumps({"client": "rudder-sdk-python", "version": analytics.VERSION, "responses": responses, "failures": failures}))
sys.exit(1 if failures else 0)
