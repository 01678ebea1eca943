"""Sends one scenario's calls through segment-analytics-python, pointed at the service.

Input: the SCENARIO environment variable (JSON, see tests/clients/README.md).
Output: one JSON line on stdout, {"client", "version", "responses": [{status, types}]},
where `types` are the event types of the batch the response answered. Exits non-zero
when the library reports an error.
"""

import json
import os
import sys

import segment.analytics as analytics
from segment.analytics import request as segment_request

scenario = json.loads(os.environ["SCENARIO"])
responses = []
failures = []


def record_response(response, *args, **kwargs):
    if response.request.url.endswith("/v1/batch"):
        body = json.loads(response.request.body)
        responses.append({"status": response.status_code, "types": [e["type"] for e in body["batch"]]})


def on_error(error, batch):
    failures.append(f"{error!r} for {[m.get('type') for m in batch]}")


# The library posts through this session; the hook sees every answer it receives.
segment_request._session.hooks["response"].append(record_response)

analytics.write_key = scenario["writeKey"]
analytics.host = scenario["host"]
analytics.on_error = on_error
analytics.max_retries = 2
analytics.timeout = 10

user, group, track, page, alias = (scenario.get(k) for k in ("user", "group", "track", "page", "alias"))
if scenario["phase"] == "main":
    analytics.identify(user["userId"], {"email": user["email"], "name": user["name"]})
    analytics.group(user["userId"], group["groupId"], {"website": group["website"], "name": group["name"]})
    analytics.track(user["userId"], track["event"], {"email": track["email"], "job_title": track["jobTitle"]})
    analytics.page(
        user["userId"],
        category=page["category"],
        name=page["name"],
        properties={"path": page["path"]},
        context={"traits": {"email": user["email"]}},
    )
elif scenario["phase"] == "alias":
    analytics.alias(alias["previousId"], alias["userId"], context={"traits": {"email": user["email"]}})
else:
    sys.exit(f"unknown phase {scenario['phase']!r}")

analytics.shutdown()
print(json.dumps({"client": "segment-analytics-python", "version": analytics.VERSION, "responses": responses, "failures": failures}))
sys.exit(1 if failures else 0)
