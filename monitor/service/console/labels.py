"""The console's Chinese words for statuses and actions, and its Chinese messages for refusals."""

from __future__ import annotations

from pydantic import ValidationError

from monitor.service.errors import Forbidden, LeaseConflict, NotFound, ServiceError

__all__ = ["ACTION_ZH", "STATUS_ZH", "refusal_zh", "validation_zh"]

STATUS_ZH: dict[str, str] = {"open": "待领取", "leased": "审核中", "held": "已搁置", "escalated": "已升级",
                             "decided": "已处理"}
ACTION_ZH: dict[str, str] = {"confirm": "确认违规", "dismiss": "驳回（不违规）", "escalate": "升级给组长"}
_FIELD_ZH: dict[str, str] = {
    "action": "请选择处理方式（确认违规、驳回或升级）。",
    "reason": "请填写理由（1–4000 字）。",
    "policies": "请填写至少一条政策依据（每行一条，最多 20 条，每条不超过 200 字）。",
    "sanction": "处罚措施须从列表中选择。",
    "lease_token": "页面缺少租约信息，请重新领取案件。",
}


def refusal_zh(error: ServiceError, lease_minutes: int) -> str:
    """What the reviewer reads when the service refuses a step."""
    if isinstance(error, LeaseConflict):
        return (f"你对此案件的租约已失效或已不属于你（{lease_minutes} 分钟无心跳会自动收回），未做任何更改。"
                "请回到队列重新领取。The lease is not yours or has lapsed; nothing was changed.")
    if isinstance(error, NotFound):
        return "没有这个案件。No such case."
    if isinstance(error, Forbidden):
        return "你的角色无权执行此操作。Your role may not do this."
    return "请求未被接受，未做任何更改。The request was refused; nothing was changed."


def validation_zh(error: ValidationError) -> str:
    """One line per bad form field, in Chinese; nothing the user typed is echoed."""
    lines: list[str] = []
    for problem in error.errors():
        field = str(problem["loc"][0]) if problem["loc"] else ""
        if not field and "sanction" in problem["msg"]:
            line = "处罚措施只能与“确认违规”一起选择。A sanction goes with a confirm only."
        else:
            line = _FIELD_ZH.get(field, "表单内容不符合要求。")
        if line not in lines:
            lines.append(line)
    return " ".join(lines) + "（未做任何更改。Nothing was changed.）"
