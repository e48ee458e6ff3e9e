"""The `prd.push` job's body: push an (edited) plan from the PRD page, in the sidecar.

The page hands over the plan as the job's params (`{"plan": Plan.to_dict(), "project": name}`),
so what is pushed is exactly what the person saw and edited. Registered in `adops.jobs.workflows`.
"""

from __future__ import annotations

import json
from typing import Any

from adops.errors import InputError
from adops.integrations.prd import Plan, plan_from_dict

#: the job system's own bound on params (adops.jobs.kinds.MAX_PARAMS_CHARS), less room for the project
MAX_PLAN_CHARS = 15_000


def push_params(plan: Plan, project: str | None = None) -> dict[str, Any]:
    """The job params for pushing `plan`; InputError when it is too big to travel as params."""
    document = plan.to_dict()

    def lean(task: dict[str, Any]) -> dict[str, Any]:
        out = {k: v for k, v in task.items() if v not in (None, "", False, []) and k != "line"}
        out["subtasks"] = [lean(s) for s in task["subtasks"]]
        return out

    document["sections"] = [{**s, "tasks": [lean(t) for t in s["tasks"]]} for s in document["sections"]]
    if len(json.dumps(document)) > MAX_PLAN_CHARS:
        raise InputError(
            "this PRD is too large to push from the page: push it with `adops prd push --input PRD.md`"
        )
    params: dict[str, Any] = {"plan": document}
    if project:
        params["project"] = project
    return params


def run_push(params: dict[str, Any], progress: Any = None) -> dict[str, Any]:
    """Push the plan in `params`; the result as `adops prd push --json` prints it."""
    from adops.integrations.prd_push import push

    plan = plan_from_dict(params.get("plan"), source="the job's plan")
    project = params.get("project")
    if project is not None and (not isinstance(project, str) or not 1 <= len(project.strip()) <= 200):
        raise InputError("project: give a name of 1 to 200 characters")
    return push(plan, project=project, progress=progress).to_dict()
